// The verifier through its ExportSource interface (as an S3-backed source would feed it), with the
// bytes cut into tiny chunks so records, quoted CSV cells and multi-byte UTF-8 characters straddle
// chunk boundaries.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyExport, type ExportSource } from '../../../lambdas/domain/audit/verify';
import { removeDir, writeSampleExport } from './helpers';

function chunkedSource(dir: string, sizes: number[]): ExportSource {
  return {
    async list() {
      return readdirSync(dir);
    },
    async *read(name) {
      const bytes = readFileSync(join(dir, name));
      for (let pos = 0, i = 0; pos < bytes.length; i++) {
        const n = sizes[i % sizes.length];
        yield bytes.subarray(pos, pos + n);
        pos += n;
      }
    },
  };
}

describe('verifyExport over any chunking', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  it.each(['jsonl', 'csv'] as const)('verifies a %s export read 1-7 bytes at a time', async (format) => {
    const { dir } = await writeSampleExport(format);
    dirs.push(dir);
    for (const sizes of [[1], [2, 3, 5, 7], [4096]]) {
      const r = await verifyExport(chunkedSource(dir, sizes));
      expect(r.problems).toEqual([]);
      expect(r.records).toBe(18);
    }
  });

  it('counts every problem but keeps only maxProblems', async () => {
    const { dir } = await writeSampleExport('jsonl');
    dirs.push(dir);
    const source = chunkedSource(dir, [64 * 1024]);
    const lying: ExportSource = {
      list: source.list,
      async *read(name) {
        for await (const c of source.read(name)) yield name === 'manifest.json' ? c : Buffer.from(Buffer.from(c).toString('utf8').replace(/"req-/g, '"REQ-'));
      },
    };
    const r = await verifyExport(lying, { maxProblems: 5 });
    expect(r.problems).toHaveLength(5);
    expect(r.problemCount).toBeGreaterThan(18);
  });
});

// docs/audit.md must stay true: its worked example is what the code produces, and the Python
// verifier it gives to auditors accepts real exports (both formats, nasty strings) and rejects
// tampered ones.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { digestOf } from '../../../lambdas/domain/audit/jcs';
import { removeDir, rewriteCsv, rewriteJsonl, tempDir, writeSampleExport } from './helpers';
import { AFTER_STATE, exampleEvents, workedExample } from './worked-example';

const DOC = readFileSync(resolve(__dirname, '../../../docs/audit.md'), 'utf8');

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(cmd, args, (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('docs/audit.md', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  it('shows the worked example exactly as the code computes it', async () => {
    const x = await workedExample();
    const shown = [
      x.stateText,
      x.stateDigest,
      digestOf(AFTER_STATE),
      x.preimage1,
      ...x.events.map((e) => e.hash),
      ...x.lines,
      ...x.csv.split('\r\n').filter(Boolean),
      x.manifest.files[0].sha256,
      `${x.manifest.files[0].bytes} bytes`,
      x.manifest.manifestHash,
    ];
    for (const value of shown) expect(DOC).toContain(value);
  });

  it("gives a sed + sha256sum pipeline that recomputes a JSONL record's hash", async () => {
    const { dir, events } = await writeSampleExport('jsonl');
    dirs.push(dir);
    const pipeline = DOC.match(/^(sed -n 1p events-00001\.jsonl \| sed -E .*sha256sum)$/m)![1];
    for (const n of [1, 2, 6]) {
      const cmd = pipeline.replace('sed -n 1p', `sed -n ${n}p`).replace('events-00001.jsonl', join(dir, 'events-00001.jsonl'));
      const r = await run('bash', ['-c', cmd]);
      expect(r.stdout.split(' ')[0]).toBe(events[n - 1].hash);
    }
  });

  describe('its Python verifier', () => {
    let script: string;
    beforeAll(() => {
      const code = DOC.split('<!-- verify_export.py')[1].split('```python\n')[1].split('\n```')[0];
      const dir = tempDir('py');
      dirs.push(dir);
      script = join(dir, 'verify_export.py');
      writeFileSync(script, code + '\n');
    });

    it.each(['jsonl', 'csv'] as const)('accepts a real %s export full of nasty strings', async (format) => {
      const { dir } = await writeSampleExport(format);
      dirs.push(dir);
      const r = await run('python3', [script, dir]);
      expect(r).toEqual({ code: 0, stdout: 'OK: 18 records in 4 streams\n', stderr: '' });
    });

    it('accepts the worked example', async () => {
      const { dir } = await writeSampleExport('jsonl', exampleEvents());
      dirs.push(dir);
      expect((await run('python3', [script, dir])).stdout).toBe('OK: 2 records in 1 streams\n');
    });

    it.each(['jsonl', 'csv'] as const)('rejects a tampered %s export, naming the record', async (format) => {
      const { dir } = await writeSampleExport(format);
      dirs.push(dir);
      const file = join(dir, `events-00002.${format}`);
      if (format === 'jsonl') rewriteJsonl(file, (lines) => lines.map((l, i) => (i === 2 ? l.replace('"req-', '"REQ-') : l)));
      else rewriteCsv(file, (recs) => recs.map((r, i) => (i === 3 ? r.map((c, j) => (j === 11 ? c.toUpperCase() : c)) : r)));
      const r = await run('python3', [script, dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`events-00002.${format} record 3 (allocation/a-02 seq 4): hash`);
      expect(r.stdout).toContain('files[1].sha256');
    });
  });
});

// The kairr-audit CLI, run as a real child process on exports in temp folders.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildAnchor, serializeAnchor } from '../../../lambdas/domain/audit/anchor';
import { removeDir, rewriteCsv, tempDir, writeSampleExport } from './helpers';

const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'bin/kairr-audit.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], command = process.execPath, prefix: string[] = [BIN]): Promise<Run> {
  return new Promise((done) => {
    execFile(command, [...prefix, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

describe('kairr-audit verify', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  async function exportDir(format: 'jsonl' | 'csv') {
    const x = await writeSampleExport(format);
    dirs.push(x.dir);
    return x;
  }

  it('prints the count and streams of a sound export and exits 0', async () => {
    const { dir, events } = await exportDir('jsonl');

    const r = await run(['verify', dir]);

    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('OK: 18 records in 4 streams, 3 files (jsonl; export exp-test-1, manifest, hashes and chains verified)');
    expect(lines[1]).toBe(`  allocation/a-01  seq 1..6  6 records  last ${events[5].hash}`);
    expect(lines).toContain('  proposal/p-01  seq 1..3  3 records  last ' + events[17].hash);
  });

  it('names the first bad record in a one-line summary, lists the details, and exits 1', async () => {
    const { dir } = await exportDir('csv');
    rewriteCsv(join(dir, 'events-00001.csv'), (recs) => recs.map((r, i) => (i === 4 ? r.map((c, j) => (j === 8 ? 'allocation.approve' : c)) : r)));

    const r = await run(['verify', dir]);

    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FAIL: 4 problems; first: events-00001\.csv line 5 \(record 4\) stream allocation\/a-01 seq 4: hash: content does not match its hash/);
    expect(lines[1]).toMatch(/^ {2}1\. events-00001\.csv line 5 \(record 4\) stream allocation\/a-01 seq 4: hash: /);
    expect(lines[2]).toMatch(/^ {2}2\. events-00001\.csv: files\[0\]\.sha256: manifest says [0-9a-f]{64}, the file's SHA-256 is [0-9a-f]{64}$/);
  });

  it('--json prints one JSON report', async () => {
    const { dir } = await exportDir('jsonl');
    writeFileSync(join(dir, 'events-00002.jsonl'), '');

    const r = await run(['verify', dir, '--json']);

    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: false, mode: 'export', format: 'jsonl', exportId: 'exp-test-1', path: dir });
    expect(report.summary).toMatch(/^FAIL: /);
    expect(report.problems[0]).toMatchObject({ file: 'events-00002.jsonl', field: '(file)' });
    expect(report.problems.map((p: { field: string }) => p.field)).toContain('files[1].records');
  });

  it('verifies a single data file (hashes and links only)', async () => {
    const { dir } = await exportDir('csv');
    const r = await run(['verify', join(dir, 'events-00002.csv'), '--json']);

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, mode: 'file', records: 7, problemCount: 0 });
  });

  it('checks anchors given with --anchor, and refuses a corrupt anchor file', async () => {
    const { dir, events } = await exportDir('jsonl');
    const anchorDir = tempDir('anchor');
    dirs.push(anchorDir);
    const good = join(anchorDir, 'good.json');
    const wrong = join(anchorDir, 'wrong.json');
    const corrupt = join(anchorDir, 'corrupt.json');
    writeFileSync(good, serializeAnchor(buildAnchor([{ stream: 'call/c-01', seq: 3, hash: events[12].hash }], '2026-11-27T11:00:00.000Z')));
    writeFileSync(wrong, serializeAnchor(buildAnchor([{ stream: 'call/c-01', seq: 3, hash: 'f'.repeat(64) }], '2026-11-27T11:00:00.000Z')));
    writeFileSync(corrupt, serializeAnchor(buildAnchor([{ stream: 'call/c-01', seq: 3, hash: events[12].hash }], '2026-11-27T11:00:00.000Z')).replace('"seq":3', '"seq":4'));

    const ok = await run(['verify', dir, '--anchor', good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('anchored heads checked: 1');

    const bad = await run(['verify', dir, '--anchor', wrong]);
    expect(bad.code).toBe(1);
    expect(bad.stdout.split('\n')[0]).toContain('stream call/c-01 seq 3: hash: does not match the head anchored in wrong.json');

    const refused = await run(['verify', dir, '--anchor', corrupt]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('anchorHash does not match');
  });

  it('exits 2 on usage and I/O errors', async () => {
    expect((await run([])).code).toBe(2);
    expect(await run(['verify'])).toMatchObject({ code: 2, stderr: expect.stringContaining('missing PATH') });
    expect(await run(['verify', '/nonexistent/export'])).toMatchObject({ code: 2, stderr: expect.stringContaining('ENOENT') });
    expect(await run(['verify', '.', '--frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown option') });
    expect(await run(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: kairr-audit verify PATH') });
  });

  it('runs through the package bin as `npx kairr-audit`', async () => {
    const { dir } = await exportDir('csv');
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    const r = await run(['kairr-audit', 'verify', dir], npx, ['--no-install']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: 18 records in 4 streams/);
  });
});

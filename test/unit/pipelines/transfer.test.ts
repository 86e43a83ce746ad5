// The transfer job's script, run for real: Debian's rsync between two folders that stand for spc's
// and kisti6's storage roots. spc's root is reachable only through its rsync daemon (read-only),
// the script writes only kisti6's. Every file's SHA-256 is checked against the manifest; a file
// corrupted at the source is caught and named; a re-run moves only what is missing or wrong,
// including after a real interruption.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManifestEntry } from '../../../lambdas/domain/pipelines/context';
import { atSite, catalogueCopyPath, remoteFolder, stageWorkPath } from '../../../lambdas/domain/pipelines/storage';
import { TRANSFER_EXIT, transferScript, TransferScriptError, type TransferScriptInput } from '../../../lambdas/domain/pipelines/transfer-script';
import { startRsyncDaemon, type RsyncDaemon } from '../../support/rsyncd';
import { fileMatches, openTree, resultLine, runScript, treeDigest, writeVersion } from '../../support/transfer-fixtures';

let base: string;
let spc: { root: string; endpoint: string };
let kisti6: { root: string };
let daemon: RsyncDaemon;
let n = 0;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'kairr-transfer-'));
  spc = { root: join(base, 'spc-storage'), endpoint: '' };
  kisti6 = { root: join(base, 'kisti6-storage') };
  mkdirSync(spc.root, { recursive: true });
  mkdirSync(kisti6.root, { recursive: true });
  openTree(base);
  daemon = await startRsyncDaemon(spc.root, 'spc');
  spc.endpoint = daemon.url;
});
afterAll(async () => {
  await daemon?.stop();
  rmSync(base, { recursive: true, force: true });
});

/** A fresh version at spc, and the script that brings it to kisti6. */
function setUp(files: Parameters<typeof writeVersion>[1], change: Partial<TransferScriptInput> = {}) {
  const version = String(++n);
  const rel = catalogueCopyPath('ds-test', version);
  const manifest = writeVersion(atSite(spc, rel), files);
  openTree(spc.root);
  const dest = atSite(kisti6, rel);
  const resultFile = atSite(kisti6, `${stageWorkPath('pipe-1', `move-${version}`)}/.kairr/transfer.json`);
  const input: TransferScriptInput = {
    transferId: `tr-${version}`,
    label: `ds-test@${version} spc → kisti6`,
    source: remoteFolder(spc, rel),
    destination: dest,
    resultFile,
    manifest,
    mover: { kind: 'rsync', timeLimitMinutes: 10 },
    ...change,
  };
  const scriptPath = join(base, `transfer-${version}.sh`);
  const write = (over: Partial<TransferScriptInput> = {}) => writeFileSync(scriptPath, transferScript({ ...input, ...over }));
  write();
  return { version, rel, manifest, dest, resultFile, scriptPath, write, srcFolder: atSite(spc, rel) };
}

const FILES = [
  { path: 'data/part-000.bin', bytes: 300_000 },
  { path: 'data/part-001.bin', bytes: 120_000 },
  { path: 'README.md', content: '# test data\n' },
  { path: '기후/관측 자료 "2026".csv', content: 'a,b\n1,2\n' },
  { path: 'empty.txt', content: '' },
];

describe('a transfer from spc to kisti6', () => {
  test('copies every file, verifies each against the manifest, and writes only the destination', async () => {
    const t = setUp(FILES);
    const spcBefore = treeDigest(spc.root);

    const r = await runScript(t.scriptPath, t.resultFile);

    expect(r.code).toBe(TRANSFER_EXIT.verified);
    expect(r.result).toMatchObject({ transferId: `tr-${t.version}`, state: 'verified', mover: 'rsync', moverExit: 0, files: FILES.length, verifiedFiles: FILES.length, mismatched: [], missing: [], moved: { files: FILES.length } });
    expect(r.result!.bytes).toBe(t.manifest.reduce((s, e) => s + e.bytes, 0));
    expect(r.result!.moved.bytes).toBe(r.result!.bytes);
    expect(resultLine(r.stdout)).toEqual(r.result);
    for (const e of t.manifest) expect(fileMatches(join(t.dest, e.path), e)).toBe(true);
    expect(Object.keys(treeDigest(t.dest)).sort()).toEqual(t.manifest.map((e) => e.path).sort());
    expect(treeDigest(spc.root)).toEqual(spcBefore);
  });

  test('run again, it moves nothing and verifies again', async () => {
    const t = setUp(FILES.slice(0, 3));
    await runScript(t.scriptPath, t.resultFile);

    const again = await runScript(t.scriptPath, t.resultFile);

    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.result).toMatchObject({ state: 'verified', verifiedFiles: 3, moved: { files: 0, bytes: 0 } });
  });

  test('a file corrupted at the source is caught and named; the copy is not verified; once fixed, only that file moves', async () => {
    const t = setUp(FILES);
    const victim = t.manifest.find((e) => e.path.startsWith('기후'))!;
    const good = readFileSync(join(t.srcFolder, victim.path));
    const bad = Buffer.from(good);
    bad[0] ^= 0xff; // same size, one byte flipped: the catalogue's SHA-256 no longer matches
    writeFileSync(join(t.srcFolder, victim.path), bad);

    const r = await runScript(t.scriptPath, t.resultFile);

    expect(r.code).toBe(TRANSFER_EXIT.mismatched);
    expect(r.result).toMatchObject({ state: 'mismatched', moverExit: 0, verifiedFiles: FILES.length - 1, mismatched: [victim.path], mismatchedCount: 1, missing: [], missingCount: 0 });

    writeFileSync(join(t.srcFolder, victim.path), good);
    const fixed = await runScript(t.scriptPath, t.resultFile);

    expect(fixed.code).toBe(0);
    expect(fixed.result).toMatchObject({ state: 'verified', verifiedFiles: FILES.length, moved: { files: 1, bytes: victim.bytes } });
  });

  test('a wrong file at the destination with the right size and time is replaced (a size-and-time sync would keep it)', async () => {
    const t = setUp(FILES.slice(0, 2));
    await runScript(t.scriptPath, t.resultFile);
    const target = join(t.dest, t.manifest[1].path);
    writeFileSync(target, Buffer.alloc(t.manifest[1].bytes, 7));
    // Both ends get the same whole-second time: a Date read back from stat is rounded to the
    // millisecond, which can cross a second boundary and make the size-and-time check see a change.
    const when = Math.floor(statSync(target).mtimeMs / 1000) - 60;
    utimesSync(target, when, when);
    utimesSync(join(t.srcFolder, t.manifest[1].path), when, when);
    const plain = spawnSync('rsync', ['-rt', '--stats', '--no-h', `${t.srcFolder}/`, `${t.dest}/`], { encoding: 'utf8' });
    expect(plain.stdout).toMatch(/Number of regular files transferred: 0/);
    expect(fileMatches(target, t.manifest[1])).toBe(false);

    const r = await runScript(t.scriptPath, t.resultFile);

    expect(r.result).toMatchObject({ state: 'verified', moved: { files: 1, bytes: t.manifest[1].bytes } });
    expect(fileMatches(target, t.manifest[1])).toBe(true);
  });

  test('a half-finished transfer, really interrupted, resumes moving only what was missing', async () => {
    const files = Array.from({ length: 6 }, (_, i) => ({ path: `chunks/c${i}.bin`, bytes: 256 * 1024 }));
    const t = setUp(files, { mover: { kind: 'rsync', timeLimitMinutes: 10, bwlimitKiBps: 256 } });
    const done = () => t.manifest.filter((e) => fileMatches(join(t.dest, e.path), e)).length;
    let pid = 0;
    const running = runScript(t.scriptPath, t.resultFile, { onStart: (p) => (pid = p) });
    const deadline = Date.now() + 60_000;
    while (done() < 2) {
      if (Date.now() > deadline) throw new Error('the throttled transfer did not get two files across in 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(-pid, 'SIGTERM');
    const interrupted = await running;
    const before = done();
    expect(interrupted.code === 0 && interrupted.result?.state === 'verified').toBe(false);
    expect(before).toBeLessThan(6);

    t.write({ mover: { kind: 'rsync', timeLimitMinutes: 10 } });
    const resumed = await runScript(t.scriptPath, t.resultFile);

    expect(resumed.code).toBe(0);
    expect(resumed.result).toMatchObject({ state: 'verified', verifiedFiles: 6, moved: { files: 6 - before } });
    expect(Object.keys(treeDigest(t.dest)).sort()).toEqual(t.manifest.map((e) => e.path).sort());
  });

  test('a file the source does not have is named missing; the mover failure is not retryable', async () => {
    const t = setUp(FILES.slice(0, 2));
    const ghost: ManifestEntry = { path: 'data/ghost.bin', bytes: 10, sha256: 'a'.repeat(64) };
    t.write({ manifest: [...t.manifest, ghost] });

    const r = await runScript(t.scriptPath, t.resultFile);

    expect(r.code).toBe(TRANSFER_EXIT.failed);
    expect(r.result).toMatchObject({ state: 'mover-failed', moverExit: 23, verifiedFiles: 2, missing: ['data/ghost.bin'], missingCount: 1 });
    expect(r.stderr).toMatch(/rsync exited 23/);
  });

  test('an unreachable source endpoint is a retryable failure', async () => {
    const t = setUp(FILES.slice(0, 1));
    t.write({ source: `rsync://127.0.0.1:1/spc/${t.rel}` });

    const r = await runScript(t.scriptPath, t.resultFile);

    expect(r.code).toBe(TRANSFER_EXIT.retryable);
    expect(r.result).toMatchObject({ state: 'mover-failed', moverExit: 10, verifiedFiles: 0, missing: [t.manifest[0].path] });
  });

  test('more mismatches than the result names are counted, the first 100 named', async () => {
    const files = Array.from({ length: 120 }, (_, i) => ({ path: `many/f${String(i).padStart(3, '0')}`, content: `file ${i}` }));
    const t = setUp(files);
    t.write({ manifest: t.manifest.map((e) => ({ ...e, sha256: 'b'.repeat(64) })) });

    const r = await runScript(t.scriptPath, t.resultFile);

    expect(r.result).toMatchObject({ state: 'mismatched', mismatchedCount: 120, verifiedFiles: 0 });
    expect(r.result!.mismatched).toHaveLength(100);
    expect(r.result!.mismatched[0]).toBe('many/f000');
  });
});

describe('the script generator refuses what it cannot move safely', () => {
  const ok: TransferScriptInput = {
    transferId: 'tr',
    label: 'x',
    source: 'rsync://h/m/a',
    destination: '/d',
    resultFile: '/d/.kairr/r.json',
    manifest: [{ path: 'a', bytes: 1, sha256: 'c'.repeat(64) }],
    mover: { kind: 'rsync', timeLimitMinutes: 5 },
  };
  test.each([
    ['a path with ..', { manifest: [{ path: '../etc/passwd', bytes: 1, sha256: 'c'.repeat(64) }] }, 'manifest[0].path must not contain ".." segments'],
    ['an absolute path', { manifest: [{ path: '/etc/passwd', bytes: 1, sha256: 'c'.repeat(64) }] }, 'manifest[0].path must be relative'],
    ['a folder', { manifest: [{ path: 'dir/', bytes: 1, sha256: 'c'.repeat(64) }] }, 'manifest[0].path must name a file'],
    ['a malformed SHA-256', { manifest: [{ path: 'a', bytes: 1, sha256: 'ABC' }] }, 'manifest[0].sha256 must be 64 lower-case hex digits'],
    ['a duplicate path', { manifest: [ok.manifest[0], ok.manifest[0]] }, 'manifest[1].path duplicates an earlier entry'],
    ['an empty manifest', { manifest: [] }, 'the manifest is empty'],
    ['a relative destination', { destination: 'd' }, 'destination must be absolute'],
  ])('%s', (_what, change, message) => {
    expect(() => transferScript({ ...ok, ...change })).toThrow(TransferScriptError);
    expect(() => transferScript({ ...ok, ...change })).toThrow(message);
  });

  test('values reach the script single-quoted, never run', async () => {
    const t = setUp(FILES.slice(0, 1));
    const nasty = join(kisti6.root, `it's $(touch ${join(base, 'pwned')}) \`id\``);
    t.write({ destination: nasty, resultFile: join(nasty, '.kairr', 'r.json') });

    const r = await runScript(t.scriptPath, join(nasty, '.kairr', 'r.json'));

    expect(r.result).toMatchObject({ state: 'verified' });
    expect(existsSync(join(nasty, t.manifest[0].path))).toBe(true);
    expect(existsSync(join(base, 'pwned'))).toBe(false);
  });
});

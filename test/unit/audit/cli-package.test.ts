// kairr-audit ships compiled: the package npm packs (tools/kairr-audit) installs into an empty
// prefix with no network and no dependencies, and its command verifies an export from a folder
// with no KAIRR checkout and no node_modules in reach (no tsx, no TypeScript).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { removeDir, tempDir, writeSampleExport } from './helpers';

const ROOT = resolve(__dirname, '../../..');
let work: string;
let prefix: string;
let command: string;

beforeAll(() => {
  work = tempDir('kairr-audit-pack-');
  const packed = JSON.parse(execFileSync('npm', ['pack', '-w', 'kairr-audit', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
  expect(packed[0].files.map((f) => f.path).sort()).toEqual(['README.md', 'bin.js', 'kairr-audit.cjs', 'package.json']);
  prefix = join(work, 'prefix');
  mkdirSync(prefix);
  execFileSync('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(work, packed[0].filename)], { cwd: work, encoding: 'utf8' });
  command = join(prefix, 'bin', 'kairr-audit');
}, 120_000);

afterAll(() => work && removeDir(work));

test('the installed package is the compiled file alone, with no node_modules', () => {
  const installed = join(prefix, 'lib', 'node_modules', 'kairr-audit');
  expect(readdirSync(installed).sort()).toEqual(['README.md', 'bin.js', 'kairr-audit.cjs', 'package.json']);
  expect(existsSync(command)).toBe(true);
});

test('the installed command verifies a sound export, and refuses a folder that is no export, outside any checkout', async () => {
  const sound = await writeSampleExport('jsonl');
  const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: work };

  const ok = spawnSync(command, ['verify', sound.dir], { cwd: work, env, encoding: 'utf8' });
  const missing = spawnSync(command, ['verify', join(work, 'no-such-export')], { cwd: work, env, encoding: 'utf8' });
  removeDir(sound.dir);

  expect({ status: ok.status, stderr: ok.stderr }).toEqual({ status: 0, stderr: '' });
  expect(ok.stdout).toMatch(/^OK: 18 records in 4 streams/);
  expect(missing.status).not.toBe(0);
});

test("inside a checkout the launcher runs the checkout's own entry, so no build is needed (the source's path is the one that exists)", () => {
  // A checkout's shape in miniature: the launcher, the CLI source it looks for, and the entry it then runs.
  const tree = join(work, 'checkout');
  mkdirSync(join(tree, 'tools', 'kairr-audit'), { recursive: true });
  mkdirSync(join(tree, 'lambdas', 'audit'), { recursive: true });
  mkdirSync(join(tree, 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'tools', 'kairr-audit', 'bin.js'), join(tree, 'tools', 'kairr-audit', 'bin.js'));
  expect(existsSync(join(ROOT, 'lambdas', 'audit', 'cli.ts'))).toBe(true);
  writeFileSync(join(tree, 'lambdas', 'audit', 'cli.ts'), '');
  writeFileSync(join(tree, 'bin', 'kairr-audit.js'), "process.stdout.write('checkout entry');");
  const r = spawnSync(process.execPath, [join(tree, 'tools', 'kairr-audit', 'bin.js')], { encoding: 'utf8' });
  expect({ status: r.status, out: r.stdout }).toEqual({ status: 0, out: 'checkout entry' });
});

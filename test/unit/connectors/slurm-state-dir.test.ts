// Where the local clusters keep their state (scripts/slurm/lib.sh), checked from clones under a
// home folder of mode 0700, as a new user's clone in /root is: the daemons run as their own users
// and cannot reach state inside it. The scripts are copied into such a folder and asked where the
// state goes (scripts/slurm/state-dir.sh); nothing is started.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPTS = join(__dirname, '..', '..', '..', 'scripts', 'slurm');
const made: string[] = [];

/** A clone of the slurm scripts at <home>/kairr, the home of the given mode. */
function cloneUnder(homeMode: number): { home: string; repo: string } {
  const home = mkdtempSync(join(tmpdir(), 'kairr-home-'));
  chmodSync(home, homeMode);
  made.push(home);
  const repo = join(home, 'kairr');
  mkdirSync(join(repo, 'scripts', 'slurm'), { recursive: true });
  for (const f of ['lib.sh', 'state-dir.sh']) copyFileSync(join(SCRIPTS, f), join(repo, 'scripts', 'slurm', f));
  return { home, repo };
}

function stateDir(repo: string, args: string[] = [], env: Record<string, string> = {}) {
  const base: Record<string, string | undefined> = { ...process.env, ...env };
  if (!('KAIRR_SLURM_DIR' in env)) delete base.KAIRR_SLURM_DIR;
  const r = spawnSync('bash', [join(repo, 'scripts', 'slurm', 'state-dir.sh'), ...args], { env: base, encoding: 'utf8' });
  const [source, dir] = r.stdout.trim().split(' ');
  return { status: r.status, source, dir, stderr: r.stderr };
}

afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

test('this runs as root, as the clusters do (else nothing can be checked)', () => {
  expect(process.getuid?.()).toBe(0);
});

test('a clone under a 0700 home keeps its cluster state under /var/lib/kairr, and links .slurm to it', () => {
  const { home, repo } = cloneUnder(0o700);

  const before = stateDir(repo);
  const ensured = stateDir(repo, ['--ensure']);
  made.push(ensured.dir);
  const after = stateDir(repo);

  expect(before).toMatchObject({ status: 0, source: 'fallback' });
  expect(before.dir).toMatch(/^\/var\/lib\/kairr\/slurm-[0-9a-f]{12}$/);
  expect(before.dir.startsWith(home)).toBe(false);
  expect(ensured).toMatchObject({ status: 0, source: 'fallback', dir: before.dir });
  expect(existsSync(before.dir)).toBe(true);
  expect(lstatSync(join(repo, '.slurm')).isSymbolicLink()).toBe(true);
  expect(readlinkSync(join(repo, '.slurm'))).toBe(before.dir);
  expect(after).toMatchObject({ status: 0, source: 'link', dir: before.dir });
});

test('an explicit KAIRR_SLURM_DIR the daemons cannot reach is refused, with what to do', () => {
  const { home, repo } = cloneUnder(0o700);

  const r = stateDir(repo, [], { KAIRR_SLURM_DIR: join(home, 'state') });

  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain(`cannot reach ${join(home, 'state')}`);
  expect(r.stderr).toMatch(/Set KAIRR_SLURM_DIR to a folder every user can traverse/);
});

test('an old .slurm folder inside a 0700 home is refused, with how to move on', () => {
  const { repo } = cloneUnder(0o700);
  mkdirSync(join(repo, '.slurm'));

  const r = stateDir(repo);

  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/Move or remove .*\.slurm/);
});

test('a clone in a folder open to others keeps its state in <repo>/.slurm', () => {
  const { repo } = cloneUnder(0o755);

  expect(stateDir(repo)).toMatchObject({ status: 0, source: 'default', dir: join(repo, '.slurm') });
});

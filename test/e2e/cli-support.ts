// The installed `kairr`: packed from the workspace (npm pack -w kairr-cli, which compiles it) and
// installed globally into a temporary prefix, as a user would install it, then run as a process
// with a config folder of its own. Nothing of the checkout is on its path: it is the shipped file.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..');

export interface Installed {
  bin: string;
  home: string;
}

export function packAndInstall(): Installed {
  const dir = mkdtempSync(join(tmpdir(), 'kairr-cli-e2e-'));
  const packed = execFileSync('npm', ['pack', '-w', 'kairr-cli', '--pack-destination', dir, '--json'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [{ filename }] = JSON.parse(packed) as { filename: string }[];
  const prefix = join(dir, 'prefix');
  // --offline: the package has no dependencies, so installing it needs no registry.
  execFileSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(dir, filename)], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const home = join(dir, 'home');
  mkdirSync(home);
  return { bin: join(prefix, 'bin', 'kairr'), home };
}

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs the installed CLI; onErr sees stderr as it comes (a login prompt to answer). */
export function runKairr(cli: Installed, args: string[], opts: { env?: Record<string, string>; stdin?: string; onErr?: (s: string) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Only what the CLI is meant to read: no KAIRR_TOKEN or KAIRR_API from the test's own environment.
    const env = { PATH: process.env.PATH ?? '', HOME: cli.home, XDG_CONFIG_HOME: join(cli.home, '.config'), ...opts.env };
    const child = spawn(cli.bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      opts.onErr?.(err);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    child.stdin.end(opts.stdin ?? '');
  });
}

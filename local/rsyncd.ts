// A site's data endpoint in the local test bed: a real rsync daemon (Debian's rsync) serving one
// site's storage root as a read-only module on 127.0.0.1. Movers at the other site read through
// it; nothing else of the source site is reachable, so each side writes only its own root.
// Runs as nobody (as a transfer node's daemon would not run as root), so the served tree must be
// world-readable. Stopped by its own PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './index';

export interface RsyncDaemon {
  /** rsync://127.0.0.1:<port>/<module> */
  url: string;
  port: number;
  module: string;
  stop(): Promise<void>;
}

export function rsyncAvailable(): boolean {
  return spawnSync('rsync', ['--version'], { encoding: 'utf8' }).status === 0;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** Serve `root` as module `module`; resolves when the daemon accepts connections (deadline 10 s). */
export async function startRsyncDaemon(root: string, module: string): Promise<RsyncDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'kairr-rsyncd-'));
  const port = await freePort();
  const conf = join(dir, 'rsyncd.conf');
  writeFileSync(
    conf,
    [
      `pid file = ${join(dir, 'rsyncd.pid')}`,
      `log file = ${join(dir, 'rsyncd.log')}`,
      // rsync 3.5.0's daemon without chroot answers every --files-from path with "file has
      // vanished" (code 24); with chroot (the safer setting anyway) it serves them
      'use chroot = yes',
      'max connections = 16',
      `[${module}]`,
      `  path = ${root}`,
      '  read only = yes',
      '  list = no',
      '  uid = nobody',
      '  gid = nogroup',
      '',
    ].join('\n'),
  );
  chmodSync(dir, 0o755);
  const child: ChildProcess = spawn('rsync', ['--daemon', '--no-detach', `--config=${conf}`, `--port=${port}`, '--address=127.0.0.1'], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`rsync daemon for ${root} did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `rsync://127.0.0.1:${port}/${module}`,
    port,
    module,
    async stop() {
      if (!exited) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

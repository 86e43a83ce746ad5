// The local clusters as scripts/slurm/start.sh describes them in $KAIRR_SLURM_DIR/clusters.json,
// with a driver, the right Slurm client and a deadline-bound wait for each.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SlurmRestDriver } from '../../../lambdas/connectors/slurm-rest/driver';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const SLURM_DIR = process.env.KAIRR_SLURM_DIR ?? join(REPO_ROOT, '.slurm');
export const CLUSTERS_JSON = join(SLURM_DIR, 'clusters.json');

export interface LocalCluster {
  siteId: string;
  cluster: string;
  restUrl: string;
  jwtKeyPath: string;
  slurmVersion: string;
  adminUser: string;
  users: string[];
  parentAccount: string;
  partitions: string[];
  gpusPerNode: number;
  jobWorkDir: string;
  cli: string[];
}

export const EXPECTED_CLUSTERS = ['spc', 'kisti6'] as const;

export function loadClusters(): LocalCluster[] {
  if (!existsSync(CLUSTERS_JSON)) throw new Error(`${CLUSTERS_JSON} is missing: run npm run slurm:start`);
  const all = (JSON.parse(readFileSync(CLUSTERS_JSON, 'utf8')) as { clusters: LocalCluster[] }).clusters;
  return EXPECTED_CLUSTERS.map((name) => {
    const c = all.find((x) => x.cluster === name);
    if (!c) throw new Error(`cluster ${name} is not in ${CLUSTERS_JSON}: run npm run slurm:start`);
    return c;
  });
}

export function driverFor(c: LocalCluster, opts: ConstructorParameters<typeof SlurmRestDriver>[2] = {}): SlurmRestDriver {
  const jwtKey = readFileSync(c.jwtKeyPath).toString('base64');
  return new SlurmRestDriver({ siteId: c.siteId, endpoint: c.restUrl, cluster: c.cluster, parentAccount: c.parentAccount }, async () => ({ username: c.adminUser, jwtKey }), opts);
}

/** Run a Slurm client of the cluster's own version (host 22.05 for spc, the chroot's 24.11 for kisti6). */
export function slurmCli(c: LocalCluster, ...args: string[]): string {
  const [cmd, ...pre] = c.cli;
  const r = spawnSync(cmd, [...pre, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} on ${c.cluster} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** `sacctmgr show assoc` rows of one account, as objects. */
export function sacctmgrAssocs(c: LocalCluster, account: string): { account: string; user: string; partition: string; parent: string; grpTresMins: string; grpJobs: string; grpSubmit: string }[] {
  const out = slurmCli(c, 'sacctmgr', '-n', '-P', 'show', 'assoc', `account=${account}`, `cluster=${c.cluster}`, 'format=account,user,partition,parentname,grptresmins,grpjobs,grpsubmit');
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [acct, user, partition, parent, grpTresMins, grpJobs, grpSubmit] = l.split('|');
      return { account: acct, user, partition, parent, grpTresMins, grpJobs, grpSubmit };
    });
}

/** scripts/slurm/restd.sh stop|start <cluster> */
export function restd(action: 'stop' | 'start', c: LocalCluster): void {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts/slurm/restd.sh'), action, c.cluster], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`restd.sh ${action} ${c.cluster} failed: ${r.stderr}`);
}

export function uniqueId(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/**
 * Poll `probe` until `done` holds for its value, or fail at the deadline with the last value seen.
 * Never a fixed sleep: the interval is only the pause between polls.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, { timeoutMs = 60_000, intervalMs = 500 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}${lastError ? `; last error: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const SHORT_JOB = '#!/bin/bash\necho "gpus=$CUDA_VISIBLE_DEVICES on $(hostname)"\nsleep 2\n';
export const LONG_JOB = '#!/bin/bash\nsleep 600\n';

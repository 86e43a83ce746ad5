// What the parts of bench:dispatch share: the command line's options, the figures printed as one
// JSON line at the end, and the helpers that print and summarise them.
import { readFileSync } from 'node:fs';
import { SlurmRestDriver } from '../lambdas/connectors/slurm-rest/driver';
import type { LocalCluster } from '../test/slurm/support/clusters';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
export const RUNS = arg('runs', 30);
export const JOBS = arg('jobs', 1000);
export const REPLAY = arg('replay', 100_000);
export const PROVISION = arg('provision', 3);
export const BURST = arg('burst', 500);
export const BURST_CONCURRENCY = arg('concurrency', 32);
/** --only provisioning,dispatch,burst,collection,freshness (default: every part). */
const ONLY = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? new Set(process.argv[i + 1].split(',')) : undefined;
})();
export const want = (part: string) => !ONLY || ONLY.has(part);
export const TRUE_JOB = '#!/bin/bash\ntrue\n';
/** A fixed allocation id, so a later run finds the job array of an earlier one in accounting. */
export const COLLECT_ALLOCATION = 'alloc-0benchcollect00000000000';

export const figures: Record<string, unknown> = {};
export const say = (line: string) => console.log(line);
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export function driverOf(c: LocalCluster): SlurmRestDriver {
  return new SlurmRestDriver({ siteId: c.siteId, endpoint: c.restUrl, cluster: c.cluster, parentAccount: c.parentAccount }, async () => ({ username: c.adminUser, jwtKey: readFileSync(c.jwtKeyPath).toString('base64') }));
}

// Global setup of the `slurm` jest project: the suite runs against the real local clusters.
// If they are not reachable, start them (scripts/slurm/start.sh, idempotent). If that fails, the
// suite fails with the reason: it never skips, with or without CI.
// The connector flows also store allocations, jobs and watermarks: one DynamoDB Local (the real
// jar, in memory) serves the whole run, unless another project's setup started one already; it is
// stopped when the jest process exits (this project has no globalTeardown of its own).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTERS_JSON, driverFor, EXPECTED_CLUSTERS, loadClusters, REPO_ROOT, SLURM_DIR } from './clusters';
import { startDynamoLocal } from '../../../local/dynamo';

async function dynamoLocal(): Promise<void> {
  if (process.env.KAIRR_TEST_DYNAMO_ENDPOINT) return;
  const d = await startDynamoLocal();
  process.env.KAIRR_TEST_DYNAMO_ENDPOINT = d.endpoint;
  // it must not keep jest's own process alive, and it dies with it
  d.process.unref();
  for (const stream of [d.process.stdin, d.process.stdout, d.process.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  process.once('exit', () => {
    if (d.process.exitCode === null) d.process.kill('SIGKILL');
  });
}

async function unreachable(): Promise<string[]> {
  if (!existsSync(CLUSTERS_JSON)) return [`${CLUSTERS_JSON} does not exist`];
  let clusters;
  try {
    clusters = loadClusters();
  } catch (e) {
    return [(e as Error).message];
  }
  const problems: string[] = [];
  for (const c of clusters) {
    const health = await driverFor(c, { timeoutMs: 5_000 }).health();
    if (!health.ok) problems.push(`${c.cluster} (${c.restUrl}): ${health.error ?? `controller ${health.controller}, accounting ${health.accounting}`}`);
  }
  return problems;
}

export default async function globalSetup(): Promise<void> {
  await dynamoLocal();
  const before = await unreachable();
  if (before.length === 0) return;
  process.stderr.write(`\nslurm suite: clusters not reachable (${before.join('; ')}); running scripts/slurm/start.sh\n`);
  const started = Date.now();
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts/slurm/start.sh'), ...EXPECTED_CLUSTERS], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, KAIRR_SLURM_DIR: SLURM_DIR },
    timeout: 20 * 60_000,
  });
  if (r.status !== 0) {
    throw new Error(
      `slurm suite: scripts/slurm/start.sh failed (exit ${r.status ?? r.signal}); the connector tests need the real clusters ` +
        `(root on Debian 12). CI=${process.env.CI ?? ''}`,
    );
  }
  const after = await unreachable();
  if (after.length) throw new Error(`slurm suite: clusters still unreachable after start.sh: ${after.join('; ')}`);
  process.stderr.write(`slurm suite: clusters started in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

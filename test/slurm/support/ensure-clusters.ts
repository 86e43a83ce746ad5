// The real local Slurm clusters, up: if they do not answer, start them (scripts/slurm/start.sh,
// idempotent; it also restarts a daemon that died). If that fails, throw with the reason: suites
// that need the clusters never skip, with or without CI. Used by the slurm project's global setup
// and by the e2e project's (its connector, approval-timeout and audit-export suites provision there).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTERS_JSON, driverFor, EXPECTED_CLUSTERS, loadClusters, REPO_ROOT, SLURM_DIR } from './clusters';

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

export async function ensureClusters(suite: string): Promise<void> {
  const before = await unreachable();
  if (before.length === 0) return;
  process.stderr.write(`\n${suite}: Slurm clusters not reachable (${before.join('; ')}); running scripts/slurm/start.sh\n`);
  const started = Date.now();
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts/slurm/start.sh'), ...EXPECTED_CLUSTERS], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, KAIRR_SLURM_DIR: SLURM_DIR },
    timeout: 20 * 60_000,
  });
  if (r.status !== 0) {
    throw new Error(`${suite}: scripts/slurm/start.sh failed (exit ${r.status ?? r.signal}); these tests need the real clusters (root on Debian 12). CI=${process.env.CI ?? ''}`);
  }
  const after = await unreachable();
  if (after.length) throw new Error(`${suite}: clusters still unreachable after start.sh: ${after.join('; ')}`);
  process.stderr.write(`${suite}: clusters started in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

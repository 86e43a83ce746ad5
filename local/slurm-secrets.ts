// The local runtime's scheduler credentials: for each configured site, the secret its
// scheduler.credentialsSecretName names, as the Secrets Manager fake (aws-services.ts) serves it:
// {"username":"slurm","jwtKey":"<base64 of the cluster's jwt_hs256.key>"}, read from the local
// clusters' description that scripts/slurm/start.sh writes ($KAIRR_SLURM_DIR/clusters.json).
// A site without a running local cluster gets no secret: its connector calls then fail as the
// deployed ones would without credentials ("cannot read scheduler credentials"), and `missing` says why.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Site } from '../lambdas/domain/catalogue';

export const DEFAULT_CLUSTERS_JSON = join(process.env.KAIRR_SLURM_DIR ?? resolve(__dirname, '..', '.slurm'), 'clusters.json');

interface ClusterEntry {
  siteId: string;
  cluster: string;
  restUrl: string;
  jwtKeyPath: string;
  adminUser?: string;
}

export interface SlurmSecrets {
  /** Secret name → SecretString, for the runtime's `secrets` option. */
  secrets: Record<string, string>;
  /** Sites that got no secret, and why. */
  missing: { siteId: string; reason: string }[];
  /** Sites that got their secret, but whose cluster is not running now (their calls fail as "unreachable" until it is). */
  notRunning: { siteId: string; reason: string }[];
}

/** Whether the cluster's slurmctld (pid file beside clusters.json) is alive. */
function controllerRunning(clustersJsonPath: string, cluster: string): boolean {
  const pidFile = join(dirname(clustersJsonPath), cluster, 'pids', 'slurmctld.pid');
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return pid > 0 && existsSync(`/proc/${pid}`);
  } catch {
    return false;
  }
}

/** Every configured site's credentials from the local clusters; never throws (a missing cluster is reported). */
export function slurmSecretsReport(sites: readonly Pick<Site, 'id' | 'scheduler'>[], clustersJsonPath = DEFAULT_CLUSTERS_JSON): SlurmSecrets {
  const out: SlurmSecrets = { secrets: {}, missing: [], notRunning: [] };
  let clusters: ClusterEntry[] = [];
  if (!existsSync(clustersJsonPath)) {
    out.missing = sites.map((s) => ({ siteId: s.id, reason: `${clustersJsonPath} does not exist (start the clusters: npm run slurm:start)` }));
    return out;
  }
  try {
    clusters = (JSON.parse(readFileSync(clustersJsonPath, 'utf8')) as { clusters?: ClusterEntry[] }).clusters ?? [];
  } catch (e) {
    out.missing = sites.map((s) => ({ siteId: s.id, reason: `${clustersJsonPath} is not readable JSON: ${(e as Error).message}` }));
    return out;
  }
  for (const site of sites) {
    const c = clusters.find((x) => x.cluster === site.scheduler.cluster) ?? clusters.find((x) => x.siteId === site.id);
    if (!c) {
      out.missing.push({ siteId: site.id, reason: `no local cluster "${site.scheduler.cluster}" in ${clustersJsonPath}` });
      continue;
    }
    if (new URL(c.restUrl).origin !== new URL(site.scheduler.endpoint).origin) {
      out.missing.push({ siteId: site.id, reason: `the site's endpoint ${site.scheduler.endpoint} is not the local cluster's ${c.restUrl}` });
      continue;
    }
    if (!existsSync(c.jwtKeyPath)) {
      out.missing.push({ siteId: site.id, reason: `the JWT key ${c.jwtKeyPath} of cluster ${c.cluster} is missing` });
      continue;
    }
    out.secrets[site.scheduler.credentialsSecretName] = JSON.stringify({ username: c.adminUser ?? 'slurm', jwtKey: readFileSync(c.jwtKeyPath).toString('base64') });
    if (!controllerRunning(clustersJsonPath, c.cluster)) out.notRunning.push({ siteId: site.id, reason: `cluster ${c.cluster} is not running (npm run slurm:start)` });
  }
  return out;
}

/** Secret name → SecretString for the local runtime (`startLocalRuntime({ secrets: () => slurmSecrets(sites) })`). */
export function slurmSecrets(sites: readonly Pick<Site, 'id' | 'scheduler'>[], clustersJsonPath = DEFAULT_CLUSTERS_JSON): Record<string, string> {
  return slurmSecretsReport(sites, clustersJsonPath).secrets;
}

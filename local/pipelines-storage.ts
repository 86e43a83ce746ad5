// The local test bed's pipelines storage (docs/pipelines.md, "How a site configures its mover and
// storage"): each local cluster's storage root is a folder of its own where its jobs run (spc's on
// the host under its work folder, kisti6's inside its chroot), served read-only to the other site's
// movers by an rsync daemon of its own on 127.0.0.1, and mounted for KAIRR's functions where they
// read the jobs' small reports (they run on the same machine). The runtime hands the result to the
// functions as their PIPELINES_CONFIG storage block, so `npm start` and the e2e suite run
// transfers and registrations against the real clusters.
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startRsyncDaemon, type RsyncDaemon } from './rsyncd';
import { DEFAULT_CLUSTERS_JSON } from './slurm-secrets';

interface ClusterEntry {
  siteId: string;
  cluster: string;
  jwtKeyPath: string;
  jobWorkDir: string;
}

export interface LocalSiteStorage {
  root: string;
  endpoint: string;
  reportMount: string;
  mover: { kind: 'rsync'; timeLimitMinutes: number };
}

export interface LocalPipelinesStorage {
  /** By site id: the `storage` block of PIPELINES_CONFIG. */
  storage: Record<string, LocalSiteStorage>;
  /** Each site's root as this host sees it (kisti6's is inside its chroot). */
  hostRoots: Record<string, string>;
  stop(): Promise<void>;
}

/** kisti6 runs in a chroot under $KAIRR_SLURM_DIR/kisti6/root (its key lives there too); spc on the host. */
function hostPathOf(slurmDir: string, c: ClusterEntry, atSite: string): string {
  // The state folder can be a link (a checkout closed to other users links .slurm to /var/lib/kairr/…),
  // while clusters.json names real paths: compare real paths.
  const real = (x: string) => (existsSync(x) ? realpathSync(x) : x);
  const chroot = real(join(slurmDir, c.cluster, 'root'));
  return real(c.jwtKeyPath).startsWith(`${chroot}/`) ? join(chroot, atSite) : atSite;
}

/** Starts one daemon per local cluster; null when the clusters are not described (no clusters.json). */
export async function startLocalPipelinesStorage(clustersJson = DEFAULT_CLUSTERS_JSON): Promise<LocalPipelinesStorage | null> {
  if (!existsSync(clustersJson)) return null;
  const slurmDir = dirname(clustersJson);
  const clusters = (JSON.parse(readFileSync(clustersJson, 'utf8')) as { clusters: ClusterEntry[] }).clusters;
  const daemons: RsyncDaemon[] = [];
  const storage: Record<string, LocalSiteStorage> = {};
  const hostRoots: Record<string, string> = {};
  try {
    for (const c of clusters) {
      const root = `${c.jobWorkDir}/kairr-storage`;
      const hostRoot = hostPathOf(slurmDir, c, root);
      mkdirSync(hostRoot, { recursive: true });
      // every member's jobs write their working areas and copies here (sticky, as /tmp), and the
      // daemon reads as nobody
      chmodSync(hostRoot, 0o1777);
      const d = await startRsyncDaemon(hostRoot, c.siteId);
      daemons.push(d);
      storage[c.siteId] = { root, endpoint: d.url, reportMount: hostRoot, mover: { kind: 'rsync', timeLimitMinutes: 10 } };
      hostRoots[c.siteId] = hostRoot;
    }
  } catch (e) {
    for (const d of daemons) await d.stop();
    throw e;
  }
  return {
    storage,
    hostRoots,
    async stop() {
      for (const d of daemons) await d.stop();
    },
  };
}

/** A function's PIPELINES_CONFIG with the local storage block in place of the template's. */
export function withLocalStorage(templateValue: string, storage: Record<string, LocalSiteStorage>): string {
  const cfg = JSON.parse(templateValue || '{}') as Record<string, unknown>;
  return JSON.stringify({ ...cfg, storage });
}

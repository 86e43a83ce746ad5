// What an e2e story needs of the local sites, as the sites and an admin provide it: a researcher's
// login at a cluster (made by the site's side, scripts/slurm/site-account.sh, and confirmed by the
// site's operator), an allocation that the provisioning flow made active there, and where a path at
// a site lies on this host (kisti6 runs in a chroot; spc on the host). Local runtime only.
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusters, SLURM_DIR, waitFor, type LocalCluster } from '../../slurm/support/clusters';
import { siteAccountScript } from '../../slurm/support/kairr';
import { as, settle } from './client';

export function clusterOf(siteId: string): LocalCluster {
  const c = loadClusters().find((x) => x.siteId === siteId);
  if (!c) throw new Error(`no local cluster for ${siteId} in ${SLURM_DIR}/clusters.json`);
  return c;
}

/** An absolute path at a site (as its jobs see it) as this host sees it. */
export function hostPathAt(siteId: string, atSite: string): string {
  const c = clusterOf(siteId);
  // the state folder can be a link (/var/lib/kairr/…) while clusters.json names real paths
  const real = (x: string) => (existsSync(x) ? realpathSync(x) : x);
  const chroot = real(join(SLURM_DIR, c.cluster, 'root'));
  return real(c.jwtKeyPath).startsWith(`${chroot}/`) ? join(chroot, atSite) : atSite;
}

/**
 * Logins this test made at the sites, so that it deletes only those (a shared login such as alice
 * may be another person's in this run's registry, so each test makes logins of its own).
 */
export class SiteLogins {
  private readonly made: { cluster: LocalCluster; login: string }[] = [];

  /** The site makes `login` and its operator records it as `sub`'s account there. */
  async grant(sub: string, login: string, siteId: string): Promise<void> {
    const cluster = clusterOf(siteId);
    siteAccountScript('create', cluster, login);
    this.made.push({ cluster, login });
    const r = await as('site-operator').put(`/v1/sites/${siteId}/accounts/${encodeURIComponent(sub)}`, { username: login });
    if (r.status !== 200) throw new Error(`confirming ${login} at ${siteId} as ${sub} failed: ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** Deletes every login this instance made (jobs that ran as them have ended by then). */
  removeAll(): void {
    for (const { cluster, login } of this.made.splice(0)) siteAccountScript('delete', cluster, login);
  }
}

/** An allocation an admin awards, waited on until the provisioning flow made it active at its sites. */
export async function activeAllocation(a: { piSub: string; title: string; credits: Record<string, number>; members?: string[]; reason: string }): Promise<string> {
  const res = await as('admin').post('/v1/allocations', {
    title: a.title,
    piSub: a.piSub,
    institution: 'KISTI',
    orgType: 'research-institute',
    field: 'computer-science',
    startDate: new Date().toISOString().slice(0, 10),
    endDate: '2099-12-31',
    credits: a.credits,
    members: (a.members ?? []).map((sub) => ({ sub })),
    reason: a.reason,
  });
  if (res.status !== 201) throw new Error(`creating ${a.title} failed: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.id as string;
  const ended = await waitFor(
    `allocation ${id} to be provisioned`,
    async () => {
      await settle(60_000);
      return (await as('admin').get(`/v1/allocations/${id}`)).body;
    },
    (x) => x.state !== 'pending-provisioning',
    { timeoutMs: 180_000, intervalMs: 500 },
  );
  if (ended.state !== 'active') throw new Error(`allocation ${id} is ${ended.state}: ${ended.stateReason ?? ''}`);
  return id;
}

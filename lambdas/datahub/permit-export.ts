// The site agent's export: the permits in force at a site as {site, account, path, from, to} rows,
// so the agent can set POSIX ACLs or group membership on the copy (enforcing at the site's file
// system is the agent's; KAIRR enforces its own locations, downloads and jobs).
import type { PermitRecord } from '../domain/datahub/permit';
import { inForce } from '../domain/datahub/permit';
import type { Caller } from '../shared/http/caller';
import { datahubGsi, datahubKeys } from '../shared/store/keys';
import { getSiteAccountItem, siteAccountOf } from '../connectors';
import { withSitePath } from './locations';
import { permitOf } from './permits';
import { locationOf, queryAllPrefix, queryIndex, readAnyArtifact } from './store';

export interface PermitRow {
  site: string;
  /** The user's login at the site (an active site account). */
  account: string;
  /** The dataset's verified copy at the site (absolute, under the site's storage root). */
  path: string;
  from: string;
  to: string;
  permitId: string;
  datasetId: string;
}

/** May the caller read a site's permit export: an operator of that site, or an admin. */
export function canExportSite(caller: Pick<Caller, 'roles' | 'siteIds'>, siteId: string): boolean {
  return caller.roles.includes('admin') || (caller.roles.includes('site-operator') && caller.siteIds.includes(siteId));
}

/**
 * One row per user with an active account at the site and verified copy of a permitted version.
 * A user without an active account there has no row (nothing to apply it to) and is counted.
 */
export async function sitePermitExport(siteId: string, now: Date): Promise<{ site: string; generatedAt: string; rows: PermitRow[]; usersWithoutAccount: number }> {
  const pk = datahubGsi.permitsAtSite(siteId);
  const permits: PermitRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    // sorted by end: only permits that have not ended are read at all
    const page = await queryIndex('gsi2', pk, { limit: 500, startKey, skFrom: now.toISOString() });
    permits.push(...page.items.map(permitOf));
    startKey = page.nextKey;
  } while (startKey);
  const rows: PermitRow[] = [];
  let usersWithoutAccount = 0;
  for (const p of permits.filter((x) => inForce(x, now))) {
    const a = await readAnyArtifact(p.datasets[0]);
    if (!a) continue;
    const versions = p.versions.length ? p.versions : a.publishedVersions;
    const all = datahubKeys.allLocationsPrefix(a.id);
    const locs = (await queryAllPrefix(all.pk, all.skPrefix))
      .map(locationOf)
      .filter((l) => l.kind === 'site' && l.siteId === siteId && l.state === 'verified' && versions.includes(l.version))
      .map(withSitePath);
    for (const sub of p.users) {
      const item = await getSiteAccountItem(siteId, sub);
      const account = item ? siteAccountOf(item) : undefined;
      if (account?.state !== 'active' || !account.username) {
        usersWithoutAccount++;
        continue;
      }
      for (const l of locs) if (l.sitePath) rows.push({ site: siteId, account: account.username, path: l.sitePath, from: p.start, to: p.end, permitId: p.id, datasetId: a.id });
    }
  }
  return { site: siteId, generatedAt: now.toISOString(), rows, usersWithoutAccount };
}

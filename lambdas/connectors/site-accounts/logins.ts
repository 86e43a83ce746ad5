// The logins an allocation's members have at its sites: only what the sites confirmed (active site
// accounts whose name the site's policy still allows), read in one round trip. Members without one
// get a pending request (KAIRR's proposal), which the site's side answers.
import { runtimeConfig } from '../../shared/config';
import type { AuditContext } from '../../shared/store/write-path';
import { findSite, parseResourceKey } from '../../domain/catalogue';
import type { Allocation } from '../../domain/ledger/model';
import { usernameProblem } from '../../domain/site-accounts';
import { logger } from '../../shared/log';
import type { SiteLogins } from '../desired';
import { ensureAccountRequests, siteAccountsOf } from './store';

export function sitesOf(a: Pick<Allocation, 'resources'>): string[] {
  return [
    ...new Set(
      Object.keys(a.resources)
        .map((k) => parseResourceKey(k)?.siteId)
        .filter((s): s is string => !!s),
    ),
  ].sort();
}

/** Active, still-allowed logins of the members at the allocation's sites (or only at `siteId`). */
export async function loginsOf(a: Pick<Allocation, 'members' | 'resources'>, siteId?: string): Promise<SiteLogins> {
  const sites = siteId ? [siteId] : sitesOf(a);
  const found = await siteAccountsOf(sites.flatMap((s) => a.members.map((m) => ({ siteId: s, sub: m.sub }))));
  const out = new Map<string, string>();
  for (const [k, acct] of found) {
    if (acct.state !== 'active' || !acct.username) continue;
    const site = findSite(runtimeConfig().sites, acct.siteId);
    const bad = site ? usernameProblem(site, acct.username) : { problem: 'no such site' };
    if (bad) {
      // the site's policy changed after the account was confirmed: the login is not used
      logger.warn('a site account is no longer allowed', { siteId: acct.siteId, sub: acct.sub, problem: bad.problem });
      continue;
    }
    out.set(k, acct.username);
  }
  return out;
}

/** Pending requests for the members who have no account at the site yet (idempotent). */
export async function requestMissingAccounts(a: Pick<Allocation, 'id' | 'members'>, siteId: string, subs: string[], ctx: AuditContext): Promise<string[]> {
  const site = findSite(runtimeConfig().sites, siteId);
  if (!site || !subs.length) return [];
  return ensureAccountRequests(siteId, subs, a.id, site.accounts.proposedPrefix, ctx);
}

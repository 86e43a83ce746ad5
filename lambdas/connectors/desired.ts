// What the scheduler should hold for an allocation: one account per resource, its GPU-minute
// budget, whether it is blocked, and its members. Pure (no AWS, no HTTP): the provisioning flow,
// the reconciler and the tests all derive the target from here, so they can never disagree.
import type { Allocation } from '../domain/ledger/model';
import { parseResourceKey, rateAt, type Site } from '../domain/catalogue';
import { creditsToGpuMinutes, slurmAccountName, slurmUserName } from '../domain/scheduler-mapping';

/** Allocation states in which the scheduler refuses the allocation's new jobs. */
export const BLOCKED_STATES: readonly Allocation['state'][] = ['exhausted', 'suspended', 'expired', 'closed'];
/** Allocation states in which the members lose their associations (access removed). */
export const ENDED_STATES: readonly Allocation['state'][] = ['expired', 'closed'];

export interface DesiredAccount {
  allocationId: string;
  /** "spc/h200" */
  resourceKey: string;
  siteId: string;
  resourceId: string;
  /** The scheduler account (recorded on the allocation, or the name it will get). */
  account: string;
  /** The site's parent account every KAIRR account lives under. */
  parentAccount: string;
  partition: string;
  /**
   * Whether the account should exist. An allocation that ended before it was ever provisioned
   * needs none; one that was provisioned keeps its account (blocked, no members) for its history.
   */
  exists: boolean;
  /** GrpTRESMins=gres/gpu: the credits granted so far at the rate in force now. */
  gpuMinutes: number;
  blocked: boolean;
  /** Scheduler user names (the members' active site accounts at the site), sorted. */
  members: string[];
  /** Members without an active site account at the site: no association until the site confirms one. */
  awaitingAccounts: string[];
  /** Human reasons for blocked / no members, for reports. */
  why: string[];
}

/**
 * The GPU-minute budget of one resource: every credit granted (used plus what is left, plus the
 * overdraft the policy allows) at the rate in force `at`, rounded down. Slurm counts used minutes
 * itself and never forgets them (no decay), so the budget is a total, not what is left. A rate
 * change re-prices the whole total; the ledger stays the authority (docs/connectors.md).
 */
export function budgetGpuMinutes(r: { usedMc: number; balanceMc: number }, creditsPerGpuHour: number, overdraftMc = 0): number {
  const credits = Math.max(0, r.usedMc + r.balanceMc + overdraftMc) / 1000;
  return creditsToGpuMinutes(credits, creditsPerGpuHour);
}

export interface DesiredState {
  accounts: DesiredAccount[];
  /** Resource keys of the allocation that no configured site offers (reported, never provisioned). */
  unknownResources: string[];
}

/**
 * The members' active logins, keyed `${siteId}#${sub}` (site-accounts/store.ts). A member's login is
 * only ever what the site confirmed, never a name from a request (docs/security.md).
 */
export type SiteLogins = ReadonlyMap<string, string>;

export function desiredAccounts(a: Allocation, sites: readonly Site[], opts: { now: Date; overdraftMc?: number; siteId?: string; logins: SiteLogins }): DesiredState {
  const accounts: DesiredAccount[] = [];
  const unknownResources: string[] = [];
  const loginsAt = (siteId: string) =>
    [
      ...new Set(
        a.members
          .map((m) => opts.logins.get(`${siteId}#${m.sub}`))
          .filter((u): u is string => !!u)
          .map(slurmUserName),
      ),
    ].sort();
  const awaitingAt = (siteId: string) =>
    a.members
      .filter((m) => !opts.logins.has(`${siteId}#${m.sub}`))
      .map((m) => m.sub)
      .sort();
  for (const resourceKey of Object.keys(a.resources).sort()) {
    const rk = parseResourceKey(resourceKey);
    const site = rk && sites.find((s) => s.id === rk.siteId);
    const resource = rk && site?.resources.find((r) => r.id === rk.resourceId);
    if (!rk || !site || !resource) {
      unknownResources.push(resourceKey);
      continue;
    }
    if (opts.siteId && site.id !== opts.siteId) continue;
    const balance = a.resources[resourceKey];
    const rate = rateAt(resource, opts.now.toISOString());
    const why: string[] = [];
    if (BLOCKED_STATES.includes(a.state)) why.push(`the allocation is ${a.state}`);
    else if (balance.exhausted) why.push(`${resourceKey} has no credits left`);
    if (!rate) why.push(`no credit rate of ${resourceKey} is in force on ${opts.now.toISOString().slice(0, 10)}`);
    const ended = ENDED_STATES.includes(a.state);
    if (ended) why.push('members lose access when the allocation ends');
    const recorded = a.schedulerAccounts?.[resourceKey];
    accounts.push({
      allocationId: a.id,
      resourceKey,
      siteId: site.id,
      resourceId: resource.id,
      account: recorded ?? slurmAccountName(a.id, resource.id),
      parentAccount: site.scheduler.parentAccount,
      partition: resource.partition,
      exists: recorded !== undefined || !ended,
      gpuMinutes: rate ? budgetGpuMinutes(balance, rate.creditsPerGpuHour, opts.overdraftMc ?? 0) : 0,
      blocked: BLOCKED_STATES.includes(a.state) || balance.exhausted || !rate,
      members: ended ? [] : loginsAt(site.id),
      awaitingAccounts: ended ? [] : awaitingAt(site.id),
      why,
    });
  }
  return { accounts, unknownResources };
}

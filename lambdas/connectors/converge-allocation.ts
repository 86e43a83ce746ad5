// Converges one allocation's account at one site until the allocation stops changing underneath.
// Two flows (or a flow and the reconciler) may work on the same allocation at once, e.g. for
// AllocationSuspended and, a second later, AllocationResumed. Each pass reads the allocation, sets
// the scheduler to match, then reads the allocation again: if it changed meanwhile (its audit
// sequence moved), the pass may have written a stale target, so it runs again. Whichever pass
// writes last has, by then, seen the newest allocation, so the scheduler ends as the allocation is.
import { runtimeConfig } from '../shared/config';
import { allocationOf, getAllocationItem } from '../ledger';
import { toMc } from '../domain/ledger/money';
import type { AccountState } from './driver';
import { desiredAccounts, type DesiredAccount } from './desired';
import { converge, type ConvergeResult } from './converge';
import { driverFor, withCredentialRefresh } from './sites';
import { loginsOf, requestMissingAccounts } from './site-accounts/logins';

export const MAX_PASSES = 5;

export interface AllocationConverge extends ConvergeResult {
  /** How many passes it took (more than one when the allocation changed during a pass). */
  passes: number;
}

export async function convergeResource(allocationId: string, resourceKey: string, opts: { known?: AccountState | null; now?: () => Date } = {}): Promise<AllocationConverge | undefined> {
  const cfg = runtimeConfig();
  const now = opts.now ?? (() => new Date());
  let known = opts.known;
  let total: AllocationConverge | undefined;
  let item = await getAllocationItem(allocationId);
  for (let pass = 1; item && pass <= MAX_PASSES; pass++) {
    const seq = item.auditSeq;
    const allocation = allocationOf(item);
    const siteId = resourceKey.split('/')[0];
    // members' logins are the site accounts the site confirmed; the others get a pending request
    const logins = await loginsOf(allocation, siteId);
    const desired: DesiredAccount | undefined = desiredAccounts(allocation, cfg.sites, { now: now(), overdraftMc: toMc(cfg.policy.overdraftCredits), logins }).accounts.find((a) => a.resourceKey === resourceKey);
    if (!desired) return total;
    await requestMissingAccounts(allocation, siteId, desired.awaitingAccounts, { actor: { sub: `system:connector-${siteId}`, role: 'system' }, requestId: `converge-${allocationId}`, reason: 'a member has no account at the site yet' });
    const r = await withCredentialRefresh(() => converge(driverFor(desired.siteId), desired, known));
    total = total ? { ...r, changes: [...total.changes, ...r.changes], deferred: r.deferred, passes: pass } : { ...r, passes: pass };
    known = undefined; // later passes read the account afresh
    item = await getAllocationItem(allocationId);
    if (!item || item.auditSeq === seq) return total;
  }
  return total;
}

// Brings one scheduler account to what KAIRR wants (desired.ts), through the driver's idempotent
// calls, and says what it changed. The provisioning flow and the reconciler both use it: an event
// only tells the flow to look again, so a late, repeated or out-of-order event converges to the
// allocation as it is now.
import { PermanentSchedulerError, isSchedulerError, type AccountState, type SchedulerDriver } from './driver';
import type { DesiredAccount } from './desired';

export type ChangeAction = 'create-account' | 'set-limits' | 'add-member' | 'remove-member' | 'block' | 'unblock';

export interface AccountChange {
  account: string;
  action: ChangeAction;
  /** e.g. the budget before and after, or the member's user name. */
  detail?: Record<string, unknown>;
}

export interface ConvergeResult {
  resourceKey: string;
  siteId: string;
  account: string;
  /** Whether the account exists at the scheduler now. */
  exists: boolean;
  changes: AccountChange[];
  /** Changes the scheduler would not make yet (e.g. a member with running jobs); the reconciler retries them. */
  deferred: { action: ChangeAction; user?: string; reason: string }[];
}

/** Slurm refuses to remove an association while it has jobs (error 7001); that is "later", not "failed". */
function isBusyRemoval(e: unknown): boolean {
  if (!isSchedulerError(e)) return false;
  return (e.details.schedulerErrors ?? []).some((x) => x.code === 7001) || /job\(s\) active, cancel job\(s\) before remove/i.test(e.message);
}

/** One pass: read what the scheduler has, change what differs. */
export async function convergeOnce(driver: SchedulerDriver, d: DesiredAccount, known?: AccountState | null): Promise<ConvergeResult> {
  const out: ConvergeResult = { resourceKey: d.resourceKey, siteId: d.siteId, account: d.account, exists: false, changes: [], deferred: [] };
  const change = (action: ChangeAction, detail?: Record<string, unknown>) => out.changes.push({ account: d.account, action, ...(detail ? { detail } : {}) });
  let actual = known === undefined ? await driver.readAccount(d.account) : (known ?? undefined);
  if (!actual && !d.exists) return out;

  if (!actual) {
    // Blocked accounts are created without members, blocked, and only then given their members,
    // so no member is ever able to submit to an account that should refuse them.
    actual = await driver.provisionAccount({
      account: d.account,
      description: `KAIRR ${d.allocationId} ${d.resourceKey}`,
      organization: 'kairr',
      partition: d.partition,
      limits: { gpuMinutes: d.gpuMinutes },
      members: d.blocked ? [] : d.members,
    });
    change('create-account', { gpuMinutes: d.gpuMinutes, partition: d.partition });
    if (!d.blocked) for (const m of d.members) change('add-member', { user: m });
  } else if (actual.parentAccount !== d.parentAccount && actual.parentAccount !== 'root') {
    // 'root' is where an interrupted 22.05 limit change leaves it; setLimits moves it home
    throw new PermanentSchedulerError(`account ${d.account} exists under "${actual.parentAccount}", not "${d.parentAccount}": it is not KAIRR's`, { siteId: d.siteId, operation: 'converge' });
  }
  out.exists = true;

  if (d.blocked && !actual.blocked) {
    await driver.block(d.account);
    change('block', { why: d.why });
  }
  if (actual.limits.gpuMinutes !== d.gpuMinutes || actual.parentAccount !== d.parentAccount) {
    await driver.setLimits(d.account, { gpuMinutes: d.gpuMinutes });
    change('set-limits', { from: actual.limits.gpuMinutes ?? null, to: d.gpuMinutes });
  }
  const byUser = new Map<string, string[]>();
  for (const m of actual.members) byUser.set(m.user, [...(byUser.get(m.user) ?? []), m.partition]);
  const wanted = new Set(d.members);
  for (const [user, partitions] of byUser) {
    // a member outside the allocation, or one whose association allows another partition, is drift
    const wrongPartition = wanted.has(user) && partitions.some((p) => p !== d.partition && p !== '');
    if (wanted.has(user) && !wrongPartition) continue;
    try {
      await driver.removeMember(d.account, user);
      change('remove-member', { user, ...(wrongPartition ? { partitions } : {}) });
      if (wrongPartition) byUser.delete(user);
    } catch (e) {
      if (!isBusyRemoval(e)) throw e;
      out.deferred.push({ action: 'remove-member', user, reason: (e as Error).message });
    }
  }
  for (const user of d.members) {
    if (byUser.get(user)?.some((p) => p === d.partition || p === '')) continue;
    await driver.addMember(d.account, user, d.partition);
    change('add-member', { user });
  }
  if (!d.blocked && actual.blocked) {
    await driver.unblock(d.account);
    change('unblock');
  }
  return out;
}

/**
 * Converges, and when the scheduler refuses a step, looks again once: another worker (a second
 * event for the same allocation, or the reconciler) may have made the same change at the same
 * moment, and "already exists" counts as success. A second refusal is a real failure.
 */
export async function converge(driver: SchedulerDriver, d: DesiredAccount, known?: AccountState | null): Promise<ConvergeResult> {
  try {
    return await convergeOnce(driver, d, known);
  } catch (e) {
    if (!isSchedulerError(e) || e.kind !== 'permanent') throw e;
    const again = await convergeOnce(driver, d);
    return again;
  }
}

/** Whether the scheduler already holds what `d` wants (no change needed). Pure. */
export function inStep(d: DesiredAccount, actual: AccountState | undefined | null): boolean {
  if (!actual) return !d.exists;
  if (actual.parentAccount !== d.parentAccount || actual.blocked !== d.blocked || actual.limits.gpuMinutes !== d.gpuMinutes) return false;
  const users = new Map<string, string[]>();
  for (const m of actual.members) users.set(m.user, [...(users.get(m.user) ?? []), m.partition]);
  if (users.size !== d.members.length) return false;
  return d.members.every((u) => {
    const parts = users.get(u);
    return !!parts && parts.every((p) => p === d.partition || p === '');
  });
}

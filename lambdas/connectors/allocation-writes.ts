// The connectors' changes to allocations, each one audited through the ledger's write path
// (mutateAllocation: optimistic concurrency on the allocation's audit chain):
//  - recordProvisioned: the scheduler accounts, and their index items (keys.schedulerAccount, so
//    usage reports naming an account find the allocation), in the SAME commit as the allocation's
//    schedulerAccounts and its move to active;
//  - markFailed: a visible provisioning-failed state with the cause.
import { keys } from '../shared/store/keys';
import type { AuditContext, SideWrite } from '../shared/store/write-path';
import { getAllocation, mutateAllocation } from '../ledger';
import type { Allocation } from '../domain/ledger/model';
import { ConflictError } from '../domain/errors';

export interface ProvisionedAccount {
  resourceKey: string;
  siteId: string;
  account: string;
}

/** Allocation states a successful provisioning moves on from. */
const AWAITING: readonly Allocation['state'][] = ['pending-provisioning', 'provisioning-failed'];
/** stateReason values the connectors set, and clear once the scheduler is in step again. */
export const CONNECTOR_REASON = /^(provisioning failed|scheduler out of step): /;

function runnableState(a: Allocation): Allocation['state'] {
  const resources = Object.values(a.resources);
  return resources.length > 0 && resources.every((r) => r.exhausted) ? 'exhausted' : 'active';
}

export class AccountTakenError extends ConflictError {
  constructor(siteId: string, account: string) {
    super(`scheduler account ${account} at ${siteId} already belongs to another allocation`, [], 'account_taken');
  }
}

/**
 * Records the accounts the scheduler now holds for the allocation and (unless activate is false)
 * moves a pending or failed allocation to active and clears a connector's stateReason.
 * Idempotent: nothing is written when everything is recorded already.
 */
export async function recordProvisioned(allocationId: string, provisioned: ProvisionedAccount[], ctx: AuditContext, opts: { activate?: boolean } = {}): Promise<{ allocation: Allocation; changed: boolean; recorded: string[] }> {
  const activate = opts.activate ?? true;
  const now = (ctx.now ?? new Date()).toISOString();
  let recorded: string[] = [];
  const w = await mutateAllocation(allocationId, ctx, (a) => {
    const fresh = provisioned.filter((p) => a.resources[p.resourceKey] && a.schedulerAccounts?.[p.resourceKey] !== p.account);
    recorded = fresh.map((p) => p.resourceKey);
    const toState = activate && AWAITING.includes(a.state) ? runnableState(a) : a.state;
    const clearReason = activate && a.stateReason !== undefined && CONNECTOR_REASON.test(a.stateReason);
    if (!fresh.length && toState === a.state && !clearReason) return null;
    const after: Allocation = {
      ...a,
      schedulerAccounts: { ...(a.schedulerAccounts ?? {}), ...Object.fromEntries(fresh.map((p) => [p.resourceKey, p.account])) },
      state: toState,
      updatedAt: now,
    };
    // undefined, not deleted: the stored item is merged over the previous one, so a missing key would keep the old reason
    if (clearReason) after.stateReason = undefined;
    const sideWrites: SideWrite[] = fresh.map((p) => ({
      put: { ...keys.schedulerAccount(p.siteId, p.account), allocationId: a.id, resource: p.resourceKey, siteId: p.siteId, account: p.account, recordedAt: now },
      // never take over an account another allocation recorded
      condition: { expression: 'attribute_not_exists(pk) OR allocationId = :a', values: { ':a': a.id } },
      failure: () => new AccountTakenError(p.siteId, p.account),
    }));
    return {
      before: null,
      after,
      entries: [],
      action: toState !== a.state ? 'allocation.provisioned' : 'allocation.accounts.recorded',
      details: { from: a.state, to: toState, accounts: fresh.map((p) => ({ resource: p.resourceKey, account: p.account })) },
      sideWrites,
    };
  });
  return w ? { allocation: w.after, changed: true, recorded } : { allocation: await currentOf(allocationId), changed: false, recorded: [] };
}

/**
 * A provisioning that could not be completed: a pending or active allocation becomes
 * provisioning-failed (no dispatch until the reconciler or a new event repairs it); an allocation
 * in a ledger state (exhausted, suspended, expired, closed) keeps it, and the cause is shown in
 * its stateReason.
 */
export async function markFailed(allocationId: string, cause: string, ctx: AuditContext): Promise<Allocation> {
  const now = (ctx.now ?? new Date()).toISOString();
  const text = cause.replace(/\s+/g, ' ').trim().slice(0, 480) || 'unknown error';
  const w = await mutateAllocation(allocationId, ctx, (a) => {
    const fails = a.state === 'pending-provisioning' || a.state === 'active' || a.state === 'provisioning-failed';
    const state: Allocation['state'] = fails ? 'provisioning-failed' : a.state;
    const stateReason = `${fails ? 'provisioning failed' : 'scheduler out of step'}: ${text}`;
    if (a.state === state && a.stateReason === stateReason) return null;
    return { before: null, after: { ...a, state, stateReason, updatedAt: now }, entries: [], action: fails ? 'allocation.provisioning.failed' : 'allocation.scheduler.out-of-step', details: { from: a.state, to: state, cause: text } };
  });
  return w ? w.after : currentOf(allocationId);
}

async function currentOf(id: string): Promise<Allocation> {
  return (await getAllocation(id)).allocation;
}

// A hold for an overdue report, through the connectors' existing block path: the allocation moves
// to `suspended` (with the reason) and `AllocationSuspended` goes out, so the provisioning flow
// blocks its accounts at the scheduler (Slurm: GrpSubmitJobs=0, GrpJobs=0): new jobs are refused,
// running jobs finish. Lifting it moves the allocation back and sends `AllocationResumed`.
// Dispatch refuses a held allocation's jobs with the named code `allocation_on_hold`.
import { domainEvent } from '../shared/events/outbox';
import type { LedgerWrite } from '../ledger';
import { ConflictError } from '../domain/errors';
import type { Allocation } from '../domain/ledger/model';
import type { AccountabilityRecord, Explanation, Hold } from '../domain/accountability/model';

/** The stateReason of a hold: also how a hold is told apart from an administrator's suspension. */
export const HOLD_REASON_PREFIX = 'on hold: ';

export const isAccountabilityHold = (a: Pick<Allocation, 'state' | 'stateReason'>) => a.state === 'suspended' && (a.stateReason ?? '').startsWith(HOLD_REASON_PREFIX);

/** The refusal dispatch gives a held allocation (lambdas/jobs/service.ts checkAllocation). */
export function holdRefusal(a: Pick<Allocation, 'state' | 'stateReason'>): ConflictError | undefined {
  if (!isAccountabilityHold(a)) return undefined;
  return new ConflictError(`The allocation is ${a.stateReason}`, [{ path: 'id', problem: 'allocation is on hold for an overdue report' }], 'allocation_on_hold');
}

/** The allocation's part of a hold (the caller adds the record's change and commits both). */
export function holdWrite(a: Allocation, rec: AccountabilityRecord, reportIds: string[], explanation: Explanation, now: Date): { write: Omit<LedgerWrite, 'before'>; hold: Hold } {
  const fromState = a.state === 'exhausted' ? 'exhausted' : 'active';
  const hold: Hold = { since: now.toISOString(), reportIds, fromState, explanation };
  const after: Allocation = { ...a, state: 'suspended', stateReason: `${HOLD_REASON_PREFIX}${explanation.summary.replace(/^On hold: /, '')}`.slice(0, 480), updatedAt: now.toISOString() };
  return {
    hold,
    write: {
      after,
      entries: [],
      action: 'allocation.hold',
      details: { from: a.state, to: 'suspended', reportIds, ...explanation.figures },
      events: [
        domainEvent('AllocationSuspended', { allocationId: a.id, reason: 'report-overdue', reportIds }, now),
        domainEvent('ReportReminder', { allocationId: a.id, callId: rec.callId, stage: 'hold', reportIds, summary: explanation.summary, figures: explanation.figures }, now),
      ],
    },
  };
}

/**
 * The allocation's part of lifting a hold, or null when the allocation is not held by us any more
 * (an administrator suspended it meanwhile, or it ended): then only the record forgets the hold.
 */
export function liftWrite(a: Allocation, hold: Hold, reason: string, now: Date): Omit<LedgerWrite, 'before'> | null {
  if (!isAccountabilityHold(a)) return null;
  const resources = Object.values(a.resources);
  const state: Allocation['state'] = resources.length > 0 && resources.every((r) => r.exhausted) ? 'exhausted' : 'active';
  const after: Allocation = { ...a, state, updatedAt: now.toISOString() };
  // undefined, not deleted: the stored item is merged over the previous one (ledger/store allocationItem)
  after.stateReason = undefined;
  return {
    after,
    entries: [],
    action: 'allocation.hold.lift',
    details: { from: 'suspended', to: state, reportIds: hold.reportIds, heldSince: hold.since, reason },
    events: [domainEvent('AllocationResumed', { allocationId: a.id, reason: 'report-accepted', reportIds: hold.reportIds }, now)],
  };
}

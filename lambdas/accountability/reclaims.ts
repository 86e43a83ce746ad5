// Returning idle credits. The idle scan proposes; the PI may answer with a reason; the chair
// confirms or rejects (or, under an automatic policy, the daily job applies it once the answer
// period has passed without an answer). Applying is ONE transaction: the allocation's `reclaim`
// entries, the call's capacity given back (so waiting proposals can be funded), the proposal and
// the record; AllocationSupplemented then lowers the scheduler's budget through provisioning.
import { domainEvent } from '../shared/events/outbox';
import { retryOnStale, type AuditContext, type Change } from '../shared/store/write-path';
import { allocationOf, commitLedger, getAllocationItem } from '../ledger';
import { callChange, readCall } from '../approval';
import { release } from '../domain/approval/capacity';
import type { OrgType } from '../domain/approval/model';
import { ConflictError, NotFoundError } from '../domain/errors';
import { fromMc, type Mc } from '../domain/ledger/money';
import { newId } from '../domain/ids';
import { daysBetween } from '../domain/accountability/dates';
import type { AccountabilityRecord, Explanation, IdleState, ReclaimProposal } from '../domain/accountability/model';
import { applyReclaim } from '../domain/accountability/idle';
import type { IdleRule } from '../domain/accountability/policy';
import { nextActionAt } from '../domain/accountability/schedule';
import { opContext } from './access';
import { commitAccountability, heldForRunningJobsMc, readRecord, readReclaim, reclaimChange, recordChange } from './store';
import type { Item } from '../shared/store/write-path';
import { reclaimView } from './views';

export const RECLAIM_ACTOR = { sub: 'system:accountability', role: 'system' };

/** The change that opens a proposal, with the record's (the idle scan commits them together). */
export function openProposal(
  rec: AccountabilityRecord,
  recItem: Item | null,
  state: IdleState,
  proposal: { proposedMc: Record<string, Mc>; explanation: Explanation },
  rule: IdleRule,
  now: Date,
): { changes: Change[]; reclaim: ReclaimProposal } {
  const t = now.toISOString();
  const reclaim: ReclaimProposal = {
    reclaimId: newId('reclaim', now.getTime()),
    allocationId: rec.allocationId,
    callId: rec.callId,
    state: 'proposed',
    mode: rule.mode,
    proposedMc: proposal.proposedMc,
    explanation: { summary: `${state.warning?.summary ?? ''} ${proposal.explanation.summary}`.trim(), figures: { ...(state.warning?.figures ?? {}), ...proposal.explanation.figures } },
    proposedAt: t,
    ...(rule.mode === 'automatic' ? { applyAfter: new Date(now.getTime() + rule.responseDays * 86_400_000).toISOString() } : {}),
  };
  const next: AccountabilityRecord = { ...rec, idle: { ...state, openReclaimId: reclaim.reclaimId, ...(reclaim.applyAfter ? { reclaimApplyAfter: reclaim.applyAfter } : {}) }, updatedAt: t };
  return {
    reclaim,
    changes: [
      recordChange(recItem, next, nextActionAt(next, now), 'idle.reclaim.propose', { reclaimId: reclaim.reclaimId, proposed: Object.fromEntries(Object.entries(reclaim.proposedMc).map(([k, v]) => [k, fromMc(v)])) }),
      reclaimChange(null, reclaim, 'reclaim.propose', reclaim.explanation.figures),
    ],
  };
}

async function requireReclaim(allocationId: string, reclaimId: string) {
  const r = await readReclaim(allocationId, reclaimId);
  if (!r) throw new NotFoundError('Reclaim proposal', reclaimId);
  return r;
}

const open = (r: ReclaimProposal) => r.state === 'proposed' || r.state === 'answered';
function requireOpen(r: ReclaimProposal): void {
  if (!open(r)) throw new ConflictError(`Reclaim proposal ${r.reclaimId} is ${r.state}`, [{ path: 'reclaimId', problem: `is ${r.state}` }], 'reclaim_closed');
}

/** The PI answers (e.g. a large run is planned next month): an automatic proposal now waits for the chair. */
export async function answerReclaim(allocationId: string, reclaimId: string, reason: string, ctx: AuditContext) {
  const now = ctx.now ?? new Date();
  return retryOnStale(async () => {
    const { reclaim, item } = await requireReclaim(allocationId, reclaimId);
    requireOpen(reclaim);
    const rec = await readRecord(allocationId);
    const after: ReclaimProposal = { ...reclaim, state: 'answered', response: { reason, by: ctx.actor.sub, at: now.toISOString() }, applyAfter: undefined };
    delete after.applyAfter;
    const changes: Change[] = [reclaimChange(item, after, 'reclaim.answer', { automaticUntilAnswered: reclaim.mode === 'automatic' })];
    if (rec?.record.idle.reclaimApplyAfter) {
      const next: AccountabilityRecord = { ...rec.record, idle: { ...rec.record.idle, reclaimApplyAfter: undefined }, updatedAt: now.toISOString() };
      delete next.idle.reclaimApplyAfter;
      changes.push(recordChange(rec.item, next, nextActionAt(next, now), 'idle.reclaim.answered', { reclaimId }));
    }
    await commitAccountability(ctx, { changes, events: [domainEvent('ReclaimAnswered', { allocationId, callId: reclaim.callId, reclaimId }, now)] });
    return reclaimView(after);
  });
}

export interface ReclaimDecision {
  decision: 'confirm' | 'reject';
  /** Credits to return per resource (default: as proposed; may be lower or higher within the rules). */
  creditsMc?: Record<string, Mc>;
  comment: string;
  automatic?: boolean;
}

/** Confirms (applies) or rejects a proposal. A confirmed return is refused when it exceeds the unused, or takes held credits. */
export async function decideReclaim(allocationId: string, reclaimId: string, d: ReclaimDecision, ctx: AuditContext) {
  const now = ctx.now ?? new Date();
  const t = now.toISOString();
  return retryOnStale(async () => {
    const { reclaim, item } = await requireReclaim(allocationId, reclaimId);
    requireOpen(reclaim);
    const rec = await readRecord(allocationId);
    const resetIdle = (extra: Partial<IdleState>): IdleState => ({ ...(extra.quietUntil ? { quietUntil: extra.quietUntil } : {}) });
    const decision = { outcome: d.decision, by: ctx.actor.sub, at: t, comment: d.comment, automatic: !!d.automatic };
    if (d.decision === 'reject') {
      const after: ReclaimProposal = { ...reclaim, state: 'rejected', decision };
      const changes: Change[] = [reclaimChange(item, after, 'reclaim.reject')];
      if (rec) {
        const windowDays = rec.record.policy.idle.windowDays;
        const next: AccountabilityRecord = { ...rec.record, idle: resetIdle({ quietUntil: new Date(now.getTime() + windowDays * 86_400_000).toISOString() }), updatedAt: t };
        changes.push(recordChange(rec.item, next, nextActionAt(next, now), 'idle.reclaim.rejected', { reclaimId, quietDays: windowDays }));
      }
      await commitAccountability(ctx, { changes, events: [domainEvent('ReclaimDecided', { allocationId, callId: reclaim.callId, reclaimId, outcome: 'rejected' }, now)] });
      return reclaimView(after);
    }
    const allocItem = await getAllocationItem(allocationId);
    if (!allocItem) throw new NotFoundError('Allocation', allocationId);
    const a = allocationOf(allocItem);
    const held = await heldForRunningJobsMc(allocationId);
    const amounts = d.creditsMc ?? reclaim.proposedMc;
    const { allocation, entries } = applyReclaim(a, amounts, held, opContext({ ...ctx, reason: d.comment }, `reclaim:${allocationId}:${reclaimId}`));
    const returnedMc = Object.fromEntries(entries.map((e) => [e.resource, -e.amountMc]));
    const after: ReclaimProposal = { ...reclaim, state: 'applied', appliedMc: returnedMc, decision };
    const changes: Change[] = [
      reclaimChange(item, after, 'reclaim.apply', { applied: Object.fromEntries(Object.entries(returnedMc).map(([k, v]) => [k, fromMc(v)])), held: Object.fromEntries(Object.entries(held).map(([k, v]) => [k, fromMc(v)])) }),
    ];
    if (rec) {
      const committedMc = { ...rec.record.committedMc };
      for (const [r, mc] of Object.entries(returnedMc)) if (committedMc[r] !== undefined) committedMc[r] = Math.max(0, committedMc[r] - mc);
      const next: AccountabilityRecord = { ...rec.record, committedMc, idle: resetIdle({}), updatedAt: t };
      changes.push(recordChange(rec.item, next, nextActionAt(next, now), 'idle.reclaim.applied', { reclaimId }));
    }
    // the credits go back to the call, so that waiting proposals can be funded from them
    let toCall: string | null = null;
    if (a.callId) {
      const { call, item: callItem } = await readCall(a.callId);
      const back = Object.fromEntries(Object.entries(returnedMc).filter(([r]) => call.capacityMc[r] !== undefined));
      if (Object.keys(back).length) {
        changes.push(callChange(callItem, release(call, a.orgType as OrgType, back), 'call.capacity.return', { allocationId, reclaimId, creditsMc: back }));
        toCall = a.callId;
      }
    }
    const total = Object.values(returnedMc).reduce((s, v) => s + v, 0);
    await commitLedger(ctx, {
      before: allocItem,
      after: allocation,
      entries,
      action: 'allocation.reclaim',
      details: { reclaimId, automatic: !!d.automatic, toCall, ...reclaim.explanation.figures },
      extraChanges: changes,
      events: [
        domainEvent('AllocationSupplemented', { allocationId, resources: Object.keys(returnedMc), kind: 'reclaim', state: allocation.state }, now),
        domainEvent('CreditsReclaimed', { allocationId, callId: a.callId, reclaimId, credits: fromMc(total), automatic: !!d.automatic, toCall }, now),
      ],
    });
    return reclaimView(after);
  });
}

/**
 * The daily job's part for an automatic proposal whose answer period has passed: apply it, as far
 * as the credits are still free (a job started meanwhile keeps what it holds); withdraw it when
 * nothing is free any more.
 */
export async function applyAutomatic(rec: AccountabilityRecord, now: Date, requestId: string): Promise<'applied' | 'withdrawn' | 'skipped'> {
  const id = rec.idle.openReclaimId;
  if (!id || !rec.idle.reclaimApplyAfter || rec.idle.reclaimApplyAfter > now.toISOString()) return 'skipped';
  const got = await readReclaim(rec.allocationId, id);
  if (got?.reclaim.state !== 'proposed') return 'skipped';
  const ctx: AuditContext = { actor: RECLAIM_ACTOR, requestId, now, reason: 'automatic return: no answer within the answer period' };
  const allocItem = await getAllocationItem(rec.allocationId);
  const a = allocItem ? allocationOf(allocItem) : null;
  const held = await heldForRunningJobsMc(rec.allocationId);
  const capped: Record<string, Mc> = {};
  for (const [r, mc] of Object.entries(got.reclaim.proposedMc)) {
    const acct = a?.resources[r];
    const free = acct ? Math.max(0, acct.balanceMc - (held[r] ?? 0)) : 0;
    if (Math.min(mc, free) > 0) capped[r] = Math.min(mc, free);
  }
  // held for a report or suspended: wait (the timer looks again tomorrow); ended or nothing free: withdraw
  if (a && !['active', 'exhausted', 'expired', 'closed'].includes(a.state)) return 'skipped';
  if (!a || ['expired', 'closed'].includes(a.state) || !Object.keys(capped).length) {
    await decideReclaim(rec.allocationId, id, { decision: 'reject', comment: 'withdrawn: no free credits are left to return', automatic: true }, ctx);
    return 'withdrawn';
  }
  await decideReclaim(rec.allocationId, id, { decision: 'confirm', creditsMc: capped, comment: `applied automatically after ${Math.round(daysBetween(got.reclaim.proposedAt, now))} days without an answer`, automatic: true }, ctx);
  return 'applied';
}

// Smaller changes: a call's policy (admins), a tranche released by hand (chair or admin), the PI's
// burn plan, and the PI's listing preferences with the chair's answer to a request to stay unlisted.
import { domainEvent } from '../shared/events/outbox';
import { retryOnStale, type AuditContext } from '../shared/store/write-path';
import { allocationOf, commitLedger, getAllocationItem } from '../ledger';
import { readCall, readProposal } from '../approval';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import type { Allocation } from '../domain/ledger/model';
import type { AccountabilityPolicy } from '../domain/accountability/policy';
import type { AccountabilityRecord } from '../domain/accountability/model';
import { nextActionAt } from '../domain/accountability/schedule';
import { releaseTranche } from '../domain/accountability/tranches';
import { opContext } from './access';
import { commitAccountability, listingChange, policyChange, readListing, readPolicy, recordChange, type CallPolicy, type ListingRecord } from './store';
import { requireRecord } from './reports';

export async function setPolicy(callId: string, policy: AccountabilityPolicy, ctx: AuditContext): Promise<CallPolicy> {
  await readCall(callId); // 404 for a call that does not exist
  return retryOnStale(async () => {
    const prior = await readPolicy(callId);
    const after: CallPolicy = { callId, policy, setBy: ctx.actor.sub, setAt: (ctx.now ?? new Date()).toISOString() };
    await commitAccountability(ctx, { changes: [policyChange(prior?.item ?? null, after, prior ? 'call.accountability.update' : 'call.accountability.set')] });
    return after;
  });
}

export async function getPolicy(callId: string): Promise<CallPolicy> {
  const p = await readPolicy(callId);
  if (!p) throw new NotFoundError('Accountability policy of call', callId);
  return p.policy;
}

/** A chair or admin releases a tranche before (or without) its report: refused when it was released already. */
export async function releaseByHand(allocationId: string, trancheId: string, ctx: AuditContext) {
  const now = ctx.now ?? new Date();
  return retryOnStale(async () => {
    const { record: rec, item } = await requireRecord(allocationId);
    const tr = rec.tranches.find((t) => t.trancheId === trancheId);
    if (!tr) throw new NotFoundError('Tranche', trancheId);
    const allocItem = await getAllocationItem(allocationId);
    if (!allocItem) throw new NotFoundError('Allocation', allocationId);
    const a = allocationOf(allocItem);
    const why = ctx.reason ?? 'released by hand';
    const out = releaseTranche(a, tr, opContext(ctx, `tranche:${allocationId}:${trancheId}`));
    const next: AccountabilityRecord = { ...rec, tranches: rec.tranches.map((t) => (t.trancheId === trancheId ? { ...t, releasedAt: now.toISOString(), releasedBy: ctx.actor.sub, releaseReason: why } : t)), updatedAt: now.toISOString() };
    await commitLedger(ctx, {
      before: allocItem,
      after: out.allocation,
      entries: out.entries,
      action: 'allocation.tranche',
      details: out.explanation.figures,
      extraChanges: [recordChange(item, next, nextActionAt(next, now), 'tranche.release', { trancheId, by: 'hand' })],
      events: [domainEvent('AllocationSupplemented', { allocationId, resources: out.entries.map((e) => e.resource), kind: 'tranche', tranches: [trancheId], state: out.allocation.state }, now)],
    });
    return { trancheId, released: true, explanation: out.explanation };
  });
}

/** The PI's plan: the share of the credits to be used by each date (between the start and the end, non-decreasing). */
export async function setPlan(a: Allocation, points: { date: string; share: number }[], reason: string, ctx: AuditContext) {
  const now = ctx.now ?? new Date();
  points.forEach((p, i) => {
    if (p.date <= a.startDate || p.date >= a.endDate) throw ValidationError.field(`points[${i}].date`, `must be between the start ${a.startDate} and the end ${a.endDate}`);
    if (i > 0 && p.date <= points[i - 1].date) throw ValidationError.field(`points[${i}].date`, 'must be after the previous point');
    if (i > 0 && p.share < points[i - 1].share) throw ValidationError.field(`points[${i}].share`, 'must not be below the previous point (a plan does not give credits back)');
  });
  return retryOnStale(async () => {
    const got = await requireRecord(a.id);
    const next: AccountabilityRecord = { ...got.record, plan: { points, reason, setAt: now.toISOString() }, updatedAt: now.toISOString() };
    await commitAccountability(ctx, { changes: [recordChange(got.item, next, nextActionAt(next, now), 'idle.plan.set', { points: points.length })] });
    return next.plan!;
  });
}

async function requireListing(allocationId: string) {
  const l = await readListing(allocationId);
  if (!l) throw new NotFoundError('Public listing of allocation', allocationId);
  return l;
}

/** The PI's choices: to be named (their name from the proposal), and whether to ask to stay unlisted. */
export async function setListing(a: Allocation, body: { showPi: boolean; unlisted?: { reason: string } | null }, ctx: AuditContext): Promise<ListingRecord> {
  const now = (ctx.now ?? new Date()).toISOString();
  return retryOnStale(async () => {
    const { listing, item } = await requireListing(a.id);
    let piName: string | undefined;
    if (body.showPi && a.proposalId) piName = (await readProposal(a.proposalId)).proposal.pi?.name;
    const prior = listing.listing.unlisted;
    const unlisted = body.unlisted === undefined ? prior : body.unlisted === null ? undefined : prior && prior.reason === body.unlisted.reason ? prior : { reason: body.unlisted.reason, requestedAt: now, state: 'requested' as const };
    const after: ListingRecord = { ...listing, listing: { showPi: body.showPi, ...(body.showPi && piName ? { piName } : {}), ...(unlisted ? { unlisted } : {}) }, updatedAt: now };
    const events = unlisted && unlisted !== prior ? [domainEvent('UnlistingRequested', { allocationId: a.id, callId: a.callId }, ctx.now)] : [];
    await commitAccountability(ctx, { changes: [listingChange(item, after, 'public-listing.preferences', { showPi: body.showPi, unlisted: unlisted?.state ?? null })], events });
    return after;
  });
}

export async function decideUnlisting(allocationId: string, accept: boolean, comment: string, ctx: AuditContext): Promise<ListingRecord> {
  const now = (ctx.now ?? new Date()).toISOString();
  return retryOnStale(async () => {
    const { listing, item } = await requireListing(allocationId);
    const u = listing.listing.unlisted;
    if (!u) throw new ConflictError('The PI has not asked for this award to stay unlisted', [{ path: 'allocationId', problem: 'has no request to stay unlisted' }], 'no_unlisting_request');
    if (u.state !== 'requested') throw new ConflictError(`The request to stay unlisted was already ${u.state}`, [{ path: 'allocationId', problem: `request is ${u.state}` }], 'unlisting_decided');
    const after: ListingRecord = { ...listing, listing: { ...listing.listing, unlisted: { ...u, state: accept ? 'accepted' : 'rejected', decidedBy: ctx.actor.sub, decidedAt: now, comment } }, updatedAt: now };
    await commitAccountability(ctx, { changes: [listingChange(item, after, accept ? 'public-listing.unlisted' : 'public-listing.unlisting-rejected', { comment })] });
    return after;
  });
}

export function listingPrefsView(l: ListingRecord) {
  return {
    allocationId: l.allocationId,
    showPi: l.listing.showPi,
    ...(l.listing.showPi && l.listing.piName ? { piName: l.listing.piName } : {}),
    unlisted: l.listing.unlisted ?? null,
    listed: !l.listing.unlisted || l.listing.unlisted.state === 'rejected',
  };
}

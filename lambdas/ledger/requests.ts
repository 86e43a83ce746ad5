// Lifecycle requests against an allocation: supplement, extension, exchange, renewal. Small ones
// (thresholds in the stage policy) are approved at once; the rest wait for the chair. Approval
// applies the change and records the request's decision in the same transaction.
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { runtimeConfig } from '../shared/config';
import { ddb, mainTable } from '../shared/store/client';
import { PREFIX } from '../shared/store/keys';
import { commit, type AuditContext, type Change, type Item, type SideWrite } from '../shared/store/write-path';
import { credit, exchange, award, type OpContext } from '../domain/ledger/operations';
import type { Allocation } from '../domain/ledger/model';
import { toMc } from '../domain/ledger/money';
import { autoApproval, currentTotals, type AutoDecision } from '../domain/ledger/self-service';
import { newId } from '../domain/ids';
import { ConflictError, NotFoundError, RuleViolationError, ValidationError } from '../domain/errors';
import { domainEvent } from '../shared/events/outbox';
import { getAllocation, mutateAllocation, newEntryId, commitLedger, memberIndexWrites, type LedgerWrite } from './store';

export type RequestBody =
  | { type: 'supplement'; resource: string; credits: number; justification: string }
  | { type: 'extension'; endDate: string; justification: string }
  | { type: 'exchange'; from: string; to: string; credits: number; justification?: string }
  | { type: 'renewal'; endDate: string; credits: Record<string, number>; justification: string };

export interface AllocationRequest {
  requestId: string;
  allocationId: string;
  type: RequestBody['type'];
  state: 'approved' | 'pending' | 'rejected';
  automatic: boolean;
  body: RequestBody;
  requestedBy: string;
  requestedAt: string;
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
  resultAllocationId?: string;
}

const requestKey = (allocationId: string, requestId: string) => ({ pk: `${PREFIX.allocation}#${allocationId}`, sk: `REQ#${requestId}` });

function requestItem(r: AllocationRequest): Item {
  return { ...requestKey(r.allocationId, r.requestId), ...r, gsi2pk: `REQSTATE#${r.state}`, gsi2sk: `${r.requestedAt}#${r.requestId}` } as Item;
}

function requestOf(it: Record<string, unknown>): AllocationRequest {
  const { pk: _a, sk: _b, gsi2pk: _c, gsi2sk: _d, auditSeq: _e, auditHash: _f, ...r } = it;
  return r as unknown as AllocationRequest;
}

function days(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
}

/**
 * Is this request small enough to approve at once (stage policy)? Supplements and extensions also
 * count against the allocation's automatic approvals of the period (domain/ledger/self-service.ts).
 */
export function decide(body: RequestBody, alloc: Allocation, now: Date): AutoDecision {
  const p = runtimeConfig().policy;
  switch (body.type) {
    case 'supplement':
      return autoApproval({ supplementMc: toMc(body.credits) }, alloc.autoApproved, p, now);
    case 'extension':
      return autoApproval({ extensionDays: days(alloc.endDate, body.endDate) }, alloc.autoApproved, p, now);
    case 'exchange':
      // credits move between resources, none are added: only the single-request threshold applies
      return body.credits <= p.exchangeAutoApproveCredits
        ? { automatic: true, totals: currentTotals(alloc.autoApproved, now, p.autoApprovePeriod) }
        : { automatic: false, why: `more than ${p.exchangeAutoApproveCredits} credits in one exchange` };
    case 'renewal':
      return { automatic: false, why: 'renewals are always decided by the chair' };
  }
}

export function isAutomatic(body: RequestBody, alloc: Allocation, now = new Date()): boolean {
  return decide(body, alloc, now).automatic;
}

function validate(body: RequestBody, a: Allocation): void {
  const resources = new Set(runtimeConfig().sites.flatMap((s) => s.resources.map((r) => `${s.id}/${r.id}`)));
  if (body.type === 'supplement' && !resources.has(body.resource)) throw ValidationError.field('resource', `"${body.resource}" is not a resource`);
  if (body.type === 'exchange') {
    if (!a.resources[body.from]) throw ValidationError.field('from', `is not a resource of this allocation (it has ${Object.keys(a.resources).join(', ')})`);
    if (!resources.has(body.to)) throw ValidationError.field('to', `"${body.to}" is not a resource`);
  }
  if (body.type === 'extension' && body.endDate <= a.endDate) throw ValidationError.field('endDate', `must be after the current end date ${a.endDate}`);
  if (body.type === 'renewal') {
    if (body.endDate <= a.endDate) throw ValidationError.field('endDate', `must be after the current end date ${a.endDate}`);
    for (const k of Object.keys(body.credits)) if (!resources.has(k)) throw ValidationError.field(`credits.${k}`, 'is not a resource');
    if (!Object.keys(body.credits).length) throw ValidationError.field('credits', 'must name at least one resource');
  }
  if (['expired', 'closed'].includes(a.state) && body.type !== 'renewal') throw new RuleViolationError(`The allocation is ${a.state}; only a renewal can be requested`);
}

function opCtx(ctx: AuditContext, ref: string): OpContext {
  return { now: (ctx.now ?? new Date()).toISOString(), actor: ctx.actor, reason: ctx.reason ?? null, ref, overdraftMc: toMc(runtimeConfig().policy.overdraftCredits), newEntryId };
}

/** The ledger write that carries out an approved request (renewals are handled separately). */
function applyRequest(a: Allocation, r: AllocationRequest, ctx: AuditContext): LedgerWrite {
  const b = r.body;
  const oc = opCtx(ctx, r.requestId);
  if (b.type === 'supplement') {
    const { allocation, entries } = credit(a, 'supplement', b.resource, toMc(b.credits), oc);
    return {
      before: null,
      after: allocation,
      entries,
      action: 'ledger.supplement',
      details: { requestId: r.requestId },
      events: [domainEvent('AllocationSupplemented', { allocationId: a.id, resources: [b.resource], kind: 'supplement', state: allocation.state })],
    };
  }
  if (b.type === 'exchange') {
    const { allocation, entries } = exchange(a, b.from, b.to, toMc(b.credits), oc);
    return {
      before: null,
      after: allocation,
      entries,
      action: 'ledger.exchange',
      details: { requestId: r.requestId },
      events: [domainEvent('AllocationSupplemented', { allocationId: a.id, resources: [b.from, b.to], kind: 'exchange', state: allocation.state })],
    };
  }
  if (b.type === 'extension') {
    return { before: null, after: { ...a, endDate: b.endDate, updatedAt: oc.now }, entries: [], action: 'allocation.extend', details: { requestId: r.requestId, from: a.endDate, to: b.endDate } };
  }
  throw new Error('renewals are not applied to the old allocation');
}

export async function createRequest(allocationId: string, body: RequestBody, ctx: AuditContext, idem: (r: { status: number; body: unknown }) => SideWrite[]): Promise<AllocationRequest> {
  let created!: AllocationRequest;
  const requestId = newId('req');
  const now = (ctx.now ?? new Date()).toISOString();
  const at = ctx.now ?? new Date();
  const { allocation: current } = await getAllocation(allocationId);
  validate(body, current);
  let decision = decide(body, current, at);
  if (decision.automatic) {
    // decided again on the allocation as it is when written: two requests at once cannot both fit under the cap
    const w = await mutateAllocation(allocationId, ctx, (a) => {
      validate(body, a);
      const d = decide(body, a, at);
      decision = d;
      if (!d.automatic) return null;
      created = {
        requestId,
        allocationId,
        type: body.type,
        state: 'approved',
        automatic: true,
        body,
        requestedBy: ctx.actor.sub,
        requestedAt: now,
        decidedBy: 'system:policy',
        decidedAt: now,
        reason: 'within the automatic approval limits',
      };
      const w = applyRequest(a, created, ctx);
      return {
        ...w,
        after: { ...w.after, autoApproved: d.totals },
        details: { ...(w.details ?? {}), autoApproved: d.totals },
        sideWrites: [...(w.sideWrites ?? []), ...idem({ status: 201, body: created })],
        extraChanges: [{ subject: { type: 'allocation-request', id: requestId }, before: null, after: requestItem(created), action: `request.${body.type}.auto-approve` }],
      };
    });
    if (w) return created;
  }
  const why = decision.automatic ? 'the chair decides' : decision.why;
  created = { requestId, allocationId, type: body.type, state: 'pending', automatic: false, body, requestedBy: ctx.actor.sub, requestedAt: now, reason: `for the chair: ${why}` };
  await commit(ctx, {
    changes: [{ subject: { type: 'allocation-request', id: requestId }, before: null, after: requestItem(created), action: `request.${body.type}.submit`, details: { why } }],
    sideWrites: idem({ status: 201, body: created }),
  });
  return created;
}

export async function getRequest(allocationId: string, requestId: string): Promise<{ request: AllocationRequest; item: Item }> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: requestKey(allocationId, requestId), ConsistentRead: true }));
  if (!out.Item) throw new NotFoundError('Request', requestId);
  return { request: requestOf(out.Item), item: out.Item as Item };
}

export async function listRequests(allocationId: string): Promise<AllocationRequest[]> {
  const out = await ddb().send(
    new QueryCommand({ TableName: mainTable(), KeyConditionExpression: 'pk = :p AND begins_with(sk, :r)', ExpressionAttributeValues: { ':p': `${PREFIX.allocation}#${allocationId}`, ':r': 'REQ#' }, ScanIndexForward: false }),
  );
  return (out.Items ?? []).map(requestOf);
}

export async function decideRequest(allocationId: string, requestId: string, decision: 'approve' | 'reject', ctx: AuditContext): Promise<AllocationRequest> {
  const now = (ctx.now ?? new Date()).toISOString();
  const { request, item } = await getRequest(allocationId, requestId);
  if (request.state !== 'pending') throw new ConflictError(`The request is already ${request.state}`, [], 'not_pending');
  const decided: AllocationRequest = { ...request, state: decision === 'approve' ? 'approved' : 'rejected', decidedBy: ctx.actor.sub, decidedAt: now, reason: ctx.reason ?? undefined };
  const change = (after: AllocationRequest): Change => ({ subject: { type: 'allocation-request', id: requestId }, before: item, after: requestItem(after), action: `request.${request.type}.${decision}` });
  if (decision === 'reject') {
    await commit(ctx, { changes: [change(decided)] });
    return decided;
  }
  if (request.body.type === 'renewal') {
    const b = request.body;
    const { allocation: old } = await getAllocation(allocationId);
    const id = newId('alloc');
    const result = { ...decided, resultAllocationId: id };
    const start = new Date(Date.parse(old.endDate) + 86_400_000).toISOString().slice(0, 10);
    const { allocation, entries } = award(
      {
        id,
        title: old.title,
        piSub: old.piSub,
        institution: old.institution,
        orgType: old.orgType,
        ...(old.orgId ? { orgId: old.orgId } : {}), // identity
        field: old.field,
        proposalId: old.proposalId,
        callId: old.callId,
        tier: old.tier,
        startDate: start < now.slice(0, 10) ? now.slice(0, 10) : start,
        endDate: b.endDate,
        members: old.members.filter((m) => m.role !== 'pi').map(({ sub }) => ({ sub, role: 'member' as const })),
        awardsMc: Object.fromEntries(Object.entries(b.credits).map(([k, v]) => [k, toMc(v)])),
      },
      opCtx(ctx, requestId),
    );
    await commitLedger(ctx, {
      before: null,
      after: allocation,
      entries,
      action: 'allocation.renew',
      details: { renewedFrom: allocationId, requestId },
      sideWrites: memberIndexWrites(allocation, null),
      extraChanges: [change(result)],
      events: [domainEvent('AllocationAwarded', { allocationId: id, resources: Object.keys(allocation.resources), renewedFrom: allocationId })],
    });
    return result;
  }
  await mutateAllocation(allocationId, ctx, (a) => {
    validate(request.body, a);
    return { ...applyRequest(a, decided, ctx), extraChanges: [change(decided)] };
  });
  return decided;
}

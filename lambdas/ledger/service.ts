// Allocation operations other than usage ingestion: create (award), membership, supplements,
// adjustments, exchanges, extensions, expiry, and the consistency check.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { runtimeConfig } from '../shared/config';
import { ddb, mainTable } from '../shared/store/client';
import { gsi, keys } from '../shared/store/keys';
import type { AuditContext, Change, SideWrite } from '../shared/store/write-path';
import { domainEvent } from '../shared/events/outbox';
import { award, checkConsistency, credit, exchange, expire, type NewAllocation, type OpContext } from '../domain/ledger/operations';
import type { Allocation, Member } from '../domain/ledger/model';
import { toMc } from '../domain/ledger/money';
import { ConflictError, RuleViolationError, ValidationError } from '../domain/errors';
import { assertMemberCap } from './limits';
import { commitLedger, getAllocation, jobsOfAllocation, listEntries, memberIndexWrites, mutateAllocation, newEntryId } from './store';

function opContext(ctx: AuditContext, ref: string | null = null): OpContext {
  return {
    now: (ctx.now ?? new Date()).toISOString(),
    actor: ctx.actor,
    reason: ctx.reason ?? null,
    ref: ref ?? ctx.requestId,
    overdraftMc: toMc(runtimeConfig().policy.overdraftCredits),
    newEntryId,
  };
}

/** Creates an allocation (pending-provisioning) with award entries, and announces AllocationAwarded. */
export async function createAllocation(input: NewAllocation, ctx: AuditContext, extra: { sideWrites?: SideWrite[]; extraChanges?: Change[]; onBuilt?: (a: Allocation) => SideWrite[] } = {}): Promise<Allocation> {
  const { allocation, entries } = award(input, opContext(ctx, input.proposalId));
  const built = extra.onBuilt?.(allocation) ?? [];
  await commitLedger(ctx, {
    before: null,
    after: allocation,
    entries,
    action: 'allocation.award',
    details: { proposalId: input.proposalId, callId: input.callId },
    sideWrites: [...memberIndexWrites(allocation, null), ...(extra.sideWrites ?? []), ...built],
    extraChanges: extra.extraChanges,
    events: [domainEvent('AllocationAwarded', { allocationId: allocation.id, resources: Object.keys(allocation.resources), proposalId: input.proposalId })],
  });
  return allocation;
}

export async function addMember(id: string, m: Pick<Member, 'sub'>, ctx: AuditContext): Promise<Allocation> {
  const w = await mutateAllocation(id, ctx, (a) => {
    if (a.members.some((x) => x.sub === m.sub)) throw new ConflictError(`${m.sub} is already a member`, [], 'already_member');
    if (['expired', 'closed'].includes(a.state)) throw new RuleViolationError(`The allocation is ${a.state}; its membership can no longer change`);
    assertMemberCap(a.members.length + 1, 'sub');
    // no login here: the member's logins are site accounts, which the sites confirm (connectors/site-accounts)
    const after: Allocation = { ...a, members: [...a.members, { sub: m.sub, role: 'member', addedAt: (ctx.now ?? new Date()).toISOString() }], updatedAt: (ctx.now ?? new Date()).toISOString() };
    return {
      before: null,
      after,
      entries: [],
      action: 'allocation.member.add',
      details: { member: m.sub },
      sideWrites: memberIndexWrites(after, a),
      events: [domainEvent('AllocationMembersChanged', { allocationId: id, added: [m.sub], removed: [] })],
    };
  });
  return w.after;
}

export async function removeMember(id: string, sub: string, ctx: AuditContext): Promise<Allocation> {
  const w = await mutateAllocation(id, ctx, (a) => {
    const m = a.members.find((x) => x.sub === sub);
    if (!m) throw new ValidationError([{ path: 'sub', problem: 'is not a member of this allocation' }]);
    if (m.role === 'pi') throw new RuleViolationError('The PI cannot be removed from their allocation');
    const after: Allocation = { ...a, members: a.members.filter((x) => x.sub !== sub), updatedAt: (ctx.now ?? new Date()).toISOString() };
    return {
      before: null,
      after,
      entries: [],
      action: 'allocation.member.remove',
      details: { member: sub },
      sideWrites: memberIndexWrites(after, a),
      events: [domainEvent('AllocationMembersChanged', { allocationId: id, added: [], removed: [sub] })],
    };
  });
  return w.after;
}

export async function addCredits(id: string, kind: 'supplement' | 'refund' | 'adjustment', resource: string, credits: number, ctx: AuditContext, ref?: string, record?: (a: Allocation) => SideWrite[]): Promise<Allocation> {
  const w = await mutateAllocation(id, ctx, (a) => {
    if (['expired', 'closed'].includes(a.state)) throw new RuleViolationError(`The allocation is ${a.state}`);
    if (kind !== 'adjustment' && !a.resources[resource] && !runtimeConfig().sites.some((s) => s.resources.some((r) => `${s.id}/${r.id}` === resource))) throw ValidationError.field('resource', `"${resource}" is not a resource`);
    const { allocation, entries } = credit(a, kind, resource, toMc(credits), opContext(ctx, ref));
    const events = [domainEvent(kind === 'supplement' ? 'AllocationSupplemented' : 'AllocationSupplemented', { allocationId: id, resources: [resource], kind, state: allocation.state })];
    return { before: null, after: allocation, entries, action: `ledger.${kind}`, events, sideWrites: record?.(allocation) ?? [] };
  });
  return w.after;
}

export async function exchangeCredits(id: string, from: string, to: string, credits: number, ctx: AuditContext, ref?: string): Promise<Allocation> {
  const w = await mutateAllocation(id, ctx, (a) => {
    if (!['active', 'exhausted', 'pending-provisioning'].includes(a.state)) throw new RuleViolationError(`The allocation is ${a.state}`);
    if (!runtimeConfig().sites.some((s) => s.resources.some((r) => `${s.id}/${r.id}` === to))) throw ValidationError.field('to', `"${to}" is not a resource`);
    const { allocation, entries } = exchange(a, from, to, toMc(credits), opContext(ctx, ref));
    return { before: null, after: allocation, entries, action: 'ledger.exchange', events: [domainEvent('AllocationSupplemented', { allocationId: id, resources: [from, to], kind: 'exchange', state: allocation.state })] };
  });
  return w.after;
}

export async function extend(id: string, newEndDate: string, ctx: AuditContext): Promise<Allocation> {
  const w = await mutateAllocation(id, ctx, (a) => {
    if (newEndDate <= a.endDate) throw ValidationError.field('endDate', `must be after the current end date ${a.endDate}`);
    if (['expired', 'closed'].includes(a.state)) throw new RuleViolationError(`The allocation is ${a.state}; renew it instead`);
    return { before: null, after: { ...a, endDate: newEndDate, updatedAt: (ctx.now ?? new Date()).toISOString() }, entries: [], action: 'allocation.extend', details: { from: a.endDate, to: newEndDate } };
  });
  return w.after;
}

export async function setState(id: string, state: Allocation['state'], ctx: AuditContext, reason?: string): Promise<Allocation> {
  const w = await mutateAllocation(id, ctx, (a) => {
    if (a.state === state) return null;
    const events = state === 'suspended' ? [domainEvent('AllocationSuspended', { allocationId: id })] : a.state === 'suspended' ? [domainEvent('AllocationResumed', { allocationId: id })] : [];
    return {
      before: null,
      after: { ...a, state, ...(reason ? { stateReason: reason } : {}), updatedAt: (ctx.now ?? new Date()).toISOString() },
      entries: [],
      action: `allocation.state.${state}`,
      details: { from: a.state, to: state },
      events,
    };
  });
  return w ? w.after : (await getAllocation(id)).allocation;
}

/** Expires every allocation whose end date has passed; returns their ids. Idempotent. */
export async function expireDue(ctx: AuditContext): Promise<string[]> {
  const today = (ctx.now ?? new Date()).toISOString().slice(0, 10);
  const expired: string[] = [];
  for (const state of ['pending-provisioning', 'active', 'exhausted', 'suspended', 'provisioning-failed']) {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await ddb().send(
        new QueryCommand({ TableName: mainTable(), IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :s AND gsi2sk < :t', ExpressionAttributeValues: { ':s': gsi.allocationsInState(state), ':t': today }, ExclusiveStartKey: start }),
      );
      for (const it of out.Items ?? []) {
        const id = String(it.id);
        const w = await mutateAllocation(id, ctx, (a) => {
          if (a.state === 'expired' || a.state === 'closed' || a.endDate >= today) return null;
          const { allocation, entries } = expire(a, opContext(ctx));
          return {
            before: null,
            after: allocation,
            entries,
            action: 'allocation.expire',
            details: { endDate: a.endDate },
            events: [domainEvent('AllocationExpired', { allocationId: id, forfeitedMc: entries.reduce((s, e) => s - e.amountMc, 0) })],
          };
        });
        if (w) expired.push(id);
      }
      start = out.LastEvaluatedKey;
    } while (start);
  }
  return expired;
}

/**
 * Balances equal their entries, as of one version of the allocation: the item is read first, then
 * only the entries written up to its audit seq are summed, and only jobs last charged up to it are
 * compared. An ingestion committing meanwhile adds later entries and moves later jobs, which this
 * check leaves for the next one, so a consistent allocation being written is reported consistent.
 */
export async function consistency(id: string) {
  const { allocation, item } = await getAllocation(id);
  const seq = Number(item.auditSeq ?? 0);
  const { items } = await listEntries(id, { limit: 1000, all: true });
  const asOf = items.filter((e) => e.allocSeq === undefined || e.allocSeq <= seq);
  const jobs = (await jobsOfAllocation(id, asOf)).filter((j) => j.allocSeq === undefined || j.allocSeq <= seq);
  return { allocationId: id, asOfAuditSeq: seq, ...checkConsistency(allocation, asOf, jobs) };
}

export { keys };

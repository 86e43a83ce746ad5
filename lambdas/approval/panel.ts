// The review panel of a proposal's round: picking reviewers (with conflicts and load), opening
// assignments, and handing a slot to someone else (conflict, chair's replacement, timeout). Shared
// by the flow's steps and the review API; every write keeps each reviewer's load counter exact.
import { domainEvent } from '../shared/events/outbox';
import type { AuditContext, Change, ImmutablePut, SideWrite } from '../shared/store/write-path';
import { RuleViolationError } from '../domain/errors';
import type { DomainEvent } from '../domain/events';
import { assignmentId, conflictOf, CONFLICT_TEXT, pickReviewers, poolPerson, type Assignment, type Call, type PoolReviewer, type Proposal } from '../domain/approval';
import { assignmentChange, commitApproval, declaredConflicts, listAssignments, loadChange, readLoads, type LoadState, type StoredAssignment } from './store';

export function deadlineOf(call: Pick<Call, 'reviewDeadlineHours'>, from: Date): string {
  return new Date(from.getTime() + call.reviewDeadlineHours * 3600_000).toISOString();
}

export function newAssignment(p: Proposal, call: Call, round: number, slot: number, seq: number, reviewerSub: string, origin: Assignment['origin'], now: Date): Assignment {
  return { proposalId: p.id, callId: p.callId, round, slot, seq, reviewerSub, status: 'assigned', origin, assignedAt: now.toISOString(), deadline: deadlineOf(call, now) };
}

export function assignedEvent(a: Assignment): DomainEvent {
  return domainEvent('ReviewerAssigned', { proposalId: a.proposalId, callId: a.callId, round: a.round, assignmentId: assignmentId(a), reviewerSub: a.reviewerSub, deadline: a.deadline, origin: a.origin });
}

export interface Candidates {
  picked: PoolReviewer[];
  loads: Map<string, LoadState>;
  passedOver: { sub: string; reason: string }[];
}

/** Picks up to `count` reviewers for the proposal from the call's pool. */
export async function pickPanel(p: Proposal, call: Call, exclude: Set<string>, count: number, prefer?: Set<string>): Promise<Candidates> {
  const [declared, loads] = await Promise.all([declaredConflicts(p.id), readLoads(call.reviewerPool.map((r) => r.sub))]);
  const res = pickReviewers({
    pool: call.reviewerPool,
    proposal: { id: p.id, ownerSub: p.ownerSub, team: p.team, pi: p.pi, field: p.field },
    declared,
    loads: Object.fromEntries([...loads.values()].map((l) => [l.sub, l.open])),
    exclude,
    prefer,
    count,
  });
  return { picked: res.picked, loads, passedOver: res.passedOver };
}

/** The changes that open an assignment: the assignment and its reviewer's load. */
export function openChanges(a: Assignment, load: LoadState, now: Date): Change[] {
  return [assignmentChange(null, a, 'assignment.open', { slot: a.slot, origin: a.origin }), loadChange(load, +1, now.toISOString())];
}

/** The changes that close an assignment (not by a review): its status, and its reviewer's load. */
export function closeChanges(cur: StoredAssignment, status: Assignment['status'], reason: string, load: LoadState, now: Date): Change[] {
  const { taskToken: _token, ...rest } = cur.assignment;
  const after: Assignment = { ...rest, status, closedAt: now.toISOString(), closeReason: reason };
  return [assignmentChange(cur.item, after, `assignment.${status}`, { reason }), loadChange(load, -1, now.toISOString())];
}

export interface HandOver {
  current: StoredAssignment;
  /** How the current assignment ends. */
  closeAs: 'conflicted' | 'replaced' | 'timed-out';
  closeReason: string;
  origin: 'conflict' | 'chair' | 'timeout';
  /** The chair's choice; otherwise the best candidate. */
  replacementSub?: string;
  /** Written in the same transaction (e.g. the declared conflict). */
  extraChanges?: Change[];
  puts?: ImmutablePut[];
  /** Side writes of the same transaction, given whether someone took the slot (e.g. an Idempotency-Key record). */
  sideWrites?: (reassigned: boolean) => SideWrite[];
}

/**
 * Ends the current assignment of a slot and gives the slot to another reviewer (or to nobody when
 * the pool has no one left). One transaction: both assignments, both loads, the event.
 * Callers retry on StaleWriteError (re-reading `current`).
 */
export async function handOver(ctx: AuditContext, p: Proposal, call: Call, h: HandOver, now: Date): Promise<Assignment | null> {
  const cur = h.current.assignment;
  const onRound = await listAssignments(p.id, cur.round);
  const exclude = new Set(onRound.map((x) => x.assignment.reviewerSub));
  let next: Assignment | null = null;
  let loads: Map<string, LoadState>;
  if (h.replacementSub) {
    const declared = await declaredConflicts(p.id);
    loads = await readLoads([cur.reviewerSub, h.replacementSub]);
    const r = call.reviewerPool.find((x) => x.sub === h.replacementSub);
    const problem = !r
      ? `is not in call ${call.id}'s reviewer pool`
      : exclude.has(r.sub)
        ? "is already on this proposal's panel for this round (or was before)"
        : (() => {
            const c = conflictOf(poolPerson(r), { ownerSub: p.ownerSub, team: p.team, pi: p.pi }, declared);
            if (c) return CONFLICT_TEXT[c];
            return (loads.get(r.sub)?.open ?? 0) >= r.maxLoad ? `is at their maximum load (${r.maxLoad})` : null;
          })();
    if (problem) throw new RuleViolationError(`${h.replacementSub} cannot review this proposal`, [{ path: 'replacement', problem }], 'reviewer_not_eligible');
    next = newAssignment(p, call, cur.round, cur.slot, cur.seq + 1, r!.sub, h.origin, now);
  } else {
    const picked = await pickPanel(p, call, exclude, 1);
    loads = picked.loads;
    if (!loads.has(cur.reviewerSub)) loads = new Map([...loads, ...(await readLoads([cur.reviewerSub]))]);
    if (picked.picked[0]) next = newAssignment(p, call, cur.round, cur.slot, cur.seq + 1, picked.picked[0].sub, h.origin, now);
  }
  const changes = [...(h.extraChanges ?? []), ...closeChanges(h.current, h.closeAs, h.closeReason, loads.get(cur.reviewerSub)!, now)];
  if (next) changes.push(...openChanges(next, loads.get(next.reviewerSub)!, now));
  await commitApproval(ctx, { changes, puts: h.puts, sideWrites: h.sideWrites?.(!!next), events: next ? [assignedEvent(next)] : [] });
  return next;
}

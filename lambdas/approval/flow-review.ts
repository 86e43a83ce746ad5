// The approval flow's review steps: staffing the panel, one wait per review slot (with its
// reminder and its one reassignment at the deadline), and aggregating the reviews that arrived.
import { domainEvent } from '../shared/events/outbox';
import { retryOnStale, type AuditContext, type Change } from '../shared/store/write-path';
import { aggregateScores, effectiveTier, panelOf, parseAssignmentId, assignmentId, type Assignment, type Proposal, type Review } from '../domain/approval';
import * as lifecycle from '../domain/approval/lifecycle';
import { assignmentChange, commitApproval, latestPerSlot, listAssignments, proposalChange, readAssignment, readCall, readLoads, readProposal } from './store';
import { assignedEvent, closeChanges, handOver, newAssignment, openChanges, pickPanel } from './panel';
import { completeTask } from './sfn';
import { ctxOf, FLOW_ACTOR, type FlowInput } from './flow-context';

/** The pool cannot staff the panel (too few reviewers without conflicts and below their load). */
export class InsufficientReviewers extends Error {
  override name = 'InsufficientReviewers';
}

// ---- Assign reviewers ---------------------------------------------------------------------

export interface PanelOutput {
  slots: number[];
  reviewers: number;
  minReviews: number;
  halfDeadlineSeconds: number;
  decisionDeadlineSeconds: number;
}

const PASSED_OVER: Record<string, string> = {
  pi: 'is the PI',
  institution: "belong to the PI's organisation",
  team: 'on the team',
  declared: 'declared a conflict',
  'at-max-load': 'at their maximum load',
  excluded: 'already on the panel',
};

function countReasons(list: { reason: string }[]): string {
  const n = new Map<string, number>();
  for (const x of list) n.set(x.reason, (n.get(x.reason) ?? 0) + 1);
  return [...n].map(([r, k]) => `${k} ${PASSED_OVER[r] ?? r}`).join(', ') || 'none';
}

export async function assign(input: FlowInput): Promise<PanelOutput> {
  return retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    lifecycle.assertLive(p, input.round, 'assign');
    const { call } = await readCall(p.callId);
    const panel = panelOf(p.tier ?? effectiveTier(p, call), call);
    const timing = { halfDeadlineSeconds: Math.max(1, Math.round(call.reviewDeadlineHours * 1800)), decisionDeadlineSeconds: Math.max(1, call.decisionDeadlineDays * 86_400), minReviews: panel.minReviews };
    const existing = await listAssignments(p.id, p.round);
    if (existing.length) {
      const slots = [...latestPerSlot(existing).keys()].sort((a, b) => a - b);
      return { slots, reviewers: slots.length, ...timing };
    }
    const prefer = p.round > 1 ? new Set((await listAssignments(p.id, p.round - 1)).filter((x) => x.assignment.status === 'submitted').map((x) => x.assignment.reviewerSub)) : undefined;
    const { picked, loads, passedOver } = await pickPanel(p, call, new Set(), panel.reviewers, prefer);
    if (picked.length < panel.minReviews) {
      throw new InsufficientReviewers(
        `Only ${picked.length} reviewer(s) of call ${call.id}'s pool of ${call.reviewerPool.length} can review this proposal; the ${p.tier} tier needs at least ${panel.minReviews} (passed over: ${countReasons(passedOver)})`,
      );
    }
    const now = new Date();
    const assignments = picked.map((r, slot) => newAssignment(p, call, p.round, slot, 0, r.sub, 'initial', now));
    const after: Proposal = { ...p, ...lifecycle.startReview(p, input.round), updatedAt: now.toISOString() };
    const changes: Change[] = [proposalChange(item, after, 'proposal.review.start', { reviewers: assignments.length })];
    for (const a of assignments) changes.push(...openChanges(a, loads.get(a.reviewerSub)!, now));
    await commitApproval(ctxOf(input, 'assign'), { changes, events: assignments.map(assignedEvent) });
    return { slots: assignments.map((a) => a.slot), reviewers: assignments.length, ...timing };
  });
}

// ---- Collect reviews (one Map iteration per slot) -------------------------------------------

export interface SlotInput extends FlowInput {
  slot: number;
}

export async function prepareReview(input: SlotInput): Promise<{ status: 'assigned' | 'submitted' | 'unfilled'; assignmentId?: string }> {
  const { proposal: p } = await readProposal(input.proposalId);
  lifecycle.assertLive(p, input.round, 'prepareReview');
  const latest = latestPerSlot(await listAssignments(p.id, input.round, input.slot)).get(input.slot);
  if (!latest) return { status: 'unfilled' };
  const a = latest.assignment;
  if (a.status === 'assigned' || a.status === 'submitted') return { status: a.status, assignmentId: assignmentId(a) };
  return { status: 'unfilled', assignmentId: assignmentId(a) };
}

function parseId(id: string) {
  const parsed = parseAssignmentId(id);
  if (!parsed) throw new Error(`"${id}" is not an assignment id`);
  return parsed;
}

/**
 * The callback task of a review: stores the task token on the assignment, where the review API
 * finds it. If the assignment already ended (a review arrived, or the slot changed hands) the
 * task is completed at once, so no answer is ever lost between two waits.
 */
export async function awaitReview(input: { assignmentId: string; taskToken: string }): Promise<{ waiting: boolean }> {
  const id = parseId(input.assignmentId);
  const ctx: AuditContext = { actor: FLOW_ACTOR, requestId: `${id.proposalId}-r${id.round}:await-review` };
  const outcome = await retryOnStale(async () => {
    const cur = await readAssignment(id);
    if (!cur || cur.assignment.status !== 'assigned') return { status: cur?.assignment.status === 'submitted' ? 'submitted' : 'changed' };
    if (cur.assignment.taskToken === input.taskToken) return null;
    await commitApproval(ctx, { changes: [assignmentChange(cur.item, { ...cur.assignment, taskToken: input.taskToken }, 'assignment.await')] });
    return null;
  });
  if (outcome) await completeTask(input.taskToken, { ...outcome, assignmentId: input.assignmentId });
  return { waiting: !outcome };
}

/** Halfway to the deadline: remind the reviewer (once), and wait for the second half. */
export async function remind(input: { assignmentId: string }): Promise<{ status: 'reminded' | 'changed' }> {
  const id = parseId(input.assignmentId);
  const ctx: AuditContext = { actor: FLOW_ACTOR, requestId: `${id.proposalId}-r${id.round}:remind` };
  return retryOnStale(async () => {
    const cur = await readAssignment(id);
    if (!cur || cur.assignment.status !== 'assigned') return { status: 'changed' as const };
    if (cur.assignment.remindedAt) return { status: 'reminded' as const };
    const { taskToken: _t, ...rest } = cur.assignment;
    const after: Assignment = { ...rest, remindedAt: new Date().toISOString() };
    const event = domainEvent('ReviewReminder', { proposalId: after.proposalId, callId: after.callId, assignmentId: input.assignmentId, reviewerSub: after.reviewerSub, deadline: after.deadline });
    await commitApproval(ctx, { changes: [assignmentChange(cur.item, after, 'assignment.remind')], events: [event] });
    return { status: 'reminded' as const };
  });
}

/** At the deadline: hand the slot to another reviewer, once per slot; after that the slot stays empty. */
export async function reviewTimedOut(input: { assignmentId: string }): Promise<{ status: 'reassigned' | 'unfilled' | 'changed' }> {
  const id = parseId(input.assignmentId);
  const ctx: AuditContext = { actor: FLOW_ACTOR, requestId: `${id.proposalId}-r${id.round}:review-timeout` };
  return retryOnStale(async () => {
    const { proposal: p } = await readProposal(id.proposalId);
    lifecycle.assertLive(p, id.round, 'reviewTimedOut');
    const cur = await readAssignment(id);
    if (!cur || cur.assignment.status !== 'assigned') return { status: 'changed' as const };
    const { call } = await readCall(p.callId);
    const now = new Date();
    const slot = await listAssignments(p.id, id.round, id.slot);
    if (slot.some((x) => x.assignment.origin === 'timeout')) {
      const loads = await readLoads([cur.assignment.reviewerSub]);
      await commitApproval(ctx, { changes: closeChanges(cur, 'timed-out', 'no review by the deadline; this slot was already reassigned once', loads.get(cur.assignment.reviewerSub)!, now) });
      return { status: 'unfilled' as const };
    }
    const next = await handOver(ctx, p, call, { current: cur, closeAs: 'timed-out', closeReason: 'no review by the deadline', origin: 'timeout' }, now);
    return { status: next ? ('reassigned' as const) : ('unfilled' as const) };
  });
}

// ---- Aggregate ----------------------------------------------------------------------------

export async function aggregate(input: FlowInput & { minReviews: number }): Promise<{ quorum: boolean; count: number; overall: number; problem?: string }> {
  return retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    lifecycle.assertLive(p, input.round, 'aggregate');
    const reviews: Review[] = [...latestPerSlot(await listAssignments(p.id, input.round)).values()].filter((x) => x.assignment.status === 'submitted' && x.assignment.review).map((x) => x.assignment.review!);
    const summary = aggregateScores(reviews, input.minReviews);
    const after: Proposal = { ...p, reviewSummary: summary, updatedAt: new Date().toISOString() };
    await commitApproval(ctxOf(input, 'aggregate'), { changes: [proposalChange(item, after, 'proposal.reviews.aggregate', { count: summary.count, overall: summary.overall, quorum: summary.quorum })] });
    return summary.quorum
      ? { quorum: true, count: summary.count, overall: summary.overall }
      : {
          quorum: false,
          count: summary.count,
          overall: summary.overall,
          problem: `Only ${summary.count} of the ${summary.minReviews} reviews needed arrived by the deadlines (late slots were reassigned once); the proposal cannot go to the committee`,
        };
  });
}

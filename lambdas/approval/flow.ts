// The approval flow's steps (statemachines/approval.asl.json): each is called by one Task state,
// re-reads what it changes, and writes through the audited write path, so a retried step never
// does its work twice. A step that finds its proposal closed (withdrawn, decided, or already in a
// later round) throws ProposalClosed, and the flow ends quietly; any other failure goes to
// RecordError, which puts the proposal in the visible `error` state with the cause.
import { runtimeConfig } from '../shared/config';
import { domainEvent } from '../shared/events/outbox';
import { gsi, keys } from '../shared/store/keys';
import { approvalKeys } from '../shared/store/keys';
import { retryOnStale, type AuditContext, type Change, type SideWrite } from '../shared/store/write-path';
import { RuleViolationError } from '../domain/errors';
import { newId } from '../domain/ids';
import { fromMc } from '../domain/ledger/money';
import type { Allocation } from '../domain/ledger/model';
import {
  aggregateScores,
  checkProposal,
  effectiveTier,
  endDateAfter,
  FINAL_STATES,
  panelOf,
  parseAssignmentId,
  release,
  reserve,
  assignmentId,
  type Assignment,
  type DecisionRecord,
  type Proposal,
  type ProposalState,
  type Review,
  effectiveOrgType,
  type OrgType,
} from '../domain/approval';
import { floorTypeOf } from '../shared/identity/standing'; // identity
import { createAllocation } from '../ledger';
import { accountabilityAtAward } from '../accountability'; // accountability
import {
  assignmentChange,
  batchGet,
  callChange,
  commitApproval,
  decisionChange,
  getItem,
  latestPerSlot,
  listAssignments,
  proposalChange,
  queryIndex,
  readAssignment,
  readCall,
  readDecision,
  readLoads,
  readProposal,
} from './store';
import { assignedEvent, closeChanges, handOver, newAssignment, openChanges, pickPanel } from './panel';
import { completeTask } from './sfn';
import { decidedEvent } from './events';

export const FLOW_ACTOR = { sub: 'system:approval-flow', role: 'system' };

/** The proposal has moved on (withdrawn, decided, resubmitted): this execution has nothing left to do. */
export class ProposalClosed extends Error {
  override name = 'ProposalClosed';
}
/** The pool cannot staff the panel (too few reviewers without conflicts and below their load). */
export class InsufficientReviewers extends Error {
  override name = 'InsufficientReviewers';
}
export class DecisionDeadlinePassed extends Error {
  override name = 'DecisionDeadlinePassed';
}
export class NothingToAward extends Error {
  override name = 'NothingToAward';
}

export interface FlowInput {
  proposalId: string;
  round: number;
}

const ctxOf = (input: FlowInput, step: string): AuditContext => ({ actor: FLOW_ACTOR, requestId: `${input.proposalId}-r${input.round}:${step}` });

function assertLive(p: Proposal, round: number, states: ProposalState[]): void {
  if (p.round !== round || !states.includes(p.state)) {
    throw new ProposalClosed(`Proposal ${p.id} is ${p.state} in round ${p.round}; the flow of round ${round} has nothing more to do`);
  }
}

// ---- Check --------------------------------------------------------------------------------

export async function check(input: FlowInput): Promise<{ ok: boolean; tier?: string; problems?: { path: string; problem: string }[] }> {
  return retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    assertLive(p, input.round, ['submitted']);
    const { call } = await readCall(p.callId);
    const problems = checkProposal(p, call, runtimeConfig().sites, p.submittedAt ?? new Date().toISOString());
    const now = new Date().toISOString();
    if (problems.length) {
      const decision: DecisionRecord = {
        round: p.round,
        outcome: 'reject',
        reason: `The proposal did not pass the completeness and eligibility check: ${problems.map((x) => `${x.path} ${x.problem}`).join('; ')}`,
        decidedBy: FLOW_ACTOR.sub,
        decidedAt: now,
        automatic: true,
      };
      const after: Proposal = { ...p, state: 'rejected', stage: undefined, checkProblems: problems, decision, updatedAt: now };
      await commitApproval(ctxOf(input, 'check'), { changes: [proposalChange(item, after, 'proposal.check.failed', { problems })], events: [decidedEvent(after, decision)] });
      return { ok: false, problems };
    }
    const tier = effectiveTier(p, call);
    const after: Proposal = { ...p, stage: 'checking', tier, checkProblems: undefined, updatedAt: now };
    await commitApproval(ctxOf(input, 'check'), { changes: [proposalChange(item, after, 'proposal.check.passed', { tier })] });
    return { ok: true, tier };
  });
}

// ---- Starter tier ---------------------------------------------------------------------------

const ENDED_ALLOCATION = new Set(['expired', 'closed']);

/** Why the researcher cannot have another starter allocation now, or null. */
async function otherActiveStarter(ownerSub: string, proposalId: string): Promise<{ reason: string | null; holder: Record<string, unknown> | null }> {
  const holder = await getItem(approvalKeys.starterHolder(ownerSub));
  if (holder && holder.proposalId !== proposalId) {
    const other = await getItem(approvalKeys.proposal(String(holder.proposalId)));
    const op = other as unknown as Proposal | null;
    if (op) {
      if (op.state === 'approved' && op.allocationId) {
        const alloc = await getItem(keys.allocation(op.allocationId));
        if (alloc && !ENDED_ALLOCATION.has(String(alloc.state))) return { reason: `you already hold an active starter allocation (${op.allocationId})`, holder };
      } else if ((op.state === 'submitted' || op.state === 'in-review') && op.decision?.outcome === 'approve') {
        return { reason: `your starter proposal ${op.id} is being awarded`, holder };
      }
    }
  }
  // Allocations made outside the flow (an admin's) count too.
  const page = await queryIndex('gsi1', gsi.memberOf(ownerSub), { limit: 200 });
  const ids = page.items.filter((i) => i.role === 'pi').map((i) => keys.allocation(String(i.allocationId)));
  for (const it of (await batchGet(ids)).values()) {
    const a = it as unknown as Allocation;
    if (a.piSub === ownerSub && a.tier === 'starter' && !ENDED_ALLOCATION.has(a.state) && a.proposalId !== proposalId) return { reason: `you already hold an active starter allocation (${a.id})`, holder };
  }
  return { reason: null, holder };
}

export async function autoApprove(input: FlowInput): Promise<{ approved: boolean; reason?: string }> {
  return retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    assertLive(p, input.round, ['submitted']);
    // A retry after the commit: answer as the first attempt did.
    if (p.decision?.round === p.round && p.decision.outcome === 'approve') return { approved: true };
    if (p.tier === 'standard' && p.tierNote) return { approved: false, reason: p.tierNote };
    const { call, item: callItemBefore } = await readCall(p.callId);
    const now = new Date().toISOString();
    const demote = async (reason: string) => {
      const after: Proposal = { ...p, tier: 'standard', tierNote: `Not approved automatically: ${reason}; it goes to review as a standard request.`, updatedAt: now };
      await commitApproval(ctxOf(input, 'auto-approve'), { changes: [proposalChange(item, after, 'proposal.starter.declined', { reason })] });
      return { approved: false, reason };
    };
    const { reason, holder } = await otherActiveStarter(p.ownerSub, p.id);
    if (reason) return demote(reason);
    const awardMc = p.requestedMc ?? {};
    const floorType = await floorTypeOf({ ownerSub: p.ownerSub, affiliation: p.pi!.affiliation }); // identity
    let nextCall;
    try {
      nextCall = reserve(call, { requestedMc: awardMc, awardMc, orgType: floorType });
    } catch (e) {
      if (e instanceof RuleViolationError) return demote(`the call cannot give it in full (${e.details.map((d) => `${d.path} ${d.problem}`).join('; ')})`);
      throw e;
    }
    const decision: DecisionRecord = {
      round: p.round,
      outcome: 'approve',
      creditsMc: awardMc,
      reason: 'Starter tier: approved automatically (within the starter limit, an eligible org type, and no other active starter allocation)',
      decidedBy: FLOW_ACTOR.sub,
      decidedAt: now,
      automatic: true,
      floorOrgType: floorType, // identity
    };
    const after: Proposal = { ...p, stage: 'awarding', decision, reservedMc: awardMc, updatedAt: now };
    const marker: SideWrite = {
      put: { ...approvalKeys.starterHolder(p.ownerSub), proposalId: p.id, ownerSub: p.ownerSub, since: now },
      condition: holder ? { expression: 'proposalId = :old', values: { ':old': holder.proposalId } } : { expression: 'attribute_not_exists(pk)' },
    };
    await commitApproval(ctxOf(input, 'auto-approve'), {
      changes: [
        proposalChange(item, after, 'proposal.auto-approve', { creditsMc: awardMc }),
        callChange(callItemBefore, nextCall, 'call.capacity.reserve', { proposalId: p.id, creditsMc: awardMc }),
        decisionChange((await readDecision(p.id, p.round))?.item ?? null, { proposalId: p.id, round: p.round, openedAt: now, deadline: now, decision }, 'decision.record', { outcome: 'approve', automatic: true }),
      ],
      sideWrites: [marker],
      events: [decidedEvent(after, decision)],
    });
    return { approved: true };
  });
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
  institution: 'belong to the PI\'s organisation',
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
    assertLive(p, input.round, ['submitted', 'in-review']);
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
    const after: Proposal = { ...p, state: 'in-review', stage: 'reviewing', updatedAt: now.toISOString() };
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
  assertLive(p, input.round, ['in-review']);
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
    if (cur?.assignment.status !== 'assigned') return { status: cur?.assignment.status === 'submitted' ? 'submitted' : 'changed' };
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
    if (cur?.assignment.status !== 'assigned') return { status: 'changed' as const };
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
    assertLive(p, id.round, ['in-review']);
    const cur = await readAssignment(id);
    if (cur?.assignment.status !== 'assigned') return { status: 'changed' as const };
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
    assertLive(p, input.round, ['in-review']);
    const reviews: Review[] = [...latestPerSlot(await listAssignments(p.id, input.round)).values()]
      .filter((x) => x.assignment.status === 'submitted' && x.assignment.review)
      .map((x) => x.assignment.review!);
    const summary = aggregateScores(reviews, input.minReviews);
    const after: Proposal = { ...p, reviewSummary: summary, updatedAt: new Date().toISOString() };
    await commitApproval(ctxOf(input, 'aggregate'), { changes: [proposalChange(item, after, 'proposal.reviews.aggregate', { count: summary.count, overall: summary.overall, quorum: summary.quorum })] });
    return summary.quorum
      ? { quorum: true, count: summary.count, overall: summary.overall }
      : { quorum: false, count: summary.count, overall: summary.overall, problem: `Only ${summary.count} of the ${summary.minReviews} reviews needed arrived by the deadlines (late slots were reassigned once); the proposal cannot go to the committee` };
  });
}

// ---- Committee decision ---------------------------------------------------------------------

/** The chair's callback task: stores the token on the round's decision item (or answers at once if decided). */
export async function awaitDecision(input: FlowInput & { taskToken: string; decisionDeadlineSeconds: number }): Promise<{ waiting: boolean }> {
  const decided = await retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    const dec = await readDecision(input.proposalId, input.round);
    if (dec?.decision.decision) return dec.decision.decision;
    assertLive(p, input.round, ['in-review']);
    const now = new Date();
    const deadline = new Date(now.getTime() + input.decisionDeadlineSeconds * 1000).toISOString();
    await commitApproval(ctxOf(input, 'await-decision'), {
      changes: [
        decisionChange(dec?.item ?? null, { proposalId: p.id, round: input.round, taskToken: input.taskToken, openedAt: dec?.decision.openedAt ?? now.toISOString(), deadline }, 'decision.open'),
        ...(p.stage === 'awaiting-decision' ? [] : [proposalChange(item, { ...p, stage: 'awaiting-decision', updatedAt: now.toISOString() }, 'proposal.decision.await')]),
      ],
    });
    return null;
  });
  if (decided) await completeTask(input.taskToken, { outcome: decided.outcome });
  return { waiting: !decided };
}

/** The decision deadline passed: go on with a decision recorded meanwhile, or fail visibly. */
export async function decisionTimedOut(input: FlowInput): Promise<{ outcome: string }> {
  const dec = await readDecision(input.proposalId, input.round);
  if (dec?.decision.decision) return { outcome: dec.decision.decision.outcome };
  const { proposal: p } = await readProposal(input.proposalId);
  assertLive(p, input.round, ['in-review']);
  const { call } = await readCall(p.callId);
  throw new DecisionDeadlinePassed(`The committee did not decide within ${call.decisionDeadlineDays} day(s)`);
}

// ---- identity ----
/** The floor bucket a reservation was made in (decisions before floors rested on the registry used the declared type). */
function reservedFloorType(p: Proposal): OrgType | null {
  return p.decision && p.decision.floorOrgType !== undefined ? p.decision.floorOrgType : (p.pi?.orgType ?? null);
}
// ---- end identity ----

// ---- Award --------------------------------------------------------------------------------

export async function award(input: FlowInput): Promise<{ allocationId: string }> {
  return retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    if (p.state === 'approved' && p.allocationId && p.round === input.round) return { allocationId: p.allocationId };
    assertLive(p, input.round, ['submitted', 'in-review']);
    const d = p.decision;
    if (p.stage !== 'awarding' || !d || d.round !== p.round || d.outcome !== 'approve' || !d.creditsMc) throw new NothingToAward(`Proposal ${p.id} has no approval to award in round ${p.round}`);
    const now = new Date();
    const startDate = now.toISOString().slice(0, 10);
    const id = newId('alloc');
    const after: Proposal = { ...p, state: 'approved', stage: undefined, reservedMc: undefined, allocationId: id, updatedAt: now.toISOString() };
    // team members named by their KAIRR identity become members; their logins are site accounts
    const members = p.team.filter((m) => m.sub && m.sub !== p.ownerSub).map((m) => ({ sub: m.sub!, role: 'member' as const }));
    // ---- accountability: the award grants the first tranche; the report schedule and the public listing open with it ----
    const endDate = endDateAfter(startDate, p.durationMonths ?? 12);
    const acct = await accountabilityAtAward({ allocationId: id, callId: p.callId, proposal: p, awardMc: d.creditsMc, startDate, endDate, now });
    // ---- end accountability ----
    await createAllocation(
      {
        id,
        title: p.title,
        piSub: p.ownerSub,
        // ---- identity: the registry's name and type where the PI's claims matched an org ----
        institution: p.pi!.affiliation?.orgName ?? p.pi!.institution,
        orgType: effectiveOrgType(p.pi!),
        ...(p.pi!.affiliation?.orgId ? { orgId: p.pi!.affiliation.orgId } : {}),
        // ---- end identity ----
        field: p.field ?? 'unspecified',
        proposalId: p.id,
        callId: p.callId,
        tier: p.tier ?? null,
        startDate,
        endDate, // accountability
        members: [...new Map(members.map((m) => [m.sub, m])).values()],
        awardsMc: acct.awardsMc, // accountability
      },
      { ...ctxOf(input, 'award'), now, reason: d.reason },
      { extraChanges: [proposalChange(item, after, 'proposal.award', { allocationId: id, credits: Object.fromEntries(Object.entries(d.creditsMc).map(([k, v]) => [k, fromMc(v)])) }), ...acct.extraChanges] }, // accountability: + extraChanges
    );
    return { allocationId: id };
  });
}

// ---- Errors -------------------------------------------------------------------------------

export interface StatesError {
  Error?: string;
  Cause?: string;
}

/** The readable part of a Step Functions error cause (a Lambda error's message; never its trace). */
export function causeMessage(e: StatesError | undefined): string {
  const cause = e?.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage.slice(0, 1000);
  } catch {
    /* a plain message */
  }
  return (cause || e?.Error || 'unknown error').slice(0, 1000);
}

/**
 * Puts the proposal in the `error` state with the cause, gives back capacity an approval had
 * reserved, and closes the round's open assignments. A proposal already decided, withdrawn or in
 * a later round keeps its state.
 */
export async function recordError(input: FlowInput & { error?: StatesError }): Promise<{ recorded: boolean }> {
  const code = input.error?.Error ?? 'Unknown';
  const message = causeMessage(input.error);
  return retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    const now = new Date();
    const changes: Change[] = [];
    const open = (await listAssignments(p.id, input.round)).filter((x) => x.assignment.status === 'assigned');
    if (open.length) {
      const loads = await readLoads(open.map((x) => x.assignment.reviewerSub));
      for (const x of open) changes.push(...closeChanges(x, 'cancelled', 'the approval flow ended with an error', loads.get(x.assignment.reviewerSub)!, now));
    }
    if (p.round === input.round && !FINAL_STATES.includes(p.state)) {
      const after: Proposal = { ...p, state: 'error', stage: undefined, reservedMc: undefined, error: { code, message, at: now.toISOString() }, updatedAt: now.toISOString() };
      changes.unshift(proposalChange(item, after, 'proposal.error', { code }));
      if (p.reservedMc && p.pi && Object.keys(p.reservedMc).length) {
        const { call, item: ci } = await readCall(p.callId);
        changes.push(callChange(ci, release(call, reservedFloorType(p), p.reservedMc), 'call.capacity.release', { proposalId: p.id, creditsMc: p.reservedMc }));
      }
    }
    if (!changes.length) return { recorded: false };
    await commitApproval({ ...ctxOf(input, 'record-error'), reason: `${code}: ${message}` }, { changes });
    return { recorded: true };
  });
}

// The review side: a reviewer's assignments, reviews, declared conflicts; the chair's view of the
// panel, replacements and decisions. Each answer to a waiting flow task is written first (with the
// task token read in the same transaction's read), then sent with SendTaskSuccess; if the task has
// moved on meanwhile, the flow's next step reads the item and sees the answer anyway.
import type { Caller } from '../shared/http/caller';
import { hasRole } from '../shared/http/caller';
import { retryOnStale, StaleWriteError, type AuditContext, type Change, type Item, type SideWrite } from '../shared/store/write-path';
import { approvalKeys } from '../shared/store/keys';
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors';
import { toMc } from '../domain/ledger/money';
import { reserve, type Assignment, type DecisionRecord, type Proposal } from '../domain/approval';
import * as lifecycle from '../domain/approval/lifecycle';
import type { DecisionBody, ReviewBody } from './api';
import { assignmentChange, callChange, commitApproval, decisionChange, getItem, latestPerSlot, listAssignments, loadChange, proposalChange, readCall, readDecision, readLoads, readProposal, subject } from './store';
import { handOver } from './panel';
import { chairConflict, myAssignment, reviewerMayRead } from './access';
import { floorTypeOf } from '../shared/identity/standing'; // identity
import { completeTask } from './sfn';
import { decidedEvent } from './events';

async function requireChairFree(caller: Caller, p: Proposal, what: string): Promise<void> {
  const why = await chairConflict(caller, p);
  if (why) throw new ForbiddenError(`A chair cannot ${what} this proposal: ${why}`);
}

// ---- reviewers ------------------------------------------------------------------------------

export async function submitReview(caller: Caller, proposalId: string, body: ReviewBody, ctx: AuditContext, sideWrites: (a: Assignment) => SideWrite[] = () => []): Promise<Assignment> {
  const done = await retryOnStale(async () => {
    const { proposal: p } = await readProposal(proposalId);
    const mine = await myAssignment(p, caller.sub);
    if (!mine || mine.assignment.status === 'conflicted' || !(await reviewerMayRead(p, caller.sub))) throw new NotFoundError('Proposal', proposalId);
    const a = mine.assignment;
    if (a.status === 'submitted') throw new ConflictError('You have already submitted your review of this proposal', [], 'already_reviewed');
    if (a.status !== 'assigned') throw new ConflictError(`Your assignment on this proposal has ended (${a.status}${a.closeReason ? `: ${a.closeReason}` : ''})`, [], 'assignment_closed');
    lifecycle.assertTakesReviews(p);
    const now = ctx.now ?? new Date();
    const { taskToken, ...rest } = a;
    const after: Assignment = {
      ...rest,
      status: 'submitted',
      closedAt: now.toISOString(),
      review: { scores: body.scores, comments: body.comments, ...(body.confidentialComments ? { confidentialComments: body.confidentialComments } : {}), recommendation: body.recommendation, submittedAt: now.toISOString() },
    };
    const load = (await readLoads([caller.sub])).get(caller.sub)!;
    await commitApproval(ctx, { changes: [assignmentChange(mine.item, after, 'assignment.review', { recommendation: body.recommendation }), loadChange(load, -1, now.toISOString())], sideWrites: sideWrites(after) });
    return { after, taskToken };
  });
  if (done.taskToken) await completeTask(done.taskToken, { status: 'submitted', assignmentId: `${done.after.proposalId}.${done.after.round}.${done.after.slot}.${done.after.seq}` });
  return done.after;
}

export interface ConflictRecord {
  proposalId: string;
  declaredAt: string;
  reassigned: boolean;
}

export async function declareConflict(caller: Caller, proposalId: string, reason: string, ctx: AuditContext, sideWrites: (r: ConflictRecord) => SideWrite[] = () => []): Promise<ConflictRecord> {
  const now = ctx.now ?? new Date();
  const record = (reassigned: boolean) => sideWrites({ proposalId, declaredAt: now.toISOString(), reassigned });
  const out = await retryOnStale(async () => {
    const { proposal: p } = await readProposal(proposalId);
    const conflictKey = approvalKeys.conflict(p.id, caller.sub);
    const existing = await getItem(conflictKey);
    if (existing) throw new ConflictError('You have already declared a conflict on this proposal', [], 'already_declared');
    const conflictItem = { ...conflictKey, proposalId: p.id, sub: caller.sub, reason, declaredAt: now.toISOString() } as Item;
    const conflictRecord: Change = { subject: { type: 'conflict', id: `${p.id}.${caller.sub}` }, before: null, after: conflictItem, action: 'conflict.declare', details: { sub: caller.sub } };
    const mine = hasRole(caller, 'reviewer') ? await myAssignment(p, caller.sub) : undefined;
    const everAssigned = hasRole(caller, 'reviewer') && (await listAssignments(p.id)).some((x) => x.assignment.reviewerSub === caller.sub);
    if (!everAssigned && !hasRole(caller, 'chair')) throw new NotFoundError('Proposal', proposalId);
    if (mine && mine.assignment.status === 'assigned') {
      lifecycle.assertInReview(p);
      const { call } = await readCall(p.callId);
      const next = await handOver(ctx, p, call, { current: mine, closeAs: 'conflicted', closeReason: 'the reviewer declared a conflict of interest', origin: 'conflict', extraChanges: [conflictRecord], sideWrites: record }, now);
      return { taskToken: mine.assignment.taskToken, reassigned: !!next };
    }
    if (mine && mine.assignment.status === 'submitted') throw new ConflictError('You have already submitted your review; ask the chair to set it aside', [], 'already_reviewed');
    await commitApproval(ctx, { changes: [conflictRecord], sideWrites: record(false) });
    return { taskToken: undefined, reassigned: false };
  }).catch((e) => {
    if (e instanceof StaleWriteError && e.subject.startsWith('conflict/')) throw new ConflictError('You have already declared a conflict on this proposal', [], 'already_declared');
    throw e;
  });
  if (out.taskToken) await completeTask(out.taskToken, { status: 'changed' });
  return { proposalId, declaredAt: now.toISOString(), reassigned: out.reassigned };
}

// ---- the chair ------------------------------------------------------------------------------

export async function panelOf(caller: Caller, proposalId: string): Promise<{ proposal: Proposal; assignments: Assignment[] }> {
  const { proposal: p } = await readProposal(proposalId);
  if (hasRole(caller, 'chair') && !hasRole(caller, 'admin', 'auditor')) await requireChairFree(caller, p, 'see the reviews of');
  const assignments = (await listAssignments(p.id)).map((x) => x.assignment);
  return { proposal: p, assignments };
}

export async function replaceReviewer(caller: Caller, proposalId: string, reviewerSub: string, body: { replacement?: string; reason: string }, ctx: AuditContext): Promise<{ replaced: string; assignment: Assignment | null }> {
  const now = ctx.now ?? new Date();
  const out = await retryOnStale(async () => {
    const { proposal: p } = await readProposal(proposalId);
    await requireChairFree(caller, p, 'change the panel of');
    lifecycle.assertCollectingReviews(p);
    const live = [...latestPerSlot(await listAssignments(p.id, p.round)).values()].find((x) => x.assignment.reviewerSub === reviewerSub);
    if (!live) throw new NotFoundError('Reviewer assignment', `${proposalId}/${reviewerSub}`);
    if (live.assignment.status !== 'assigned') throw new ConflictError(`${reviewerSub}'s assignment is ${live.assignment.status}; only a pending review can be handed to someone else`, [], 'assignment_closed');
    const { call } = await readCall(p.callId);
    const next = await handOver({ ...ctx, reason: body.reason }, p, call, { current: live, closeAs: 'replaced', closeReason: `replaced by the chair: ${body.reason}`, origin: 'chair', replacementSub: body.replacement }, now);
    return { taskToken: live.assignment.taskToken, next };
  });
  if (out.taskToken) await completeTask(out.taskToken, { status: 'changed' });
  return { replaced: reviewerSub, assignment: out.next };
}

/**
 * Records the chair's decision and completes the flow's waiting task. An approval reserves the
 * credits on the call in the same transaction as the decision (conditioned on the call item's
 * auditSeq), so concurrent approvals are serialised and never overspend the call.
 */
/** The same decision as recorded (a retried request), compared on what the chair sent. */
function sameDecision(d: DecisionRecord | undefined, body: DecisionBody, caller: Caller): boolean {
  if (!d || d.automatic || d.decidedBy !== caller.sub || d.outcome !== body.decision || d.reason !== body.reason) return false;
  if (body.decision !== 'approve') return true;
  const sent = Object.fromEntries(Object.entries(body.credits).map(([k, v]) => [k, toMc(v)]));
  const had = d.creditsMc ?? {};
  return Object.keys(sent).length === Object.keys(had).length && Object.entries(sent).every(([k, v]) => had[k] === v);
}

export async function decide(caller: Caller, proposalId: string, body: DecisionBody, ctx: AuditContext, sideWrites: (p: Proposal) => SideWrite[] = () => []): Promise<Proposal> {
  const out = await retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(proposalId);
    await requireChairFree(caller, p, 'decide on');
    if (p.decision && p.decision.round === p.round && sameDecision(p.decision, body, caller)) {
      // A retry of a decision that was recorded: answer the flow again (harmless if it already has it).
      const dec = await readDecision(p.id, p.round);
      return { after: p, taskToken: dec?.decision.taskToken };
    }
    const next = lifecycle.decide(p, body.decision);
    const dec = await readDecision(p.id, p.round);
    if (!dec?.decision.taskToken) throw new ConflictError(`Proposal ${proposalId} is not awaiting a decision yet`, [], 'not_awaiting_decision');
    if (dec.decision.decision) throw new ConflictError(`Proposal ${proposalId} has already been decided (${dec.decision.decision.outcome})`, [], 'already_decided');
    const now = ctx.now ?? new Date();
    const record: DecisionRecord = { round: p.round, outcome: body.decision, reason: body.reason, decidedBy: caller.sub, decidedAt: now.toISOString(), automatic: false };
    const changes: Change[] = [];
    let after: Proposal;
    if (body.decision === 'approve') {
      const awardMc = Object.fromEntries(Object.entries(body.credits).map(([k, v]) => [k, toMc(v)]));
      const [{ call, item: ci }, floorType] = await Promise.all([readCall(p.callId), floorTypeOf({ ownerSub: p.ownerSub, affiliation: p.pi!.affiliation })]);
      const nextCall = reserve(call, { requestedMc: p.requestedMc ?? {}, awardMc, orgType: floorType });
      record.creditsMc = awardMc;
      record.floorOrgType = floorType;
      after = { ...p, ...next, decision: record, reservedMc: awardMc, updatedAt: now.toISOString() };
      changes.push(callChange(ci, nextCall, 'call.capacity.reserve', { proposalId: p.id, creditsMc: awardMc }));
    } else {
      after = { ...p, ...next, decision: record, updatedAt: now.toISOString() };
    }
    changes.unshift(proposalChange(item, after, `proposal.decision.${body.decision}`, { round: p.round }));
    changes.push(decisionChange(dec.item, { ...dec.decision, decision: record }, 'decision.record', { outcome: body.decision }));
    await commitApproval({ ...ctx, reason: body.reason }, { changes, sideWrites: sideWrites(after), events: [decidedEvent(after, record)] });
    return { after, taskToken: dec.decision.taskToken };
  });
  if (out.taskToken) await completeTask(out.taskToken, { outcome: body.decision });
  return out.after;
}

export { subject };

// The proposal lifecycle: its states and flow stages, and every move between them. Each move is a
// pure function that takes the proposal as it is and either returns the fields of the next state
// or throws the typed error the API (or the flow) reports. The capability's handlers decide only
// what else to write (decisions, capacity, assignments); whether a move is allowed, and where it
// leads, is decided here and nowhere else.
//
// This module reads proposals through the structural `Phase` below instead of model.ts's
// `Proposal`, so model.ts can take its state types from here without an import cycle.
import { ConflictError } from '../errors';
import type { Mc } from '../ledger/money';

export const PROPOSAL_STATES = ['draft', 'submitted', 'in-review', 'revision-requested', 'approved', 'rejected', 'withdrawn', 'error'] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/**
 * Where a submitted proposal is inside the approval flow (the state says what, the stage says how
 * far): checked → (auto-approving | reviewing → awaiting-decision) → awarding. `auto-approving`
 * and `assigning` are part of the stored vocabulary, but no move sets them today.
 */
export const FLOW_STAGES = ['checking', 'auto-approving', 'assigning', 'reviewing', 'awaiting-decision', 'awarding'] as const;
export type FlowStage = (typeof FLOW_STAGES)[number];

export const DECISION_OUTCOMES = ['approve', 'reject', 'revise'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/** States from which nothing moves on: the flow must never write over them. */
export const FINAL_STATES: readonly ProposalState[] = ['approved', 'rejected', 'withdrawn', 'error'];
/** States the researcher may edit and submit. */
export const EDITABLE_STATES: readonly ProposalState[] = ['draft', 'revision-requested'];
/** States the researcher may withdraw from (unless the proposal is being awarded). */
export const WITHDRAWABLE_STATES: readonly ProposalState[] = ['draft', 'submitted', 'in-review', 'revision-requested'];
/** States in which an approval flow execution runs for the proposal's round. */
export const IN_FLOW_STATES: readonly ProposalState[] = ['submitted', 'in-review'];
/** States in which the committee has spoken (the owner may then see the panel's scores). */
export const DECIDED_STATES: readonly ProposalState[] = ['approved', 'rejected', 'revision-requested'];

/** What the lifecycle reads of a proposal (model.ts's Proposal has all of it). */
export interface Phase {
  id: string;
  state: ProposalState;
  stage?: FlowStage;
  round: number;
  allocationId?: string;
  decision?: { round: number; outcome: DecisionOutcome; automatic: boolean; creditsMc?: Record<string, Mc> };
}

/** The state and stage a move leads to; a proposal's other fields are the caller's. */
export interface Next {
  state: ProposalState;
  stage: FlowStage | undefined;
}

const stateText = (p: Phase) => `${p.state}${p.stage ? `, ${p.stage}` : ''}`;

// ---- the flow's errors (their names are the Error that statemachines/approval.asl.json matches) ----

/** The proposal has moved on (withdrawn, decided, resubmitted): this execution has nothing left to do. */
export class ProposalClosed extends Error {
  override name = 'ProposalClosed';
}
/** The award step found no approval of this round to award. */
export class NothingToAward extends Error {
  override name = 'NothingToAward';
}

// ---- the researcher ---------------------------------------------------------------------------

/** A new proposal: a draft before its first submission. */
export function create(): { state: 'draft'; round: 0 } {
  return { state: 'draft', round: 0 };
}

/** A draft, or a proposal sent back for revision, may be edited; the state does not change. */
export function edit(p: Phase): Next {
  if (!EDITABLE_STATES.includes(p.state)) throw new ConflictError(`Proposal ${p.id} is ${p.state}; only a draft or a proposal sent back for revision can be edited`, [], 'not_editable');
  return { state: p.state, stage: p.stage };
}

/**
 * Submitting starts a new round; what the previous round's flow left on the proposal (the check's
 * problems, the starter note, the panel's scores, an error) is cleared for it.
 */
export function submit(p: Phase): Next & { round: number; checkProblems: undefined; tierNote: undefined; reviewSummary: undefined; error: undefined } {
  if (!EDITABLE_STATES.includes(p.state)) throw new ConflictError(`Proposal ${p.id} is ${p.state}; only a draft or a proposal sent back for revision can be submitted`, [], 'not_submittable');
  return { state: 'submitted', stage: undefined, round: p.round + 1, checkProblems: undefined, tierNote: undefined, reviewSummary: undefined, error: undefined };
}

/**
 * Undoes a submission whose flow could not be started: back to the state it was submitted from,
 * and the round before. Null when the proposal is no longer that submission (nothing to undo).
 */
export function undoSubmit(p: Phase, round: number, previous: ProposalState): (Next & { round: number }) | null {
  if (p.state !== 'submitted' || p.round !== round) return null;
  return { state: previous, stage: p.stage, round: p.round - 1 };
}

export function withdraw(p: Phase): Next {
  if (!WITHDRAWABLE_STATES.includes(p.state)) throw new ConflictError(`Proposal ${p.id} is ${p.state} and can no longer be withdrawn`, [], 'not_withdrawable');
  if (p.stage === 'awarding') throw new ConflictError(`Proposal ${p.id} has been approved and is being awarded; it can no longer be withdrawn`, [], 'being_awarded');
  return { state: 'withdrawn', stage: undefined };
}

/** An approval flow execution is running for the proposal (withdrawing it must stop the execution). */
export function inFlow(p: Phase): boolean {
  return IN_FLOW_STATES.includes(p.state);
}

/** The committee has spoken on the proposal (the owner may see the panel's scores). */
export function isDecided(p: Phase): boolean {
  return DECIDED_STATES.includes(p.state);
}

/** A decision of the proposal stands: the committee has spoken, or an approval is being awarded. */
export function decisionStands(p: Phase): boolean {
  return !!p.decision && (isDecided(p) || p.stage === 'awarding');
}

/** How another proposal of the same researcher stands in the way of a starter approval, or null. */
export function starterHold(p: Phase): 'allocation' | 'awarding' | null {
  if (p.state === 'approved' && p.allocationId) return 'allocation';
  if (inFlow(p) && p.decision?.outcome === 'approve') return 'awarding';
  return null;
}

// ---- the flow ---------------------------------------------------------------------------------

/** The states in which each flow step of a round still has work to do. */
export const FLOW_STEP_STATES = {
  check: ['submitted'],
  autoApprove: ['submitted'],
  assign: ['submitted', 'in-review'],
  prepareReview: ['in-review'],
  reviewTimedOut: ['in-review'],
  aggregate: ['in-review'],
  awaitDecision: ['in-review'],
  decisionTimedOut: ['in-review'],
  award: ['submitted', 'in-review'],
} as const satisfies Record<string, readonly ProposalState[]>;
export type FlowStep = keyof typeof FLOW_STEP_STATES;

/** The flow of `round` may run `step` on the proposal; otherwise ProposalClosed (the flow ends quietly). */
export function assertLive(p: Phase, round: number, step: FlowStep): void {
  const states: readonly ProposalState[] = FLOW_STEP_STATES[step];
  if (p.round !== round || !states.includes(p.state)) {
    throw new ProposalClosed(`Proposal ${p.id} is ${p.state} in round ${p.round}; the flow of round ${round} has nothing more to do`);
  }
}

/** The completeness and eligibility check refused the proposal: rejected automatically. */
export function failCheck(p: Phase, round: number): Next {
  assertLive(p, round, 'check');
  return { state: 'rejected', stage: undefined };
}

export function passCheck(p: Phase, round: number): Next {
  assertLive(p, round, 'check');
  return { state: p.state, stage: 'checking' };
}

/** The starter tier approved it: the award comes next. */
export function autoApprove(p: Phase, round: number): Next {
  assertLive(p, round, 'autoApprove');
  return { state: p.state, stage: 'awarding' };
}

/** The panel is staffed: the proposal is in review, collecting reviews. */
export function startReview(p: Phase, round: number): Next {
  assertLive(p, round, 'assign');
  return { state: 'in-review', stage: 'reviewing' };
}

/** The reviews are in: the committee's decision is awaited. Null when it already is. */
export function awaitDecision(p: Phase, round: number): Next | null {
  assertLive(p, round, 'awaitDecision');
  return p.stage === 'awaiting-decision' ? null : { state: p.state, stage: 'awaiting-decision' };
}

/**
 * The chair decides: an approval goes on to the award, a rejection or a request for revision
 * closes the round. Only a proposal awaiting the decision can be decided.
 */
export function decide(p: Phase, outcome: DecisionOutcome): Next {
  if (p.state !== 'in-review' || p.stage !== 'awaiting-decision') {
    if (p.decision && p.decision.round === p.round && !p.decision.automatic) throw new ConflictError(`Proposal ${p.id} has already been decided (${p.decision.outcome})`, [], 'already_decided');
    throw new ConflictError(`Proposal ${p.id} is not awaiting a decision (it is ${stateText(p)})`, [], 'not_awaiting_decision');
  }
  if (outcome === 'approve') return { state: p.state, stage: 'awarding' };
  return { state: outcome === 'reject' ? 'rejected' : 'revision-requested', stage: undefined };
}

/** The allocation of this round's award, when the award step already made it (a retried step). */
export function awardedIn(p: Phase, round: number): string | null {
  return p.state === 'approved' && p.allocationId && p.round === round ? p.allocationId : null;
}

/** The award: the approval of this round becomes an allocation and the proposal is approved. */
export function award<P extends Phase>(p: P, round: number): { next: Next & { reservedMc: undefined }; decision: NonNullable<P['decision']> & { creditsMc: Record<string, Mc> } } {
  assertLive(p, round, 'award');
  const d = p.decision;
  if (p.stage !== 'awarding' || !d || d.round !== p.round || d.outcome !== 'approve' || !d.creditsMc) throw new NothingToAward(`Proposal ${p.id} has no approval to award in round ${p.round}`);
  return { next: { state: 'approved', stage: undefined, reservedMc: undefined }, decision: d as NonNullable<P['decision']> & { creditsMc: Record<string, Mc> } };
}

/**
 * The flow of `round` failed: the proposal shows the error, and gives back what an approval had
 * reserved. Null when the proposal is final or in another round (it keeps its state).
 */
export function fail(p: Phase, round: number): (Next & { reservedMc: undefined }) | null {
  if (p.round !== round || FINAL_STATES.includes(p.state)) return null;
  return { state: 'error', stage: undefined, reservedMc: undefined };
}

// ---- reviewers and the chair ------------------------------------------------------------------

/** A review is taken only while the proposal is in review. */
export function assertTakesReviews(p: Phase): void {
  if (p.state !== 'in-review') throw new ConflictError(`Proposal ${p.id} is ${p.state}; it takes no more reviews`, [], 'not_in_review');
}

/** A pending assignment is handed over on a declared conflict only while the proposal is in review. */
export function assertInReview(p: Phase): void {
  if (p.state !== 'in-review') throw new ConflictError(`Proposal ${p.id} is ${p.state}`, [], 'not_in_review');
}

/** The chair changes the panel only while it is collecting reviews. */
export function assertCollectingReviews(p: Phase): void {
  if (p.state !== 'in-review' || p.stage !== 'reviewing') throw new ConflictError(`Proposal ${p.id} is not collecting reviews (it is ${stateText(p)})`, [], 'not_reviewing');
}

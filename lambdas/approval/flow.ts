// The approval flow's steps (statemachines/approval.asl.json): each is called by one Task state,
// re-reads what it changes, and writes through the audited write path, so a retried step never
// does its work twice. A step that finds its proposal closed (withdrawn, decided, or already in a
// later round) throws ProposalClosed, and the flow ends quietly; any other failure goes to
// RecordError, which puts the proposal in the visible `error` state with the cause.
//
// The steps are in three parts, by the flow's phases: flow-check.ts (check, starter approval),
// flow-review.ts (panel, review slots, aggregation) and flow-award.ts (decision, award, errors).
// This module is the flow's face: flow-handler.ts dispatches to what it exports.
export { FLOW_ACTOR, type FlowInput } from './flow-context';
export * from './flow-check';
export * from './flow-review';
export * from './flow-award';
// The lifecycle's errors live in the domain; they stay importable from here.
export { NothingToAward, ProposalClosed } from '../domain/approval';

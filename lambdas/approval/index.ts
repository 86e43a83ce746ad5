// Approval's face: what other capabilities may read of calls and proposals, as typed values (never
// raw items), and the one change they may make (a call's change, for accountability's reclaims).
// Re-exports only, so a bundle carries what it did when it imported the store itself.
export { callChange, conflictsDeclaredBy, findCall, listCalls, proposalsInState, readCall, readProposal, readProposals } from './store';

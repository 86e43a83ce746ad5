// The approval capability's domain events (published through the outbox after each commit).
import { domainEvent } from '../shared/events/outbox';
import type { DecisionRecord, Proposal } from '../domain/approval';

export function decidedEvent(p: Proposal, d: DecisionRecord) {
  return domainEvent('ProposalDecided', { proposalId: p.id, callId: p.callId, round: d.round, outcome: d.outcome, automatic: d.automatic, ownerSub: p.ownerSub });
}

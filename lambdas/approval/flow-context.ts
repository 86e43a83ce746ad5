// What every step of the approval flow shares: who the flow acts as in the audit trail, the input
// each execution carries, and the audit context of one step of one round.
import type { AuditContext } from '../shared/store/write-path';

export const FLOW_ACTOR = { sub: 'system:approval-flow', role: 'system' };

export interface FlowInput {
  proposalId: string;
  round: number;
}

/** The request id names the proposal, round and step, so a retried step's audit records are recognisable. */
export const ctxOf = (input: FlowInput, step: string): AuditContext => ({ actor: FLOW_ACTOR, requestId: `${input.proposalId}-r${input.round}:${step}` });

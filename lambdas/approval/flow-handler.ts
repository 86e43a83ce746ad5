// The approval flow's Lambda: one function for every Task state of statemachines/approval.asl.json,
// chosen by `step`. The input is parsed first (flow-steps.ts): a malformed one is refused with a
// MalformedEventError before any step runs. Errors are thrown as they are: their name becomes the
// state's Error, which the definition's Retry and Catch match (ProposalClosed ends the flow quietly;
// the rest go to RecordError).
import { logger } from '../shared/log';
import { parseEvent } from '../shared/validation';
import * as flow from './flow';
import { FlowStepSchema, type FlowStep } from './flow-steps';

export type FlowEvent = FlowStep;

function run(e: FlowStep): Promise<unknown> {
  switch (e.step) {
    case 'check':
      return flow.check(e);
    case 'autoApprove':
      return flow.autoApprove(e);
    case 'assign':
      return flow.assign(e);
    case 'prepareReview':
      return flow.prepareReview(e);
    case 'awaitReview':
      return flow.awaitReview(e);
    case 'remind':
      return flow.remind(e);
    case 'reviewTimedOut':
      return flow.reviewTimedOut(e);
    case 'aggregate':
      return flow.aggregate(e);
    case 'awaitDecision':
      return flow.awaitDecision(e);
    case 'decisionTimedOut':
      return flow.decisionTimedOut(e);
    case 'award':
      return flow.award(e);
    case 'recordError':
      return flow.recordError(e);
  }
}

export async function handler(event: unknown): Promise<unknown> {
  const e = parseEvent(FlowStepSchema, event, 'the approval flow step input');
  const started = Date.now();
  const subject = 'proposalId' in e ? e.proposalId : e.assignmentId;
  try {
    const out = await run(e);
    logger.info('approval step', { step: e.step, proposalId: subject, ms: Date.now() - started });
    return out;
  } catch (err) {
    logger.warn('approval step failed', { step: e.step, proposalId: subject, error: (err as Error).name, message: (err as Error).message });
    throw err;
  }
}

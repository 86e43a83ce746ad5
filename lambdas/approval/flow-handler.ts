// The approval flow's Lambda: one function for every Task state of statemachines/approval.asl.json,
// chosen by `step`. Errors are thrown as they are: their name becomes the state's Error, which the
// definition's Retry and Catch match (ProposalClosed ends the flow quietly; the rest go to RecordError).
import { logger } from '../shared/log';
import * as flow from './flow';

type Steps = {
  check: typeof flow.check;
  autoApprove: typeof flow.autoApprove;
  assign: typeof flow.assign;
  prepareReview: typeof flow.prepareReview;
  awaitReview: typeof flow.awaitReview;
  remind: typeof flow.remind;
  reviewTimedOut: typeof flow.reviewTimedOut;
  aggregate: typeof flow.aggregate;
  awaitDecision: typeof flow.awaitDecision;
  decisionTimedOut: typeof flow.decisionTimedOut;
  award: typeof flow.award;
  recordError: typeof flow.recordError;
};

const STEPS: Steps = {
  check: flow.check,
  autoApprove: flow.autoApprove,
  assign: flow.assign,
  prepareReview: flow.prepareReview,
  awaitReview: flow.awaitReview,
  remind: flow.remind,
  reviewTimedOut: flow.reviewTimedOut,
  aggregate: flow.aggregate,
  awaitDecision: flow.awaitDecision,
  decisionTimedOut: flow.decisionTimedOut,
  award: flow.award,
  recordError: flow.recordError,
};

export type FlowEvent = { step: keyof Steps } & Record<string, unknown>;

export async function handler(event: FlowEvent): Promise<unknown> {
  const step = STEPS[event?.step];
  if (!step) throw new Error(`Unknown approval flow step ${JSON.stringify(event?.step)}`);
  const started = Date.now();
  try {
    // biome-ignore lint/suspicious/noExplicitAny: each step declares its own input, the payload the state machine hands that step
    const out = await (step as (i: any) => Promise<unknown>)(event);
    logger.info('approval step', { step: event.step, proposalId: event.proposalId ?? event.assignmentId, ms: Date.now() - started });
    return out;
  } catch (e) {
    logger.warn('approval step failed', { step: event.step, proposalId: event.proposalId ?? event.assignmentId, error: (e as Error).name, message: (e as Error).message });
    throw e;
  }
}

// The approval flow's step inputs, as statemachines/approval.asl.json builds them (each Task's
// Parameters, or its Payload for the waitForTaskToken tasks). One zod schema per step, discriminated
// on `step`: flow-handler.ts parses the input before dispatch, so a definition that drifts from the
// code is refused with a MalformedEventError naming the field, not run with `undefined` in it.
import * as z from 'zod/mini';

const ProposalId = z.string().check(z.minLength(1), z.maxLength(64));
const AssignmentId = z.string().check(z.minLength(1), z.maxLength(128));
const Round = z.number().check(z.int(), z.minimum(1));
const Seconds = z.number().check(z.minimum(0));
/** The execution's own input ({proposalId, round}, approval/sfn.ts) carried into the step. */
const ofRound = { proposalId: ProposalId, round: Round };
const TaskToken = z.string().check(z.minLength(1), z.maxLength(4096));

export const FlowStepSchema = z.discriminatedUnion('step', [
  z.strictObject({ step: z.literal('check'), ...ofRound }),
  z.strictObject({ step: z.literal('autoApprove'), ...ofRound }),
  z.strictObject({ step: z.literal('assign'), ...ofRound }),
  // CollectReviews' Map: one iteration per slot ($$.Map.Item.Value of $.panel.slots)
  z.strictObject({ step: z.literal('prepareReview'), ...ofRound, slot: z.number().check(z.int(), z.minimum(0)) }),
  z.strictObject({ step: z.literal('awaitReview'), assignmentId: AssignmentId, taskToken: TaskToken }),
  z.strictObject({ step: z.literal('remind'), assignmentId: AssignmentId }),
  z.strictObject({ step: z.literal('reviewTimedOut'), assignmentId: AssignmentId }),
  z.strictObject({ step: z.literal('aggregate'), ...ofRound, minReviews: z.number().check(z.int(), z.minimum(0)) }),
  z.strictObject({ step: z.literal('awaitDecision'), ...ofRound, decisionDeadlineSeconds: Seconds, taskToken: TaskToken }),
  z.strictObject({ step: z.literal('decisionTimedOut'), ...ofRound }),
  z.strictObject({ step: z.literal('award'), ...ofRound }),
  // the Catch's ResultPath $.error: Step Functions' {Error, Cause}
  z.strictObject({ step: z.literal('recordError'), ...ofRound, error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })) }),
]);

export type FlowStep = z.infer<typeof FlowStepSchema>;
export type FlowStepName = FlowStep['step'];

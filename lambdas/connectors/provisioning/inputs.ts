// The provisioning flow's step inputs, as statemachines/provisioning.asl.json builds them: every
// Task's Payload (or, for the Map's "Converge account", its ItemSelector) carries the event read by
// "Read event" ({allocationId, eventType, eventId}) and the step's own fields. handler.ts parses the
// input against this union before dispatch; a mismatch is a MalformedEventError (to Step Functions:
// Connector.Permanent, not retried, caught into "Mark provisioning failed").
import * as z from 'zod/mini';

const CHANGE_ACTIONS = ['create-account', 'set-limits', 'add-member', 'remove-member', 'block', 'unblock'] as const;
/** A resource key, site/resource ("spc/h200"), as plan returns them from the stage config. */
const ResourceKey = z.string().check(z.maxLength(130), z.regex(/^[^/\s]+\/[^/\s]+$/));

const event = {
  allocationId: z.string().check(z.minLength(1), z.maxLength(64)),
  /** The domain event's detail-type (events.ts PROVISIONING_EVENT_TYPES, or the reconciler's). */
  eventType: z.string().check(z.minLength(1), z.maxLength(128)),
  /** The EventBridge event's id: the audit request id of what the flow writes. */
  eventId: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
};

/** One "Converge account" iteration's result, as its ResultSelector keeps it (steps.ts apply). */
const Applied = z.object({
  resourceKey: z.string(),
  siteId: z.string(),
  account: z.string(),
  exists: z.boolean(),
  changes: z.array(z.object({ account: z.string(), action: z.enum(CHANGE_ACTIONS), detail: z.optional(z.record(z.string(), z.unknown())) })),
  deferred: z.array(z.object({ action: z.enum(CHANGE_ACTIONS), user: z.optional(z.string()), reason: z.string() })),
});

export const StepInputSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('plan'), ...event }),
  z.strictObject({ action: z.literal('apply'), ...event, resourceKey: ResourceKey }),
  z.strictObject({ action: z.literal('record'), ...event, applied: z.array(Applied) }),
  // the Catch's ResultPath $.failure: Step Functions' {Error, Cause}
  z.strictObject({ action: z.literal('fail'), ...event, failure: z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }) }),
]);

export type StepInput = z.infer<typeof StepInputSchema>;
const FlowEventSchema = z.object(event);
export type FlowEvent = z.infer<typeof FlowEventSchema>;

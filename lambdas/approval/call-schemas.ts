// The calls' schemas: a call's strict bodies (its tiers and reviewer pool) and its view (api-schemas.ts says why apart).
import * as z from 'zod/mini';
import { CALL_KINDS, ORG_TYPES } from '../domain/approval/model';
import { RESOURCE_KEY, Credits, SUB, text, Field, Reason, ORG_ID } from './api-schemas';

// ---- calls ------------------------------------------------------------------------------------

export const PoolReviewerSchema = z.strictObject({
  sub: SUB,
  name: text(1, 200),
  email: z.optional(z.email()),
  institution: text(2, 200),
  /** identity: the reviewer's organisation in the registry; a PI of the same org is a conflict. */
  orgId: z.optional(ORG_ID),
  fields: z.array(Field).check(z.minLength(1), z.maxLength(20)),
  maxLoad: z.int().check(z.minimum(1), z.maximum(100)),
});

export const TiersSchema = z.strictObject({
  starter: z.strictObject({ maxCredits: z.number().check(z.nonnegative(), z.maximum(1e9)) }),
  standard: z.strictObject({
    maxCredits: Credits,
    reviewers: z.optional(z.int().check(z.minimum(2), z.maximum(10))),
    minReviews: z.optional(z.int().check(z.minimum(2), z.maximum(10))),
  }),
  flagship: z.optional(
    z.strictObject({
      reviewers: z.optional(z.int().check(z.minimum(3), z.maximum(15))),
      minReviews: z.optional(z.int().check(z.minimum(2), z.maximum(15))),
    }),
  ),
});

const callFields = {
  title: text(3, 200),
  description: z.optional(text(0, 5000)),
  kind: z.optional(z.enum(CALL_KINDS)),
  opensAt: z.iso.datetime({ offset: true }),
  closesAt: z.iso.datetime({ offset: true }),
  capacity: z.record(RESOURCE_KEY, Credits),
  tiers: TiersSchema,
  eligibleOrgTypes: z.array(z.enum(ORG_TYPES)).check(z.minLength(1), z.maxLength(ORG_TYPES.length)),
  maxRequestCredits: Credits,
  fairnessFloors: z.optional(z.partialRecord(z.enum(ORG_TYPES), z.number().check(z.minimum(0), z.maximum(1)))),
  /** people: a starter call that admits only people who completed a qualifying course. */
  trainedOnly: z.optional(z.boolean()),
  reviewerPool: z.array(PoolReviewerSchema).check(z.maxLength(500)),
  reviewDeadlineHours: z.int().check(z.minimum(1), z.maximum(24 * 180)),
  decisionDeadlineDays: z.optional(z.int().check(z.minimum(1), z.maximum(365))),
};

export const CreateCallBody = z.strictObject(callFields);
export type CreateCallBody = z.infer<typeof CreateCallBody>;
export const UpdateCallBody = z.strictObject({
  title: z.optional(callFields.title),
  description: callFields.description,
  opensAt: z.optional(callFields.opensAt),
  closesAt: z.optional(callFields.closesAt),
  capacity: z.optional(callFields.capacity),
  tiers: z.optional(callFields.tiers),
  eligibleOrgTypes: z.optional(callFields.eligibleOrgTypes),
  maxRequestCredits: z.optional(callFields.maxRequestCredits),
  fairnessFloors: callFields.fairnessFloors,
  trainedOnly: callFields.trainedOnly, // people
  reviewerPool: z.optional(callFields.reviewerPool),
  reviewDeadlineHours: z.optional(callFields.reviewDeadlineHours),
  decisionDeadlineDays: callFields.decisionDeadlineDays,
  reason: z.optional(Reason),
});
export type UpdateCallBody = z.infer<typeof UpdateCallBody>;

const ResourceCapacity = z.object({ resource: z.string(), capacity: z.number(), awarded: z.number(), remaining: z.number() });

export const CallView = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  kind: z.enum(CALL_KINDS),
  opensAt: z.string(),
  closesAt: z.string(),
  status: z.enum(['upcoming', 'open', 'closed']),
  capacity: z.array(ResourceCapacity),
  tiers: z.object({
    starter: z.object({ maxCredits: z.number() }),
    standard: z.object({ maxCredits: z.number(), reviewers: z.number(), minReviews: z.number() }),
    flagship: z.object({ maxCredits: z.number(), reviewers: z.number(), minReviews: z.number() }),
  }),
  eligibleOrgTypes: z.array(z.string()),
  maxRequestCredits: z.number(),
  fairnessFloors: z.record(z.string(), z.number()),
  trainedOnly: z.boolean(),
  reviewDeadlineHours: z.number(),
  decisionDeadlineDays: z.number(),
  /** Admins, chairs and auditors only. */
  reviewerPool: z.optional(z.array(z.object({ sub: z.string(), name: z.string(), email: z.optional(z.string()), institution: z.string(), orgId: z.optional(z.string()), fields: z.array(z.string()), maxLoad: z.number() }))),
  awardedByOrgType: z.optional(z.record(z.string(), z.record(z.string(), z.number()))),
  createdAt: z.string(),
  updatedAt: z.string(),
});

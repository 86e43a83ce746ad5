// Reviews' and decisions' schemas: a review's and a decision's strict bodies and their views (api-schemas.ts says why apart).
import * as z from 'zod/mini';
import { ASSIGNMENT_STATUSES, CRITERIA, PROPOSAL_STATES, REVIEW_RECOMMENDATIONS } from '../domain/approval/model';
import { RESOURCE_KEY, Credits, text, Reason, Score, ScoreSummaryView, DecisionView } from './api-schemas';

const ScoresSchema = z.strictObject(Object.fromEntries(CRITERIA.map((c) => [c, Score])) as Record<(typeof CRITERIA)[number], typeof Score>);

const AnonymousReview = z.object({
  reviewer: z.string(),
  scores: z.record(z.string(), z.number()),
  comments: z.string(),
  recommendation: z.enum(REVIEW_RECOMMENDATIONS),
  submittedAt: z.string(),
});

export const DecisionResponse = z.object({
  proposalId: z.string(),
  state: z.enum(PROPOSAL_STATES),
  decision: z.nullable(DecisionView),
  reviewSummary: z.nullable(ScoreSummaryView),
  reviews: z.array(AnonymousReview),
  allocationId: z.nullable(z.string()),
});

export const AssignmentView = z.object({
  assignmentId: z.string(),
  proposalId: z.string(),
  callId: z.string(),
  title: z.optional(z.string()),
  field: z.optional(z.string()),
  round: z.number(),
  status: z.enum(ASSIGNMENT_STATUSES),
  assignedAt: z.string(),
  deadline: z.string(),
  remindedAt: z.optional(z.string()),
  closedAt: z.optional(z.string()),
  closeReason: z.optional(z.string()),
  review: z.optional(z.record(z.string(), z.unknown())),
});

export const StaffReview = z.object({
  assignmentId: z.string(),
  reviewerSub: z.string(),
  reviewerName: z.optional(z.string()),
  round: z.number(),
  slot: z.number(),
  status: z.enum(ASSIGNMENT_STATUSES),
  origin: z.string(),
  assignedAt: z.string(),
  deadline: z.string(),
  closeReason: z.optional(z.string()),
  review: z.optional(z.record(z.string(), z.unknown())),
});

export const ReviewBody = z.strictObject({
  scores: ScoresSchema,
  comments: text(20, 10_000),
  confidentialComments: z.optional(text(0, 5000)),
  recommendation: z.enum(REVIEW_RECOMMENDATIONS),
});
export type ReviewBody = z.infer<typeof ReviewBody>;

export const DecisionBody = z.discriminatedUnion('decision', [
  z.strictObject({ decision: z.literal('approve'), credits: z.record(RESOURCE_KEY, Credits), reason: Reason }),
  z.strictObject({ decision: z.literal('reject'), reason: Reason }),
  z.strictObject({ decision: z.literal('revise'), reason: Reason }),
]);
export type DecisionBody = z.infer<typeof DecisionBody>;

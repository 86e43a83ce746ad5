// The approval API's schemas: strict request bodies and the response views of calls, proposals,
// reviews and decisions. The routes that use them are in api.ts; the handlers import the body
// types from either.
import * as z from 'zod/mini';
import { AffiliationView } from '../identity'; // identity
import { ASSIGNMENT_STATUSES, CALL_KINDS, CRITERIA, DECISION_OUTCOMES, FLOW_STAGES, INTERCONNECT_NEEDS, ORG_TYPES, PRECISIONS, PROPOSAL_STATES, PURPOSES, REVIEW_RECOMMENDATIONS, TEAM_ROLES, TIERS } from '../domain/approval/model';

// ---- building blocks ------------------------------------------------------------------------

const RESOURCE_KEY = z.string().check(z.regex(/^[a-z][a-z0-9-]{1,30}\/[a-z][a-z0-9-]{1,30}$/));
const Credits = z.number().check(z.positive(), z.maximum(1e9));
export const ID = z.string().check(z.regex(/^[a-z]+-[0-9a-z]{26}$/));
export const SUB = z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[^\s,]+$/));
// ---- site accounts ----
/** Declared only so that an attempt to choose a scheduler user is refused by name and audited (logins are site accounts). */
const USERNAME = z.string().check(z.maxLength(256));
// ---- end site accounts ----
const text = (min: number, max: number) => z.string().check(z.trim(), z.minLength(min), z.maxLength(max));
const Field = z.string().check(z.trim(), z.minLength(2), z.maxLength(100), z.regex(/^[A-Za-z0-9][A-Za-z0-9 ,&()/'.-]*$/));
export const Reason = text(3, 2000);
const Score = z.int().check(z.minimum(1), z.maximum(5));
// ---- identity ----
const ORG_ID = z.string().check(z.regex(/^[a-z][a-z0-9-]{1,40}$/));
// ---- end identity ----
const CATALOGUE_ID = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/));

export const CallIdParams = z.strictObject({ callId: ID });
export const ProposalParams = z.strictObject({ id: ID });

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
  reviewDeadlineHours: z.number(),
  decisionDeadlineDays: z.number(),
  /** Admins, chairs and auditors only. */
  reviewerPool: z.optional(z.array(z.object({ sub: z.string(), name: z.string(), email: z.optional(z.string()), institution: z.string(), orgId: z.optional(z.string()), fields: z.array(z.string()), maxLoad: z.number() }))),
  awardedByOrgType: z.optional(z.record(z.string(), z.record(z.string(), z.number()))),
  createdAt: z.string(),
  updatedAt: z.string(),
});

// ---- proposals --------------------------------------------------------------------------------

export const TeamMemberSchema = z.strictObject({
  name: text(1, 200),
  email: z.email(),
  institution: text(2, 200),
  role: z.enum(TEAM_ROLES),
  sub: z.optional(SUB),
  username: z.optional(USERNAME),
});

export const WorkloadSchema = z.strictObject({
  purpose: z.enum(PURPOSES),
  modelParameters: z.optional(z.number().check(z.positive(), z.maximum(1e14))),
  precision: z.enum(PRECISIONS),
  dataset: z.strictObject({
    sizeGB: z.number().check(z.nonnegative(), z.maximum(1e9)),
    location: z.union([z.strictObject({ siteId: z.string().check(z.regex(/^[a-z][a-z0-9-]{1,30}$/)) }), z.strictObject({ uri: z.url() })]),
  }),
  memoryPerGpuGB: z.number().check(z.positive(), z.maximum(10_000)),
  interconnect: z.enum(INTERCONNECT_NEEDS),
  nodes: z.optional(z.int().check(z.minimum(1), z.maximum(100_000))),
  trainingTokens: z.optional(z.number().check(z.positive(), z.maximum(1e17))),
  inferenceTokens: z.optional(z.number().check(z.positive(), z.maximum(1e17))),
  totalPflop: z.optional(z.number().check(z.positive(), z.maximum(1e12))),
});

const NeededSchema = z.strictObject({ name: text(1, 200), catalogueId: z.optional(CATALOGUE_ID), uri: z.optional(z.url()) });

export const PiSchema = z.strictObject({
  name: text(1, 200),
  email: z.email(),
  /** A display name: the organisation KAIRR uses is the one the PI's verified claims match in the registry. */
  institution: text(2, 200),
  /** Declared: used only when the registry knows no organisation for the PI, and flagged to the chair. */
  orgType: z.enum(ORG_TYPES),
  // ---- identity ----
  /** The registry org to apply for, when the PI's verified claims match several (it must be one of them). */
  orgId: z.optional(ORG_ID),
  // ---- end identity ----
  /** Refused (400 scheduler_user_not_selectable, audited): the PI's logins are site accounts, which the sites create. */
  username: z.optional(USERNAME),
});

const proposalFields = {
  title: text(5, 200),
  abstract: text(50, 5000),
  field: Field,
  pi: PiSchema,
  team: z.array(TeamMemberSchema).check(z.maxLength(50)),
  workload: WorkloadSchema,
  credits: z.record(RESOURCE_KEY, Credits),
  /** Let KAIRR fill `credits` from the workload profile (the recommender). */
  recommend: z.boolean(),
  tier: z.enum(TIERS),
  durationMonths: z.int().check(z.minimum(1), z.maximum(36)),
  datasets: z.array(NeededSchema).check(z.maxLength(50)),
  models: z.array(NeededSchema).check(z.maxLength(50)),
  justification: text(50, 10_000),
};

const ProposalFields = z.strictObject(proposalFields);
/** A draft may be incomplete; whatever it holds is validated strictly. */
export const CreateProposalBody = z.extend(z.partial(ProposalFields), { callId: ID, title: proposalFields.title });
export type CreateProposalBody = z.infer<typeof CreateProposalBody>;
export const UpdateProposalBody = z.partial(ProposalFields);
export type UpdateProposalBody = z.infer<typeof UpdateProposalBody>;

const ScoresSchema = z.strictObject(Object.fromEntries(CRITERIA.map((c) => [c, Score])) as Record<(typeof CRITERIA)[number], typeof Score>);

export const ScoreSummaryView = z.object({
  count: z.number(),
  minReviews: z.number(),
  quorum: z.boolean(),
  means: z.record(z.string(), z.number()),
  overall: z.number(),
  spread: z.number(),
  recommendations: z.record(z.string(), z.number()),
});

const DecisionView = z.object({
  round: z.number(),
  outcome: z.enum(DECISION_OUTCOMES),
  credits: z.optional(z.record(z.string(), z.number())),
  reason: z.string(),
  decidedAt: z.string(),
  automatic: z.boolean(),
});

export const ProposalView = z.object({
  id: z.string(),
  callId: z.string(),
  state: z.enum(PROPOSAL_STATES),
  stage: z.optional(z.enum(FLOW_STAGES)),
  round: z.number(),
  tier: z.optional(z.enum(TIERS)),
  requestedTier: z.optional(z.enum(TIERS)),
  title: z.string(),
  abstract: z.optional(z.string()),
  field: z.optional(z.string()),
  pi: z.optional(z.object({ name: z.string(), email: z.string(), institution: z.string(), orgType: z.string(), username: z.optional(z.string()), affiliation: z.optional(AffiliationView) })),
  /** identity: staff only; why the PI's affiliation counts towards no fairness floor, or differs from what they declared. */
  affiliationFlags: z.optional(z.array(z.object({ code: z.string(), message: z.string() }))),
  ownerSub: z.optional(z.string()),
  team: z.array(z.record(z.string(), z.unknown())),
  workload: z.optional(z.record(z.string(), z.unknown())),
  credits: z.record(z.string(), z.number()),
  totalCredits: z.number(),
  recommend: z.optional(z.boolean()),
  recommendation: z.optional(z.object({ resource: z.string(), credits: z.number(), generatedAt: z.string(), basis: z.array(z.string()) })),
  durationMonths: z.optional(z.number()),
  datasets: z.array(z.record(z.string(), z.unknown())),
  models: z.array(z.record(z.string(), z.unknown())),
  justification: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  submittedAt: z.optional(z.string()),
  checkProblems: z.optional(z.array(z.object({ path: z.string(), problem: z.string() }))),
  tierNote: z.optional(z.string()),
  reviewSummary: z.optional(ScoreSummaryView),
  decision: z.optional(DecisionView),
  allocationId: z.optional(z.string()),
  error: z.optional(z.object({ code: z.string(), message: z.string(), at: z.string() })),
  /** Chairs: they are conflicted on it (and may not decide). */
  conflicted: z.optional(z.boolean()),
});

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

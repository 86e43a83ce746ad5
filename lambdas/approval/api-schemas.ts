// The approval API's building blocks and the proposals' schemas: strict request bodies and views.
// Calls' schemas are in call-schemas.ts and reviews' and decisions' in review-schemas.ts, so that
// each of the three functions bundles only the schemas of its own routes (zod schemas are built
// when their module loads, so an unused one is not tree-shaken). api.ts re-exports all three.
import * as z from 'zod/mini';
import { CATALOGUE_REF } from '../domain/catalogue-ref';
import { AffiliationView } from '../identity'; // identity
import { DECISION_OUTCOMES, FLOW_STAGES, INTERCONNECT_NEEDS, ORG_TYPES, PRECISIONS, PROPOSAL_STATES, PURPOSES, TEAM_ROLES, TIERS } from '../domain/approval/model';

// ---- building blocks ------------------------------------------------------------------------

export const RESOURCE_KEY = z.string().check(z.regex(/^[a-z][a-z0-9-]{1,30}\/[a-z][a-z0-9-]{1,30}$/));
export const Credits = z.number().check(z.positive(), z.maximum(1e9));
export const ID = z.string().check(z.regex(/^[a-z]+-[0-9a-z]{26}$/));
export const SUB = z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[^\s,]+$/));
// ---- site accounts ----
/** Declared only so that an attempt to choose a scheduler user is refused by name and audited (logins are site accounts). */
const USERNAME = z.string().check(z.maxLength(256));
// ---- end site accounts ----
export const text = (min: number, max: number) => z.string().check(z.trim(), z.minLength(min), z.maxLength(max));
export const Field = z.string().check(z.trim(), z.minLength(2), z.maxLength(100), z.regex(/^[A-Za-z0-9][A-Za-z0-9 ,&()/'.-]*$/));
export const Reason = text(3, 2000);
export const Score = z.int().check(z.minimum(1), z.maximum(5));
// ---- identity ----
export const ORG_ID = z.string().check(z.regex(/^[a-z][a-z0-9-]{1,40}$/));
// ---- end identity ----
export const CATALOGUE_ID = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/));

export const CallIdParams = z.strictObject({ callId: ID });
export const ProposalParams = z.strictObject({ id: ID });

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

/** A data hub entry: `kairr:<artifactId>@<version>`, or the artifact alone for its latest version (resolved on write: catalogue-links.ts). */
const CATALOGUE_REF_FIELD = z.string().check(z.refine((s) => CATALOGUE_REF.test(s), { error: 'must be a catalogue reference, kairr:<artifactId>@<version> (or kairr:<artifactId> for its latest version)' }));
const NeededSchema = z.strictObject({ name: text(1, 200), catalogueId: z.optional(CATALOGUE_REF_FIELD), uri: z.optional(z.url()) });
/** A needed dataset or model as shown, with what its catalogue id resolved to when the proposal was last written. */
const NeededView = z.object({
  name: z.string(),
  catalogueId: z.optional(z.string()),
  uri: z.optional(z.string()),
  catalogue: z.optional(
    z.object({ ref: z.string(), artifactId: z.string(), version: z.string(), kind: z.string(), title: z.object({ ko: z.optional(z.string()), en: z.optional(z.string()) }), accessLevel: z.string(), sites: z.array(z.string()) }),
  ),
});

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

export const ScoreSummaryView = z.object({
  count: z.number(),
  minReviews: z.number(),
  quorum: z.boolean(),
  means: z.record(z.string(), z.number()),
  overall: z.number(),
  spread: z.number(),
  recommendations: z.record(z.string(), z.number()),
});

export const DecisionView = z.object({
  round: z.number(),
  outcome: z.enum(DECISION_OUTCOMES),
  credits: z.optional(z.record(z.string(), z.number())),
  reason: z.string(),
  decidedAt: z.string(),
  automatic: z.boolean(),
  /** people: a starter approval reached through training, with the certificate it rests on. */
  via: z.optional(z.object({ kind: z.literal('training'), certificateId: z.string(), courseId: z.string() })),
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
  datasets: z.array(NeededView),
  models: z.array(NeededView),
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

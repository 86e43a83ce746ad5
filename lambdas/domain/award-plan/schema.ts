// The committee's award-plan request: a call's capacity, its fairness floors, the minimum viable
// fraction and the reviewed proposals. Strict zod/mini schemas with their inferred types next to
// them, so the API layer validates with these and generates OpenAPI from the same source.
import * as z from 'zod/mini';

/** The org types a fairness floor may reserve capacity for. */
export const FLOOR_ORG_TYPES = ['university', 'research-institute', 'sme', 'startup', 'enterprise', 'public-agency'] as const;
/**
 * A proposal's org type in a plan: a floor type, or "unverified": its PI's affiliation is not
 * verified in the organisation registry, so its award counts towards no floor (it has none).
 */
export const ORG_TYPES = [...FLOOR_ORG_TYPES, 'unverified'] as const;
export const OrgTypeSchema = z.enum(ORG_TYPES);
export type OrgType = z.infer<typeof OrgTypeSchema>;
const FloorOrgTypeSchema = z.enum(FLOOR_ORG_TYPES);

/** "spc/h200": the key used wherever credits are counted per resource (catalogue.resourceKey). */
export const ResourceKeySchema = z.string().check(z.regex(/^[a-z][a-z0-9-]{1,30}\/[a-z][a-z0-9-]{1,30}$/));

const Credits = z.number().check(z.nonnegative());
const Fraction = z.number().check(z.gte(0), z.lte(1));

export const AwardProposalSchema = z.strictObject({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  orgType: OrgTypeSchema,
  /** Aggregated review score, 1 (poor) to 5 (excellent). */
  score: z.number().check(z.gte(1), z.lte(5)),
  /** Credits requested per resource key; every key must be one the call offers. */
  requested: z.record(ResourceKeySchema, Credits),
  /** Overrides the call's minimum viable fraction for this proposal. */
  minViableFraction: z.optional(Fraction),
});
export type AwardProposal = z.infer<typeof AwardProposalSchema>;

export const AwardPlanInputSchema = z.strictObject({
  callId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  /** The call's capacity per resource key, in credits. */
  capacity: z.record(ResourceKeySchema, Credits),
  /**
   * Fairness floors: per org type, the smallest share (0..1) of the call's TOTAL capacity (all
   * resources together) reserved for it, honoured as far as that org type's requests allow.
   */
  floors: z.partialRecord(FloorOrgTypeSchema, Fraction),
  /**
   * A funded proposal receives at least this fraction of EACH line it requested, or nothing at
   * all (0 = any amount is viable, 1 = all or nothing).
   */
  minViableFraction: Fraction,
  proposals: z.array(AwardProposalSchema).check(z.maxLength(200_000)),
});
export type AwardPlanInput = z.infer<typeof AwardPlanInputSchema>;

export const SolverSettingsSchema = z.strictObject({
  /** Relative MIP gap at which HiGHS may stop; 0 asks for proven optimality. */
  mipRelGap: z.optional(z.number().check(z.gte(0), z.lte(0.1))),
  /** Wall-clock safety net. A plan cut short by it is flagged as not reproducible. */
  timeLimitSeconds: z.optional(z.number().check(z.positive(), z.lte(3600))),
  /** `full`: one MIP over every proposal; `core`: provably exact reduction (see docs); `auto` picks by size. */
  method: z.optional(z.enum(['auto', 'full', 'core'])),
});
export type SolverSettings = z.infer<typeof SolverSettingsSchema>;

/** A chair's override of one plan line (docs/domain.md: the chair decides, the optimiser recommends). */
export const AwardOverrideSchema = z.strictObject({
  proposalId: z.string().check(z.minLength(1), z.maxLength(128)),
  resourceKey: ResourceKeySchema,
  credits: Credits,
  reason: z.string().check(z.minLength(1), z.maxLength(2000)),
});
export type AwardOverride = z.infer<typeof AwardOverrideSchema>;

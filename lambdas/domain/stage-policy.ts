// The stage's policy block (config/<stage>.json "policy"): thresholds, defaults and limits that the
// capabilities' rules read at run time (lambdas/shared/config.ts). Part of the stage configuration
// schema (lib/config/schema.ts composes it); defined here, in the domain, so that the Lambdas name
// its type without importing the CDK app's code.
import * as z from 'zod/mini';
import { DEFAULT_IDLE_RULE, IdleRuleSchema } from './accountability/policy'; // accountability

export const StagePolicySchema = z._default(
  z.strictObject({
    overdraftCredits: z._default(z.number().check(z.nonnegative()), 0),
    exchangeAutoApproveCredits: z._default(z.number().check(z.nonnegative()), 1000),
    supplementAutoApproveCredits: z._default(z.number().check(z.nonnegative()), 500),
    extensionAutoApproveDays: z._default(z.int().check(z.nonnegative()), 30),
    usageCollectionIntervalMinutes: z._default(z.int().check(z.positive()), 2),
    maxJobScriptBytes: z._default(z.int().check(z.positive()), 65536),
    // ---- connectors ----
    /** Job dispatch: 'time-limit' = the balance must cover GPUs x nodes x time limit at the rate; 'none' = no check (the scheduler's budget still applies). */
    dispatchBalanceCheck: z._default(z.enum(['time-limit', 'none']), 'time-limit'),
    /** Working directory of dispatched jobs when the request names none; "{user}" is replaced by the member's scheduler user name. */
    jobWorkingDirectory: z._default(z.string().check(z.regex(/^\/[^\0]*$/)), '/tmp'),
    /** How often each site's reconciler compares KAIRR with the scheduler and repairs drift. */
    reconcileIntervalMinutes: z._default(z.int().check(z.positive()), 15),
    /** Accounts under the parent account that no allocation owns: only report them, or also block them. */
    reconcileOrphans: z._default(z.enum(['report', 'block']), 'report'),
    // ---- end connectors ----
    // ---- self-service limits ----
    /** The period over which automatic approvals add up per allocation (calendar, UTC). */
    autoApprovePeriod: z._default(z.enum(['month', 'quarter', 'year']), 'quarter'),
    /** Credits of supplements approved automatically per allocation and period; past it the chair decides. */
    supplementAutoApproveCreditsPerPeriod: z._default(z.number().check(z.nonnegative()), 500),
    /** Days of extensions approved automatically per allocation and period. */
    extensionAutoApproveDaysPerPeriod: z._default(z.int().check(z.nonnegative()), 30),
    /**
     * Members per allocation. The allocation item is rewritten on every ledger commit (DynamoDB
     * items ≤ 400 KB) and an award writes one member index item per member in its transaction
     * (≤ 100 items), so at most 90.
     */
    maxMembersPerAllocation: z._default(z.int().check(z.minimum(1), z.maximum(90)), 50),
    // ---- end self-service limits ----
    // ---- approval: defaults a call may override ----
    approval: z._default(
      z.strictObject({
        standardReviewers: z._default(z.int().check(z.minimum(2), z.maximum(10)), 2),
        flagshipReviewers: z._default(z.int().check(z.minimum(3), z.maximum(15)), 4),
        flagshipMinReviews: z._default(z.int().check(z.minimum(2), z.maximum(15)), 3),
        decisionDeadlineDays: z._default(z.int().check(z.minimum(1), z.maximum(365)), 30),
        // ---- people: completion opens the door ----
        /**
         * What completing a course that qualifies for starter access opens (docs/approval.md,
         * "Training and the starter tier"): 'admit' = starter calls marked trainedOnly admit the
         * trained (and only them); 'fast-track' = that, and a trained researcher's starter proposal
         * is approved automatically even when the call's eligibleOrgTypes leave their org type out;
         * 'off' = training opens nothing (a trainedOnly call admits no one). The default changes
         * nothing for anyone without training.
         */
        trainingStarter: z._default(z.enum(['admit', 'fast-track', 'off']), 'fast-track'),
        // ---- end people ----
      }),
      { standardReviewers: 2, flagshipReviewers: 4, flagshipMinReviews: 3, decisionDeadlineDays: 30, trainingStarter: 'fast-track' },
    ),
    // ---- end approval ----
    // ---- people: mentoring priority for SME and startup mentees ----
    people: z._default(
      z.strictObject({
        /** Org types whose mentees may take the places held for priority. */
        priorityOrgTypes: z._default(z.array(z.enum(['university', 'research-institute', 'sme', 'startup', 'enterprise', 'public-agency'])).check(z.maxLength(6)), ['sme', 'startup']),
        /** Share of each mentor's capacity held for priority mentees (floor of capacity x share; 0 = no priority). */
        heldShare: z._default(z.number().check(z.minimum(0), z.maximum(1)), 0.25),
      }),
      { priorityOrgTypes: ['sme', 'startup'], heldShare: 0.25 },
    ),
    // ---- end people ----
    // ---- accountability: the public record's edge caching and throttling; the default idle rule ----
    accountability: z._default(
      z.strictObject({
        /** Seconds the public record may be cached by browsers and at the edge (Cache-Control). */
        publicCacheSeconds: z._default(z.int().check(z.minimum(0), z.maximum(86_400)), 300),
        /** API Gateway method throttling of each public route: steady requests per second, and burst. */
        publicThrottleRateLimit: z._default(z.number().check(z.positive()), 20),
        publicThrottleBurstLimit: z._default(z.int().check(z.positive()), 40),
        /** An organisation's region until the organisation registry states it: institution → region. */
        regions: z._default(z.record(z.string().check(z.minLength(1)), z.string().check(z.minLength(1), z.maxLength(60))), {}),
        /** The idle rule of allocations whose call sets no accountability policy. */
        idle: z._default(IdleRuleSchema, DEFAULT_IDLE_RULE),
      }),
      { publicCacheSeconds: 300, publicThrottleRateLimit: 20, publicThrottleBurstLimit: 40, regions: {}, idle: DEFAULT_IDLE_RULE },
    ),
    // ---- end accountability ----
  }),
  {
    overdraftCredits: 0,
    exchangeAutoApproveCredits: 1000,
    supplementAutoApproveCredits: 500,
    extensionAutoApproveDays: 30,
    usageCollectionIntervalMinutes: 2,
    maxJobScriptBytes: 65536,
    dispatchBalanceCheck: 'time-limit',
    jobWorkingDirectory: '/tmp',
    reconcileIntervalMinutes: 15,
    reconcileOrphans: 'report',
    autoApprovePeriod: 'quarter',
    supplementAutoApproveCreditsPerPeriod: 500,
    extensionAutoApproveDaysPerPeriod: 30,
    maxMembersPerAllocation: 50,
    approval: { standardReviewers: 2, flagshipReviewers: 4, flagshipMinReviews: 3, decisionDeadlineDays: 30, trainingStarter: 'fast-track' },
    people: { priorityOrgTypes: ['sme', 'startup'], heldShare: 0.25 }, // people
    // ---- accountability ----
    accountability: { publicCacheSeconds: 300, publicThrottleRateLimit: 20, publicThrottleBurstLimit: 40, regions: {}, idle: DEFAULT_IDLE_RULE },
    // ---- end accountability ----
  },
);

export type StagePolicy = z.infer<typeof StagePolicySchema>;

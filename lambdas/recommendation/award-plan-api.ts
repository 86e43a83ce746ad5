// The committee's award plan: an LP/MIP (HiGHS) over a call's reviewed proposals that maximises
// score-weighted credits within capacity and the fairness floors. The chair sees it, may override
// any line with a reason (audited); plan, inputs and overrides are stored so anyone can re-run it.
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { SolverSettingsSchema } from '../domain/award-plan';

const CallParams = z.strictObject({ callId: z.string().check(z.minLength(1), z.maxLength(64)) });
const PlanParams = z.strictObject({ callId: z.string().check(z.minLength(1), z.maxLength(64)), planId: z.string().check(z.minLength(1), z.maxLength(64)) });

const PlanView = z.object({
  planId: z.string(),
  callId: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  input: z.record(z.string(), z.unknown()),
  settings: z.record(z.string(), z.unknown()),
  plan: z.record(z.string(), z.unknown()),
  overrides: z.array(z.object({ proposalId: z.string(), resourceKey: z.string(), credits: z.number(), reason: z.string(), by: z.string(), at: z.string() })),
  /** A chair's view: how many proposals they are conflicted on are left out (their lines, scores and overrides). */
  masked: z.optional(z.number()),
});

export const awardPlanApi = defineApi({
  createAwardPlan: {
    method: 'POST',
    path: '/v1/calls/{callId}/award-plan',
    tag: 'recommendation',
    summary: "Computes a recommended award per proposal and resource from the call's reviewed proposals",
    description:
      "Maximises review-score-weighted credits within each resource's remaining capacity, honouring the fairness floors per org type; each proposal gets at least its minimum viable fraction of each line it asked for, or nothing. Each outcome names its binding constraint and, where meaningful, the shadow price. Infeasible floors give a 422 naming them.",
    auth: ['chair', 'admin'],
    params: CallParams,
    body: z.strictObject({
      minViableFraction: z.optional(z.number().check(z.gte(0), z.lte(1))),
      settings: z.optional(SolverSettingsSchema),
      /** Plan only these proposals (default: every proposal of the call that is awaiting a decision with its reviews in). */
      proposalIds: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(200_000))),
    }),
    responses: { 201: { description: 'The stored plan', schema: PlanView }, ...ERROR_RESPONSES, 422: { description: 'Infeasible fairness floors (named), or nothing to plan', schema: ErrorSchema } },
  },
  listAwardPlans: {
    method: 'GET',
    path: '/v1/calls/{callId}/award-plans',
    tag: 'recommendation',
    summary: "The call's stored award plans, newest first",
    description: 'Summaries, `limit` per page (default 50, at most 200); pass the returned `nextToken` for the next page.',
    auth: ['chair', 'admin', 'auditor'],
    params: CallParams,
    query: z.strictObject({ limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'Plans (summaries)', schema: z.object({ items: z.array(z.record(z.string(), z.unknown())), nextToken: z.optional(z.string()) }) }, ...ERROR_RESPONSES },
  },
  getAwardPlan: {
    method: 'GET',
    path: '/v1/calls/{callId}/award-plans/{planId}',
    tag: 'recommendation',
    summary: 'One stored plan with its exact inputs, solver settings and the overrides applied',
    auth: ['chair', 'admin', 'auditor'],
    params: PlanParams,
    responses: { 200: { description: 'The plan', schema: PlanView }, ...ERROR_RESPONSES, 404: { description: 'No such plan', schema: ErrorSchema } },
  },
  overrideAwardPlan: {
    method: 'POST',
    path: '/v1/calls/{callId}/award-plans/{planId}/overrides',
    tag: 'recommendation',
    summary: 'The chair overrides one line of the plan, with a reason (audited); the plan shows any rule it now breaks. Refused (403) for a proposal the chair is conflicted on',
    auth: ['chair'],
    params: PlanParams,
    body: z.strictObject({
      proposalId: z.string().check(z.minLength(1), z.maxLength(64)),
      resourceKey: z.string().check(z.regex(/^[a-z][a-z0-9-]{1,30}\/[a-z][a-z0-9-]{1,30}$/)),
      credits: z.number().check(z.gte(0), z.lte(1e9)),
      reason: z.string().check(z.minLength(3), z.maxLength(2000)),
    }),
    responses: { 200: { description: 'The plan after the override', schema: PlanView }, ...ERROR_RESPONSES },
  },
});

// Purpose-based recommendation: a workload profile in, every resource ranked with estimates and a
// per-criterion explanation out. Deterministic: the same input (and the same queue and capacity
// snapshot) gives the same answer.
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ERROR_RESPONSES } from '../shared/http/schemas';
import { RecommendationRequestSchema } from '../domain/recommendation';

const Criterion = z.object({ score: z.number(), weight: z.number(), known: z.boolean(), detail: z.string() });

export const recommendationApi = defineApi({
  recommend: {
    method: 'POST',
    path: '/v1/recommendations',
    tag: 'recommendation',
    summary: 'Rank every resource for a workload: GPU-hours, credits, time, and why (memory, compute, cost, data locality, queue, capacity)',
    description: 'The estimation model and its calibration are documented in docs/recommendation.md.',
    // Everyone who plans or reviews work; not the auditor, who reads and exports but calls no other POST.
    auth: ['researcher', 'reviewer', 'chair', 'admin', 'site-operator'],
    body: RecommendationRequestSchema,
    responses: {
      200: {
        description: 'Resources ranked best first',
        schema: z.object({
          generatedAt: z.string(),
          workload: z.string(),
          recommended: z.nullable(z.string()),
          ranked: z.array(
            z.object({
              rank: z.number(),
              resourceKey: z.string(),
              siteId: z.string(),
              resourceId: z.string(),
              gpuModel: z.string(),
              feasible: z.boolean(),
              blockers: z.array(z.string()),
              estimate: z.nullable(z.record(z.string(), z.unknown())),
              score: z.number(),
              criteria: z.record(z.string(), Criterion),
            }),
          ),
          basis: z.array(z.string()),
          assumptions: z.record(z.string(), z.unknown()),
          context: z.object({ queueKnownFor: z.array(z.string()), openCallCapacityKnown: z.boolean() }),
        }),
      },
      ...ERROR_RESPONSES,
    },
  },
});

// The pipelines' routes: a researcher submits a pipeline (a small graph of job, transfer and
// registration stages across the sites), reads it, lists theirs, cancels it, and retries it from the
// stage that failed (docs/pipelines.md). Admins read, list, cancel and retry any pipeline.
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { CreatePipelineBody } from '../domain/pipelines/spec';
import { PIPELINE_STATES, STAGE_STATES } from '../domain/pipelines/state';

const PipelineParams = z.strictObject({ id: z.string().check(z.regex(/^pipe-[0-9a-z]{26}$/)) });

const StageErrorSchema = z.object({ code: z.string(), message: z.string(), details: z.optional(z.array(z.object({ path: z.string(), problem: z.string() }))) });

export const StageView = z.object({
  id: z.string(),
  kind: z.enum(['job', 'transfer', 'registration']),
  site: z.string(),
  dependsOn: z.array(z.string()),
  allocationId: z.optional(z.string()),
  resource: z.optional(z.string()),
  state: z.enum(STAGE_STATES),
  attempt: z.number(),
  startedAt: z.optional(z.string()),
  endedAt: z.optional(z.string()),
  /** Per attempt: the site, KAIRR's job id (GET /v1/allocations/{allocationId}/jobs/{jobId}) and the scheduler's. */
  jobs: z.array(z.object({ attempt: z.number(), site: z.string(), jobId: z.string(), schedulerJobId: z.optional(z.string()) })),
  bytesMoved: z.optional(z.number()),
  /** Who saw the job's end and recorded it: `watcher` (the site's stage watcher) or `plan` (the flow's own look, the backstop). */
  endSeenBy: z.optional(z.enum(['watcher', 'plan'])),
  /** A registration: the catalogue version it registers (picked at its first start, kept on retries). */
  registered: z.optional(z.object({ artifact: z.string(), version: z.string() })),
  error: z.optional(StageErrorSchema),
  /** The stage as submitted (only in GET /v1/pipelines/{id}). */
  spec: z.optional(z.record(z.string(), z.unknown())),
});

export const PipelineView = z.object({
  pipelineId: z.string(),
  name: z.string(),
  description: z.optional(z.string()),
  owner: z.string(),
  state: z.enum(PIPELINE_STATES),
  stoppedAt: z.optional(z.object({ stage: z.string(), state: z.enum(['failed', 'cancelled']), error: z.optional(StageErrorSchema) })),
  cancelRequested: z.boolean(),
  /** 1 for the first run; each retry is the next. */
  run: z.number(),
  executionId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.optional(z.string()),
  stages: z.array(StageView),
});

const NOT_FOUND = { description: 'No such pipeline (or not yours)', schema: ErrorSchema };
const tag = 'pipelines';

export const pipelinesApi = defineApi({
  createPipeline: {
    method: 'POST',
    path: '/v1/pipelines',
    tag,
    summary: 'A researcher submits a pipeline: stages that run at the sites, move data between them and register what they made',
    description:
      'Validated on submit against what the caller may use, every problem named with its field in one 400: cycles, unknown stages or outputs, a resource not in the allocation, an allocation the caller is not an active member of, a restricted input without a permit at the reading site, an input with no copy at the reading site and no transfer bringing it there. An Idempotency-Key is required: a retry answers as the first request did and never starts the jobs twice.',
    auth: ['researcher'],
    body: CreatePipelineBody,
    idempotent: true,
    responses: {
      201: { description: 'Created; its first run has started', schema: PipelineView },
      200: { description: 'A retry (same Idempotency-Key): the pipeline the first request created', schema: PipelineView },
      ...ERROR_RESPONSES,
      409: { description: 'The Idempotency-Key was used with another body', schema: ErrorSchema },
    },
  },
  listPipelines: {
    method: 'GET',
    path: '/v1/pipelines',
    tag,
    summary: "The caller's pipelines, newest first (an admin's list is every pipeline)",
    auth: ['researcher', 'admin'],
    query: z.strictObject({ limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of pipelines (stages without their declarations)', schema: z.object({ items: z.array(PipelineView), nextToken: z.optional(z.string()) }) }, ...ERROR_RESPONSES },
  },
  getPipeline: {
    method: 'GET',
    path: '/v1/pipelines/{id}',
    tag,
    summary: "One pipeline: its state, who stopped it and why, and each stage's state, times, attempt, jobs and bytes moved",
    auth: ['researcher', 'admin'],
    params: PipelineParams,
    responses: { 200: { description: 'The pipeline', schema: PipelineView }, ...ERROR_RESPONSES, 404: NOT_FOUND },
  },
  cancelPipeline: {
    method: 'POST',
    path: '/v1/pipelines/{id}/cancel',
    tag,
    summary: 'Cancel: no new stage starts, pending stages are cancelled, running jobs are cancelled at their sites',
    auth: ['researcher', 'admin'],
    params: PipelineParams,
    responses: {
      200: {
        description: 'The pipeline (cancelling until its sites confirm), and what each site said',
        schema: z.object({ pipeline: PipelineView, cancelledAtSites: z.array(z.object({ stage: z.string(), jobId: z.string(), result: z.enum(['cancelled', 'finished', 'unreachable']) })) }),
      },
      ...ERROR_RESPONSES,
      404: NOT_FOUND,
      409: { description: 'The pipeline has finished (pipeline_finished)', schema: ErrorSchema },
    },
  },
  retryPipeline: {
    method: 'POST',
    path: '/v1/pipelines/{id}/retry',
    tag,
    summary: 'Retry a failed or cancelled pipeline from the stage that stopped it (finished stages are not redone)',
    auth: ['researcher', 'admin'],
    params: PipelineParams,
    responses: {
      200: { description: 'The pipeline; its next run has started', schema: PipelineView },
      ...ERROR_RESPONSES,
      404: NOT_FOUND,
      409: { description: 'Only a failed or cancelled pipeline can be retried (pipeline_not_retryable)', schema: ErrorSchema },
    },
  },
});

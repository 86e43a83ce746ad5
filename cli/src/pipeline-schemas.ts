// What the CLI reads of a pipeline (lambdas/pipelines/api.ts, PipelineView): loose zod schemas
// naming only the fields `kairr pipeline` prints or acts on; the rest passes through to --json.
// cli/test/pipeline.test.ts holds the states here to the domain's and the --json output to the
// route's complete schemas.
import * as z from 'zod/mini';

/** As lambdas/domain/pipelines/state.ts names them. */
export const PIPELINE_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelling', 'cancelled'] as const;
/** The states a pipeline run ends in (`cancelling` is not one: a site is still cancelling a job). */
export const PIPELINE_END_STATES = ['succeeded', 'failed', 'cancelled'] as const;

const StageErrorSchema = z.looseObject({ code: z.string(), message: z.string(), details: z.optional(z.array(z.object({ path: z.string(), problem: z.string() }))) });
export type StageError = z.infer<typeof StageErrorSchema>;

export const PipelineStageSchema = z.looseObject({
  id: z.string(),
  kind: z.string(),
  site: z.string(),
  resource: z.optional(z.string()),
  state: z.string(),
  attempt: z.number(),
  startedAt: z.optional(z.string()),
  endedAt: z.optional(z.string()),
  jobs: z.array(z.looseObject({ attempt: z.number(), site: z.string(), jobId: z.string(), schedulerJobId: z.optional(z.string()) })),
  bytesMoved: z.optional(z.number()),
  registered: z.optional(z.looseObject({ artifact: z.string(), version: z.string() })),
  error: z.optional(StageErrorSchema),
});
export type PipelineStage = z.infer<typeof PipelineStageSchema>;

export const PipelineSchema = z.looseObject({
  pipelineId: z.string(),
  name: z.string(),
  owner: z.string(),
  state: z.string(),
  stoppedAt: z.optional(z.looseObject({ stage: z.string(), state: z.string(), error: z.optional(StageErrorSchema) })),
  cancelRequested: z.boolean(),
  run: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.optional(z.string()),
  stages: z.array(PipelineStageSchema),
});
export type Pipeline = z.infer<typeof PipelineSchema>;

export const CancelOutcomeSchema = z.looseObject({
  pipeline: PipelineSchema,
  cancelledAtSites: z.array(z.looseObject({ stage: z.string(), jobId: z.string(), result: z.string() })),
});

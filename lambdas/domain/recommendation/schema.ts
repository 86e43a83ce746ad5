// The purpose-based recommendation request: a workload profile, validated strictly at the edge.
// One strict object per workload type (a discriminated union on `workload`), so each type's
// required inputs are enforced by the schema itself and the OpenAPI document shows them as oneOf.
import * as z from 'zod/mini';

export const WORKLOAD_TYPES = ['pretraining', 'fine-tuning', 'inference', 'hpc-simulation', 'ai-for-science'] as const;
export type WorkloadType = (typeof WORKLOAD_TYPES)[number];

export const PRECISIONS = ['fp64', 'tf32', 'bf16', 'fp16', 'fp8'] as const;
export const PrecisionSchema = z.enum(PRECISIONS);
export type Precision = z.infer<typeof PrecisionSchema>;

/** `full`: every weight trained (the default: it never under-sizes); `lora`: adapters on a frozen 16-bit base; `qlora`: adapters on a 4-bit base. */
export const FINE_TUNING_METHODS = ['full', 'lora', 'qlora'] as const;
export const InterconnectNeedSchema = z.enum(['none', 'moderate', 'high']);
export type InterconnectNeed = z.infer<typeof InterconnectNeedSchema>;

const SITE_ID = /^[a-z][a-z0-9-]{1,30}$/;

export const DatasetLocationSchema = z.union([
  z.strictObject({ siteId: z.string().check(z.regex(SITE_ID)) }),
  /** A catalogue dataset; the caller resolves it to the site that holds it (context.datasetSites). */
  z.strictObject({ datasetId: z.string().check(z.minLength(1), z.maxLength(128)) }),
]);

export const DatasetSchema = z.strictObject({
  /** Decimal gigabytes (1 TB = 1000 GB). */
  sizeGB: z.number().check(z.nonnegative(), z.lte(1e9)),
  location: DatasetLocationSchema,
});

const Parameters = z.number().check(z.positive(), z.lte(1e14));
const Tokens = z.number().check(z.positive(), z.lte(1e17));
const Efficiency = z.number().check(z.gt(0), z.lte(1));

/** Fields every workload type shares. */
const common = {
  precision: PrecisionSchema,
  dataset: z.optional(DatasetSchema),
  /** Overrides the estimated memory needed per GPU, in GB, at the node count used. */
  memoryPerGpuGB: z.optional(z.number().check(z.positive(), z.lte(10_000))),
  /** Nodes the job will use; when absent the recommender picks the fewest that fit (and meet the deadline). */
  nodes: z.optional(z.int().check(z.positive(), z.lte(100_000))),
  interconnect: z.optional(InterconnectNeedSchema),
  /** The date (UTC) by which the work must be finished. */
  deadline: z.optional(z.iso.date()),
  budgetCredits: z.optional(z.number().check(z.nonnegative())),
};

export const PretrainingProfileSchema = z.strictObject({
  workload: z.literal('pretraining'),
  /** Model parameters (a count, e.g. 7e10 for 70B). */
  parameters: Parameters,
  /** Tokens processed in training (dataset tokens x epochs); compute = 6 x parameters x tokens. */
  trainingTokens: Tokens,
  ...common,
});

export const FineTuningProfileSchema = z.strictObject({
  workload: z.literal('fine-tuning'),
  parameters: Parameters,
  trainingTokens: Tokens,
  method: z.optional(z.enum(FINE_TUNING_METHODS)),
  ...common,
});

export const InferenceProfileSchema = z.strictObject({
  workload: z.literal('inference'),
  parameters: Parameters,
  /** Tokens to process and generate in total; compute = 2 x parameters x tokens. */
  inferenceTokens: Tokens,
  /** Context length per sequence, for the KV cache (default 4096). */
  contextLength: z.optional(z.int().check(z.positive(), z.lte(10_000_000))),
  /** Sequences served at once, for the KV cache (default 16). */
  concurrentSequences: z.optional(z.int().check(z.positive(), z.lte(100_000))),
  ...common,
});

export const HpcSimulationProfileSchema = z.strictObject({
  workload: z.literal('hpc-simulation'),
  /** Floating-point work of the whole campaign, in PFLOP (1e15 operations) at `precision`. */
  totalPflop: z.number().check(z.positive(), z.lte(1e12)),
  /** Memory the simulation needs across all GPUs, in GB. */
  workingSetGB: z.optional(z.number().check(z.nonnegative(), z.lte(1e9))),
  /** Sustained fraction of peak the code reaches (default 0.2). */
  efficiency: z.optional(Efficiency),
  ...common,
});

/** A trained surrogate (parameters + trainingTokens) or a compute campaign (totalPflop), or both. */
export const AiForScienceProfileSchema = z
  .strictObject({
    workload: z.literal('ai-for-science'),
    parameters: z.optional(Parameters),
    trainingTokens: z.optional(Tokens),
    totalPflop: z.optional(z.number().check(z.positive(), z.lte(1e12))),
    workingSetGB: z.optional(z.number().check(z.nonnegative(), z.lte(1e9))),
    efficiency: z.optional(Efficiency),
    ...common,
  })
  .check(
    z.refine((p) => (p.parameters !== undefined && p.trainingTokens !== undefined) || p.totalPflop !== undefined, {
      message: 'needs parameters and trainingTokens (a model to train), or totalPflop (a compute campaign)',
    }),
  );

export const WorkloadProfileSchema = z.discriminatedUnion('workload', [PretrainingProfileSchema, FineTuningProfileSchema, InferenceProfileSchema, HpcSimulationProfileSchema, AiForScienceProfileSchema]);
export type WorkloadProfile = z.infer<typeof WorkloadProfileSchema>;
export type PretrainingProfile = z.infer<typeof PretrainingProfileSchema>;
export type FineTuningProfile = z.infer<typeof FineTuningProfileSchema>;
export type InferenceProfile = z.infer<typeof InferenceProfileSchema>;
export type HpcSimulationProfile = z.infer<typeof HpcSimulationProfileSchema>;
export type AiForScienceProfile = z.infer<typeof AiForScienceProfileSchema>;

/** POST /v1/recommendations: the profile itself is the body. */
export const RecommendationRequestSchema = WorkloadProfileSchema;
export type RecommendationRequest = WorkloadProfile;

// A pipeline as a researcher declares it: a small graph of stages (docs/pipelines.md, "The model").
// Strict zod schemas: the body of POST /v1/pipelines, and the types every other module derives.
//
// Data are named by where they come from, never by where a copy happens to be:
//   { artifact, version }   a catalogue version (dataset or model), wherever its copies are;
//   { stage, output }       a file or folder a job stage writes under its working area;
//   { stage }               the version a registration stage creates.
// A stage at site S that reads a datum needs a copy at S: one the catalogue holds as verified, one
// a job at S made, or one a transfer stage brings to S (the consumer then runs after that transfer).
import * as z from 'zod/mini';
import { RESOURCE_ID, SITE_ID } from '../catalogue';

export const STAGE_ID = /^[a-z][a-z0-9-]{0,39}$/;
/** An output's name: also the suffix of the environment variable that tells the job its path. */
export const OUTPUT_NAME = /^[a-z][a-z0-9_]{0,39}$/;
export const ARTIFACT_ID = /^[a-z][a-z0-9-]{1,80}$/;
export const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
export const PIPELINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_STAGES = 50;
export const MAX_REFS = 32;

/**
 * A path under a job's working area: relative, no `..`, no empty or `.` segments, no control
 * characters (the transfer script and the manifest keep one path per line). The same rule as the
 * data hub's manifest paths.
 */
export function relativePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (path.length > 1024) return 'must be at most 1024 characters long';
  if (path.startsWith('/')) return 'must be relative to the working area, not absolute';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: it matches control characters in order to refuse them
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain control characters';
  if (path.includes('\\')) return 'must use / between folders, not \\';
  const segments = path.replace(/\/$/, '').split('/');
  if (segments.some((s) => s === '..')) return 'must not contain ".." segments';
  if (segments.some((s) => s === '' || s === '.')) return 'must not contain empty or "." segments';
  return undefined;
}

const RelativePath = z.string().check(
  z.refine((p) => relativePathProblem(p) === undefined, {
    error: (iss) => relativePathProblem(String(iss.input)) ?? 'is invalid',
  }),
);

export const VersionRef = z.strictObject({
  /** Catalogue artifact id (a dataset or a model). */
  artifact: z.string().check(z.regex(ARTIFACT_ID)),
  version: z.string().check(z.regex(VERSION)),
});
export type VersionRef = z.infer<typeof VersionRef>;

export const StageRef = z.strictObject({
  stage: z.string().check(z.regex(STAGE_ID)),
  /** A job stage's output; left out for a registration stage (its new version). */
  output: z.optional(z.string().check(z.regex(OUTPUT_NAME))),
});
export type StageRef = z.infer<typeof StageRef>;

export const DatumRef = z.union([VersionRef, StageRef]);
export type DatumRef = z.infer<typeof DatumRef>;

export function isVersionRef(ref: DatumRef): ref is VersionRef {
  return 'artifact' in ref;
}

export const StageInput = z.strictObject({
  from: DatumRef,
  /** Names the input for the job: KAIRR_INPUT_<AS upper-cased> holds its path at the site. */
  as: z.optional(z.string().check(z.regex(OUTPUT_NAME))),
});
export type StageInput = z.infer<typeof StageInput>;

export const StageOutput = z.strictObject({
  name: z.string().check(z.regex(OUTPUT_NAME)),
  /** Under the job's working area; a folder ends with "/". */
  path: RelativePath,
});
export type StageOutput = z.infer<typeof StageOutput>;

const stageBase = {
  id: z.string().check(z.regex(STAGE_ID)),
  /** Stages that must succeed first, besides those whose data this stage reads. */
  after: z.optional(z.array(z.string().check(z.regex(STAGE_ID))).check(z.maxLength(MAX_STAGES))),
};

export const JobStage = z.strictObject({
  ...stageBase,
  kind: z.literal('job'),
  site: z.string().check(z.regex(SITE_ID)),
  resource: z.string().check(z.regex(RESOURCE_ID)),
  /** The allocation the job is charged to; the caller must be a member. */
  allocationId: z.string().check(z.minLength(1), z.maxLength(64)),
  /** The batch script, starting with #!; its size limit is policy.maxJobScriptBytes. */
  script: z.string().check(z.minLength(2), z.startsWith('#!')),
  gpus: z.number().check(z.int(), z.minimum(1)),
  nodes: z._default(z.number().check(z.int(), z.minimum(1)), 1),
  /** Minutes, at most the partition's maximum. */
  timeLimit: z.number().check(z.int(), z.minimum(1)),
  inputs: z._default(z.array(StageInput).check(z.maxLength(MAX_REFS)), []),
  outputs: z._default(z.array(StageOutput).check(z.maxLength(MAX_REFS)), []),
  env: z.optional(z.record(z.string().check(z.regex(ENV_NAME)), z.string().check(z.maxLength(4096)))),
});
export type JobStage = z.infer<typeof JobStage>;

export const TransferStage = z.strictObject({
  ...stageBase,
  kind: z.literal('transfer'),
  /** The site that holds the copy read. */
  from: z.string().check(z.regex(SITE_ID)),
  to: z.string().check(z.regex(SITE_ID)),
  items: z.array(DatumRef).check(z.minLength(1), z.maxLength(MAX_REFS)),
  /**
   * The allocation whose account runs the mover job at the destination (a transfer is work at a
   * site). Defaults to the allocation of this pipeline's first job stage at the destination.
   */
  allocationId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  /** The resource whose partition runs the mover (0 GPUs); defaults like allocationId. */
  resource: z.optional(z.string().check(z.regex(RESOURCE_ID))),
});
export type TransferStage = z.infer<typeof TransferStage>;

export const RegistrationStage = z.strictObject({
  ...stageBase,
  kind: z.literal('registration'),
  /** Job outputs that become the files of the new version (all at one site). */
  outputs: z.array(StageRef).check(z.minLength(1), z.maxLength(MAX_REFS)),
  /** The catalogue artifact that gets the new version; the caller must be allowed to add one. */
  artifact: z.string().check(z.regex(ARTIFACT_ID)),
  /** The new version's label; the catalogue picks the next one when left out. */
  version: z.optional(z.string().check(z.regex(VERSION))),
  changelog: z.optional(z.string().check(z.maxLength(4000))),
});
export type RegistrationStage = z.infer<typeof RegistrationStage>;

export const Stage = z.discriminatedUnion('kind', [JobStage, TransferStage, RegistrationStage]);
export type Stage = z.infer<typeof Stage>;
export type StageKind = Stage['kind'];

export const CreatePipelineBody = z.strictObject({
  name: z.string().check(z.regex(PIPELINE_NAME)),
  description: z.optional(z.string().check(z.maxLength(4000))),
  stages: z.array(Stage).check(z.minLength(1), z.maxLength(MAX_STAGES)),
});
export type CreatePipelineBody = z.infer<typeof CreatePipelineBody>;
/** What the domain works on: the body after zod (defaults applied). */
export type PipelineSpec = CreatePipelineBody;

// Jobs dispatched through KAIRR under an allocation: submit to a site's scheduler as the member,
// list, status, cancel. A retried POST never submits twice (docs/connectors.md, "Job dispatch").
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { VERSIONED_CATALOGUE_REF } from '../domain/catalogue-ref';

/** How many catalogue versions a job may declare it reads, and as many that it writes. */
export const MAX_JOB_ARTIFACTS = 32;
const ArtifactRefs = z.optional(z.array(z.string().check(z.refine((s) => VERSIONED_CATALOGUE_REF.test(s), { error: 'must be a catalogue version, kairr:<artifactId>@<version>' }))).check(z.maxLength(MAX_JOB_ARTIFACTS)));
const DeclaredArtifactView = z.object({
  ref: z.string(),
  artifactId: z.string(),
  version: z.string(),
  kind: z.string(),
  accessLevel: z.string(),
  locationId: z.optional(z.string()),
  permitId: z.optional(z.string()),
});

export const JOB_STATES = ['submitting', 'pending', 'running', 'finished', 'rejected', 'not-submitted', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Environment variable names a job may set (POSIX-portable names). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_ENV_VARS = 64;
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const AllocationParams = z.strictObject({ id: z.string().check(z.minLength(1), z.maxLength(64)) });
const JobParams = z.strictObject({ id: z.string().check(z.minLength(1), z.maxLength(64)), jobId: z.string().check(z.regex(/^job-[0-9a-z]{26}$/)) });

export const DispatchBody = z.strictObject({
  /** Site id, e.g. "spc". */
  site: z.string().check(z.minLength(1), z.maxLength(64)),
  /** Resource id at the site ("h200"), or its key ("spc/h200"). */
  resource: z.string().check(z.minLength(1), z.maxLength(96)),
  /** The batch script, starting with #!. Its size limit is policy.maxJobScriptBytes (UTF-8 bytes). */
  script: z.string().check(z.minLength(1)),
  /** GPUs per node (at most the resource's GPUs per node). */
  gpus: z.number().check(z.int(), z.minimum(1)),
  /** Nodes (at least 1, at most the resource's node count). */
  nodes: z._default(z.number().check(z.int(), z.minimum(1)), 1),
  /** Time limit in minutes (at most the partition's maximum). */
  timeLimit: z.number().check(z.int(), z.minimum(1)),
  /** A name for people; the scheduler's job name carries KAIRR's dispatch id. */
  name: z.optional(z.string().check(z.regex(JOB_NAME))),
  /** Environment variables; names starting with SLURM_ or KAIRR_ are reserved. */
  env: z.optional(z.record(z.string().check(z.regex(ENV_NAME)), z.string().check(z.maxLength(4096)))),
  /** An absolute path at the site; defaults to policy.jobWorkingDirectory. */
  workingDirectory: z.optional(z.string().check(z.regex(/^\/[^\0\n]{0,1023}$/))),
  // ---- site accounts ----
  /** Refused (400 scheduler_user_not_selectable, audited): the job runs as the caller's own site account. */
  user: z.optional(z.string().check(z.maxLength(256))),
  /** Refused, as `user`. */
  username: z.optional(z.string().check(z.maxLength(256))),
  // ---- end site accounts ----
  /** Catalogue versions the job reads: each needs a verified copy at the site (and, restricted, a permit for you there). */
  inputs: ArtifactRefs,
  /** Draft catalogue versions the job writes (you steward their artifacts). */
  outputs: ArtifactRefs,
});
export type DispatchBody = z.infer<typeof DispatchBody>;

export const JobView = z.object({
  jobId: z.string(),
  allocationId: z.string(),
  site: z.string(),
  resource: z.string(),
  cluster: z.string(),
  account: z.string(),
  user: z.string(),
  submittedBy: z.string(),
  name: z.optional(z.string()),
  gpus: z.number(),
  nodes: z.number(),
  timeLimit: z.number(),
  state: z.enum(JOB_STATES),
  creditsPerGpuHour: z.number(),
  estimatedCredits: z.number(),
  schedulerJobId: z.optional(z.string()),
  schedulerState: z.optional(z.string()),
  reason: z.optional(z.string()),
  exitCode: z.optional(z.number()),
  createdAt: z.string(),
  submittedAt: z.optional(z.string()),
  start: z.optional(z.string()),
  end: z.optional(z.string()),
  elapsedSeconds: z.optional(z.number()),
  cancelledAt: z.optional(z.string()),
  error: z.optional(z.string()),
  /** True when the site could not be asked just now: the state is the last one KAIRR knew. */
  stale: z.optional(z.boolean()),
  /** The catalogue versions it declared it reads (with the copy at its site) and writes. */
  inputs: z.optional(z.array(DeclaredArtifactView)),
  outputs: z.optional(z.array(DeclaredArtifactView)),
});

const Unavailable = { description: 'The site cannot be reached now; the job stays recoverable (GET it, or retry with the same Idempotency-Key)', schema: ErrorSchema };

export const jobsApi = defineApi({
  dispatchJob: {
    method: 'POST',
    path: '/v1/allocations/{id}/jobs',
    tag: 'jobs',
    summary: 'A member submits a job under the allocation, to one of its resources',
    description:
      "The job runs under the allocation's scheduler account for the resource, as the caller's own site account at the site (never a user the request names: `user`/`username` are refused and audited), after KAIRR checked membership, state, the request against the resource (GPUs per node, nodes, the partition's time limit, the script size) and the balance (GPUs × nodes × time limit at the rate in force, less what jobs in flight hold). The dispatch is recorded before it is submitted and stamped on the job, so a retry (same Idempotency-Key) never submits twice. `inputs` and `outputs` declare the catalogue versions the job reads and writes (`kairr:<artifactId>@<version>`): an input needs a verified copy at the site, and restricted data a permit for the caller there.",
    auth: ['researcher'],
    params: AllocationParams,
    body: DispatchBody,
    idempotent: true,
    responses: {
      201: { description: 'The job, as the site took it', schema: JobView },
      200: { description: 'A retry (same Idempotency-Key): the job the first request dispatched', schema: JobView },
      ...ERROR_RESPONSES,
      404: { description: 'No such allocation (or not yours)', schema: ErrorSchema },
      409: { description: 'The allocation is not active or not provisioned, the caller has no active account at the site (site_account_missing), or the same dispatch is in progress', schema: ErrorSchema },
      403: { description: 'Not a member (or staff), or a restricted input without a permit for you at the site (permit_required, naming `inputs[i]`)', schema: ErrorSchema },
      422: {
        description:
          'Not enough credits (jobs in flight hold theirs), the site refused the job, or a declared artifact cannot be used: unknown_artifact (unknown, or not yours to read), no_copy_at_site (no verified copy at the site), output_not_writable (not a draft of an artifact you steward); each names `inputs[i]`/`outputs[i]`',
        schema: ErrorSchema,
      },
      503: Unavailable,
    },
  },
  listJobs: {
    method: 'GET',
    path: '/v1/allocations/{id}/jobs',
    tag: 'jobs',
    summary: "The allocation's jobs dispatched through KAIRR, newest first, as last known",
    auth: ['researcher', 'chair', 'admin', 'auditor', 'site-operator'],
    params: AllocationParams,
    query: z.strictObject({ limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of jobs', schema: z.object({ items: z.array(JobView), nextToken: z.optional(z.string()) }) }, ...ERROR_RESPONSES, 404: { description: 'No such allocation (or not yours)', schema: ErrorSchema } },
  },
  getJob: {
    method: 'GET',
    path: '/v1/allocations/{id}/jobs/{jobId}',
    tag: 'jobs',
    summary: "One job's status, asked of its site (a dispatch whose outcome was unknown is resolved here)",
    auth: ['researcher', 'chair', 'admin', 'auditor', 'site-operator'],
    params: JobParams,
    responses: { 200: { description: 'The job', schema: JobView }, ...ERROR_RESPONSES, 404: { description: 'No such job (or allocation)', schema: ErrorSchema } },
  },
  cancelJob: {
    method: 'DELETE',
    path: '/v1/allocations/{id}/jobs/{jobId}',
    tag: 'jobs',
    summary: 'The member who dispatched it, or the PI, cancels a job (a finished job is answered 409 job_finished and stays as it was)',
    auth: ['researcher', 'admin'],
    params: JobParams,
    responses: {
      200: { description: 'The job after the cancel', schema: JobView },
      ...ERROR_RESPONSES,
      404: { description: 'No such job (or allocation)', schema: ErrorSchema },
      409: { description: 'Its dispatch is still in progress, or it has finished already (job_finished)', schema: ErrorSchema },
      503: Unavailable,
    },
  },
});

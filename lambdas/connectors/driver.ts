// The scheduler driver: what a site's connector needs from that site's scheduler, whatever it is.
// `slurm-rest` (lambdas/connectors/slurm-rest/) is the first driver; a Kubernetes/Kueue driver for the
// SPC would implement the same interface (docs/connectors.md maps each call to Slurm and to Kueue).
//
// Conventions every driver keeps:
// - Every call is idempotent or says how it is not: provisioning twice, adding a member twice, blocking
//   a blocked account or cancelling a finished job all succeed and change nothing.
// - A retried submit never runs the job twice: the job carries KAIRR's dispatch id, and submitJob looks
//   it up (findJobByDispatchId) before submitting.
// - Failures are SchedulerErrors: `transient` ones (network, timeouts, 5xx, scheduler daemon down) may be
//   retried with backoff; `permanent` ones will fail the same way again; `not-found` names a missing
//   job or account; `auth` means the site refused our credentials (refresh them, then retry once).
import type { SchedulerJobRecord } from '../domain/scheduler-mapping';

export type { SchedulerJobRecord as JobRecord } from '../domain/scheduler-mapping';

/** The budget and limits KAIRR sets on an allocation's account. Undefined = no limit. */
export interface AccountLimits {
  /** Hard budget in GPU-minutes (Slurm: GrpTRESMins=gres/gpu=N on the account). */
  gpuMinutes?: number;
  /** Optional CPU-minute budget (Slurm: GrpTRESMins=cpu=N). */
  cpuMinutes?: number;
}

export interface MemberAssociation {
  user: string;
  /** The partition the member may use with this account ('' = any). */
  partition: string;
}

/** An account as the scheduler holds it now: what a reconciler compares with what KAIRR expects. */
export interface AccountState {
  account: string;
  cluster: string;
  parentAccount: string;
  limits: AccountLimits;
  /** New jobs are refused (Slurm: GrpSubmitJobs=0 and GrpJobs=0 on the account). */
  blocked: boolean;
  members: MemberAssociation[];
  /** Every GrpTRESMins on the account, by TRES name ("gres/gpu", "cpu", …), including ones KAIRR did not set. */
  grpTresMins: Record<string, number>;
  /** Scalar job limits on the account (undefined = unlimited). */
  grpJobs?: number;
  grpSubmitJobs?: number;
}

export interface ProvisionAccountRequest {
  /** Scheduler account name (lambdas/domain/scheduler-mapping.ts slurmAccountName). */
  account: string;
  description: string;
  organization?: string;
  /** The resource's partition: members' associations are restricted to it. */
  partition: string;
  limits: AccountLimits;
  members?: string[];
}

export interface SubmitJobRequest {
  /** KAIRR's dispatch id: stamped on the job (Slurm: job name `kairr.<id>`), the key of idempotent submit. */
  dispatchId: string;
  account: string;
  /** The member the job runs as (a unix user at the site). */
  user: string;
  partition: string;
  /** GPUs per node. */
  gpus: number;
  nodes?: number;
  tasks?: number;
  cpusPerTask?: number;
  timeLimitMinutes: number;
  /** The batch script, starting with #!. */
  script: string;
  workingDirectory: string;
  /** Defaults to `<workingDirectory>/slurm-<user>-<jobid>.out` (Slurm's `slurm-%u-%j.out`). */
  standardOutput?: string;
  environment?: Record<string, string>;
  /** A human description stored as the job's comment. */
  description?: string;
  /**
   * The caller recorded this dispatch id a moment ago, for the first time, and nothing has been
   * submitted under it: the lookup before submitting is skipped (it is one to two extra reads of
   * the site). Retries and resumed dispatches leave this unset, so they always look first.
   */
  firstAttempt?: boolean;
}

export interface SubmitJobResult {
  jobId: string;
  /** true when the dispatch id was already on a job at the site and nothing new was submitted. */
  alreadySubmitted: boolean;
}

export type JobPhase = 'pending' | 'running' | 'finished';

export interface JobStatus {
  jobId: string;
  dispatchId?: string;
  name: string;
  account: string;
  user: string;
  partition: string;
  /** The scheduler's own state, e.g. PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT. */
  state: string;
  phase: JobPhase;
  /** Why a pending job waits (e.g. Priority, Resources, AssocGrpGRESMinutes). */
  reason?: string;
  /** The job waits because a budget or block of its account holds it (see budgetHoldReason). */
  heldByBudget: boolean;
  exitCode?: number;
  /** GPUs allocated (or, for a pending job, requested per node × nodes). */
  gpus: number;
  submit?: string;
  start?: string;
  end?: string;
  elapsedSeconds?: number;
}

export interface ListJobsRequest {
  /** Watermark: jobs that ran at any time at or after it (finished since, or still running). */
  since: Date;
  /** Defaults to now. */
  until?: Date;
  /** Only these accounts (default: every account). */
  accounts?: string[];
}

export interface HealthReport {
  ok: boolean;
  siteId: string;
  cluster: string;
  driver: string;
  /** The API the driver speaks to the site, e.g. "v0.0.42". */
  apiVersion?: string;
  schedulerVersion?: string;
  controller: 'up' | 'down' | 'unknown';
  accounting: 'up' | 'down' | 'unknown';
  latencyMs: number;
  error?: string;
}

export interface SchedulerDriver {
  readonly driver: string;
  readonly siteId: string;
  readonly cluster: string;

  /** Can we reach the scheduler, and which API version does it speak? Never throws. */
  health(): Promise<HealthReport>;

  /** Create the account under the site's parent account with its limits and members. Idempotent. */
  provisionAccount(req: ProvisionAccountRequest): Promise<AccountState>;
  /** Add a member (a user association on the account, restricted to `partition`). Idempotent. */
  addMember(account: string, user: string, partition: string): Promise<void>;
  /** Remove a member's association. Removing a non-member succeeds. Running jobs are not touched. */
  removeMember(account: string, user: string): Promise<void>;
  /** Replace KAIRR's limits on the account (a supplement raises gpuMinutes). Other limits are kept. */
  setLimits(account: string, limits: AccountLimits): Promise<AccountState>;
  /** Refuse new jobs on the account and keep its pending jobs from starting. Running jobs go on. */
  block(account: string): Promise<void>;
  unblock(account: string): Promise<void>;
  /** The account as the scheduler holds it, or undefined when it does not exist. */
  readAccount(account: string): Promise<AccountState | undefined>;
  /** Every account under the parent account (for the reconciler: drift and orphans). */
  listAccounts(): Promise<AccountState[]>;

  /** Submit, unless a job with this dispatch id exists already (looked up first, unless firstAttempt). */
  submitJob(req: SubmitJobRequest): Promise<SubmitJobResult>;
  /** The job stamped with this dispatch id (newest if several), or undefined. */
  findJobByDispatchId(dispatchId: string, opts?: { account?: string; submittedAfter?: Date }): Promise<JobStatus | undefined>;
  /** Throws a not-found SchedulerError for an unknown job. */
  jobStatus(jobId: string): Promise<JobStatus>;
  /** Cancel a job; cancelling a finished job succeeds. Throws not-found for an unknown job. */
  /** Idempotent. With asUser, the cancel is made as that user (the scheduler refuses another user's job). */
  cancelJob(jobId: string, opts?: { asUser?: string }): Promise<void>;
  /** Jobs that ran at or after the watermark (finished since, or running), for usage collection. */
  listJobs(req: ListJobsRequest): Promise<SchedulerJobRecord[]>;
  /**
   * The scheduler's live jobs, if any changed since `since` (the watermark of the previous answer;
   * none: the first look), in one request however many jobs the caller watches: the pipelines' stage
   * watcher. Optional: without it, the pipelines' flow asks about each job itself.
   */
  jobsChangedSince?(since?: number): Promise<ChangedJobs>;
}

export interface ChangedJobs {
  /** false: nothing changed since `since` (and `jobs` is empty). true: `jobs` are all the live jobs. */
  changed: boolean;
  jobs: JobStatus[];
  /** Hand it back as the next `since`. */
  watermark: number;
}

export type SchedulerErrorKind = 'transient' | 'permanent' | 'not-found' | 'auth';

export class SchedulerError extends Error {
  /** Safe to retry the same call (after a backoff). */
  readonly retryable: boolean;
  constructor(
    readonly kind: SchedulerErrorKind,
    message: string,
    readonly details: {
      siteId?: string;
      operation?: string;
      httpStatus?: number;
      /** The scheduler's own error numbers and texts, when it gave any. */
      schedulerErrors?: { code?: number; message: string }[];
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.retryable = kind === 'transient';
  }
}

/** Network down, timeout, 5xx from a proxy, a scheduler daemon unreachable: retry later. */
export class TransientSchedulerError extends SchedulerError {
  constructor(message: string, details: SchedulerError['details'] = {}) {
    super('transient', message, details);
  }
}

/** The scheduler refused the request itself (bad request, unknown partition, invalid account…). */
export class PermanentSchedulerError extends SchedulerError {
  constructor(message: string, details: SchedulerError['details'] = {}) {
    super('permanent', message, details);
  }
}

export class NotFoundSchedulerError extends SchedulerError {
  constructor(message: string, details: SchedulerError['details'] = {}) {
    super('not-found', message, details);
  }
}

/** 401/403: the credentials were refused. The caller refreshes them (secret rotation) and retries once. */
export class AuthSchedulerError extends SchedulerError {
  constructor(message: string, details: SchedulerError['details'] = {}) {
    super('auth', message, details);
  }
}

export function isSchedulerError(e: unknown): e is SchedulerError {
  return e instanceof SchedulerError;
}

// How KAIRR's allocations, credits and usage map onto a Slurm site: account names, the GPU-minute
// budget, and usage records from job records. Pure functions: no AWS, no HTTP.
import { createHash } from 'node:crypto';

/** Slurm keeps account names lower-case; we also keep them short and free of separators Slurm parses. */
export const MAX_ACCOUNT_NAME_LENGTH = 48;
export const ACCOUNT_PREFIX = 'k-';
const ACCOUNT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The Slurm account of one allocation on one resource: `k-<allocationId>-<resourceId>`, lower-cased.
 *
 * One account per (allocation, resource), not per allocation: resources at one site (spc's h200 and
 * b200) have different credit rates, and Slurm counts both as plain `gres/gpu`, so each resource's
 * credits become their own GrpTRESMins budget on their own account, and the members' associations
 * on it are restricted to that resource's partition.
 * Names longer than MAX_ACCOUNT_NAME_LENGTH keep a readable head and a hash of the whole.
 */
export function slurmAccountName(allocationId: string, resourceId: string): string {
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '');
  const alloc = clean(allocationId);
  const res = clean(resourceId);
  if (!alloc || !res) throw new Error(`cannot derive a Slurm account from "${allocationId}" / "${resourceId}"`);
  const name = `${ACCOUNT_PREFIX}${alloc}-${res}`;
  if (name.length <= MAX_ACCOUNT_NAME_LENGTH) return name;
  const digest = createHash('sha256').update(`${allocationId}\u0000${resourceId}`).digest('hex').slice(0, 10);
  const tail = `-${digest}-${res}`.slice(0, MAX_ACCOUNT_NAME_LENGTH - ACCOUNT_PREFIX.length - 4);
  return `${ACCOUNT_PREFIX}${alloc.slice(0, MAX_ACCOUNT_NAME_LENGTH - ACCOUNT_PREFIX.length - tail.length)}${tail}`;
}

export function isValidSlurmAccountName(name: string): boolean {
  return name.length <= MAX_ACCOUNT_NAME_LENGTH && ACCOUNT_NAME.test(name);
}

/** Unix/Slurm user names as Slurm stores them (lower-case). */
export function slurmUserName(user: string): string {
  return user.toLowerCase();
}

/**
 * Credits → the GrpTRESMins budget on `gres/gpu`: floor(credits ÷ creditsPerGpuHour × 60) GPU-minutes.
 * Rounded down so the scheduler never lets an allocation use more than it was awarded.
 */
export function creditsToGpuMinutes(credits: number, creditsPerGpuHour: number): number {
  if (!Number.isFinite(credits) || credits < 0) throw new RangeError(`credits must be a finite number >= 0, got ${credits}`);
  if (!Number.isFinite(creditsPerGpuHour) || creditsPerGpuHour <= 0) {
    throw new RangeError(`creditsPerGpuHour must be a finite number > 0, got ${creditsPerGpuHour}`);
  }
  // the epsilon absorbs binary fractions (0.3 / 0.1 * 60 = 179.99999999999997 must be 180)
  return Math.floor((credits / creditsPerGpuHour) * 60 + 1e-9);
}

/** The inverse, for showing a scheduler budget in credits: GPU-minutes ÷ 60 × rate. */
export function gpuMinutesToCredits(gpuMinutes: number, creditsPerGpuHour: number): number {
  return (gpuMinutes / 60) * creditsPerGpuHour;
}

/** A job as a scheduler driver reports it (lambdas/connectors/driver.ts JobRecord has this shape). */
export interface SchedulerJobRecord {
  siteId: string;
  cluster: string;
  jobId: string;
  account: string;
  user: string;
  partition: string;
  /** GPUs allocated (gres/gpu from the allocated TRES); 0 for CPU-only or never-started jobs. */
  gpus: number;
  /** ISO 8601; undefined while the job has not started. */
  start?: string;
  /** ISO 8601; undefined while the job runs. */
  end?: string;
  /** Seconds the job ran so far (up to `asOf` for a running job). */
  elapsedSeconds: number;
  state: string;
  /** When this record was read from the scheduler (ISO 8601). */
  asOf: string;
  dispatchId?: string;
}

/** One job's use, as docs/domain.md's "Usage record" describes it. */
export interface UsageRecord {
  /** Stable key: the same job reported again (running, final, corrected) replaces the earlier record. */
  usageKey: string;
  siteId: string;
  cluster: string;
  jobId: string;
  account: string;
  user: string;
  resourceId: string;
  gpus: number;
  start: string;
  end?: string;
  elapsedSeconds: number;
  gpuSeconds: number;
  state: string;
  final: boolean;
  asOf: string;
  dispatchId?: string;
}

/** Job states after which a job's usage no longer changes (Slurm's terminal states). */
export const TERMINAL_JOB_STATES = new Set(['BOOT_FAIL', 'CANCELLED', 'COMPLETED', 'DEADLINE', 'FAILED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'TIMEOUT', 'REVOKED']);

/**
 * A job record → a usage record. GPU-seconds = gres/gpu count × elapsed seconds. Returns undefined for
 * jobs that never started (nothing to charge). `resourceOfPartition` maps the job's partition to the
 * KAIRR resource; a partition KAIRR does not know is reported as undefined so the caller can flag it.
 */
export function usageRecordFromJob(job: SchedulerJobRecord, resourceOfPartition: (partition: string) => string | undefined): UsageRecord | undefined {
  if (!job.start) return undefined;
  const resourceId = resourceOfPartition(job.partition);
  if (!resourceId) return undefined;
  const elapsedSeconds = Math.max(0, Math.floor(job.elapsedSeconds));
  const gpus = Math.max(0, Math.floor(job.gpus));
  return {
    usageKey: `${job.siteId}#${job.cluster}#${job.jobId}`,
    siteId: job.siteId,
    cluster: job.cluster,
    jobId: job.jobId,
    account: job.account,
    user: job.user,
    resourceId,
    gpus,
    start: job.start,
    ...(job.end ? { end: job.end } : {}),
    elapsedSeconds,
    gpuSeconds: gpus * elapsedSeconds,
    state: job.state,
    final: TERMINAL_JOB_STATES.has(job.state) && job.end !== undefined,
    asOf: job.asOf,
    ...(job.dispatchId ? { dispatchId: job.dispatchId } : {}),
  };
}

/** Credits a usage record costs at a rate: GPU-seconds ÷ 3600 × credits per GPU-hour. */
export function usageCredits(gpuSeconds: number, creditsPerGpuHour: number): number {
  return (gpuSeconds / 3600) * creditsPerGpuHour;
}

/**
 * The job name that stamps a KAIRR dispatch id on a Slurm job. A retried submit looks the job up by
 * this name first, so it never submits twice.
 */
export const DISPATCH_JOB_NAME_PREFIX = 'kairr.';
// no commas (Slurm query lists) and nothing that needs quoting in a job name
const DISPATCH_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function dispatchJobName(dispatchId: string): string {
  if (!DISPATCH_ID.test(dispatchId)) throw new RangeError(`invalid dispatch id "${dispatchId}"`);
  return `${DISPATCH_JOB_NAME_PREFIX}${dispatchId}`;
}

export function dispatchIdFromJobName(name: string | undefined): string | undefined {
  if (!name?.startsWith(DISPATCH_JOB_NAME_PREFIX)) return undefined;
  const id = name.slice(DISPATCH_JOB_NAME_PREFIX.length);
  return DISPATCH_ID.test(id) ? id : undefined;
}

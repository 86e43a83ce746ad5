// The stage state model and the rules the flow and the API follow (docs/pipelines.md, "States"):
//
//   pending ──► running ──► succeeded
//      │           ├──────► failed     ──(retry)──► pending
//      │           └──────► cancelled  ──(retry)──► pending
//      ├──► skipped (an earlier stage failed or was cancelled) ──(retry)──► pending
//      └──► cancelled (the pipeline was cancelled before it started)
//
// Fail fast: once a stage fails or is cancelled no new stage starts, and every stage still pending
// is skipped. Stages already running run to their end and keep their result. A retry puts the
// failed, cancelled and skipped stages back to pending and never touches a succeeded one, so
// finished work is never redone.
import { ConflictError } from '../errors';
import type { PipelinePlan } from './plan';

export const STAGE_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'skipped'] as const;
export type StageState = (typeof STAGE_STATES)[number];

export const PIPELINE_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelling', 'cancelled'] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];

const NEXT: Record<StageState, readonly StageState[]> = {
  pending: ['running', 'skipped', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: ['pending'],
  cancelled: ['pending'],
  skipped: ['pending'],
};

export interface StageError {
  /** A stable code, e.g. job_failed, checksum_mismatch, site_unavailable, cancelled. */
  code: string;
  message: string;
  details?: { path: string; problem: string }[];
}

/** A job a stage ran at a site (a retry adds one per attempt). */
export interface StageJob {
  attempt: number;
  site: string;
  /** KAIRR's dispatch id. */
  jobId: string;
  schedulerJobId?: string;
}

export interface StageRun {
  state: StageState;
  /** 1 for the first run; each retry of a failed or cancelled stage adds one. */
  attempt: number;
  startedAt?: string;
  endedAt?: string;
  jobs: StageJob[];
  /** Transfers: the bytes the mover moved (a resumed transfer moves only what was missing or wrong). */
  bytesMoved?: number;
  /** Why it failed, was cancelled or skipped. */
  error?: StageError;
  /** Who saw its job's end and recorded it: the site's stage watcher, or Plan asking the site (the backstop). */
  endSeenBy?: EndSeenBy;
}

export type EndSeenBy = 'watcher' | 'plan';

export type StageRuns = Record<string, StageRun>;

export function initialRuns(plan: PipelinePlan): StageRuns {
  return Object.fromEntries(plan.order.map((id) => [id, { state: 'pending', attempt: 1, jobs: [] } satisfies StageRun]));
}

export function canMove(from: StageState, to: StageState): boolean {
  return NEXT[from].includes(to);
}

/** One stage's move; a move the model does not allow is a conflict (a late or duplicate signal). */
export function moveStage(run: StageRun, to: StageState, at: string, change: Partial<Pick<StageRun, 'error' | 'bytesMoved' | 'endSeenBy'>> = {}): StageRun {
  if (!canMove(run.state, to)) throw new ConflictError(`a ${run.state} stage cannot become ${to}`, [], 'stage_state_conflict');
  const next: StageRun = { ...run, ...change, state: to };
  if (to === 'running') next.startedAt = at;
  if (to === 'succeeded' || to === 'failed' || to === 'cancelled' || to === 'skipped') next.endedAt = at;
  if (to === 'succeeded') delete next.error;
  return next;
}

export interface PipelineStatus {
  state: PipelineState;
  /** The first stage (in plan order) that failed or was cancelled, and why. */
  stoppedAt?: { stage: string; state: 'failed' | 'cancelled'; error?: StageError };
}

export function pipelineStatus(plan: PipelinePlan, runs: StageRuns, cancelRequested: boolean): PipelineStatus {
  const states = plan.order.map((id) => runs[id].state);
  const stopped = plan.order.find((id) => runs[id].state === 'failed') ?? plan.order.find((id) => runs[id].state === 'cancelled');
  const stoppedAt = stopped ? { stage: stopped, state: runs[stopped].state as 'failed' | 'cancelled', error: runs[stopped].error } : undefined;
  if (states.includes('running')) return { state: cancelRequested ? 'cancelling' : 'running', stoppedAt };
  if (states.every((s) => s === 'succeeded')) return { state: 'succeeded' };
  if (states.includes('failed')) return { state: 'failed', stoppedAt };
  if (states.includes('cancelled') || cancelRequested) return { state: 'cancelled', stoppedAt };
  if (states.every((s) => s === 'pending')) return { state: 'pending' };
  return { state: 'running' };
}

/** Stages that may start now: pending, every dependency succeeded, nothing failed, no cancel asked. */
export function readyStages(plan: PipelinePlan, runs: StageRuns, cancelRequested: boolean): string[] {
  if (cancelRequested) return [];
  if (plan.order.some((id) => runs[id].state === 'failed' || runs[id].state === 'cancelled')) return [];
  return plan.order.filter((id) => runs[id].state === 'pending' && plan.stages[id].dependsOn.every((d) => runs[d].state === 'succeeded'));
}

/** After a stage failed or was cancelled: every pending stage is skipped, naming the stage that stopped it. */
export function skipAfterStop(plan: PipelinePlan, runs: StageRuns, at: string): StageRuns {
  const status = pipelineStatus(plan, runs, false);
  const stopper = status.stoppedAt?.stage;
  if (!stopper) return runs;
  const next = { ...runs };
  for (const id of plan.order) {
    if (runs[id].state !== 'pending') continue;
    next[id] = moveStage(runs[id], 'skipped', at, {
      error: { code: 'skipped', message: `not started: stage "${stopper}" ${runs[stopper].state}` },
    });
  }
  return next;
}

/**
 * Cancelling: pending stages become cancelled at once; running ones are returned so their jobs are
 * cancelled at their sites (they become cancelled when the site confirms it).
 */
export function planCancel(plan: PipelinePlan, runs: StageRuns, at: string): { runs: StageRuns; cancelAtSites: string[] } {
  const status = pipelineStatus(plan, runs, false);
  if (status.state === 'succeeded' || status.state === 'failed' || status.state === 'cancelled') {
    throw new ConflictError(`the pipeline is ${status.state}; there is nothing to cancel`, [], 'pipeline_finished');
  }
  const next = { ...runs };
  for (const id of plan.order) {
    if (runs[id].state === 'pending') next[id] = moveStage(runs[id], 'cancelled', at, { error: { code: 'cancelled', message: 'the pipeline was cancelled before this stage started' } });
  }
  return { runs: next, cancelAtSites: plan.order.filter((id) => runs[id].state === 'running') };
}

/**
 * Retry from the failed stage: failed, cancelled and skipped stages go back to pending (a failed or
 * cancelled one with its next attempt number); succeeded stages stay as they are.
 */
export function planRetry(plan: PipelinePlan, runs: StageRuns): { runs: StageRuns; resumeFrom: string[] } {
  const status = pipelineStatus(plan, runs, false);
  if (status.state !== 'failed' && status.state !== 'cancelled') {
    throw new ConflictError(`only a failed or cancelled pipeline can be retried; this one is ${status.state}`, [], 'pipeline_not_retryable');
  }
  const next = { ...runs };
  for (const id of plan.order) {
    const r = runs[id];
    if (r.state === 'succeeded') continue;
    const again = moveStage(r, 'pending', '', {});
    delete again.error;
    delete again.startedAt;
    delete again.endedAt;
    delete again.bytesMoved;
    delete again.endSeenBy;
    // an attempt is a run: a stage cancelled before it started keeps its number
    if ((r.state === 'failed' || r.state === 'cancelled') && r.startedAt) again.attempt = r.attempt + 1;
    next[id] = again;
  }
  return { runs: next, resumeFrom: readyStages(plan, next, false) };
}

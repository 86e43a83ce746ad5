// The per-site stage watcher (docs/pipelines.md section 4): how a job's end reaches the pipeline
// flow in seconds without the job calling out (sites' compute nodes often cannot). Started every
// minute per site by its schedule; pay-per-request: one Query of the stages waiting at the site,
// and it exits at once when there is none. Otherwise, for the minute, every intervalSeconds it asks
// the site for the jobs changed since its last look (slurmrestd GET /jobs?update_time=…): ONE
// request per site however many stages wait. A watched job that finished, or that left the
// scheduler's memory, has its end recorded through the flow's own code (recordWatchedEnd: the
// jobs capability's status, the stage's end, its lineage) and the doorbell rung, so the flow plans
// at once. Two watchers, or a watcher and Plan, racing record an end once (flow.ts recordEnds).
import type { ChangedJobs, JobStatus } from '../connectors/index';
import { driverFor, isSchedulerError, withCredentialRefresh } from '../connectors/index';
import { logger } from '../shared/log';
import { pipelinesConfig } from './config';
import { recordWatchedEnd, type WatchedEnd } from './flow';
import { listWaitingAt, touchWatcher, type WatchRecord } from './watch-store';

/** What one run keeps between its looks: the site's watermark, and whether absent jobs were checked. */
export interface WatchState {
  since?: number;
  checkedAbsent?: boolean;
}

export interface RoundResult {
  waiting: number;
  /** Requests made to the site: 0 (nothing waits) or 1. */
  siteRequests: number;
  changed: boolean;
  outcomes: Record<string, WatchedEnd | 'unreadable'>;
}

const isFor = (w: WatchRecord) => (j: JobStatus) => j.dispatchId === w.jobId || (!!w.schedulerJobId && j.jobId === w.schedulerJobId);

/** One look: the waiting stages (one Query), the site's changed jobs (one request), the ends recorded. */
export async function watchRound(siteId: string, state: WatchState): Promise<RoundResult> {
  const waiting = await listWaitingAt(siteId);
  const result: RoundResult = { waiting: waiting.length, siteRequests: 0, changed: false, outcomes: {} };
  if (waiting.length === 0) return result;
  const driver = driverFor(siteId);
  if (!driver.jobsChangedSince) return result; // a driver without it: Plan's own look sees the ends
  const answer: ChangedJobs = await withCredentialRefresh(() => driver.jobsChangedSince!(state.since));
  result.siteRequests = 1;
  result.changed = answer.changed;
  const firstFullList = answer.changed && !state.checkedAbsent;
  state.since = answer.watermark;
  if (!answer.changed) return result;
  state.checkedAbsent = true;
  for (const w of waiting) {
    const job = answer.jobs.find(isFor(w));
    // absent from a full list: it left slurmctld's memory (MinJobAge) after it ended; asked once a run
    if (job ? job.phase !== 'finished' : !firstFullList) continue;
    try {
      result.outcomes[`${w.pipelineId}/${w.stageId}`] = await recordWatchedEnd(w);
    } catch (e) {
      // the job's record or the site unreadable now: the next look (or Plan's) tries again
      result.outcomes[`${w.pipelineId}/${w.stageId}`] = 'unreadable';
      logger.warn("a watched stage's end was not recorded", { pipelineId: w.pipelineId, stage: w.stageId, error: (e as Error).message });
    }
  }
  return result;
}

export interface WatchOptions {
  /** How long this run watches (the schedule starts the next one a minute after this one). */
  runMs?: number;
  intervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const WATCH_RUN_MS = 58_000;
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A scheduled run for one site: looks every intervalMs until nothing waits or the run's time is up. */
export async function watchSite(siteId: string, opts: WatchOptions = {}): Promise<{ rounds: number; siteRequests: number; recorded: number }> {
  const intervalMs = opts.intervalMs ?? pipelinesConfig().watcher.intervalSeconds * 1000;
  const deadline = Date.now() + (opts.runMs ?? WATCH_RUN_MS);
  const sleep = opts.sleep ?? pause;
  await touchWatcher(siteId);
  const state: WatchState = {};
  const total = { rounds: 0, siteRequests: 0, recorded: 0 };
  for (;;) {
    const began = Date.now();
    total.rounds++;
    try {
      const r = await watchRound(siteId, state);
      total.siteRequests += r.siteRequests;
      total.recorded += Object.values(r.outcomes).filter((o) => o === 'recorded').length;
      if (r.waiting === 0) return total;
    } catch (e) {
      // slurmrestd away: keep watching; the flow's backstop covers a site that stays away
      if (!isSchedulerError(e)) throw e;
      logger.warn('the site could not be asked for its changed jobs', { siteId, error: e.message });
    }
    const next = began + intervalMs;
    if (next >= deadline) return total;
    await sleep(Math.max(0, next - Date.now()));
  }
}

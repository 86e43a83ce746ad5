// The pipeline flow's steps (statemachines/pipeline.asl.json): Plan, Start stage, Record start
// failure, Wait for any stage. The truth is the pipeline item; each step reads it, applies the
// domain's rules (state.ts) and commits. The flow acts on the owner's behalf: every job is
// dispatched through the jobs capability as the owner (their site account, their allocation's
// holds and charges, the audit trail), with the stage run's id as the Idempotency-Key, so a step
// retried after slurmrestd went away finds its job instead of submitting a second one.
import { KairrError } from '../domain/errors';
import type { EventType } from '../domain/lineage/events';
import { REGISTRATION_EXIT } from '../domain/pipelines/registration';
import { TRANSFER_EXIT } from '../domain/pipelines/transfer-script';
import { moveStage, pipelineStatus, readyStages, skipAfterStop, type EndSeenBy, type StageError, type StageRun } from '../domain/pipelines/state';
import type { Caller } from '../shared/http/caller';
import { logger } from '../shared/log';
import type { AuditContext } from '../shared/store/write-path';
import { dispatch, getJob, type JobStatusView } from '../jobs/index';
import { pipelineEvent, recordEvent, stageEvent } from '../lineage/index';
import { pipelinesConfig } from './config';
import { ring, ringDoorbell } from './sfn';
import { completeSucceeded, type StageEnd } from './stage-ends';
import { stageRunKey, stageWork, StageNotRunnable } from './stage-work';
import { getPipelineItem, getPipelineWithStages, mutatePipeline, pipelineOf, storeDoorbell, takeDoorbell, type PipelineRecord } from './store';
import { deleteWatch, putWatch, watchersLastRun, type WatchRecord } from './watch-store';

/** Thrown so that Step Functions retries the step with backoff (the ASL's Connector.Transient retrier). */
export class TransientStepError extends Error {
  override name = 'Connector.Transient';
}

export interface PlanOutput {
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  start: string[];
  version: number;
  pollSeconds: number;
  cause?: string;
}

const ownerOf = (p: PipelineRecord): Caller => ({ sub: p.ownerSub, roles: ['researcher'], siteIds: [], ...(p.ownerUsername ? { username: p.ownerUsername } : {}) });
const ctxOf = (p: PipelineRecord, executionId: string): AuditContext => ({ actor: { sub: p.ownerSub, role: 'researcher' }, requestId: `pipeline:${executionId}` });
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const currentJob = (r: StageRun) => r.jobs.find((j) => j.attempt === r.attempt);

/** How a stage's job ended, from its status; undefined while it has not. A transfer's exit code says what its mover and the checksums found. */
export function endOf(kind: 'job' | 'transfer' | 'registration', j: JobStatusView): StageEnd | undefined {
  // The scheduler's CANCELLED is a cancel too: a poll can see it before the cancel path has recorded
  // its own answer (the site ends the job inside the cancel call), and that is not a failed job.
  if (j.state === 'cancelled' || (j.state === 'finished' && j.schedulerState === 'CANCELLED')) return { state: 'cancelled', error: { code: 'cancelled', message: `cancelled at ${j.site}` } };
  if (j.state === 'rejected' || j.state === 'not-submitted') return { state: 'failed', error: { code: 'dispatch_failed', message: j.error ?? `the job was ${j.state}` } };
  if (j.state !== 'finished') return undefined;
  const exit = j.exitCode ?? (j.schedulerState === 'COMPLETED' ? 0 : undefined);
  if (j.schedulerState === 'COMPLETED' && exit === 0) return { state: 'succeeded' };
  const how = `${j.schedulerState ?? 'finished'}${exit !== undefined ? `, exit code ${exit}` : ''} (${j.site} job ${j.schedulerJobId ?? j.jobId})`;
  if (kind === 'transfer' && exit === TRANSFER_EXIT.mismatched) {
    return {
      state: 'failed',
      error: { code: 'checksum_mismatch', message: `files at ${j.site} are missing or their SHA-256 differs from the catalogue's manifest; the copy is not verified (the files are named in the stage's .kairr/transfer.json): ${how}` },
    };
  }
  if (kind === 'registration' && exit === REGISTRATION_EXIT.empty) return { state: 'failed', error: { code: 'nothing_to_register', message: `the outputs hold no file to register: ${how}` } };
  if (kind === 'registration' && exit === REGISTRATION_EXIT.missing)
    return { state: 'failed', error: { code: 'output_missing', message: `an output the registration names is not in its job's working area (the job's error output names it): ${how}` } };
  if (kind === 'transfer' && exit === TRANSFER_EXIT.retryable)
    return { state: 'failed', error: { code: 'mover_failed', message: `the mover failed in a way worth retrying (network, peer, timeout); retry the pipeline to resume the copy: ${how}` } };
  return { state: 'failed', error: { code: kind === 'transfer' ? 'transfer_failed' : kind === 'registration' ? 'registration_failed' : 'job_failed', message: how } };
}

const lineageType = (s: StageEnd['state']): EventType => (s === 'succeeded' ? 'COMPLETE' : s === 'failed' ? 'FAIL' : 'ABORT');

/** Lineage is a record of what happened, not a condition of it: a failure to store an event is logged and never stops the pipeline. */
async function emit(events: Parameters<typeof recordEvent>[0][]): Promise<void> {
  for (const e of events) {
    try {
      await recordEvent(e);
    } catch (err) {
      logger.warn('a lineage event was not stored', { error: (err as Error).message, job: e.job.name, eventType: e.eventType });
    }
  }
}

/** Plan: ask the sites about running stages, record their ends, and say what happens next. */
export async function plan(pipelineId: string, executionId: string): Promise<PlanOutput> {
  const item = await getPipelineItem(pipelineId);
  if (!item) throw new Error(`pipeline ${pipelineId} does not exist`);
  const seen = pipelineOf(item);
  const pollSeconds = pipelinesConfig().pollSeconds;
  if (seen.executionId !== executionId) return { state: 'cancelled', start: [], version: seen.version, pollSeconds, cause: `superseded by run ${seen.run} (${seen.executionId})` };

  const ends = new Map<string, StageEnd>();
  const schedulerIds = new Map<string, string>();
  for (const id of seen.plan.order) {
    const run = seen.runs[id];
    const job = currentJob(run);
    if (run.state !== 'running' || !job) continue;
    try {
      const status: JobStatusView = await getJob(ownerOf(seen), seen.plan.stages[id].allocationId!, job.jobId, `pipeline:${executionId}`);
      if (status.schedulerJobId && !job.schedulerJobId) schedulerIds.set(id, status.schedulerJobId);
      const end = endOf(seen.plan.stages[id].kind, status);
      // a registration's version and a transfer's verified copy are recorded before the stage succeeds
      if (end) ends.set(id, end.state === 'succeeded' ? await completeSucceeded(seen, id, ctxOf(seen, executionId)) : end);
    } catch (e) {
      // the site or the job's record cannot be read now: the next Plan looks again
      logger.warn('a running stage could not be read', { pipelineId, stage: id, error: (e as Error).message });
    }
  }

  const attempts = new Map([...ends.keys()].map((id) => [id, seen.runs[id].attempt]));
  const r = await recordEnds(pipelineId, executionId, ctxOf(seen, executionId), ends, attempts, schedulerIds, 'plan');
  const p = r!.after;
  await forgetWatches(p, ends.keys());
  const state = TERMINAL.has(p.state) ? (p.state as PlanOutput['state']) : 'running';
  return {
    state,
    start: state === 'running' ? readyStages(p.plan, p.runs, p.cancelRequested) : [],
    version: p.version,
    pollSeconds: state === 'running' ? await waitSeconds(p) : pollSeconds,
    ...(state === 'failed' || state === 'cancelled' ? { cause: causeOf(p) } : {}),
  };
}

/** A watcher that ran this long ago still counts as watching (it runs every minute: one missed run is tolerated). */
export const WATCHER_FRESH_MS = 150_000;

/**
 * The doorbell's timeout: long (the backstop) while a watcher ran lately at every site with a
 * running stage, so its ring, not this timeout, wakes the flow; otherwise Plan's own short poll.
 */
async function waitSeconds(p: PipelineRecord): Promise<number> {
  const cfg = pipelinesConfig();
  const sites = [...new Set(p.plan.order.filter((id) => p.runs[id].state === 'running').map((id) => p.plan.stages[id].site))];
  if (!cfg.watcher.enabled || sites.length === 0) return cfg.pollSeconds;
  try {
    const last = await watchersLastRun(sites);
    const now = Date.now();
    return sites.every((s) => (last.get(s)?.getTime() ?? 0) > now - WATCHER_FRESH_MS) ? Math.max(cfg.watcher.backstopSeconds, cfg.pollSeconds) : cfg.pollSeconds;
  } catch (e) {
    logger.warn('the stage watchers could not be read; polling', { pipelineId: p.pipelineId, error: (e as Error).message });
    return cfg.pollSeconds;
  }
}

/** Stages no longer running need no watching; a failure only leaves a watch its watcher drops itself. */
async function forgetWatches(p: PipelineRecord, ids: Iterable<string>): Promise<void> {
  for (const id of ids) {
    const job = currentJob(p.runs[id]);
    if (p.runs[id].state === 'running' || !job) continue;
    await deleteWatch({ pipelineId: p.pipelineId, stageId: id, attempt: p.runs[id].attempt, jobId: job.jobId }).catch((e: unknown) =>
      logger.warn('a watch was not removed', { pipelineId: p.pipelineId, stage: id, error: (e as Error).message }),
    );
  }
}

/**
 * Records stages' ends (each only if it still runs at `attempts`' attempt in this execution: a late
 * or second report of the same end changes nothing), skips after a stop, sets the pipeline's state,
 * and emits the lineage of what this call moved. Shared by Plan and the stage watcher: of two racing
 * callers exactly one moves a stage (the audited write path serialises them), so an end is recorded
 * and emitted once.
 */
export async function recordEnds(pipelineId: string, executionId: string, ctx: AuditContext, ends: ReadonlyMap<string, StageEnd>, attempts: ReadonlyMap<string, number>, schedulerIds: ReadonlyMap<string, string>, by: EndSeenBy) {
  const at = new Date().toISOString();
  const r = await mutatePipeline(pipelineId, ctx, (p) => {
    if (p.executionId !== executionId) return null;
    let runs = p.runs;
    const ended: string[] = [];
    for (const [id, e] of ends) {
      if (runs[id].state !== 'running' || runs[id].attempt !== attempts.get(id)) continue;
      runs = { ...runs, [id]: moveStage(runs[id], e.state, at, { ...(e.error ? { error: e.error } : {}), ...(e.bytesMoved !== undefined ? { bytesMoved: e.bytesMoved } : {}), endSeenBy: by }) };
      ended.push(id);
    }
    for (const [id, sid] of schedulerIds) {
      runs = { ...runs, [id]: { ...runs[id], jobs: runs[id].jobs.map((j) => (j.attempt === runs[id].attempt && !j.schedulerJobId ? { ...j, schedulerJobId: sid } : j)) } };
    }
    runs = skipAfterStop(p.plan, runs, at);
    const status = pipelineStatus(p.plan, runs, p.cancelRequested);
    if (ended.length === 0 && schedulerIds.size === 0 && runs === p.runs && status.state === p.state) return null;
    return {
      patch: { runs, state: status.state, version: p.version + 1, ...(status.stoppedAt ? { stoppedAt: status.stoppedAt } : {}), ...(TERMINAL.has(status.state) ? { endedAt: at } : {}) },
      action: 'pipeline.stages.update',
      details: { ended: Object.fromEntries(ended.map((id) => [id, runs[id].state])), state: status.state, seenBy: by },
    };
  });
  if (r?.changed) {
    const p = r.after;
    const events = [...ends.keys()]
      .filter((id) => r.before.runs[id].state === 'running' && p.runs[id].state !== 'running')
      .map((id) =>
        stageEvent(stageRef(p, executionId, id), lineageType(ends.get(id)!.state), new Date(p.runs[id].endedAt!), {
          ...(p.copies?.[id] ?? {}),
          ...(ends.get(id)!.state !== 'succeeded' ? { outputs: [], error: ends.get(id)!.error?.message } : {}),
        }),
      );
    if (TERMINAL.has(p.state) && !TERMINAL.has(r.before.state)) {
      events.push(pipelineEvent({ pipelineId, executionId }, p.state === 'succeeded' ? 'COMPLETE' : p.state === 'failed' ? 'FAIL' : 'ABORT', new Date(p.endedAt!), causeOf(p)));
    }
    await emit(events);
  }
  return r;
}

function causeOf(p: PipelineRecord): string {
  const s = p.stoppedAt;
  return s ? `stage "${s.stage}" ${s.state}: ${s.error?.code ?? ''}${s.error?.message ? ` ${s.error.message}` : ''}`.trim() : p.state === 'cancelled' ? 'the pipeline was cancelled' : p.state;
}

function stageRef(p: PipelineRecord, executionId: string, stageId: string) {
  const s = p.plan.stages[stageId];
  return { pipeline: { pipelineId: p.pipelineId, executionId }, stageId, kind: s.kind, site: s.site, attempt: p.runs[stageId].attempt };
}

async function recordFailed(p: PipelineRecord, executionId: string, stageId: string, error: StageError): Promise<void> {
  const at = new Date().toISOString();
  await mutatePipeline(p.pipelineId, ctxOf(p, executionId), (cur) => {
    const run = cur.runs[stageId];
    if (run.state !== 'pending' && run.state !== 'running') return null;
    const failed = moveStage(run.state === 'pending' ? moveStage(run, 'running', at) : run, 'failed', at, { error });
    return { patch: { runs: { ...cur.runs, [stageId]: failed }, version: cur.version + 1 }, action: 'pipeline.stage.fail', details: { stage: stageId, code: error.code } };
  });
  await emit([stageEvent(stageRef(p, executionId, stageId), 'FAIL', new Date(at), { error: `${error.code}: ${error.message}` })]);
}

/**
 * Start stage: dispatch its job (idempotent by the stage run's key), then record it running. A
 * stage that is no longer pending (a retried step whose first attempt got through) is left alone.
 */
export async function start(pipelineId: string, executionId: string, stageId: string): Promise<{ started: boolean }> {
  const got = await getPipelineWithStages(pipelineId);
  if (!got) throw new Error(`pipeline ${pipelineId} does not exist`);
  const p = got.pipeline;
  const run = p.runs[stageId];
  if (p.executionId !== executionId || p.cancelRequested || run?.state !== 'pending') return { started: false };
  const declared = new Map(got.stages.map((s) => [s.stageId, s.stage]));
  const planned = p.plan.stages[stageId];
  const ids = { pipelineId, stageId, attempt: run.attempt };
  let work;
  try {
    work = await stageWork(declared.get(stageId)!, planned, ids, declared, p.registered ?? {});
  } catch (e) {
    if (!(e instanceof StageNotRunnable)) throw e;
    await recordFailed(p, executionId, stageId, { code: e.code, message: e.message });
    return { started: false };
  }
  let job: JobStatusView;
  try {
    job = (await dispatch({ caller: ownerOf(p), allocationId: work.allocationId, body: work.body, idempotencyKey: stageRunKey(ids), requestId: `pipeline:${executionId}` })).body;
  } catch (e) {
    if (!(e instanceof KairrError)) throw e;
    if (e.status >= 500 || e.code === 'dispatch_in_progress') {
      // Unconfirmed: the site may have the job. Ask it by the dispatch's id, as the jobs API
      // advises; only a job the site confirmed is recorded, anything else is retried with backoff.
      job = await resolveUnconfirmed(p, work.allocationId, e, executionId);
    } else {
      await recordFailed(p, executionId, stageId, { code: e.code, message: e.message, ...(e.details.length ? { details: e.details } : {}) });
      return { started: false };
    }
  }
  const at = new Date().toISOString();
  const r = await mutatePipeline(pipelineId, ctxOf(p, executionId), (cur) => {
    const now = cur.runs[stageId];
    if (now.state !== 'pending' || cur.executionId !== executionId) return null;
    const running: StageRun = { ...moveStage(now, 'running', at), jobs: [...now.jobs, { attempt: now.attempt, site: planned.site, jobId: job.jobId, ...(job.schedulerJobId ? { schedulerJobId: job.schedulerJobId } : {}) }] };
    const runs = { ...cur.runs, [stageId]: running };
    return {
      patch: {
        runs,
        state: pipelineStatus(cur.plan, runs, cur.cancelRequested).state,
        version: cur.version + 1,
        copies: { ...(cur.copies ?? {}), [stageId]: { inputs: work.inputs, outputs: work.outputs } },
        // a registration keeps its version from its first start: a retry registers the same one
        ...(work.registered && !cur.registered?.[stageId] ? { registered: { ...(cur.registered ?? {}), [stageId]: work.registered } } : {}),
      },
      action: 'pipeline.stage.start',
      details: { stage: stageId, attempt: now.attempt, jobId: job.jobId, site: planned.site },
    };
  });
  if (r?.changed) {
    await emit([
      // the pipeline run's START at the run's own start time: the same event from every stage, stored once
      pipelineEvent({ pipelineId, executionId }, 'START', new Date(p.runStartedAt ?? p.createdAt)),
      stageEvent(stageRef(r.after, executionId, stageId), 'START', new Date(at), { inputs: work.inputs }),
    ]);
  }
  // the site's watcher looks out for this job from now on (a retried step puts the same watch again)
  const mine = r?.after.runs[stageId];
  if (mine?.state === 'running' && currentJob(mine)?.jobId === job.jobId) {
    await putWatch({ pipelineId, executionId, stageId, attempt: mine.attempt, site: planned.site, jobId: job.jobId, ...(job.schedulerJobId ? { schedulerJobId: job.schedulerJobId } : {}) }).catch((e: unknown) =>
      // without it Plan's own look (the backstop) still sees the end
      logger.warn('the stage watch was not stored', { pipelineId, stage: stageId, error: (e as Error).message }),
    );
  }
  return { started: !!r?.changed };
}

export type WatchedEnd = 'recorded' | 'already-recorded' | 'running' | 'stale';

/**
 * The stage watcher saw a watched job finish (or leave the scheduler's memory): ask the job's
 * status through the jobs capability, as Plan does, record the stage's end, and ring the doorbell.
 * Idempotent: a stage already moved (by Plan, or another watcher) is left alone and not rung again.
 */
export async function recordWatchedEnd(w: WatchRecord): Promise<WatchedEnd> {
  const item = await getPipelineItem(w.pipelineId);
  const seen = item ? pipelineOf(item) : undefined;
  const run = seen?.runs[w.stageId];
  if (!seen || seen.executionId !== w.executionId || run?.state !== 'running' || run.attempt !== w.attempt || currentJob(run)?.jobId !== w.jobId) {
    await deleteWatch(w);
    return 'stale';
  }
  const ctx = ctxOf(seen, w.executionId);
  const status: JobStatusView = await getJob(ownerOf(seen), seen.plan.stages[w.stageId].allocationId!, w.jobId, `pipeline:${w.executionId}`);
  const end = endOf(seen.plan.stages[w.stageId].kind, status);
  if (!end) return 'running';
  const recorded = end.state === 'succeeded' ? await completeSucceeded(seen, w.stageId, ctx) : end;
  const schedulerIds = new Map(status.schedulerJobId && !currentJob(run)?.schedulerJobId ? [[w.stageId, status.schedulerJobId]] : []);
  const r = await recordEnds(w.pipelineId, w.executionId, ctx, new Map([[w.stageId, recorded]]), new Map([[w.stageId, w.attempt]]), schedulerIds, 'watcher');
  if (r && r.after.runs[w.stageId].state !== 'running') await deleteWatch(w);
  const moved = !!r?.changed && r.before.runs[w.stageId].state === 'running' && r.after.runs[w.stageId].state !== 'running';
  // the same conditional take-the-token-and-answer-it as a cancel: answered once, never lost
  if (r?.changed) await ringDoorbell(w.pipelineId, r.after.version);
  return moved ? 'recorded' : 'already-recorded';
}

async function resolveUnconfirmed(p: PipelineRecord, allocationId: string, e: KairrError, executionId: string): Promise<JobStatusView> {
  const jobId = e.details.find((d) => d.path === 'jobId')?.problem;
  if (jobId) {
    const found: JobStatusView = await getJob(ownerOf(p), allocationId, jobId, `pipeline:${executionId}`).catch(() => ({ state: 'submitting' }) as JobStatusView);
    if (found.state !== 'submitting' && found.state !== 'not-submitted' && !found.stale) return found;
  }
  throw new TransientStepError(e.message);
}

/** Record start failure: the start step gave up (its retries are spent); the stage fails naming why. */
export async function startFailed(pipelineId: string, executionId: string, stageId: string, error: { Error?: string; Cause?: string }): Promise<void> {
  const item = await getPipelineItem(pipelineId);
  if (!item) throw new Error(`pipeline ${pipelineId} does not exist`);
  const transient = error.Error === 'Connector.Transient';
  let cause = error.Cause ?? '';
  try {
    cause = (JSON.parse(cause) as { errorMessage?: string }).errorMessage ?? cause;
  } catch {
    /* a plain string */
  }
  await recordFailed(pipelineOf(item), executionId, stageId, { code: transient ? 'site_unavailable' : 'dispatch_failed', message: `${error.Error ?? 'error'}: ${cause}`.slice(0, 2000) });
}

/**
 * Wait for any stage: store the task token with the version Plan read. If the pipeline changed
 * since (a stage started or ended, a cancel), take the token back and answer it at once.
 */
export async function wait(pipelineId: string, seenVersion: number, taskToken: string): Promise<void> {
  await storeDoorbell(pipelineId, taskToken, seenVersion);
  const item = await getPipelineItem(pipelineId);
  if (item && pipelineOf(item).version !== seenVersion && (await takeDoorbell(pipelineId, { token: taskToken }))) await ring(taskToken);
}

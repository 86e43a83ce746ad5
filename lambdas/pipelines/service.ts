// Pipelines as the API serves them: create (validated against the world, idempotent), read, list,
// cancel, retry from the failed stage. The rules are the domain's (lambdas/domain/pipelines); this
// module loads, checks who may act, commits and starts or wakes the flow.
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { newId } from '../domain/ids';
import type { PipelineSpec, Stage } from '../domain/pipelines/spec';
import { initialRuns, pipelineStatus, planCancel, planRetry } from '../domain/pipelines/state';
import { validatePipeline } from '../domain/pipelines/validate';
import { hasRole, type Caller } from '../shared/http/caller';
import { idempotent } from '../shared/store/idempotency';
import type { AuditContext } from '../shared/store/write-path';
import { cancelJob } from '../jobs/index';
import { loadContext } from './context';
import { executionName, ringDoorbell, startRun } from './sfn';
import { createPipelineItems, getPipelineItem, getPipelineWithStages, listPipelines, mutatePipeline, pipelineOf, type Page, type PipelineRecord, type StageRecord } from './store';
import { pipelineView, type PipelineView } from './views';

const auditCtx = (caller: Caller, requestId: string): AuditContext => ({ actor: { sub: caller.sub, role: hasRole(caller, 'admin') ? 'admin' : 'researcher' }, requestId });

/** The owner and admins see a pipeline; to anyone else it does not exist (404, not 403: ids are not confirmed). */
function canSee(caller: Caller, p: PipelineRecord): boolean {
  return p.ownerSub === caller.sub || hasRole(caller, 'admin');
}

async function visible(caller: Caller, id: string): Promise<PipelineRecord> {
  const item = await getPipelineItem(id);
  const p = item ? pipelineOf(item) : null;
  if (!p || !canSee(caller, p)) throw new NotFoundError('Pipeline', id);
  return p;
}

export interface Created {
  status: number;
  body: PipelineView;
  replayed: boolean;
}

/**
 * Validates the pipeline against what the caller may use and creates it with its stages, its audit
 * event and the Idempotency-Key's record in one transaction, then starts its first run. A retry with
 * the same key answers as the first request did and never creates a second pipeline; if the first
 * request died between the commit and the start, the retry starts it (the start is idempotent).
 */
export async function createPipeline(caller: Caller, spec: PipelineSpec, idempotencyKey: string | undefined, requestId: string): Promise<Created> {
  // Required, not optional as on most creating POSTs: a pipeline created twice runs its GPU jobs twice.
  if (!idempotencyKey) throw ValidationError.field('headers.Idempotency-Key', 'is required: a retried create must not start the jobs twice');
  const now = new Date();
  const res = await idempotent({ operation: 'pipelines.create', callerSub: caller.sub, key: idempotencyKey, request: spec }, async (record) => {
    const v = validatePipeline(spec, await loadContext(spec, caller, now));
    if (!v.ok) throw new ValidationError(v.problems, `The pipeline is invalid: ${v.problems.length} problem${v.problems.length === 1 ? '' : 's'} (see details)`);
    const pipelineId = newId('pipe');
    const at = now.toISOString();
    const runs = initialRuns(v.plan);
    const p: PipelineRecord = {
      pipelineId,
      name: spec.name,
      ...(spec.description ? { description: spec.description } : {}),
      ownerSub: caller.sub,
      ...(caller.username ? { ownerUsername: caller.username } : {}),
      createdAt: at,
      updatedAt: at,
      plan: v.plan,
      runs,
      state: 'pending',
      cancelRequested: false,
      run: 1,
      executionId: executionName(pipelineId, 1),
      version: 0,
      runStartedAt: at,
    };
    const body = pipelineView(p, spec.stages);
    await createPipelineItems(auditCtx(caller, requestId), p, spec.stages, record({ status: 201, body }));
    return { status: 201, body };
  });
  const view = res.body as PipelineView;
  // A replay starts the first run only if the pipeline still waits for it (it was never retried).
  const current = res.replayed ? await getPipelineItem(view.pipelineId) : null;
  if (!res.replayed || (current && pipelineOf(current).run === 1 && pipelineOf(current).state === 'pending')) await startRun(view.pipelineId, view.executionId);
  return { status: res.status, body: view, replayed: res.replayed };
}

export async function getPipeline(caller: Caller, id: string): Promise<PipelineView> {
  const got = await getPipelineWithStages(id);
  if (!got || !canSee(caller, got.pipeline)) throw new NotFoundError('Pipeline', id);
  return pipelineView(got.pipeline, stagesInOrder(got.pipeline, got.stages));
}

function stagesInOrder(p: PipelineRecord, stages: StageRecord[]): Stage[] {
  const byId = new Map(stages.map((s) => [s.stageId, s.stage]));
  return Object.values(p.plan.stages)
    .sort((a, b) => a.index - b.index)
    .map((s) => byId.get(s.id))
    .filter((s): s is Stage => s !== undefined);
}

/** The caller's own pipelines; an admin's list is every pipeline. Newest first; views without the stages' declarations. */
export async function listOwnOrAll(caller: Caller, limit: number, startKey?: Record<string, unknown>): Promise<{ items: PipelineView[]; nextKey?: Page['nextKey'] }> {
  const page = await listPipelines(hasRole(caller, 'admin') ? 'all' : { owner: caller.sub }, limit, startKey);
  return { items: page.items.map((p) => pipelineView(p)), nextKey: page.nextKey };
}

export const listScope = (caller: Caller) => (hasRole(caller, 'admin') ? 'pipelines:all' : `pipelines:${caller.sub}`);

export interface CancelOutcome {
  pipeline: PipelineView;
  /** The running stages' jobs, and what their sites said to the cancel. */
  cancelledAtSites: { stage: string; jobId: string; result: 'cancelled' | 'finished' | 'unreachable' }[];
}

/**
 * Cancel: no new stage starts, pending stages are cancelled at once, and the running stages' jobs
 * are cancelled at their sites (as the caller, through the jobs capability: the owner dispatched
 * them, an admin may cancel any). The flow sees those jobs end and ends the run `cancelled`.
 */
export async function cancelPipeline(caller: Caller, id: string, requestId: string): Promise<CancelOutcome> {
  await visible(caller, id);
  const ctx = auditCtx(caller, requestId);
  const at = new Date().toISOString();
  let cancelAtSites: string[] = [];
  const r = await mutatePipeline(id, ctx, (p) => {
    if (p.cancelRequested) {
      // asked again: nothing changes, but a running job whose site did not answer is asked again
      cancelAtSites = p.plan.order.filter((s) => p.runs[s].state === 'running');
      return null;
    }
    const c = planCancel(p.plan, p.runs, at);
    cancelAtSites = c.cancelAtSites;
    const status = pipelineStatus(p.plan, c.runs, true);
    return {
      patch: { runs: c.runs, cancelRequested: true, state: status.state, ...(status.stoppedAt ? { stoppedAt: status.stoppedAt } : {}), version: p.version + 1, ...(status.state === 'cancelled' ? { endedAt: at } : {}) },
      action: 'pipeline.cancel',
      details: { cancelAtSites: c.cancelAtSites },
    };
  });
  if (!r) throw new NotFoundError('Pipeline', id);
  const outcomes: CancelOutcome['cancelledAtSites'] = [];
  for (const stageId of cancelAtSites) {
    const planned = r.after.plan.stages[stageId];
    const run = r.after.runs[stageId];
    const job = run.jobs.find((j) => j.attempt === run.attempt);
    if (!job || !planned.allocationId) continue;
    try {
      await cancelJob(caller, planned.allocationId, job.jobId, requestId);
      outcomes.push({ stage: stageId, jobId: job.jobId, result: 'cancelled' });
    } catch (e) {
      const code = (e as { code?: string }).code;
      // a job that ended meanwhile is not an error: the flow records how it ended
      if (code === 'job_finished') outcomes.push({ stage: stageId, jobId: job.jobId, result: 'finished' });
      else if (code === 'site_unavailable') outcomes.push({ stage: stageId, jobId: job.jobId, result: 'unreachable' });
      else throw e;
    }
  }
  if (r.changed) await ringDoorbell(id, r.after.version);
  return { pipeline: pipelineView(r.after), cancelledAtSites: outcomes };
}

/**
 * Retry from the failed stage: a new run (a new execution, a new parent run in lineage) that
 * resumes the failed, cancelled and skipped stages and never redoes a succeeded one.
 */
export async function retryPipeline(caller: Caller, id: string, requestId: string): Promise<PipelineView> {
  await visible(caller, id);
  const r = await mutatePipeline(id, auditCtx(caller, requestId), (p) => {
    if (p.state === 'cancelling') throw new ConflictError('The pipeline is still being cancelled at a site; retry once it is cancelled', [{ path: 'id', problem: 'is cancelling' }], 'pipeline_not_retryable');
    const next = planRetry(p.plan, p.runs);
    const run = p.run + 1;
    const status = pipelineStatus(p.plan, next.runs, false);
    return {
      patch: { runs: next.runs, run, executionId: executionName(id, run), state: status.state, cancelRequested: false, version: p.version + 1, runStartedAt: new Date().toISOString() },
      remove: ['stoppedAt', 'endedAt'],
      action: 'pipeline.retry',
      details: { run, resumeFrom: next.resumeFrom },
    };
  });
  if (!r) throw new NotFoundError('Pipeline', id);
  await startRun(id, r.after.executionId);
  return pipelineView(r.after);
}

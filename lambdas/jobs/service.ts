// Job status, lists and cancel, and what dispatch.ts shares with them (the lease, the site's
// errors). A GET asks the site and records what changed; a DELETE cancels at the site, as the
// job's own login when its dispatcher asks, and never marks a finished job cancelled. What a
// caller sees of a job is views.ts; the checks a dispatch request goes through are checks.ts
// (both re-exported here, where dispatch.ts and the tests import them).
import { ConflictError, ForbiddenError, KairrError, NotFoundError } from '../domain/errors';
import type { Allocation } from '../domain/ledger/model';
import { slurmUserName } from '../domain/scheduler-mapping';
import { runtimeConfig } from '../shared/config';
import { hasRole, type Caller } from '../shared/http/caller';
import { StaleWriteError, type AuditContext, type Item } from '../shared/store/write-path';
import { allocationOf, canSee, getAllocationItem } from '../ledger';
import { driverFor, getSiteAccountItem, isSchedulerError, withCredentialRefresh, type JobStatus } from '../connectors';
import { getJobItem, jobOf, listJobItems, updateJobFresh, type JobRecord } from './store';
import { recordNotSubmitted, recordSubmitted } from './outcomes';
import { releaseTracked } from './holds';
import { refuse } from '../shared/store/refusals';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { keys } from '../shared/store/keys';
import { view, type JobViewT } from './views';

export { view, type JobViewT } from './views';
export { checkAllocation, checkRequest } from './checks';

/**
 * How long a worker holds a dispatch while it submits. Longer than the API function's timeout
 * (29 s), so once it is over, the worker that held it is gone and its submit either reached the
 * site or never will.
 */
export const LEASE_MS = 60_000;

export interface Outcome<T> {
  status: number;
  body: T;
  replayed?: boolean;
}

// ---- who may see a job, and a dispatch's site errors ------------------------------------------------

async function visibleAllocation(id: string, caller: Caller): Promise<Allocation> {
  const item = await getAllocationItem(id);
  const a = item ? allocationOf(item) : undefined;
  // someone else's allocation is answered like a missing one
  if (!a || !canSee(caller, a)) throw new NotFoundError('Allocation', id);
  return a;
}

/** The request never left: the connection itself was refused (so the site cannot have the job). */
export function neverSent(e: unknown): boolean {
  if (!isSchedulerError(e) || e.kind !== 'transient') return false;
  let c: unknown = e.details.cause;
  for (let depth = 0; c && depth < 4; depth++) {
    if ((c as { code?: string }).code === 'ECONNREFUSED') return true;
    c = (c as { cause?: unknown }).cause;
  }
  return false;
}

export function partitionOf(job: JobRecord): string {
  const [siteId, resourceId] = job.resourceKey.split('/');
  const r = runtimeConfig()
    .sites.find((s) => s.id === siteId)
    ?.resources.find((x) => x.id === resourceId);
  if (!r) throw new Error(`resource ${job.resourceKey} is no longer configured`);
  return r.partition;
}

export function siteUnavailable(job: JobRecord, e: unknown): KairrError {
  const auth = isSchedulerError(e) && e.kind === 'auth';
  return new KairrError(
    503,
    'site_unavailable',
    `${job.siteId} ${auth ? "refused KAIRR's credentials" : 'cannot be reached'} now, so job ${job.jobId} may not have been submitted. ` +
      'It is recorded and recoverable: GET it to see whether the site has it, or send the same request again with the same Idempotency-Key (it will not be submitted twice).',
    [
      { path: 'site', problem: auth ? "refused KAIRR's credentials" : 'is unreachable' },
      { path: 'jobId', problem: job.jobId },
    ],
  );
}

// ---- status, list, cancel -----------------------------------------------------------------------

function statusPatch(s: JobStatus): Partial<JobRecord> {
  return {
    phase: s.phase,
    schedulerState: s.state,
    reason: s.reason,
    exitCode: s.exitCode,
    start: s.start,
    end: s.end,
    elapsedSeconds: s.elapsedSeconds,
  };
}

/**
 * Records a change of phase or scheduler state (not every elapsed second). A job that ended without
 * ever starting will never be charged, so what it still held goes back in the same commit.
 */
async function recordStatus(item: Item, s: JobStatus, ctx: AuditContext): Promise<Item> {
  const j = jobOf(item);
  if (j.phase === s.phase && j.schedulerState === s.state && j.reason === s.reason) return { ...item, elapsedSeconds: s.elapsedSeconds };
  try {
    return await updateJobFresh(j.allocationId, j.jobId, ctx, async (cur) => {
      const c = jobOf(cur);
      if (c.phase === s.phase && c.schedulerState === s.state && c.reason === s.reason) return null;
      // a finished job keeps its hold until it is charged, unless it never ran or its final charge is in
      const done = s.phase === 'finished' && c.holdState === 'tracked' && (!s.start || (await finallyCharged(c)));
      const hold = done ? await releaseTracked(c, new Date().toISOString()) : { patch: {}, sideWrites: [] };
      return {
        patch: { ...statusPatch(s), ...hold.patch },
        action: 'job.status',
        details: { phase: s.phase, schedulerState: s.state, ...(s.reason ? { reason: s.reason } : {}), ...(hold.patch.holdState ? { hold: 'released' } : {}) },
        sideWrites: hold.sideWrites,
      };
    });
  } catch (e) {
    if (e instanceof StaleWriteError) return (await getJobItem(j.allocationId, j.jobId)) ?? item;
    throw e;
  }
}

/** Whether the ledger has the job's final charge (a report with its end), e.g. from a collector that sent no dispatch id. */
async function finallyCharged(j: JobRecord): Promise<boolean> {
  if (!j.schedulerJobId) return false;
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: keys.jobUsage(j.siteId, j.cluster, j.schedulerJobId), ConsistentRead: true }));
  return !!out.Item?.end;
}

/** Asks the site about a job (resolving an unconfirmed dispatch); returns the stored state if the site cannot answer. */
async function refresh(item: Item, ctx: AuditContext): Promise<{ item: Item; stale: boolean }> {
  const j = jobOf(item);
  const driver = driverFor(j.siteId);
  try {
    if (j.state === 'submitting') {
      const found = await withCredentialRefresh(() => driver.findJobByDispatchId(j.jobId, { account: j.account, submittedAfter: new Date(Date.parse(j.createdAt) - 60_000) }));
      if (found) return { item: await recordSubmitted(item, found.jobId, ctx, { patch: statusPatch(found), details: { resolvedBy: 'lookup' } }), stale: false };
      if (Date.parse(j.leaseUntil) > Date.now()) return { item, stale: false };
      // the worker that held the lease is gone and the site has no job with this dispatch id
      return { item: await recordNotSubmitted(j.allocationId, j.jobId, j.siteId, ctx), stale: false };
    }
    if (j.state === 'submitted' && j.phase === 'finished' && j.holdState === 'tracked' && (await finallyCharged(j))) {
      // charged in full by a report without a dispatch id: what it still holds goes back
      const next = await updateJobFresh(j.allocationId, j.jobId, ctx, async (cur) => {
        const hold = await releaseTracked(jobOf(cur), new Date().toISOString());
        return hold.patch.holdState ? { patch: hold.patch, action: 'job.hold.release', details: { hold: 'released', why: 'charged in full' }, sideWrites: hold.sideWrites } : null;
      });
      return { item: next, stale: false };
    }
    if (j.state !== 'submitted' || !j.schedulerJobId || j.phase === 'finished') return { item, stale: false };
    const s = await withCredentialRefresh(() => driver.jobStatus(j.schedulerJobId!));
    return { item: await recordStatus(item, s, ctx), stale: false };
  } catch (e) {
    if (isSchedulerError(e) && (e.kind === 'transient' || e.kind === 'auth')) return { item, stale: true };
    throw e;
  }
}

async function jobItemOf(allocationId: string, jobId: string): Promise<Item> {
  const item = await getJobItem(allocationId, jobId);
  if (!item) throw new NotFoundError('Job', jobId);
  return item;
}

export async function getJob(caller: Caller, allocationId: string, jobId: string, requestId: string): Promise<JobViewT> {
  await visibleAllocation(allocationId, caller);
  const item = await jobItemOf(allocationId, jobId);
  const r = await refresh(item, { actor: { sub: caller.sub, role: caller.roles[0] ?? 'unknown' }, requestId });
  return view(jobOf(r.item), { stale: r.stale });
}

export async function listJobs(caller: Caller, allocationId: string, limit: number, startKey?: Record<string, unknown>) {
  await visibleAllocation(allocationId, caller);
  const page = await listJobItems(allocationId, limit, startKey);
  return { items: page.items.map((j) => view(j)), nextKey: page.nextKey };
}

const CANCEL_ROUTE = 'DELETE /v1/allocations/{id}/jobs/{jobId}';

export async function cancelJob(caller: Caller, allocationId: string, jobId: string, requestId: string): Promise<JobViewT> {
  const a = await visibleAllocation(allocationId, caller);
  let item = await jobItemOf(allocationId, jobId);
  const j = jobOf(item);
  if (!hasRole(caller, 'admin') && j.submittedBy !== caller.sub && a.piSub !== caller.sub) throw new ForbiddenError('Only the member who dispatched the job, or the PI, can cancel it');
  const ctx: AuditContext = { actor: { sub: caller.sub, role: hasRole(caller, 'admin') && j.submittedBy !== caller.sub && a.piSub !== caller.sub ? 'admin' : 'researcher' }, requestId };
  if (j.state === 'submitting') {
    const r = await refresh(item, ctx);
    if (r.stale) throw siteUnavailable(j, undefined);
    item = r.item;
    const now = jobOf(item);
    if (now.state === 'submitting') throw new ConflictError(`Job ${jobId} is being dispatched right now; cancel it in a moment`, [{ path: 'jobId', problem: jobId }], 'dispatch_in_progress');
    if (now.state === 'not-submitted') {
      item = await updateJobFresh(allocationId, jobId, ctx, (cur) => (jobOf(cur).state === 'not-submitted' ? { patch: { state: 'cancelled', cancelledAt: new Date().toISOString(), cancelledBy: caller.sub }, action: 'job.cancel' } : null));
      return view(jobOf(item));
    }
  }
  const cur = jobOf(item);
  if (cur.state !== 'submitted' || !cur.schedulerJobId || cur.cancelledAt) return view(cur);
  const driver = driverFor(cur.siteId);
  const siteCall = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await withCredentialRefresh(call);
    } catch (e) {
      if (isSchedulerError(e) && (e.kind === 'transient' || e.kind === 'auth')) throw siteUnavailable(cur, e);
      if (isSchedulerError(e) && e.kind === 'not-found') throw new NotFoundError('Job at the site', cur.schedulerJobId!);
      throw e;
    }
  };
  // Ask the site first: a finished job is not cancelled (nothing changes), and a scheduler job that
  // is not this dispatch's, run by this dispatch's login, is never touched.
  const atSite = await siteCall(() => driver.jobStatus(cur.schedulerJobId!));
  if ((atSite.dispatchId !== undefined && atSite.dispatchId !== cur.jobId) || slurmUserName(atSite.user) !== cur.user) {
    throw await refuse(ctx, {
      status: 409,
      code: 'scheduler_job_mismatch',
      message: `Scheduler job ${cur.schedulerJobId} at ${cur.siteId} is not job ${jobId} as KAIRR dispatched it; nothing was cancelled`,
      route: CANCEL_ROUTE,
      fields: [{ path: 'jobId', value: jobId, problem: `the site's job ${cur.schedulerJobId} runs as ${atSite.user} (dispatch ${atSite.dispatchId ?? 'none'})` }],
      about: { type: 'job', id: jobId },
    });
  }
  if (atSite.phase === 'finished') {
    throw new ConflictError(`Job ${jobId} has already finished (${atSite.state}${atSite.end ? ` at ${atSite.end}` : ''}); nothing was cancelled`, [{ path: 'jobId', problem: `finished at the site: ${atSite.state}` }], 'job_finished');
  }
  // The dispatcher cancels with a token of their own login (the scheduler then refuses any job not
  // theirs); the PI or an admin through the site's service user, on the job verified above.
  const own = caller.sub === cur.submittedBy ? await getSiteAccountItem(cur.siteId, caller.sub) : null;
  const asUser = own && own.state === 'active' && slurmUserName(String(own.username ?? '')) === cur.user ? cur.user : undefined;
  await siteCall(() => driver.cancelJob(cur.schedulerJobId!, asUser ? { asUser } : {}));
  const cancelledAt = new Date().toISOString();
  item = await updateJobFresh(allocationId, jobId, ctx, async (c) => {
    if (jobOf(c).cancelledAt) return null;
    const hold = await releaseTracked(jobOf(c), cancelledAt);
    return {
      patch: { cancelledAt, cancelledBy: caller.sub, ...hold.patch },
      action: 'job.cancel',
      details: { schedulerJobId: cur.schedulerJobId, as: asUser ?? 'site service user', ...(hold.patch.holdState ? { hold: 'released' } : {}) },
      sideWrites: hold.sideWrites,
    };
  });
  let status: JobStatus | undefined;
  try {
    status = await driver.jobStatus(cur.schedulerJobId);
  } catch {
    /* the cancel is recorded; the status follows on the next GET */
  }
  if (status) item = await recordStatus(item, status, ctx);
  return view(jobOf(item));
}

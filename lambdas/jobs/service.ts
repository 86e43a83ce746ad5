// Job dispatch, status and cancel. The rule that matters: a retried POST never submits twice.
//  1. The dispatch is recorded first (audited job item, state "submitting", with a lease), and its
//     id is the job's dispatch id, stamped on the scheduler job (Slurm: job name kairr.<id>).
//  2. Only then is it submitted. A first attempt skips the lookup (the id is brand new); a retry
//     (same Idempotency-Key) or a resumed dispatch always looks the id up at the site first.
//  3. The outcome is recorded: submitted (with the scheduler's job id), or rejected by the site.
//     If the site cannot be reached, the item stays "submitting": a GET resolves it (the site has
//     the job, or it never got it once the lease is over), and a retry resumes it.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/audit/jcs';
import { rateAt, type Resource, type Site } from '../domain/catalogue';
import { ConflictError, ForbiddenError, KairrError, NotFoundError, RuleViolationError, ValidationError, type ErrorDetail } from '../domain/errors';
import type { Allocation } from '../domain/ledger/model';
import { fromMc, toMc } from '../domain/ledger/money';
import { newId } from '../domain/ids';
import { slurmUserName } from '../domain/scheduler-mapping';
import { runtimeConfig } from '../shared/config';
import { hasRole, type Caller } from '../shared/http/caller';
import { StaleWriteError, type AuditContext, type Item } from '../shared/store/write-path';
import { allocationOf, getAllocationItem } from '../ledger/store';
import { canSee } from '../ledger/views';
import { isSchedulerError, type JobStatus, type SubmitJobRequest } from '../connectors/driver';
import { driverFor, withCredentialRefresh } from '../connectors/sites';
import { ENV_NAME, MAX_ENV_VARS, type DispatchBody, type JobState } from './api';
import { createJob, DispatchRaceError, getDispatchPointer, getJobItem, jobOf, listJobItems, updateJob, updateJobFresh, type JobRecord } from './store';
import { logger } from '../shared/log';
import { holdRefusal } from '../accountability/holds'; // accountability

/**
 * How long a worker holds a dispatch while it submits. Longer than the API function's timeout
 * (29 s), so once it is over, the worker that held it is gone and its submit either reached the
 * site or never will.
 */
export const LEASE_MS = 60_000;
const RESERVED_ENV = /^(SLURM_|KAIRR_)/;

export interface Outcome<T> {
  status: number;
  body: T;
  replayed?: boolean;
}

// ---- views ---------------------------------------------------------------------------------------

export type JobViewT = ReturnType<typeof view>;

export function view(j: JobRecord, opts: { stale?: boolean } = {}) {
  const phase = j.phase ?? 'pending';
  const state: JobState = j.state !== 'submitted' ? j.state : phase === 'finished' && j.cancelledAt ? 'cancelled' : phase;
  const opt = <K extends string, V>(k: K, v: V | undefined) => (v === undefined || v === null ? {} : ({ [k]: v } as Record<K, V>));
  return {
    jobId: j.jobId,
    allocationId: j.allocationId,
    site: j.siteId,
    resource: j.resourceKey,
    cluster: j.cluster,
    account: j.account,
    user: j.user,
    submittedBy: j.submittedBy,
    ...opt('name', j.name),
    gpus: j.gpus,
    nodes: j.nodes,
    timeLimit: j.timeLimitMinutes,
    state,
    creditsPerGpuHour: j.creditsPerGpuHour,
    estimatedCredits: j.estimatedCredits,
    ...opt('schedulerJobId', j.schedulerJobId),
    ...opt('schedulerState', j.schedulerState),
    ...opt('reason', j.reason),
    ...opt('exitCode', j.exitCode),
    createdAt: j.createdAt,
    ...opt('submittedAt', j.submittedAt),
    ...opt('start', j.start),
    ...opt('end', j.end),
    ...opt('elapsedSeconds', j.elapsedSeconds),
    ...opt('cancelledAt', j.cancelledAt),
    ...opt('error', j.error),
    ...(opts.stale ? { stale: true } : {}),
  };
}

// ---- checks ----------------------------------------------------------------------------------------

async function visibleAllocation(id: string, caller: Caller): Promise<Allocation> {
  const item = await getAllocationItem(id);
  const a = item ? allocationOf(item) : undefined;
  // someone else's allocation is answered like a missing one
  if (!a || !canSee(caller, a)) throw new NotFoundError('Allocation', id);
  return a;
}

interface Checked {
  site: Site;
  resource: Resource;
  resourceKey: string;
  rate: number;
  estimatedCredits: number;
  scriptBytes: number;
  workingDirectory: (user: string) => string;
}

/** Every field-level problem of a dispatch request against the configuration and the allocation: one 400 naming each field. */
export function checkRequest(body: DispatchBody, a: Allocation, now: Date): Checked {
  const cfg = runtimeConfig();
  const problems: ErrorDetail[] = [];
  const bad = (path: string, problem: string) => problems.push({ path, problem });
  const site = cfg.sites.find((s) => s.id === body.site);
  if (!site) bad('site', `"${body.site}" is not a site (sites: ${cfg.sites.map((s) => s.id).join(', ')})`);
  let resource: Resource | undefined;
  if (site) {
    const [prefix, id] = body.resource.includes('/') ? body.resource.split('/', 2) : [site.id, body.resource];
    resource = prefix === site.id ? site.resources.find((r) => r.id === id) : undefined;
    if (!resource) bad('resource', `"${body.resource}" is not a resource of ${site.id} (it has ${site.resources.map((r) => r.id).join(', ')})`);
    else if (!a.resources[`${site.id}/${resource.id}`]) bad('resource', `${site.id}/${resource.id} is not in this allocation (it has ${Object.keys(a.resources).join(', ')})`);
  }
  if (resource) {
    if (body.gpus > resource.gpusPerNode) bad('gpus', `is ${body.gpus}, more than the ${resource.gpusPerNode} GPUs a ${resource.id} node has`);
    if (body.nodes > resource.nodes) bad('nodes', `is ${body.nodes}, more than the ${resource.nodes} nodes of ${resource.id}`);
    if (body.timeLimit > resource.maxTimeLimitMinutes) bad('timeLimit', `is ${body.timeLimit} minutes, more than partition ${resource.partition}'s maximum of ${resource.maxTimeLimitMinutes}`);
  }
  const scriptBytes = Buffer.byteLength(body.script, 'utf8');
  if (scriptBytes > cfg.policy.maxJobScriptBytes) bad('script', `is ${scriptBytes} bytes, more than the limit of ${cfg.policy.maxJobScriptBytes}`);
  else if (!body.script.startsWith('#!')) bad('script', 'must start with an interpreter line (#!), e.g. #!/bin/bash');
  const env = Object.keys(body.env ?? {});
  if (env.length > MAX_ENV_VARS) bad('env', `has ${env.length} variables, more than ${MAX_ENV_VARS}`);
  for (const k of env) {
    if (!ENV_NAME.test(k)) bad(`env.${k}`, 'is not a valid variable name');
    else if (RESERVED_ENV.test(k)) bad(`env.${k}`, 'is reserved (names starting with SLURM_ or KAIRR_ are set by the scheduler and KAIRR)');
  }
  const rate = resource ? rateAt(resource, now.toISOString()) : undefined;
  if (problems.length) throw new ValidationError(problems, `The job request is invalid: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`);
  if (!rate) throw new RuleViolationError(`No credit rate of ${site!.id}/${resource!.id} is in force on ${now.toISOString().slice(0, 10)}`, [{ path: 'resource', problem: 'has no rate in force' }], 'no_rate');
  const estimatedCredits = fromMc(toMc((body.gpus * body.nodes * body.timeLimit * rate.creditsPerGpuHour) / 60));
  const template = cfg.policy.jobWorkingDirectory;
  return {
    site: site!,
    resource: resource!,
    resourceKey: `${site!.id}/${resource!.id}`,
    rate: rate.creditsPerGpuHour,
    estimatedCredits,
    scriptBytes,
    workingDirectory: (user) => body.workingDirectory ?? template.replaceAll('{user}', user),
  };
}

/** State, provisioning and balance: the rules after the request itself is valid. */
function checkAllocation(a: Allocation, c: Checked): string {
  // ---- accountability: a hold for an overdue report is refused with its own code and reason ----
  const hold = holdRefusal(a);
  if (hold) throw hold;
  // ---- end accountability ----
  if (a.state !== 'active') {
    throw new ConflictError(`The allocation is ${a.state}; jobs can be dispatched only while it is active${a.stateReason ? ` (${a.stateReason})` : ''}`, [{ path: 'id', problem: `allocation is ${a.state}` }], 'allocation_not_active');
  }
  const account = a.schedulerAccounts?.[c.resourceKey];
  if (!account) throw new ConflictError(`${c.resourceKey} of this allocation is not provisioned at ${c.site.id} yet`, [{ path: 'resource', problem: 'has no scheduler account yet' }], 'not_provisioned');
  const balance = a.resources[c.resourceKey];
  const policy = runtimeConfig().policy;
  if (balance.exhausted) throw new RuleViolationError(`${c.resourceKey} has no credits left`, [{ path: 'resource', problem: 'has no credits left' }], 'insufficient_credits');
  if (policy.dispatchBalanceCheck === 'time-limit' && balance.balanceMc + toMc(policy.overdraftCredits) < toMc(c.estimatedCredits)) {
    throw new RuleViolationError(
      `The job may use ${c.estimatedCredits} credits (GPUs × nodes × time limit at ${c.rate} credits per GPU-hour); ${c.resourceKey} has ${fromMc(balance.balanceMc)} left`,
      [{ path: 'timeLimit', problem: `needs ${c.estimatedCredits} credits at most; ${fromMc(balance.balanceMc)} are left (lower it, or the GPUs)` }],
      'insufficient_credits',
    );
  }
  return account;
}

function requestHash(allocationId: string, body: DispatchBody): string {
  return createHash('sha256').update(canonicalJson({ allocationId, ...body } as never)).digest('hex');
}

// ---- dispatch ---------------------------------------------------------------------------------

export interface DispatchInput {
  caller: Caller;
  allocationId: string;
  body: DispatchBody;
  idempotencyKey?: string;
  requestId: string;
}

export async function dispatch(input: DispatchInput): Promise<Outcome<JobViewT>> {
  const { caller, body } = input;
  const now = new Date();
  // Both reads in one round trip; the pointer is only looked at once the caller may dispatch.
  const [a, prior] = await Promise.all([
    visibleAllocation(input.allocationId, caller),
    input.idempotencyKey ? getDispatchPointer(input.allocationId, caller.sub, input.idempotencyKey) : null,
  ]);
  const member = a.members.find((m) => m.sub === caller.sub);
  if (!member) throw new ForbiddenError('Only the allocation\'s members can dispatch jobs under it');
  const checked = checkRequest(body, a, now);
  const hash = requestHash(a.id, body);
  const ctx: AuditContext = { actor: { sub: caller.sub, role: 'researcher' }, requestId: input.requestId };

  if (prior) return resume(a.id, prior, hash, body, ctx);
  const account = checkAllocation(a, checked);
  const user = slurmUserName(member.username);
  const job: JobRecord = {
    jobId: newId('job', now.getTime()),
    allocationId: a.id,
    siteId: checked.site.id,
    resourceKey: checked.resourceKey,
    cluster: checked.site.scheduler.cluster,
    account,
    user,
    submittedBy: caller.sub,
    ...(body.name ? { name: body.name } : {}),
    gpus: body.gpus,
    nodes: body.nodes,
    timeLimitMinutes: body.timeLimit,
    workingDirectory: checked.workingDirectory(user),
    scriptBytes: checked.scriptBytes,
    scriptSha256: createHash('sha256').update(body.script).digest('hex'),
    envNames: Object.keys(body.env ?? {}).sort(),
    creditsPerGpuHour: checked.rate,
    estimatedCredits: checked.estimatedCredits,
    state: 'submitting',
    createdAt: now.toISOString(),
    leaseUntil: new Date(now.getTime() + LEASE_MS).toISOString(),
    attempts: 1,
    requestHash: hash,
  };
  let item: Item;
  try {
    item = await createJob(job, ctx, input.idempotencyKey ? { sub: caller.sub, key: input.idempotencyKey } : undefined);
  } catch (e) {
    if (!(e instanceof DispatchRaceError)) throw e;
    const won = await getDispatchPointer(a.id, caller.sub, input.idempotencyKey!);
    if (!won) throw e;
    return resume(a.id, won, hash, body, ctx);
  }
  const done = await submit(item, body, ctx, true);
  return { status: 201, body: view(jobOf(done)) };
}

/** A retry with the same Idempotency-Key: the first request's job, finishing its dispatch if needed. */
async function resume(allocationId: string, prior: { jobId: string; requestHash: string }, hash: string, body: DispatchBody, ctx: AuditContext): Promise<Outcome<JobViewT>> {
  if (prior.requestHash !== hash) {
    throw new ConflictError('This Idempotency-Key was used with a different job request', [{ path: 'headers.Idempotency-Key', problem: 'was already used for another request' }], 'idempotency_key_reused');
  }
  const item = await getJobItem(allocationId, prior.jobId);
  if (!item) throw new NotFoundError('Job', prior.jobId);
  const job = jobOf(item);
  if (job.state !== 'submitting' && job.state !== 'not-submitted') return { status: 200, body: view(job), replayed: true };
  if (job.state === 'submitting' && Date.parse(job.leaseUntil) > Date.now()) {
    throw new ConflictError(`Job ${job.jobId} is being dispatched by another request right now; ask again in a moment`, [{ path: 'jobId', problem: job.jobId }], 'dispatch_in_progress');
  }
  // take the lease: of two retries, only the one whose commit wins goes on
  let leased: Item;
  try {
    leased = await updateJob(item, { state: 'submitting', leaseUntil: new Date(Date.now() + LEASE_MS).toISOString(), attempts: job.attempts + 1, error: undefined }, 'job.dispatch.resume', ctx, { attempt: job.attempts + 1 });
  } catch (e) {
    if (e instanceof StaleWriteError) throw new ConflictError(`Job ${job.jobId} is being dispatched by another request right now; ask again in a moment`, [{ path: 'jobId', problem: job.jobId }], 'dispatch_in_progress');
    throw e;
  }
  const done = await submit(leased, body, ctx, false);
  return { status: 200, body: view(jobOf(done)), replayed: true };
}

/** Submits a recorded dispatch and records the outcome. */
async function submit(item: Item, body: DispatchBody, ctx: AuditContext, firstAttempt: boolean): Promise<Item> {
  const job = jobOf(item);
  const req: SubmitJobRequest = {
    dispatchId: job.jobId,
    account: job.account,
    user: job.user,
    partition: partitionOf(job),
    gpus: job.gpus,
    nodes: job.nodes,
    timeLimitMinutes: job.timeLimitMinutes,
    script: body.script,
    workingDirectory: job.workingDirectory,
    environment: body.env ?? {},
    description: job.name ? `${job.name} (KAIRR ${job.allocationId})` : `KAIRR ${job.allocationId}`,
    firstAttempt,
  };
  const driver = driverFor(job.siteId);
  let result: { jobId: string; alreadySubmitted: boolean };
  try {
    result = await withCredentialRefresh(() => driver.submitJob(req));
  } catch (e) {
    if (isSchedulerError(e) && e.kind === 'permanent') {
      await updateJob(item, { state: 'rejected', error: e.message.slice(0, 500), leaseUntil: new Date().toISOString() }, 'job.rejected', ctx, { error: e.message.slice(0, 500) });
      throw new RuleViolationError(`${job.siteId} refused the job: ${e.message}`, [{ path: 'site', problem: 'refused the job' }], 'rejected_by_site');
    }
    logger.warn('dispatch unconfirmed', { jobId: job.jobId, site: job.siteId, error: (e as Error).message });
    if (neverSent(e)) {
      // the site refused the connection: nothing reached it, so a retry may go ahead at once
      // (it still looks the dispatch id up first); otherwise the lease runs out on its own
      await updateJob(item, { leaseUntil: new Date().toISOString(), error: `${job.siteId} was unreachable: ${(e as Error).message}`.slice(0, 500) }, 'job.dispatch.unreachable', ctx).catch(() => undefined);
    }
    throw siteUnavailable(job, e);
  }
  const now = new Date().toISOString();
  const patch: Partial<JobRecord> = { state: 'submitted', schedulerJobId: result.jobId, submittedAt: now, phase: 'pending', leaseUntil: now, error: undefined };
  const details = { schedulerJobId: result.jobId, alreadySubmitted: result.alreadySubmitted };
  try {
    return await updateJob(item, patch, 'job.submitted', ctx, details);
  } catch (e) {
    if (!(e instanceof StaleWriteError)) throw e;
    // someone resolved it meanwhile (a GET that found the job): record ours only if it is still open
    return updateJobFresh(job.allocationId, job.jobId, ctx, (cur) => (jobOf(cur).state === 'submitted' ? null : { patch, action: 'job.submitted', details }));
  }
}

/** The request never left: the connection itself was refused (so the site cannot have the job). */
function neverSent(e: unknown): boolean {
  if (!isSchedulerError(e) || e.kind !== 'transient') return false;
  let c: unknown = e.details.cause;
  for (let depth = 0; c && depth < 4; depth++) {
    if ((c as { code?: string }).code === 'ECONNREFUSED') return true;
    c = (c as { cause?: unknown }).cause;
  }
  return false;
}

function partitionOf(job: JobRecord): string {
  const [siteId, resourceId] = job.resourceKey.split('/');
  const r = runtimeConfig().sites.find((s) => s.id === siteId)?.resources.find((x) => x.id === resourceId);
  if (!r) throw new Error(`resource ${job.resourceKey} is no longer configured`);
  return r.partition;
}

function siteUnavailable(job: JobRecord, e: unknown): KairrError {
  const auth = isSchedulerError(e) && e.kind === 'auth';
  return new KairrError(
    503,
    'site_unavailable',
    `${job.siteId} ${auth ? 'refused KAIRR\'s credentials' : 'cannot be reached'} now, so job ${job.jobId} may not have been submitted. ` +
      'It is recorded and recoverable: GET it to see whether the site has it, or send the same request again with the same Idempotency-Key (it will not be submitted twice).',
    [
      { path: 'site', problem: auth ? 'refused KAIRR\'s credentials' : 'is unreachable' },
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

/** Records a change of phase or scheduler state (not every elapsed second). */
async function recordStatus(item: Item, s: JobStatus, ctx: AuditContext): Promise<Item> {
  const j = jobOf(item);
  if (j.phase === s.phase && j.schedulerState === s.state && j.reason === s.reason) return { ...item, elapsedSeconds: s.elapsedSeconds };
  try {
    return await updateJob(item, statusPatch(s), 'job.status', ctx, { phase: s.phase, schedulerState: s.state, ...(s.reason ? { reason: s.reason } : {}) });
  } catch (e) {
    if (e instanceof StaleWriteError) return (await getJobItem(j.allocationId, j.jobId)) ?? item;
    throw e;
  }
}

/** Asks the site about a job (resolving an unconfirmed dispatch); returns the stored state if the site cannot answer. */
async function refresh(item: Item, ctx: AuditContext): Promise<{ item: Item; stale: boolean }> {
  const j = jobOf(item);
  const driver = driverFor(j.siteId);
  try {
    if (j.state === 'submitting') {
      const found = await withCredentialRefresh(() => driver.findJobByDispatchId(j.jobId, { account: j.account, submittedAfter: new Date(Date.parse(j.createdAt) - 60_000) }));
      if (found) {
        const now = new Date().toISOString();
        const next = await updateJobFresh(j.allocationId, j.jobId, ctx, (cur) =>
          jobOf(cur).state === 'submitting' ? { patch: { state: 'submitted', schedulerJobId: found.jobId, submittedAt: now, leaseUntil: now, error: undefined, ...statusPatch(found) }, action: 'job.submitted', details: { schedulerJobId: found.jobId, resolvedBy: 'lookup' } } : null,
        );
        return { item: next, stale: false };
      }
      if (Date.parse(j.leaseUntil) > Date.now()) return { item, stale: false };
      // the worker that held the lease is gone and the site has no job with this dispatch id
      const next = await updateJobFresh(j.allocationId, j.jobId, ctx, (cur) =>
        jobOf(cur).state === 'submitting' && Date.parse(jobOf(cur).leaseUntil) <= Date.now()
          ? { patch: { state: 'not-submitted', error: `${j.siteId} never received this job; send the request again with the same Idempotency-Key, or dispatch it anew` }, action: 'job.not-submitted' }
          : null,
      );
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
  if (cur.state !== 'submitted' || !cur.schedulerJobId) return view(cur);
  const driver = driverFor(cur.siteId);
  try {
    await withCredentialRefresh(() => driver.cancelJob(cur.schedulerJobId!));
  } catch (e) {
    if (isSchedulerError(e) && (e.kind === 'transient' || e.kind === 'auth')) throw siteUnavailable(cur, e);
    if (isSchedulerError(e) && e.kind === 'not-found') throw new NotFoundError('Job at the site', cur.schedulerJobId!);
    throw e;
  }
  const cancelledAt = new Date().toISOString();
  item = await updateJobFresh(allocationId, jobId, ctx, (c) => (jobOf(c).cancelledAt ? null : { patch: { cancelledAt, cancelledBy: caller.sub }, action: 'job.cancel', details: { schedulerJobId: cur.schedulerJobId } }));
  let status: JobStatus | undefined;
  try {
    status = await driver.jobStatus(cur.schedulerJobId);
  } catch {
    /* the cancel is recorded; the status follows on the next GET */
  }
  if (status) item = await recordStatus(item, status, ctx);
  return view(jobOf(item));
}

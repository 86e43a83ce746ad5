// Job dispatch. The rule that matters: a retried POST never submits twice.
//  1. The dispatch is recorded first (audited job item, state "submitting", with a lease), and its
//     id is the job's dispatch id, stamped on the scheduler job (Slurm: job name kairr.<id>).
//  2. Only then is it submitted. A first attempt skips the lookup (the id is brand new); a retry
//     (same Idempotency-Key) or a resumed dispatch always looks the id up at the site first.
//  3. The outcome is recorded: submitted (with the scheduler's job id), or rejected by the site.
//     If the site cannot be reached, the item stays "submitting": a GET resolves it (the site has
//     the job, or it never got it once the lease is over), and a retry resumes it.
// And who it runs as is never the requester's choice: the user is the caller's own site account at
// the site (docs/security.md). Everything the dispatch rests on — the allocation active with this
// account and balance, the caller a member, their login active, the holds leaving room — is a
// condition of the ONE transaction that records it (step 1), so no concurrent change slips between:
// the job and its audit event, the hold, and two condition checks (the allocation with the caller's
// membership in it, the site account). After the submit, one more commit records the outcome.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/audit/jcs';
import { ConflictError, ForbiddenError, KairrError, NotFoundError, RuleViolationError } from '../domain/errors';
import type { Allocation } from '../domain/ledger/model';
import { fromMc, toMc } from '../domain/ledger/money';
import { newId } from '../domain/ids';
import { slurmUserName } from '../domain/scheduler-mapping';
import { usernameProblem } from '../domain/site-accounts';
import type { Site } from '../domain/catalogue';
import { runtimeConfig } from '../shared/config';
import type { Caller } from '../shared/http/caller';
import { keys, trustKeys } from '../shared/store/keys';
import { refuseChosenSchedulerUser } from '../shared/store/refusals';
import { StaleWriteError, type AuditContext, type ConditionCheck, type Item, type SideWrite } from '../shared/store/write-path';
import { canSee } from '../ledger';
import { isSchedulerError, type SubmitJobRequest, driverFor, withCredentialRefresh, ensureAccountRequests } from '../connectors';
import type { DispatchBody } from './api';
import { HoldExceededError, placeHold } from './holds';
import { recordRejected, recordSubmitted } from './outcomes';
import { readSnapshot, requestedResourceKey, type Snapshot } from './snapshot';
import { checkAllocation, checkRequest, LEASE_MS, neverSent, partitionOf, siteUnavailable, view, type JobViewT, type Outcome } from './service';
import { createJob, DispatchRaceError, getDispatchPointer, getJobItem, jobOf, updateJob, type JobRecord } from './store';
import { logger } from '../shared/log';
import { checkArtifacts, type JobArtifacts } from './artifacts';

export interface DispatchInput {
  caller: Caller;
  allocationId: string;
  body: DispatchBody;
  idempotencyKey?: string;
  requestId: string;
}

/** A fact the dispatch transaction rested on changed between the read and the write: look again. */
class ConditionMovedError extends ConflictError {
  constructor(what: string) {
    super(`${what} changed while the job was being recorded; send the request again`, [{ path: 'id', problem: `${what} changed meanwhile` }], 'dispatch_contended');
  }
}
/** How often a dispatch looks again after losing a race before it answers 409. */
const MAX_RACES = 8;

const ROUTE = 'POST /v1/allocations/{id}/jobs';

function requestHash(allocationId: string, body: DispatchBody): string {
  return createHash('sha256')
    .update(canonicalJson({ allocationId, ...body } as never))
    .digest('hex');
}

export async function dispatch(input: DispatchInput): Promise<Outcome<JobViewT>> {
  const { caller, body } = input;
  const ctx: AuditContext = { actor: { sub: caller.sub, role: 'researcher' }, requestId: input.requestId };
  // the scheduler user is never the requester's choice: any attempt is refused, and audited
  await refuseChosenSchedulerUser(
    ctx,
    ROUTE,
    [
      { path: 'user', value: body.user },
      { path: 'username', value: body.username },
    ],
    { type: 'allocation', id: input.allocationId },
  );
  const hash = requestHash(input.allocationId, body);
  const q = { allocationId: input.allocationId, sub: caller.sub, siteId: body.site, resourceKey: requestedResourceKey(body.site, body.resource) };
  const pointer = () => (input.idempotencyKey ? getDispatchPointer(input.allocationId, caller.sub, input.idempotencyKey) : Promise.resolve(null));
  let fresh = false;
  let declared: JobArtifacts | undefined;
  for (let races = 0; ; ) {
    let plan: Plan;
    try {
      plan = await prepare(input, await readSnapshot(q, fresh), ctx);
    } catch (e) {
      if (!(e instanceof KairrError)) throw e;
      // nothing is refused on a cached read's word; and a retry of an earlier request gets its job
      if (!fresh) {
        fresh = true;
        continue;
      }
      const prior = await pointer();
      if (prior) return resume(input, prior, hash, ctx);
      throw e;
    }
    // the catalogue is asked once, after the allocation's own checks passed (artifacts.ts)
    try {
      declared ??= await checkArtifacts(body, plan.job.siteId, caller, new Date());
    } catch (e) {
      const prior = e instanceof KairrError ? await pointer() : null;
      if (prior) return resume(input, prior, hash, ctx);
      throw e;
    }
    Object.assign(plan.job, declared);
    let recorded: Item;
    try {
      recorded = await createJob(plan.job, ctx, input.idempotencyKey ? { sub: caller.sub, key: input.idempotencyKey } : undefined, plan.extra);
    } catch (e) {
      if (e instanceof DispatchRaceError) {
        const won = await pointer();
        if (!won) throw e;
        return resume(input, won, hash, ctx);
      }
      if (!(e instanceof ConditionMovedError) && !(e instanceof HoldExceededError) && !lostToConcurrentWriters(e)) throw e;
      fresh = true;
      if (++races < MAX_RACES) continue;
      throw new ConflictError('Other changes to this allocation kept overtaking this dispatch; send it again', [{ path: 'id', problem: 'busy' }], 'dispatch_contended');
    }
    const done = await submit(recorded, body, ctx, true);
    return { status: 201, body: view(jobOf(done)) };
  }
}

/** DynamoDB cancelled the transaction for a concurrent one on the same items (after commit's own retries). */
function lostToConcurrentWriters(e: unknown): boolean {
  const err = e as { name?: string; CancellationReasons?: { Code?: string }[] };
  return err.name === 'TransactionConflictException' || (err.name === 'TransactionCanceledException' && !!err.CancellationReasons?.some((r) => r.Code === 'TransactionConflict'));
}

interface Plan {
  job: JobRecord;
  extra: { sideWrites: SideWrite[]; checks: ConditionCheck[] };
}

/** Every check of a dispatch against a snapshot, and the job and the conditions to record it with. */
async function prepare(input: DispatchInput, snap: Snapshot, ctx: AuditContext): Promise<Plan> {
  const { caller, body } = input;
  const now = new Date();
  const a = snap.allocation;
  // someone else's allocation is answered like a missing one
  if (!a || !canSee(caller, a)) throw new NotFoundError('Allocation', input.allocationId);
  if (!a.members.some((m) => m.sub === caller.sub)) throw new ForbiddenError("Only the allocation's members can dispatch jobs under it");
  const checked = checkRequest(body, a, now);
  const { account, balanceMc, maxHeldMc } = checkAllocation(a, checked);
  const user = await loginOf(snap, checked.site, a, caller, ctx);
  const policy = runtimeConfig().policy;
  const holding = policy.dispatchBalanceCheck === 'time-limit';
  const holdMc = toMc(checked.estimatedCredits);
  if (holding && snap.fresh && snap.heldMc > maxHeldMc) {
    const left = fromMc(balanceMc + toMc(policy.overdraftCredits) - snap.heldMc);
    throw new RuleViolationError(
      `The job may use ${checked.estimatedCredits} credits; ${checked.resourceKey} has ${fromMc(balanceMc)} left, of which jobs in flight hold ${fromMc(snap.heldMc)}`,
      [{ path: 'timeLimit', problem: `needs ${checked.estimatedCredits} credits at most; ${Math.max(0, left)} are not held by jobs in flight (lower it, or wait for them)` }],
      'insufficient_credits',
    );
  }
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
    requestHash: requestHash(a.id, body),
    ...(holding ? { holdMc, holdState: 'held' as const } : {}),
  };
  return { job, extra: { sideWrites: holding ? [placeHold(job, maxHeldMc, job.createdAt)] : [], checks: conditionsOf(a, job, holding ? balanceMc : undefined) } };
}

/** The caller's own login at the site: an active site account the site confirmed, still allowed by its policy. */
async function loginOf(snap: Snapshot, site: Site, a: Allocation, caller: Caller, ctx: AuditContext): Promise<string> {
  const acct = snap.siteAccount;
  if (acct?.state !== 'active' || !acct.username) {
    // a member the connector has not seen yet gets the request now, so the site's operators see it
    if (!acct && snap.fresh) await ensureAccountRequests(site.id, [caller.sub], a.id, site.accounts.proposedPrefix, { ...ctx, actor: { sub: `system:connector-${site.id}`, role: 'system' } });
    const why =
      !acct || acct.state === 'pending'
        ? `has no account yet: ${site.id}'s operators create it (requested ${acct?.requestedAt ?? 'now'}, proposed login ${acct?.proposedUsername ?? 'pending'})`
        : `account was disabled by ${site.id}${acct.disabledReason ? `: ${acct.disabledReason}` : ''}`;
    throw new ConflictError(`You cannot run jobs at ${site.id} until the site has created your account there`, [{ path: 'site', problem: `${caller.sub} ${why}` }], 'site_account_missing');
  }
  const bad = usernameProblem(site, acct.username);
  if (bad) throw new ConflictError(`Your login at ${site.id} is not allowed to run jobs: ${bad.problem}`, [{ path: 'site', problem: bad.problem }], 'site_account_not_allowed');
  return slurmUserName(acct.username);
}

/**
 * The conditions the dispatch transaction rests on (each failure says what moved). The caller's
 * membership is a condition on the allocation item itself (its members list still holds the entry
 * as read), not a check of the member index item: the ledger writes both in one commit, so they
 * agree, and one item fewer in the transaction is what DynamoDB charges per dispatch
 * (bench/dispatch-profile.ts: about 3 ms of 30 on DynamoDB Local). A changed entry (a role, say)
 * fails it too, and the dispatch looks again on a fresh read.
 */
function conditionsOf(a: Allocation, job: JobRecord, balanceMc: number | undefined): ConditionCheck[] {
  const balance = balanceMc === undefined ? '' : ' AND resources.#rk.balanceMc >= :bal';
  const me = a.members.find((m) => m.sub === job.submittedBy);
  if (!me) throw new ForbiddenError("Only the allocation's members can dispatch jobs under it");
  return [
    {
      key: keys.allocation(a.id),
      expression: `#st = :active AND resources.#rk.exhausted = :no AND schedulerAccounts.#rk = :acct${balance} AND contains(members, :me)`,
      names: { '#st': 'state', '#rk': job.resourceKey },
      values: { ':active': 'active', ':no': false, ':acct': job.account, ':me': me, ...(balanceMc === undefined ? {} : { ':bal': balanceMc }) },
      failure: () => new ConditionMovedError('The allocation or your membership'),
    },
    {
      key: trustKeys.siteAccount(job.siteId, job.submittedBy),
      expression: '#st = :active AND username = :u',
      names: { '#st': 'state' },
      values: { ':active': 'active', ':u': job.user },
      failure: () => new ConditionMovedError('Your site account'),
    },
  ];
}

/** A retry with the same Idempotency-Key: the first request's job, finishing its dispatch if needed. */
async function resume(input: DispatchInput, prior: { jobId: string; requestHash: string }, hash: string, ctx: AuditContext): Promise<Outcome<JobViewT>> {
  if (prior.requestHash !== hash) {
    throw new ConflictError('This Idempotency-Key was used with a different job request', [{ path: 'headers.Idempotency-Key', problem: 'was already used for another request' }], 'idempotency_key_reused');
  }
  const item = await getJobItem(input.allocationId, prior.jobId);
  if (!item) throw new NotFoundError('Job', prior.jobId);
  const job = jobOf(item);
  if (job.state !== 'submitting' && job.state !== 'not-submitted') return { status: 200, body: view(job), replayed: true };
  if (job.state === 'submitting' && Date.parse(job.leaseUntil) > Date.now()) {
    throw new ConflictError(`Job ${job.jobId} is being dispatched by another request right now; ask again in a moment`, [{ path: 'jobId', problem: job.jobId }], 'dispatch_in_progress');
  }
  const { extra, patch } = await recheck(input, job);
  // take the lease: of two retries, only the one whose commit wins goes on
  let leased: Item;
  try {
    leased = await updateJob(
      item,
      { state: 'submitting', leaseUntil: new Date(Date.now() + LEASE_MS).toISOString(), attempts: job.attempts + 1, error: undefined, ...patch },
      'job.dispatch.resume',
      ctx,
      { attempt: job.attempts + 1, ...(patch.holdState ? { hold: 'held' } : {}) },
      extra,
    );
  } catch (e) {
    if (e instanceof StaleWriteError) throw new ConflictError(`Job ${job.jobId} is being dispatched by another request right now; ask again in a moment`, [{ path: 'jobId', problem: job.jobId }], 'dispatch_in_progress');
    if (e instanceof ConditionMovedError || e instanceof HoldExceededError) throw new ConflictError(`Job ${job.jobId} could not be resumed: ${e.message}`, e.details, 'dispatch_contended');
    throw e;
  }
  const done = await submit(leased, input.body, ctx, false);
  return { status: 200, body: view(jobOf(done)), replayed: true };
}

/**
 * A resumed dispatch goes through the same gate as a new one, on a fresh read: the allocation must
 * still be active with credits, the caller a member, their login the job's user. A job that was
 * not submitted gave its hold back, so it takes it again.
 */
async function recheck(input: DispatchInput, job: JobRecord): Promise<{ extra: { sideWrites: SideWrite[]; checks: ConditionCheck[] }; patch: Partial<JobRecord> }> {
  const snap = await readSnapshot({ allocationId: job.allocationId, sub: input.caller.sub, siteId: job.siteId, resourceKey: job.resourceKey }, true);
  const a = snap.allocation;
  if (!a || !canSee(input.caller, a)) throw new NotFoundError('Allocation', job.allocationId);
  if (!a.members.some((m) => m.sub === input.caller.sub)) throw new ForbiddenError("Only the allocation's members can dispatch jobs under it");
  const checked = checkRequest(input.body, a, new Date());
  const { balanceMc, maxHeldMc } = checkAllocation(a, checked);
  const acct = snap.siteAccount;
  if (acct?.state !== 'active' || slurmUserName(acct.username ?? '') !== job.user) {
    throw new ConflictError(
      `Job ${job.jobId} was recorded to run as ${job.user} at ${job.siteId}, which is no longer your active login there`,
      [{ path: 'site', problem: 'your site account changed since the job was recorded' }],
      'site_account_changed',
    );
  }
  const holding = runtimeConfig().policy.dispatchBalanceCheck === 'time-limit';
  const rehold = holding && !!job.holdMc && job.holdState === 'released';
  if (rehold && snap.heldMc > maxHeldMc) throw new RuleViolationError(`Jobs in flight hold the credits job ${job.jobId} needs`, [{ path: 'timeLimit', problem: 'other jobs in flight hold the credits' }], 'insufficient_credits');
  return {
    patch: rehold ? { holdState: 'held' } : {},
    extra: { sideWrites: rehold ? [placeHold(job, maxHeldMc, new Date().toISOString())] : [], checks: conditionsOf(a, job, holding ? balanceMc : undefined) },
  };
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
      await recordRejected(item, e.message, ctx);
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
  return recordSubmitted(item, result.jobId, ctx, { details: { alreadySubmitted: result.alreadySubmitted } });
}

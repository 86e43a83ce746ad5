// The outcomes of a dispatch, each one audited commit of the job with what its hold becomes
// (holds.ts): submitted (the site has it: the hold is tracked beside its usage), rejected or never
// submitted (the hold goes back). Shared by the dispatch itself and by a GET that resolves it.
import { StaleWriteError, type AuditContext, type Item } from '../shared/store/write-path';
import { releaseHeld, trackHold } from './holds';
import { jobOf, updateJob, updateJobFresh, type JobRecord } from './store';

/** Records that the site has the job (scheduler id and, from a lookup, its status); a no-op when it is recorded already. */
export async function recordSubmitted(item: Item, schedulerJobId: string, ctx: AuditContext, extra: { patch?: Partial<JobRecord>; details?: Record<string, unknown> } = {}): Promise<Item> {
  const change = (cur: Item) => {
    const j = jobOf(cur);
    if (j.state === 'submitted') return null;
    const now = new Date().toISOString();
    const hold = trackHold(j, schedulerJobId, now);
    return {
      patch: { state: 'submitted' as const, schedulerJobId, submittedAt: now, phase: 'pending' as const, leaseUntil: now, error: undefined, ...(extra.patch ?? {}), ...hold.patch },
      action: 'job.submitted',
      details: { schedulerJobId, ...(extra.details ?? {}), ...(hold.patch.holdState ? { hold: 'tracked' } : {}) },
      sideWrites: hold.sideWrites,
    };
  };
  const first = change(item);
  if (!first) return item;
  try {
    return await updateJob(item, first.patch, first.action, ctx, first.details, first);
  } catch (e) {
    if (!(e instanceof StaleWriteError)) throw e;
    // someone resolved it meanwhile (a GET that found the job): record ours only if it is still open
    return updateJobFresh(jobOf(item).allocationId, jobOf(item).jobId, ctx, change);
  }
}

/** The site refused the job: rejected, and its hold released, in one commit. */
export async function recordRejected(item: Item, error: string, ctx: AuditContext): Promise<Item> {
  const now = new Date().toISOString();
  const hold = releaseHeld(jobOf(item), now);
  return updateJob(
    item,
    { state: 'rejected', error: error.slice(0, 500), leaseUntil: now, ...hold.patch },
    'job.rejected',
    ctx,
    { error: error.slice(0, 500), ...(hold.patch.holdState ? { hold: 'released' } : {}) },
    { sideWrites: hold.sideWrites },
  );
}

/** The lease is over and the site has no job with this dispatch id: not submitted, hold released. */
export async function recordNotSubmitted(allocationId: string, jobId: string, siteId: string, ctx: AuditContext): Promise<Item> {
  return updateJobFresh(allocationId, jobId, ctx, (cur) => {
    const j = jobOf(cur);
    if (j.state !== 'submitting' || Date.parse(j.leaseUntil) > Date.now()) return null;
    const hold = releaseHeld(j, new Date().toISOString());
    return {
      patch: { state: 'not-submitted', error: `${siteId} never received this job; send the request again with the same Idempotency-Key, or dispatch it anew`, ...hold.patch },
      action: 'job.not-submitted',
      ...(hold.patch.holdState ? { details: { hold: 'released' } } : {}),
      sideWrites: hold.sideWrites,
    };
  });
}

// Dispatch holds: the estimates of jobs in flight count against the balance until the job is charged
// or cancelled, so fifty parallel dispatches against a balance that covers ten accept at most ten.
//
// One counter per allocation and resource (trustKeys.dispatchHold) holds the sum. A dispatch adds
// its estimate with a condition in its one transaction: heldMc <= balance + overdraft − estimate,
// together with a check that the balance is still at least what it read. The allocation item itself
// is never touched by a dispatch: the ledger rewrites it whole on every commit, which would lose an
// in-place counter, and dispatches would contend with usage ingestion on it.
//
// A job's hold moves through three states, each change in the job's own audited commit:
//   held     (dispatched)  the counter includes job.holdMc;
//   tracked  (submitted)   its remainder sits in a hold item keyed like the job's usage
//                          (trustKeys.jobHold), which ingestion reads in the same round trip as the
//                          job's charge and lowers by what it charges, deleting it at the final report;
//   released (rejected, not submitted, cancelled, or finished without ever starting).
// Every release is a conditional write, so no credit is released twice and the counter never drifts.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { trustKeys } from '../shared/store/keys';
import type { SideWrite } from '../shared/store/write-path';
import { RuleViolationError } from '../domain/errors';
import type { JobRecord } from './store';

/** The hold counter would pass what the balance covers (a concurrent dispatch took it). */
export class HoldExceededError extends RuleViolationError {
  constructor() {
    super('The credits held by jobs in flight leave too little for this job', [{ path: 'timeLimit', problem: 'other jobs in flight hold the credits' }], 'insufficient_credits');
  }
}

export function counterKey(job: Pick<JobRecord, 'allocationId' | 'resourceKey'>) {
  return trustKeys.dispatchHold(job.allocationId, job.resourceKey);
}

/** Adds the job's estimate to the counter, only while the counter stays at or under maxHeldMc. */
export function placeHold(job: Pick<JobRecord, 'allocationId' | 'resourceKey' | 'holdMc'>, maxHeldMc: number, now: string): SideWrite {
  return {
    update: {
      key: counterKey(job),
      expression: 'ADD heldMc :e SET updatedAt = :t, allocationId = :a, #res = :r',
      names: { '#res': 'resource' },
      values: { ':e': job.holdMc ?? 0, ':t': now, ':a': job.allocationId, ':r': job.resourceKey },
    },
    condition: { expression: 'attribute_not_exists(heldMc) OR heldMc <= :max', values: { ':max': maxHeldMc } },
    failure: () => new HoldExceededError(),
  };
}

function lowerCounter(job: Pick<JobRecord, 'allocationId' | 'resourceKey'>, mc: number, now: string): SideWrite {
  return { update: { key: counterKey(job), expression: 'ADD heldMc :e SET updatedAt = :t', values: { ':e': -mc, ':t': now } } };
}

/** held → released: the whole estimate goes back (the job never reached the site, or was refused). */
export function releaseHeld(job: JobRecord, now: string): { patch: Partial<JobRecord>; sideWrites: SideWrite[] } {
  if (job.holdState !== 'held' || !job.holdMc) return { patch: {}, sideWrites: [] };
  return { patch: { holdState: 'released' }, sideWrites: [lowerCounter(job, job.holdMc, now)] };
}

/** held → tracked: the site took the job; its hold now lives beside its usage, where charging finds it. */
export function trackHold(job: JobRecord, schedulerJobId: string, now: string): { patch: Partial<JobRecord>; sideWrites: SideWrite[] } {
  if (job.holdState !== 'held' || !job.holdMc) return { patch: {}, sideWrites: [] };
  return {
    patch: { holdState: 'tracked' },
    sideWrites: [
      {
        put: { ...trustKeys.jobHold(job.siteId, job.cluster, schedulerJobId), allocationId: job.allocationId, jobId: job.jobId, resource: job.resourceKey, heldMc: job.holdMc, updatedAt: now },
        condition: { expression: 'attribute_not_exists(pk)' },
      },
    ],
  };
}

export interface JobHold {
  allocationId: string;
  jobId: string;
  resource: string;
  heldMc: number;
}

export async function getJobHold(siteId: string, cluster: string, schedulerJobId: string): Promise<JobHold | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: trustKeys.jobHold(siteId, cluster, schedulerJobId), ConsistentRead: true }));
  return out.Item as JobHold | undefined;
}

/** tracked → released: what is left of the hold goes back (the job was cancelled, or ended without running). */
export async function releaseTracked(job: JobRecord, now: string): Promise<{ patch: Partial<JobRecord>; sideWrites: SideWrite[] }> {
  if (job.holdState !== 'tracked' || !job.schedulerJobId) return { patch: {}, sideWrites: [] };
  const hold = await getJobHold(job.siteId, job.cluster, job.schedulerJobId);
  if (!hold) return { patch: { holdState: 'released' }, sideWrites: [] }; // charged in full already
  return {
    patch: { holdState: 'released' },
    sideWrites: [
      // as read: a charge landing meanwhile makes this commit fail and be made again
      { delete: trustKeys.jobHold(job.siteId, job.cluster, job.schedulerJobId), condition: { expression: 'heldMc = :h', values: { ':h': hold.heldMc } } },
      ...(hold.heldMc > 0 ? [lowerCounter(job, hold.heldMc, now)] : []),
    ],
  };
}

/** Usage charged `chargedMc` more to a tracked job: the hold shrinks by as much (all of it at the final report). */
export function chargeAgainstHold(hold: JobHold & { key: { pk: string; sk: string } }, chargedMc: number, final: boolean, now: string): { releasedMc: number; sideWrites: SideWrite[] } {
  const releasedMc = final ? hold.heldMc : Math.min(hold.heldMc, Math.max(0, chargedMc));
  if (releasedMc === 0 && !final) return { releasedMc: 0, sideWrites: [] };
  const left = hold.heldMc - releasedMc;
  const cond = { expression: 'heldMc = :h', values: { ':h': hold.heldMc } };
  const ref: SideWrite = left > 0 ? { put: { ...hold.key, allocationId: hold.allocationId, jobId: hold.jobId, resource: hold.resource, heldMc: left, updatedAt: now }, condition: cond } : { delete: hold.key, condition: cond };
  return { releasedMc, sideWrites: [ref] };
}

export { lowerCounter };

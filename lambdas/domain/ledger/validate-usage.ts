// Semantic checks of one usage report from a site (its shape is checked by the API schema first).
// Each rejection names the field and a stable code, so a site can fix its collector.
import { rateAt, type Site } from '../catalogue';
import { chargeMc } from './money';
import type { PricedUsage } from './usage';

export interface UsageReport {
  cluster: string;
  jobId: string;
  /** The scheduler account the job ran under; or allocationId + resource directly. */
  account?: string;
  allocationId?: string;
  /** Resource id at this site (e.g. "h200") or its key ("spc/h200"). */
  resource: string;
  user: string;
  gpus: number;
  start: string;
  end?: string | null;
  elapsedSeconds: number;
  /** Set for a job KAIRR dispatched: its dispatch hold is looked up and released as it is charged. */
  dispatchId?: string;
}

export interface Rejection {
  code: 'unknown_allocation' | 'job_of_another_allocation' | 'resource_mismatch' | 'unknown_resource' | 'resource_not_in_allocation' | 'wrong_cluster' | 'negative_value' | 'absurd_value' | 'end_before_start' | 'start_in_future' | 'no_rate';
  path: string;
  problem: string;
}

/** A job may be reported up to this far ahead of KAIRR's clock (clock skew between systems). */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** No single job runs longer than this; more is a collector bug. */
export const MAX_JOB_SECONDS = 400 * 24 * 3600;

export function checkUsage(
  site: Site,
  r: UsageReport,
  now: Date,
  resolveAllocation: (r: UsageReport) => { allocationId: string; resources: string[] } | undefined,
): { ok: true; allocationId: string; resourceKey: string; rate: number } | { ok: false; rejection: Rejection } {
  const no = (code: Rejection['code'], path: string, problem: string) => ({ ok: false as const, rejection: { code, path, problem } });
  if (r.cluster !== site.scheduler.cluster) return no('wrong_cluster', 'cluster', `is "${r.cluster}", but site ${site.id} reports cluster "${site.scheduler.cluster}"`);
  const resId = r.resource.includes('/') ? r.resource.split('/')[1] : r.resource;
  if (r.resource.includes('/') && r.resource.split('/')[0] !== site.id) return no('unknown_resource', 'resource', `"${r.resource}" is not a resource of site ${site.id}`);
  const resource = site.resources.find((x) => x.id === resId);
  if (!resource) return no('unknown_resource', 'resource', `"${r.resource}" is not a resource of site ${site.id} (it has ${site.resources.map((x) => x.id).join(', ')})`);
  if (r.gpus < 0) return no('negative_value', 'gpus', 'must not be negative');
  if (r.elapsedSeconds < 0) return no('negative_value', 'elapsedSeconds', 'must not be negative');
  const maxGpus = resource.nodes * resource.gpusPerNode;
  if (r.gpus > maxGpus) return no('absurd_value', 'gpus', `is ${r.gpus}, more than the ${maxGpus} GPUs ${site.id}/${resource.id} has`);
  if (r.elapsedSeconds > MAX_JOB_SECONDS) return no('absurd_value', 'elapsedSeconds', `is ${r.elapsedSeconds}, more than ${MAX_JOB_SECONDS} seconds (400 days)`);
  const start = Date.parse(r.start);
  if (start > now.getTime() + CLOCK_SKEW_MS) return no('start_in_future', 'start', `is ${r.start}, in the future`);
  if (r.end) {
    const end = Date.parse(r.end);
    if (end < start) return no('end_before_start', 'end', `is ${r.end}, before the start ${r.start}`);
    if (r.elapsedSeconds > (end - start) / 1000 + 60) return no('absurd_value', 'elapsedSeconds', `is ${r.elapsedSeconds}, longer than the ${Math.round((end - start) / 1000)} seconds between start and end`);
  } else if (r.elapsedSeconds > (now.getTime() + CLOCK_SKEW_MS - start) / 1000 + 60) {
    return no('absurd_value', 'elapsedSeconds', `is ${r.elapsedSeconds}, longer than the job has existed`);
  }
  const alloc = resolveAllocation(r);
  if (!alloc) return no('unknown_allocation', r.allocationId ? 'allocationId' : 'account', `${r.allocationId ? `allocation "${r.allocationId}"` : `account "${r.account}"`} is not known at site ${site.id}`);
  const key = `${site.id}/${resource.id}`;
  if (!alloc.resources.includes(key)) return no('resource_not_in_allocation', 'resource', `allocation ${alloc.allocationId} has no credits on ${key}`);
  const rate = rateAt(resource, r.start);
  if (!rate) return no('no_rate', 'start', `no credit rate of ${key} was in force on ${r.start.slice(0, 10)}`);
  return { ok: true, allocationId: alloc.allocationId, resourceKey: key, rate: rate.creditsPerGpuHour };
}

export function price(index: number, siteId: string, r: UsageReport, resourceKey: string, rate: number): PricedUsage {
  return {
    index,
    siteId,
    cluster: r.cluster,
    jobId: r.jobId,
    resource: resourceKey,
    account: r.account ?? '',
    user: r.user,
    gpus: r.gpus,
    start: r.start,
    end: r.end ?? null,
    elapsedSeconds: r.elapsedSeconds,
    rate,
    chargeMc: chargeMc(r.gpus, r.elapsedSeconds, rate),
  };
}

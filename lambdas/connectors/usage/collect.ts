// Usage collection for one site: the scheduler's finished and running jobs since the watermark
// (driver.listJobs), turned into usage reports (allocated gres/gpu × elapsed), handed to the ledger,
// which charges each job exactly once at its latest value. The watermark moves only after the
// ledger accepted the whole batch (no `failed` results), and never backwards, so an overlapping or
// repeated run re-reports some jobs (charged nothing more) and never skips one.
import { runtimeConfig } from '../../shared/config';
import type { AuditContext } from '../../shared/store/write-path';
import { newId } from '../../domain/ids';
import { ACCOUNT_PREFIX, usageRecordFromJob } from '../../domain/scheduler-mapping';
import type { UsageReport } from '../../domain/ledger/validate-usage';
import { driverFor, siteOf, withCredentialRefresh } from '../sites';
import { advanceWatermark, getWatermark } from '../state';
import { ingestThroughLedger } from './ledger-client';
import { logger } from '../../shared/log';

/** The first run of a site looks this far back. */
export const INITIAL_LOOKBACK_MS = 14 * 86_400_000;
/**
 * Each run re-reads this much before the watermark: slurmdbd may learn of a job's end a little
 * after it happened (slurmctld sends it asynchronously), and the ledger makes re-reading free.
 */
export const OVERLAP_MS = 15 * 60_000;
/** Reports per ledger invocation (about 250 bytes each; far below the 6 MB invoke payload limit). */
export const BATCH_SIZE = 1000;
export const CONCURRENT_BATCHES = 4;

/**
 * The window is read in slices of at most this long, each handed to the ledger before the next is
 * read, and the watermark follows slice by slice: a site's busy day (or a first run's 14 days)
 * never has to fit in one slurmdbd answer (about 8 KB of JSON per job), and a run cut short keeps
 * what it did. A normal run (interval + overlap) is one slice; a longer window is cut into at most
 * MAX_SLICES slices.
 */
export const SLICE_MS = 60 * 60_000;
/** A long window (a first run, or after an outage) is cut into at most this many slices. */
export const MAX_SLICES = 24;

export interface CollectResult {
  siteId: string;
  runId: string;
  since: string;
  until: string;
  /** Jobs the scheduler returned for the window (a job running across slices counts once). */
  jobs: number;
  /** Reports sent to the ledger. */
  reports: number;
  /** Jobs not reported: other projects' accounts, or partitions KAIRR does not know. */
  ignored: { notKairr: number; unknownPartition: number };
  slices: number;
  batches: number;
  /** Ledger outcomes by status: accepted, duplicate, corrected, rejected, failed. */
  summary: Record<string, number>;
  /** The first few rejections, for the operator. */
  rejections: { jobId: string; code: string; problem: string }[];
  watermark: { from: string | null; to: string; moved: boolean; held?: string };
  timings: { listMs: number; ingestMs: number; totalMs: number };
}

export async function collectUsage(siteId: string, opts: { now?: Date; requestId?: string; batchSize?: number; concurrency?: number; sliceMs?: number } = {}): Promise<CollectResult> {
  const t0 = Date.now();
  const site = siteOf(siteId, 'siteId');
  const runStart = opts.now ?? new Date();
  const runId = opts.requestId ?? newId('usage');
  const current = await getWatermark(site.id);
  const since = new Date(current ? Date.parse(current.watermark) - OVERLAP_MS : runStart.getTime() - INITIAL_LOOKBACK_MS);
  const resourceOf = new Map(site.resources.map((r) => [r.partition, r.id]));
  const ctx: AuditContext = { actor: { sub: `system:collector-${site.id}`, role: 'system' }, requestId: runId, reason: 'usage collection' };
  const result: CollectResult = {
    siteId: site.id,
    runId,
    since: since.toISOString(),
    until: runStart.toISOString(),
    jobs: 0,
    reports: 0,
    ignored: { notKairr: 0, unknownPartition: 0 },
    slices: 0,
    batches: 0,
    summary: {},
    rejections: [],
    watermark: { from: current?.watermark ?? null, to: current?.watermark ?? since.toISOString(), moved: false },
    timings: { listMs: 0, ingestMs: 0, totalMs: 0 },
  };
  const seen = new Set<string>();
  const sliceMs = opts.sliceMs ?? Math.max(SLICE_MS, Math.ceil((runStart.getTime() - since.getTime()) / MAX_SLICES));

  for (let from = since.getTime(); from < runStart.getTime(); from += sliceMs) {
    const until = new Date(Math.min(from + sliceMs, runStart.getTime()));
    const tList = Date.now();
    const jobs = await withCredentialRefresh(() => driverFor(site.id).listJobs({ since: new Date(from), ...(until.getTime() < runStart.getTime() ? { until } : {}) }));
    result.timings.listMs += Date.now() - tList;
    result.slices += 1;
    const reports: UsageReport[] = [];
    for (const job of jobs) {
      if (seen.has(job.jobId)) continue; // a job running across slices: the same record, read again
      seen.add(job.jobId);
      result.jobs += 1;
      if (!job.account.startsWith(ACCOUNT_PREFIX)) {
        result.ignored.notKairr += 1;
        continue;
      }
      const u = usageRecordFromJob(job, (p) => resourceOf.get(p));
      if (!u) {
        result.ignored.unknownPartition += 1;
        continue;
      }
      reports.push({
        cluster: u.cluster,
        jobId: u.jobId,
        account: u.account,
        resource: u.resourceId,
        user: u.user,
        gpus: u.gpus,
        start: u.start,
        end: u.end ?? null,
        elapsedSeconds: u.elapsedSeconds,
        ...(u.dispatchId ? { dispatchId: u.dispatchId } : {}),
      });
    }
    const tIngest = Date.now();
    const failed = await ingest(site.id, reports, `${runId}#${result.slices}`, result, opts);
    result.timings.ingestMs += Date.now() - tIngest;
    result.reports += reports.length;
    if (failed) {
      result.watermark.held = `${failed} report(s) were not recorded by the ledger; the next run sends them again`;
      break;
    }
    // the watermark follows each slice that carried reports, and the end of the run
    if (reports.length || until.getTime() >= runStart.getTime()) {
      const moved = await advanceWatermark(site.id, until, ctx, { runId, slice: result.slices, jobs: result.jobs, reports: result.reports, summary: result.summary });
      result.watermark = { from: result.watermark.from, to: moved.watermark, moved: result.watermark.moved || moved.moved };
    }
  }
  result.timings.totalMs = Date.now() - t0;
  logger.info('usage collected', { siteId: site.id, jobs: result.jobs, reports: result.reports, slices: result.slices, summary: result.summary, watermarkMoved: result.watermark.moved, ms: result.timings.totalMs });
  return result;
}

/** Hands one slice's reports to the ledger in batches, a few at a time; returns how many it could not record. */
async function ingest(siteId: string, reports: UsageReport[], requestId: string, result: CollectResult, opts: { batchSize?: number; concurrency?: number }): Promise<number> {
  const batchSize = opts.batchSize ?? BATCH_SIZE;
  const batches: UsageReport[][] = [];
  for (let i = 0; i < reports.length; i += batchSize) batches.push(reports.slice(i, i + batchSize));
  result.batches += batches.length;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const i = next++;
      const res = await ingestThroughLedger({ source: 'kairr.connector', action: 'ingestUsage', siteId, records: batches[i], requestId: `${requestId}#${i}` });
      for (const r of res.results) {
        result.summary[r.status] = (result.summary[r.status] ?? 0) + 1;
        if (r.status === 'failed') failed += 1;
        if (r.status === 'rejected' && result.rejections.length < 20) result.rejections.push({ jobId: r.jobId, code: r.reason?.code ?? '', problem: r.reason?.problem ?? '' });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? CONCURRENT_BATCHES, batches.length) }, worker));
  return failed;
}

/** Seconds a job's end can wait for its charge: one collection interval plus one collection run. */
export function freshnessBoundSeconds(collectionSeconds: number): number {
  return runtimeConfig().policy.usageCollectionIntervalMinutes * 60 + collectionSeconds;
}

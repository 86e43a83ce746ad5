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

export interface CollectResult {
  siteId: string;
  runId: string;
  since: string;
  until: string;
  /** Jobs the scheduler returned for the window. */
  jobs: number;
  /** Reports sent to the ledger. */
  reports: number;
  /** Jobs not reported: other projects' accounts, or partitions KAIRR does not know. */
  ignored: { notKairr: number; unknownPartition: number };
  batches: number;
  /** Ledger outcomes by status: accepted, duplicate, corrected, rejected, failed. */
  summary: Record<string, number>;
  /** The first few rejections, for the operator. */
  rejections: { jobId: string; code: string; problem: string }[];
  watermark: { from: string | null; to: string; moved: boolean; held?: string };
  timings: { listMs: number; ingestMs: number; totalMs: number };
}

export async function collectUsage(siteId: string, opts: { now?: Date; requestId?: string; batchSize?: number; concurrency?: number } = {}): Promise<CollectResult> {
  const t0 = Date.now();
  const site = siteOf(siteId, 'siteId');
  const runStart = opts.now ?? new Date();
  const runId = opts.requestId ?? newId('usage');
  const current = await getWatermark(site.id);
  const since = new Date(current ? Date.parse(current.watermark) - OVERLAP_MS : runStart.getTime() - INITIAL_LOOKBACK_MS);

  const jobs = await withCredentialRefresh(() => driverFor(site.id).listJobs({ since }));
  const listMs = Date.now() - t0;
  const resourceOf = new Map(site.resources.map((r) => [r.partition, r.id]));
  const reports: UsageReport[] = [];
  const ignored = { notKairr: 0, unknownPartition: 0 };
  for (const job of jobs) {
    if (!job.account.startsWith(ACCOUNT_PREFIX)) {
      ignored.notKairr += 1;
      continue;
    }
    const u = usageRecordFromJob(job, (p) => resourceOf.get(p));
    if (!u) {
      ignored.unknownPartition += 1;
      continue;
    }
    reports.push({ cluster: u.cluster, jobId: u.jobId, account: u.account, resource: u.resourceId, user: u.user, gpus: u.gpus, start: u.start, end: u.end ?? null, elapsedSeconds: u.elapsedSeconds });
  }

  const t1 = Date.now();
  const batchSize = opts.batchSize ?? BATCH_SIZE;
  const batches: UsageReport[][] = [];
  for (let i = 0; i < reports.length; i += batchSize) batches.push(reports.slice(i, i + batchSize));
  const summary: Record<string, number> = {};
  const rejections: CollectResult['rejections'] = [];
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const i = next++;
      const res = await ingestThroughLedger({ source: 'kairr.connector', action: 'ingestUsage', siteId: site.id, records: batches[i], requestId: `${runId}#${i}` });
      for (const r of res.results) {
        summary[r.status] = (summary[r.status] ?? 0) + 1;
        if (r.status === 'rejected' && rejections.length < 20) rejections.push({ jobId: r.jobId, code: r.reason?.code ?? '', problem: r.reason?.problem ?? '' });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? CONCURRENT_BATCHES, batches.length) }, worker));
  const ingestMs = Date.now() - t1;

  const result: CollectResult = {
    siteId: site.id,
    runId,
    since: since.toISOString(),
    until: runStart.toISOString(),
    jobs: jobs.length,
    reports: reports.length,
    ignored,
    batches: batches.length,
    summary,
    rejections,
    watermark: { from: current?.watermark ?? null, to: current?.watermark ?? since.toISOString(), moved: false },
    timings: { listMs, ingestMs, totalMs: 0 },
  };
  if (summary.failed) {
    result.watermark.held = `${summary.failed} report(s) were not recorded by the ledger; the next run sends them again`;
  } else {
    const ctx: AuditContext = { actor: { sub: `system:collector-${site.id}`, role: 'system' }, requestId: runId, reason: 'usage collection' };
    const moved = await advanceWatermark(site.id, runStart, ctx, { runId, jobs: result.jobs, reports: result.reports, summary });
    result.watermark = { from: current?.watermark ?? null, to: moved.watermark, moved: moved.moved };
  }
  result.timings.totalMs = Date.now() - t0;
  logger.info('usage collected', { siteId: site.id, jobs: result.jobs, reports: result.reports, summary, watermarkMoved: result.watermark.moved, ms: result.timings.totalMs });
  return result;
}

/** Seconds a job's end can wait for its charge: one collection interval plus one collection run. */
export function freshnessBoundSeconds(collectionSeconds: number): number {
  return runtimeConfig().policy.usageCollectionIntervalMinutes * 60 + collectionSeconds;
}

// Usage ingestion: a site's batch of job reports becomes ledger entries, exactly once per job.
// Reports are validated one by one (a bad report is rejected with its reason and writes nothing),
// grouped by allocation, and each group is committed in transactions of at most JOBS_PER_COMMIT
// jobs, so a failure in one group never loses another group's accepted reports.
import { runtimeConfig } from '../shared/config';
import { keys } from '../shared/store/keys';
import type { AuditContext, SideWrite } from '../shared/store/write-path';
import { checkUsage, price, type Rejection, type UsageReport } from '../domain/ledger/validate-usage';
import { applyUsage, jobKeyOf, type PricedUsage, type UsageOutcome } from '../domain/ledger/usage';
import type { JobUsageState } from '../domain/ledger/model';
import { fromMc, toMc } from '../domain/ledger/money';
import { findSite } from '../domain/catalogue';
import { NotFoundError } from '../domain/errors';
import { domainEvent } from '../shared/events/outbox';
import { allocationOf, batchGet, jobItem, mutateAllocation, newEntryId } from './store';
import { logger } from '../shared/log';

/** Jobs per transaction: 100 items minus the allocation, its event and up to 6 entries. */
export const JOBS_PER_COMMIT = 90;

export interface IngestResult {
  index: number;
  jobId: string;
  status: UsageOutcome | 'rejected' | 'failed';
  /** Credits this report added (or took back) for the job. */
  deltaCredits?: number;
  overLimit?: boolean;
  reason?: Rejection | { code: 'retry'; path: ''; problem: string };
}

export interface IngestSummary {
  results: IngestResult[];
}

// ---- group commit ----------------------------------------------------------------------------
// Reports for one allocation that arrive while a commit for it is in flight (from concurrent
// requests served by this execution environment) are merged into the next commit. Writers in
// other environments are still serialised by the allocation's auditSeq (optimistic concurrency);
// merging only cuts the number of lost races and transactions, never the per-report semantics.

interface Pending {
  record: PricedUsage;
  ctx: AuditContext;
  now: Date;
  results: IngestResult[];
  done: () => void;
}

const queues = new Map<string, { pending: Pending[]; running: boolean }>();

function enqueue(allocationId: string, records: PricedUsage[], ctx: AuditContext, now: Date, results: IngestResult[]): Promise<void> {
  const q = queues.get(allocationId) ?? { pending: [], running: false };
  queues.set(allocationId, q);
  const done = Promise.all(records.map((record) => new Promise<void>((resolve) => q.pending.push({ record, ctx, now, results, done: resolve })))).then(() => undefined);
  if (!q.running) void drain(allocationId, q);
  return done;
}

async function drain(allocationId: string, q: { pending: Pending[]; running: boolean }): Promise<void> {
  q.running = true;
  try {
    while (q.pending.length) {
      // One commit holds reports of a single request context (actor, request id) for a clean audit trail.
      const first = q.pending[0];
      const batch: Pending[] = [];
      for (let i = 0; i < q.pending.length && batch.length < JOBS_PER_COMMIT; ) {
        if (q.pending[i].ctx === first.ctx || (q.pending[i].ctx.actor.sub === first.ctx.actor.sub && q.pending[i].ctx.actor.role === first.ctx.actor.role)) batch.push(...q.pending.splice(i, 1));
        else i++;
      }
      await commitGroup(allocationId, batch);
      batch.forEach((p) => p.done());
    }
  } finally {
    q.running = false;
    if (!q.pending.length) queues.delete(allocationId);
    else void drain(allocationId, q);
  }
}

async function commitGroup(allocationId: string, batch: Pending[]): Promise<void> {
  const cfg = runtimeConfig();
  const ctx: AuditContext = { ...batch[0].ctx, requestId: [...new Set(batch.map((p) => p.ctx.requestId))].join(',').slice(0, 512) };
  const now = batch[0].now;
  const records = batch.map((p) => p.record);
  // Indexes are only unique within one request: address results through the pending item.
  const byRecord = new Map<PricedUsage, Pending>(batch.map((p) => [p.record, p]));
  try {
    await mutateAllocation(allocationId, ctx, async (alloc) => {
      const existing = await batchGet(records.map((r) => keys.jobUsage(r.siteId, r.cluster, r.jobId)));
      const jobs = new Map<string, JobUsageState>();
      const prevRev = new Map<string, number>();
      const mine: PricedUsage[] = [];
      for (const r of records) {
        const k = keys.jobUsage(r.siteId, r.cluster, r.jobId);
        const it = existing.get(`${k.pk}|${k.sk}`) as unknown as JobUsageState | undefined;
        if (it && it.allocationId !== alloc.id) {
          byRecord.get(r)!.results[r.index] = { index: r.index, jobId: r.jobId, status: 'rejected', reason: { code: 'job_of_another_allocation', path: 'jobId', problem: `job ${r.jobId} was already charged to another allocation` } };
          continue;
        }
        if (it) {
          jobs.set(jobKeyOf(r), it);
          prevRev.set(jobKeyOf(r), it.rev);
        }
        mine.push(r);
      }
      // applyUsage reports results by record index; give each record a batch-unique index.
      const tagged = mine.map((r, i) => ({ ...r, index: i }));
      const app = applyUsage({ allocation: alloc, records: tagged, jobs, overdraftMc: toMc(cfg.policy.overdraftCredits), now: now.toISOString(), actor: ctx.actor, ref: ctx.requestId, newEntryId });
      for (const res of app.results) {
        const r = mine[res.index];
        byRecord.get(r)!.results[r.index] = { index: r.index, jobId: r.jobId, status: res.status, deltaCredits: fromMc(res.deltaMc), ...(res.overLimit ? { overLimit: true } : {}) };
      }
      if (!app.jobs.length) return null; // only duplicates: nothing to write
      const sideWrites: SideWrite[] = app.jobs.map((j) => {
        const prev = prevRev.get(jobKeyOf(j));
        return { put: jobItem(j), condition: prev === undefined ? { expression: 'attribute_not_exists(pk)' } : { expression: 'rev = :r', values: { ':r': prev } } };
      });
      const events = app.newlyExhausted.length ? [domainEvent('AllocationExhausted', { allocationId: alloc.id, resources: app.newlyExhausted, state: app.allocation.state }, now)] : [];
      return { before: null, after: app.allocation, entries: app.entries, action: 'ledger.usage', details: { site: records[0].siteId, jobs: app.jobs.length }, sideWrites, events };
    });
  } catch (e) {
    logger.error('usage group failed', { allocationId, records: records.length, error: (e as Error).message });
    for (const r of records) byRecord.get(r)!.results[r.index] = { index: r.index, jobId: r.jobId, status: 'failed', reason: { code: 'retry', path: '', problem: 'could not be recorded this time; send it again (reports are idempotent)' } };
  }
}

export async function ingestUsage(siteId: string, reports: UsageReport[], ctx: AuditContext): Promise<IngestSummary> {
  const cfg = runtimeConfig();
  const site = findSite(cfg.sites, siteId);
  if (!site) throw new NotFoundError('Site', siteId);
  const now = ctx.now ?? new Date();
  const results: IngestResult[] = new Array(reports.length);

  // Resolve allocations named directly and through scheduler accounts, in one round trip.
  const wanted = new Map<string, ReturnType<typeof keys.allocation>>();
  const accountKeys = new Map<string, ReturnType<typeof keys.schedulerAccount>>();
  for (const r of reports) {
    if (r.allocationId) wanted.set(r.allocationId, keys.allocation(r.allocationId));
    else if (r.account) accountKeys.set(r.account, keys.schedulerAccount(siteId, r.account));
  }
  const accounts = await batchGet([...accountKeys.values()]);
  const accountTo = new Map<string, { allocationId: string; resource: string }>();
  for (const [name, k] of accountKeys) {
    const it = accounts.get(`${k.pk}|${k.sk}`);
    if (it) {
      accountTo.set(name, { allocationId: String(it.allocationId), resource: String(it.resource) });
      wanted.set(String(it.allocationId), keys.allocation(String(it.allocationId)));
    }
  }
  const allocItems = await batchGet([...wanted.values()]);
  const allocation = (id: string) => {
    const it = allocItems.get(`${keys.allocation(id).pk}|${keys.allocation(id).sk}`);
    return it ? allocationOf(it) : undefined;
  };

  const groups = new Map<string, PricedUsage[]>();
  reports.forEach((r, index) => {
    const check = checkUsage(site, r, now, (rep) => {
      const id = rep.allocationId ?? accountTo.get(rep.account ?? '')?.allocationId;
      const a = id ? allocation(id) : undefined;
      return a ? { allocationId: a.id, resources: Object.keys(a.resources) } : undefined;
    });
    if (!check.ok) {
      results[index] = { index, jobId: r.jobId, status: 'rejected', reason: check.rejection };
      return;
    }
    const list = groups.get(check.allocationId) ?? [];
    list.push(price(index, siteId, r, check.resourceKey, check.rate));
    groups.set(check.allocationId, list);
  });

  await Promise.all([...groups].map(([allocationId, records]) => enqueue(allocationId, records, ctx, now, results)));
  return { results };
}

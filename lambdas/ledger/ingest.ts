// Usage ingestion: a site's batch of job reports becomes ledger entries, exactly once per job.
// Reports are validated one by one (a bad report is rejected with its reason and writes nothing),
// grouped by allocation and committed in packed transactions (below), so a failure in one
// transaction never loses another transaction's accepted reports.
import { runtimeConfig } from '../shared/config';
import { keys, trustKeys } from '../shared/store/keys';
import type { AuditContext, Item, SideWrite } from '../shared/store/write-path';
import { checkUsage, price, type UsageReport } from '../domain/ledger/validate-usage';
import { applyUsage, jobKeyOf, type PricedUsage } from '../domain/ledger/usage';
import type { JobUsageState } from '../domain/ledger/model';
import { fromMc, toMc } from '../domain/ledger/money';
import { findSite } from '../domain/catalogue';
import { NotFoundError } from '../domain/errors';
import { domainEvent } from '../shared/events/outbox';
import { allocationOf, allocSeqAfter, batchGet, jobItem, mutateAllocations, newEntryId } from './store';
import { chargeAgainstHold, lowerCounter, type JobHold } from '../jobs';
import { parkRejected } from './parked';
import type { IngestResult } from './ingest-result';
import { logger } from '../shared/log';
import { packUsage, type PackInput } from '../domain/ledger/packing';

export type { IngestResult };

export interface IngestSummary {
  results: IngestResult[];
}

// ---- group commit ----------------------------------------------------------------------------
// Reports waiting in this execution environment are committed in rounds. A round takes everything
// pending and packs it (domain/ledger/packing.ts) into waves of transactions of at most 100 items.
// Reports that arrive during a round (concurrent requests) join the next one. Writers in other
// environments are serialised by each allocation's auditSeq (optimistic concurrency); packing and
// merging only cut transactions and lost races, never the per-report semantics.
// 'per-call' packs one call's reports alone, with no module state (bench/ledger.ts compares both).
// A Lambda environment serves one invocation at a time, so there the queue holds one call and acts
// as 'per-call'; it earns its place where calls share a process (tests, the benchmark: x3.1, and no
// lost races between in-process writers on one allocation). README, "The ledger under load".

interface Pending {
  record: PricedUsage;
  /** The job was dispatched through KAIRR and its hold item existed when the batch was read (holds.ts). */
  held: boolean;
  allocationId: string;
  ctx: AuditContext;
  now: Date;
  results: IngestResult[];
  done: () => void;
}

export type CommitMode = 'group' | 'per-call';

const viewOf = (p: Pending): PackInput => ({ actor: `${p.ctx.actor.role}|${p.ctx.actor.sub}`, allocationId: p.allocationId, resource: p.record.resource, held: p.held });

const pending: Pending[] = [];
let draining = false;

function enqueue(items: Omit<Pending, 'done'>[]): Promise<void> {
  const done = Promise.all(items.map((p) => new Promise<void>((resolve) => pending.push({ ...p, done: resolve })))).then(() => undefined);
  if (!draining) void drain();
  return done;
}

async function commitWaves(items: Pending[]): Promise<void> {
  for (const packs of packUsage(items, viewOf)) {
    await Promise.all(packs.map((pack) => commitPack(pack)));
    packs.flat().forEach((p) => p.done());
  }
}

async function drain(): Promise<void> {
  draining = true;
  try {
    while (pending.length) await commitWaves(pending.splice(0));
  } finally {
    draining = false;
    if (pending.length) void drain();
  }
}

async function commitPack(pack: Pending[]): Promise<void> {
  const cfg = runtimeConfig();
  const first = pack[0];
  const ctx: AuditContext = { ...first.ctx, requestId: [...new Set(pack.map((p) => p.ctx.requestId))].join(',').slice(0, 512) };
  const now = first.now;
  const allocationIds = [...new Set(pack.map((p) => p.allocationId))];
  try {
    const jobKeys = pack.map((p) => keys.jobUsage(p.record.siteId, p.record.cluster, p.record.jobId));
    // only holds known when the batch was read: the pack's size was counted with them
    const holdKeys = pack.filter((p) => p.held).map((p) => trustKeys.jobHold(p.record.siteId, p.record.cluster, p.record.jobId));
    // The jobs' usage so far (and their holds) are read with the allocations, in one round trip.
    await mutateAllocations(
      allocationIds,
      ctx,
      async (allocs, existing) => {
        const writes = [];
        for (const alloc of allocs) {
          const allocSeq = allocSeqAfter(existing.get(`${keys.allocation(alloc.id).pk}|${keys.allocation(alloc.id).sk}`));
          const mine = pack.filter((p) => p.allocationId === alloc.id);
          const jobs = new Map<string, JobUsageState>();
          const prevRev = new Map<string, number>();
          const accepted: Pending[] = [];
          for (const p of mine) {
            const r = p.record;
            const k = keys.jobUsage(r.siteId, r.cluster, r.jobId);
            const it = existing.get(`${k.pk}|${k.sk}`) as unknown as JobUsageState | undefined;
            if (it && it.allocationId !== alloc.id) {
              p.results[r.index] = { index: r.index, jobId: r.jobId, status: 'rejected', reason: { code: 'job_of_another_allocation', path: 'jobId', problem: `job ${r.jobId} was already charged to another allocation` } };
              continue;
            }
            if (it && it.resource !== r.resource) {
              // a correction moves no charge from one resource to another: the job ran on one
              p.results[r.index] = { index: r.index, jobId: r.jobId, status: 'rejected', reason: { code: 'resource_mismatch', path: 'resource', problem: `job ${r.jobId} was charged on ${it.resource}, not ${r.resource}` } };
              continue;
            }
            if (it) {
              jobs.set(jobKeyOf(r), it);
              prevRev.set(jobKeyOf(r), it.rev);
            }
            accepted.push(p);
          }
          // applyUsage reports results by position: give each report a pack-unique index.
          const app = applyUsage({
            allocation: alloc,
            records: accepted.map((p, i) => ({ ...p.record, index: i })),
            jobs,
            overdraftMc: toMc(cfg.policy.overdraftCredits),
            now: now.toISOString(),
            actor: ctx.actor,
            ref: ctx.requestId,
            newEntryId,
          });
          for (const res of app.results) {
            const p = accepted[res.index];
            p.results[p.record.index] = { index: p.record.index, jobId: p.record.jobId, status: res.status, deltaCredits: fromMc(res.deltaMc), ...(res.overLimit ? { overLimit: true } : {}) };
          }
          const holds = holdReleases(accepted, app.results, existing, now.toISOString());
          if (!app.jobs.length && !holds.sideWrites.length) continue; // only duplicates: nothing to write for this allocation
          const sideWrites: SideWrite[] = app.jobs.map((j) => {
            const prev = prevRev.get(jobKeyOf(j));
            return { put: jobItem({ ...j, allocSeq }), condition: prev === undefined ? { expression: 'attribute_not_exists(pk)' } : { expression: 'rev = :r', values: { ':r': prev } } };
          });
          sideWrites.push(...holds.sideWrites);
          const events = app.newlyExhausted.length ? [domainEvent('AllocationExhausted', { allocationId: alloc.id, resources: app.newlyExhausted, state: app.allocation.state }, now)] : [];
          writes.push({
            before: null,
            after: app.allocation,
            entries: app.entries,
            action: 'ledger.usage',
            details: { site: first.record.siteId, jobs: app.jobs.length, ...(holds.releasedMc ? { holdsReleasedMc: holds.releasedMc } : {}) },
            sideWrites,
            events,
          });
        }
        return writes;
      },
      [...jobKeys, ...holdKeys],
    );
  } catch (e) {
    logger.error('usage pack failed', { allocations: allocationIds.length, records: pack.length, error: (e as Error).message });
    for (const p of pack)
      p.results[p.record.index] = { index: p.record.index, jobId: p.record.jobId, status: 'failed', reason: { code: 'retry', path: '', problem: 'could not be recorded this time; send it again (reports are idempotent)' } };
  }
}

/**
 * Charging a dispatched job lowers its hold by what was charged (all of it at the final report),
 * and the allocation's hold counter by the sum, in the charging transaction (jobs/holds.ts).
 */
function holdReleases(accepted: Pending[], results: { index: number; deltaMc: number }[], existing: Map<string, Item>, now: string): { sideWrites: SideWrite[]; releasedMc: number } {
  const sideWrites: SideWrite[] = [];
  const byResource = new Map<string, number>();
  const charged = new Map(results.map((r) => [r.index, r.deltaMc]));
  accepted.forEach((p, i) => {
    if (!p.held) return;
    const key = trustKeys.jobHold(p.record.siteId, p.record.cluster, p.record.jobId);
    const hold = existing.get(`${key.pk}|${key.sk}`) as unknown as JobHold | undefined;
    if (!hold) return; // released meanwhile (cancelled, or the final report came in another batch)
    const r = chargeAgainstHold({ ...hold, key }, charged.get(i) ?? 0, p.record.end !== null, now);
    if (!r.sideWrites.length) return;
    sideWrites.push(...r.sideWrites);
    byResource.set(hold.resource, (byResource.get(hold.resource) ?? 0) + r.releasedMc);
  });
  let releasedMc = 0;
  for (const [resource, mc] of byResource) {
    releasedMc += mc;
    if (mc > 0) sideWrites.push(lowerCounter({ allocationId: accepted[0].allocationId, resourceKey: resource }, mc, now));
  }
  return { sideWrites, releasedMc };
}

export async function ingestUsage(siteId: string, reports: UsageReport[], ctx: AuditContext, opts: { commit?: CommitMode } = {}): Promise<IngestSummary> {
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
  // the dispatch holds of jobs KAIRR dispatched (they carry its dispatch id) come in the same round trip
  const dispatched = reports.filter((r) => r.dispatchId);
  const holdKeys = dispatched.map((r) => trustKeys.jobHold(siteId, r.cluster, r.jobId));
  const allocItems = await batchGet([...wanted.values(), ...holdKeys]);
  const held = new Set(dispatched.filter((_r, i) => allocItems.has(`${holdKeys[i].pk}|${holdKeys[i].sk}`)).map((r) => jobKeyOf({ siteId, cluster: r.cluster, jobId: r.jobId })));
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

  const items = [...groups].flatMap(([allocationId, records]) => records.map((record) => ({ record, held: held.has(jobKeyOf(record)), allocationId, ctx, now, results })));
  if (opts.commit === 'per-call') await commitWaves(items.map((p) => ({ ...p, done: () => undefined })));
  else await enqueue(items);
  // a refused report is parked where operators see it and can replay it, never dropped
  await parkRejected(siteId, reports, results, ctx);
  return { results };
}

// Usage accounting: how a batch of usage reports changes an allocation. Pure and deterministic.
//  - Idempotent per job (site, cluster, job id): a report is charged by the difference between its
//    charge and what the job was already charged; the same report again changes nothing.
//  - No overspend: a debit that would take the balance below -overdraft is recorded in full as
//    over-limit usage (counted in overLimitMc, not in the balance), and the resource is exhausted.
//  - A correction downwards first takes back over-limit usage, then refunds the balance.
import type { Allocation, JobCharge, JobUsageState, LedgerEntry } from './model';
import type { Mc } from './money';
import { clone } from '../clone';

export interface PricedUsage {
  /** Position in the caller's batch, echoed in the result. */
  index: number;
  siteId: string;
  cluster: string;
  jobId: string;
  resource: string;
  account: string;
  user: string;
  gpus: number;
  start: string;
  end: string | null;
  elapsedSeconds: number;
  /** Credits per GPU-hour in force when the job started. */
  rate: number;
  /** The job's total charge at this report. */
  chargeMc: Mc;
}

export type UsageOutcome = 'accepted' | 'duplicate' | 'corrected';

export interface UsageResult {
  index: number;
  status: UsageOutcome;
  /** How much this report changed the job's charge (mc). */
  deltaMc: Mc;
  /** The part of a positive delta recorded over the limit. */
  overLimit: boolean;
}

export interface UsageApplication {
  allocation: Allocation;
  jobs: JobUsageState[];
  entries: LedgerEntry[];
  results: UsageResult[];
  /** Resources that became exhausted by this batch. */
  newlyExhausted: string[];
}

export const jobKeyOf = (r: { siteId: string; cluster: string; jobId: string }) => `${r.siteId}#${r.cluster}#${r.jobId}`;

export function applyUsage(input: {
  allocation: Allocation;
  records: PricedUsage[];
  jobs: Map<string, JobUsageState>;
  overdraftMc: Mc;
  now: string;
  actor: { sub: string; role: string };
  ref: string;
  newEntryId: () => string;
}): UsageApplication {
  const alloc: Allocation = clone(input.allocation);
  const jobs = new Map([...input.jobs].map(([k, v]) => [k, { ...v }]));
  const touched = new Set<string>();
  const lines = new Map<string, { inBalance: JobCharge[]; overLimit: JobCharge[] }>();
  const results: UsageResult[] = [];
  const wasExhausted = new Set(
    Object.entries(alloc.resources)
      .filter(([, r]) => r.exhausted)
      .map(([k]) => k),
  );

  for (const rec of input.records) {
    const key = jobKeyOf(rec);
    const acct = alloc.resources[rec.resource];
    if (!acct) throw new Error(`resource ${rec.resource} is not in allocation ${alloc.id}`); // validated before
    const prev = jobs.get(key);
    const charged = prev ? prev.balanceMc + prev.overLimitMc : 0;
    const delta = rec.chargeMc - charged;
    const job: JobUsageState = prev
      ? { ...prev }
      : {
          siteId: rec.siteId,
          cluster: rec.cluster,
          jobId: rec.jobId,
          allocationId: alloc.id,
          resource: rec.resource,
          balanceMc: 0,
          overLimitMc: 0,
          rev: 0,
          gpus: rec.gpus,
          elapsedSeconds: rec.elapsedSeconds,
          start: rec.start,
          end: rec.end,
          user: rec.user,
          account: rec.account,
          rate: rec.rate,
          updatedAt: input.now,
        };
    if (delta === 0) {
      const sameFigures = !!prev && prev.gpus === rec.gpus && prev.elapsedSeconds === rec.elapsedSeconds && prev.end === rec.end;
      results.push({ index: rec.index, status: !prev ? 'accepted' : sameFigures ? 'duplicate' : 'corrected', deltaMc: 0, overLimit: false });
      if (!sameFigures) {
        // Remember the latest figures (a running job's new elapsed time may round to the same charge).
        Object.assign(job, { gpus: rec.gpus, elapsedSeconds: rec.elapsedSeconds, end: rec.end, rev: job.rev + 1, updatedAt: input.now });
        jobs.set(key, job);
        touched.add(key);
      }
      continue;
    }
    let balanceDelta = 0;
    let overDelta = 0;
    if (delta > 0) {
      if (acct.balanceMc - delta >= -input.overdraftMc) balanceDelta = delta;
      else overDelta = delta; // recorded in full, never partly
    } else {
      const back = Math.min(job.overLimitMc, -delta);
      overDelta = -back;
      balanceDelta = delta + back;
    }
    acct.balanceMc -= balanceDelta;
    acct.usedMc += balanceDelta;
    acct.overLimitMc += overDelta;
    job.balanceMc += balanceDelta;
    job.overLimitMc += overDelta;
    job.rev += 1;
    Object.assign(job, { gpus: rec.gpus, elapsedSeconds: rec.elapsedSeconds, start: rec.start, end: rec.end, user: rec.user, updatedAt: input.now });
    jobs.set(key, job);
    touched.add(key);
    const l = lines.get(rec.resource) ?? { inBalance: [], overLimit: [] };
    const total = job.balanceMc + job.overLimitMc;
    if (balanceDelta !== 0) l.inBalance.push({ siteId: rec.siteId, cluster: rec.cluster, jobId: rec.jobId, deltaMc: balanceDelta, totalMc: total, rev: job.rev });
    if (overDelta !== 0) l.overLimit.push({ siteId: rec.siteId, cluster: rec.cluster, jobId: rec.jobId, deltaMc: overDelta, totalMc: total, rev: job.rev });
    lines.set(rec.resource, l);
    if (overDelta > 0) acct.exhausted = true;
    if (acct.balanceMc <= -input.overdraftMc) acct.exhausted = true;
    results.push({ index: rec.index, status: prev ? 'corrected' : 'accepted', deltaMc: delta, overLimit: overDelta > 0 });
  }

  const entries: LedgerEntry[] = [];
  for (const [resource, l] of [...lines].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [over, list] of [
      [false, l.inBalance],
      [true, l.overLimit],
    ] as const) {
      if (!list.length) continue;
      entries.push({
        entryId: input.newEntryId(),
        allocationId: alloc.id,
        kind: 'usage',
        resource,
        amountMc: -list.reduce((s, j) => s + j.deltaMc, 0),
        overLimit: over,
        time: input.now,
        actor: input.actor,
        reason: null,
        ref: input.ref,
        jobs: list,
      });
    }
  }
  alloc.entryCount += entries.length;
  const newlyExhausted = Object.entries(alloc.resources)
    .filter(([k, r]) => r.exhausted && !wasExhausted.has(k))
    .map(([k]) => k)
    .sort();
  if (alloc.state === 'active' && Object.values(alloc.resources).every((r) => r.exhausted)) alloc.state = 'exhausted';
  if (entries.length || touched.size) alloc.updatedAt = input.now;
  return { allocation: alloc, jobs: [...touched].map((k) => jobs.get(k)!), entries, results, newlyExhausted };
}

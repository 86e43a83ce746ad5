// Ledger operations other than usage: award, supplement, adjustment, refund, exchange, expiry, and
// the consistency check. Each returns the allocation after the operation and the entries that
// record it; nothing here touches storage.
import type { Allocation, LedgerEntry, EntryKind, JobUsageState, Member } from './model';
import { emptyAccount } from './model';
import type { Mc } from './money';
import { clone } from '../clone';
import { RuleViolationError, ValidationError } from '../errors';

export interface OpContext {
  now: string;
  actor: { sub: string; role: string };
  reason: string | null;
  ref: string | null;
  overdraftMc: Mc;
  newEntryId: () => string;
}

function entry(ctx: OpContext, alloc: Allocation, kind: EntryKind, resource: string, amountMc: Mc, extra: Partial<LedgerEntry> = {}): LedgerEntry {
  return { entryId: ctx.newEntryId(), allocationId: alloc.id, kind, resource, amountMc, overLimit: false, time: ctx.now, actor: ctx.actor, reason: ctx.reason, ref: ctx.ref, ...extra };
}

function refreshExhausted(alloc: Allocation, overdraftMc: Mc): void {
  for (const r of Object.values(alloc.resources)) r.exhausted = r.balanceMc <= -overdraftMc;
  if (alloc.state === 'exhausted' && Object.values(alloc.resources).some((r) => !r.exhausted)) alloc.state = 'active';
}

export interface NewAllocation {
  id: string;
  title: string;
  piSub: string;
  institution: string;
  orgType: string;
  /** The PI's organisation in the registry (identity), when known. */
  orgId?: string;
  field: string;
  proposalId: string | null;
  callId: string | null;
  tier: string | null;
  startDate: string;
  endDate: string;
  members: Omit<Member, 'addedAt'>[];
  /** Credits per resource key, mc. */
  awardsMc: Record<string, Mc>;
}

/** A new allocation in pending-provisioning with one award entry per resource. */
export function award(input: NewAllocation, ctx: OpContext): { allocation: Allocation; entries: LedgerEntry[] } {
  const resources = Object.keys(input.awardsMc).sort();
  if (!resources.length) throw ValidationError.field('credits', 'must award at least one resource');
  const members: Member[] = [{ sub: input.piSub, role: 'pi', addedAt: ctx.now }];
  for (const m of input.members) if (m.sub !== input.piSub) members.push({ ...m, role: 'member', addedAt: ctx.now });
  const allocation: Allocation = {
    id: input.id,
    state: 'pending-provisioning',
    title: input.title,
    piSub: input.piSub,
    institution: input.institution,
    orgType: input.orgType,
    ...(input.orgId ? { orgId: input.orgId } : {}), // identity
    field: input.field,
    proposalId: input.proposalId,
    callId: input.callId,
    tier: input.tier,
    startDate: input.startDate,
    endDate: input.endDate,
    members,
    resources: {},
    schedulerAccounts: {},
    createdAt: ctx.now,
    updatedAt: ctx.now,
    entryCount: 0,
  };
  const entries: LedgerEntry[] = [];
  for (const r of resources) {
    const amount = input.awardsMc[r];
    if (!(amount > 0)) throw ValidationError.field(`credits.${r}`, 'must be greater than 0');
    allocation.resources[r] = { ...emptyAccount(), awardedMc: amount, balanceMc: amount };
    entries.push(entry(ctx, allocation, 'award', r, amount));
  }
  allocation.entryCount = entries.length;
  return { allocation, entries };
}

/** Adds credits (supplement or refund) or corrects them (adjustment, signed). */
export function credit(alloc: Allocation, kind: 'supplement' | 'refund' | 'adjustment', resource: string, amountMc: Mc, ctx: OpContext): { allocation: Allocation; entries: LedgerEntry[] } {
  if (!Number.isSafeInteger(amountMc) || amountMc === 0) throw ValidationError.field('credits', 'must be a non-zero amount');
  if (kind !== 'adjustment' && amountMc < 0) throw ValidationError.field('credits', `must be positive for a ${kind}`);
  const a = clone(alloc);
  a.resources[resource] ??= emptyAccount();
  const acct = a.resources[resource];
  if (acct.balanceMc + amountMc < -ctx.overdraftMc)
    throw new RuleViolationError(`An adjustment of ${amountMc / 1000} credits would take ${resource} below its floor`, [{ path: 'credits', problem: `the balance is ${acct.balanceMc / 1000}` }]);
  acct.balanceMc += amountMc;
  if (kind === 'supplement' || (kind === 'adjustment' && amountMc > 0)) acct.awardedMc += amountMc;
  if (kind === 'adjustment' && amountMc < 0) acct.awardedMc += amountMc;
  refreshExhausted(a, ctx.overdraftMc);
  a.entryCount += 1;
  a.updatedAt = ctx.now;
  return { allocation: a, entries: [entry(ctx, a, kind, resource, amountMc)] };
}

/** Moves credits from one resource of the allocation to another (credits are one unit across resources). */
export function exchange(alloc: Allocation, from: string, to: string, amountMc: Mc, ctx: OpContext): { allocation: Allocation; entries: LedgerEntry[] } {
  if (from === to) throw ValidationError.field('to', 'must differ from "from"');
  if (!(amountMc > 0)) throw ValidationError.field('credits', 'must be greater than 0');
  const a = clone(alloc);
  const src = a.resources[from];
  if (!src) throw ValidationError.field('from', `is not a resource of this allocation (it has ${Object.keys(a.resources).join(', ')})`);
  if (src.balanceMc - amountMc < 0) throw new RuleViolationError(`${from} has ${src.balanceMc / 1000} credits left; it cannot give ${amountMc / 1000}`, [{ path: 'credits', problem: 'exceeds the balance of "from"' }]);
  a.resources[to] ??= emptyAccount();
  src.balanceMc -= amountMc;
  src.awardedMc -= amountMc;
  a.resources[to].balanceMc += amountMc;
  a.resources[to].awardedMc += amountMc;
  refreshExhausted(a, ctx.overdraftMc);
  a.entryCount += 2;
  a.updatedAt = ctx.now;
  return {
    allocation: a,
    entries: [entry(ctx, a, 'exchange-out', from, -amountMc, { counterpart: to }), entry(ctx, a, 'exchange-in', to, amountMc, { counterpart: from })],
  };
}

/** Ends the allocation: positive balances are forfeited as expiry entries. */
export function expire(alloc: Allocation, ctx: OpContext): { allocation: Allocation; entries: LedgerEntry[] } {
  const a = clone(alloc);
  const entries: LedgerEntry[] = [];
  for (const [r, acct] of Object.entries(a.resources).sort(([x], [y]) => x.localeCompare(y))) {
    if (acct.balanceMc > 0) {
      entries.push(entry(ctx, a, 'expiry', r, -acct.balanceMc));
      acct.balanceMc = 0;
    }
    acct.exhausted = true;
  }
  a.state = 'expired';
  a.entryCount += entries.length;
  a.updatedAt = ctx.now;
  return { allocation: a, entries };
}

export interface ConsistencyProblem {
  resource?: string;
  job?: string;
  field: string;
  expected: number;
  actual: number;
}

/** Balances equal the sum of their entries; job charges equal the sum of their entry lines. */
export function checkConsistency(alloc: Allocation, entries: LedgerEntry[], jobs: JobUsageState[]): { ok: boolean; problems: ConsistencyProblem[]; entries: number } {
  const problems: ConsistencyProblem[] = [];
  const sums = new Map<string, { balance: number; over: number }>();
  const jobSums = new Map<string, { balance: number; over: number }>();
  for (const e of entries) {
    const s = sums.get(e.resource) ?? { balance: 0, over: 0 };
    if (e.overLimit) s.over -= e.amountMc;
    else s.balance += e.amountMc;
    sums.set(e.resource, s);
    for (const j of e.jobs ?? []) {
      const k = `${j.siteId}#${j.cluster}#${j.jobId}`;
      const js = jobSums.get(k) ?? { balance: 0, over: 0 };
      if (e.overLimit) js.over += j.deltaMc;
      else js.balance += j.deltaMc;
      jobSums.set(k, js);
    }
  }
  for (const [r, acct] of Object.entries(alloc.resources)) {
    const s = sums.get(r) ?? { balance: 0, over: 0 };
    if (s.balance !== acct.balanceMc) problems.push({ resource: r, field: 'balanceMc', expected: s.balance, actual: acct.balanceMc });
    if (s.over !== acct.overLimitMc) problems.push({ resource: r, field: 'overLimitMc', expected: s.over, actual: acct.overLimitMc });
  }
  for (const r of sums.keys()) if (!alloc.resources[r]) problems.push({ resource: r, field: 'resource', expected: 1, actual: 0 });
  if (entries.length !== alloc.entryCount) problems.push({ field: 'entryCount', expected: entries.length, actual: alloc.entryCount });
  for (const j of jobs) {
    const k = `${j.siteId}#${j.cluster}#${j.jobId}`;
    const s = jobSums.get(k) ?? { balance: 0, over: 0 };
    if (s.balance !== j.balanceMc) problems.push({ job: k, field: 'balanceMc', expected: s.balance, actual: j.balanceMc });
    if (s.over !== j.overLimitMc) problems.push({ job: k, field: 'overLimitMc', expected: s.over, actual: j.overLimitMc });
  }
  return { ok: problems.length === 0, problems, entries: entries.length };
}

// An award released in parts (ACCESS: half up front, the rest after a progress report). The first
// tranche is the award itself (the ledger's award entries); each later one is a `tranche` entry that
// raises the balance and the awarded credits, so the scheduler's budget follows it like any credit.
import { clone } from '../clone';
import { ConflictError, RuleViolationError } from '../errors';
import { emptyAccount, type Allocation, type LedgerEntry } from '../ledger/model';
import { fromMc, type Mc } from '../ledger/money';
import type { OpContext } from '../ledger/operations';
import type { AccountabilityPolicy } from './policy';
import { trancheReport } from './policy';
import type { Explanation, Tranche } from './model';

/**
 * The award split by the call's shares, per resource, in whole millicredits: each tranche is
 * floor(share x award), and the last takes the remainder, so the tranches add up to the award exactly.
 */
export function splitTranches(p: AccountabilityPolicy, awardMc: Record<string, Mc>): Tranche[] {
  const n = p.tranches.length;
  const given: Record<string, Mc> = {};
  return p.tranches.map((t, i) => {
    const amountsMc: Record<string, Mc> = {};
    for (const [r, total] of Object.entries(awardMc)) {
      const part = i === n - 1 ? total - (given[r] ?? 0) : Math.floor(total * t.share);
      given[r] = (given[r] ?? 0) + part;
      amountsMc[r] = part;
    }
    const report = trancheReport(p, i);
    return { trancheId: `t${i + 1}`, share: t.share, releaseOn: t.releaseOn, ...(report ? { report } : {}), amountsMc };
  });
}

export class TrancheReleasedError extends ConflictError {
  constructor(t: Tranche) {
    super(`Tranche ${t.trancheId} was released on ${t.releasedAt?.slice(0, 10)} (${t.releaseReason ?? 'released'}); a tranche is released once`, [{ path: 'trancheId', problem: 'is already released' }], 'tranche_already_released');
  }
}

/** The allocation after releasing a tranche, with one entry per resource. */
export function releaseTranche(alloc: Allocation, t: Tranche, ctx: OpContext): { allocation: Allocation; entries: LedgerEntry[]; explanation: Explanation } {
  if (t.releasedAt) throw new TrancheReleasedError(t);
  if (['expired', 'closed'].includes(alloc.state)) throw new RuleViolationError(`The allocation is ${alloc.state}; no more credits are released to it`, [{ path: 'trancheId', problem: `allocation is ${alloc.state}` }], 'allocation_ended');
  const a = clone(alloc);
  const entries: LedgerEntry[] = [];
  for (const [r, amount] of Object.entries(t.amountsMc).sort(([x], [y]) => x.localeCompare(y))) {
    if (amount <= 0) continue;
    // a resource whose first tranche rounded to nothing has no account yet
    const acct = (a.resources[r] ??= emptyAccount());
    acct.balanceMc += amount;
    acct.awardedMc += amount;
    acct.exhausted = acct.balanceMc <= -ctx.overdraftMc;
    entries.push({ entryId: ctx.newEntryId(), allocationId: a.id, kind: 'tranche', resource: r, amountMc: amount, overLimit: false, time: ctx.now, actor: ctx.actor, reason: ctx.reason, ref: ctx.ref });
  }
  if (a.state === 'exhausted' && Object.values(a.resources).some((x) => !x.exhausted)) a.state = 'active';
  a.entryCount += entries.length;
  a.updatedAt = ctx.now;
  const total = entries.reduce((s, e) => s + e.amountMc, 0);
  return {
    allocation: a,
    entries,
    explanation: {
      summary: `Tranche ${t.trancheId} (${Math.round(t.share * 100)}% of the award, ${fromMc(total)} credits) released${ctx.reason ? `: ${ctx.reason}` : ''}`,
      figures: { trancheId: t.trancheId, share: t.share, credits: fromMc(total), ...Object.fromEntries(entries.map((e) => [`credits.${e.resource}`, fromMc(e.amountMc)])) },
    },
  };
}

/** The tranches that accepting `reportId` releases. */
export function tranchesReleasedBy(tranches: readonly Tranche[], reportId: string): Tranche[] {
  return tranches.filter((t) => !t.releasedAt && t.releaseOn === 'report-accepted' && t.report === reportId);
}

/** The first tranche's amounts: what the award itself grants. */
export function firstTrancheMc(tranches: readonly Tranche[]): Record<string, Mc> {
  return { ...tranches[0].amountsMc };
}

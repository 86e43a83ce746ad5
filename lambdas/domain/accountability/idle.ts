// The idle rule: each day an allocation's burn is compared with its plan (the awarded credits spread
// evenly over its dates, or a plan the PI gives). Far behind plan for long enough, it gets a warning;
// still behind after a grace period, a proposal to return part of its unused credits, which the
// chair confirms (or the call's policy applies unless the PI answers). A return never takes more
// than the unused balance, nor credits held for running jobs. Every step says which figures led to it.
import { clone } from '../clone';
import { RuleViolationError } from '../errors';
import type { Allocation, LedgerEntry } from '../ledger/model';
import { fromMc, type Mc } from '../ledger/money';
import type { OpContext } from '../ledger/operations';
import { daysBetween } from './dates';
import type { BurnPlan, Explanation, IdleState } from './model';
import type { IdleRule } from './policy';

export interface BurnFacts {
  startDate: string;
  endDate: string;
  resources: Record<string, { awardedMc: Mc; usedMc: Mc; balanceMc: Mc; overLimitMc?: Mc }>;
}

/** The share of the credits planned to be used by `now`: linear over the dates, or the PI's points. */
export function plannedShare(f: Pick<BurnFacts, 'startDate' | 'endDate'>, now: Date, plan?: Pick<BurnPlan, 'points'>): number {
  const length = daysBetween(f.startDate, f.endDate);
  const elapsed = daysBetween(f.startDate, now);
  if (length <= 0 || elapsed <= 0) return 0;
  if (elapsed >= length) return 1;
  if (!plan?.points.length) return elapsed / length;
  const pts = [{ date: f.startDate, share: 0 }, ...plan.points, { date: f.endDate, share: 1 }];
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    const atB = daysBetween(f.startDate, b.date);
    if (elapsed <= atB) {
      const atA = daysBetween(f.startDate, a.date);
      const span = atB - atA;
      return span <= 0 ? b.share : a.share + ((b.share - a.share) * (elapsed - atA)) / span;
    }
  }
  return 1;
}

export interface BurnFigures {
  awardedMc: Mc;
  usedMc: Mc;
  plannedMc: Mc;
  /** used / planned, or null when nothing is planned yet. */
  ratio: number | null;
  behind: boolean;
}

export function burnFigures(f: BurnFacts, now: Date, threshold: number, plan?: Pick<BurnPlan, 'points'>): BurnFigures {
  const share = plannedShare(f, now, plan);
  let awardedMc = 0;
  let usedMc = 0;
  for (const r of Object.values(f.resources)) {
    awardedMc += r.awardedMc;
    usedMc += r.usedMc + (r.overLimitMc ?? 0);
  }
  const plannedMc = Math.round(awardedMc * share);
  const ratio = plannedMc > 0 ? usedMc / plannedMc : null;
  return { awardedMc, usedMc, plannedMc, ratio, behind: ratio !== null && ratio < threshold };
}

export type IdleAction = 'none' | 'watch' | 'clear' | 'warn' | 'propose';

export interface IdleOutcome {
  action: IdleAction;
  state: IdleState;
  figures: BurnFigures;
  explanation?: Explanation;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
const credits = (mc: Mc) => fromMc(Math.round(mc));

export function explainBurn(fig: BurnFigures, rule: IdleRule, now: Date, since: string | undefined, plan: boolean): Explanation {
  const day = now.toISOString().slice(0, 10);
  return {
    summary: `Used ${credits(fig.usedMc)} of the ${credits(fig.plannedMc)} credits ${plan ? "the PI's plan" : 'the even plan'} expects by ${day} (${fig.ratio === null ? 'n/a' : pct(fig.ratio)}; the threshold is ${pct(rule.threshold)})${since ? `, behind since ${since.slice(0, 10)}` : ''}`,
    figures: {
      date: day,
      awardedCredits: credits(fig.awardedMc),
      plannedCredits: credits(fig.plannedMc),
      usedCredits: credits(fig.usedMc),
      ratio: fig.ratio === null ? null : Math.round(fig.ratio * 10_000) / 10_000,
      threshold: rule.threshold,
      plan: plan ? 'pi' : 'even',
      behindSince: since ? since.slice(0, 10) : null,
      windowDays: rule.windowDays,
      graceDays: rule.graceDays,
    },
  };
}

/**
 * One day's evaluation. Being behind must hold on every daily evaluation of the run: the record of
 * an allocation behind plan is in the idle rule's watch index, so the scan sees it each day and
 * clears the run on the first day it is back on plan. Only a change of state is written: the start
 * of a run ('watch'), its end ('clear'), the warning and the proposal; a day like the one before
 * is 'none' and costs nothing.
 */
export function evaluateIdle(f: BurnFacts & { state: string }, prior: IdleState, rule: IdleRule, now: Date, plan?: BurnPlan): IdleOutcome {
  const t = now.toISOString();
  const fig = burnFigures(f, now, rule.threshold, plan);
  if (f.state !== 'active') return { action: 'none', state: prior, figures: fig };
  if (!fig.behind) {
    if (!prior.behindSince && !prior.warnedAt) return { action: 'none', state: prior, figures: fig };
    const state: IdleState = {
      ...(prior.openReclaimId ? { openReclaimId: prior.openReclaimId } : {}),
      ...(prior.reclaimApplyAfter ? { reclaimApplyAfter: prior.reclaimApplyAfter } : {}),
      ...(prior.quietUntil ? { quietUntil: prior.quietUntil } : {}),
    };
    const e = explainBurn(fig, rule, now, undefined, !!plan);
    return { action: 'clear', state, figures: fig, explanation: { ...e, summary: `Back on plan: ${e.summary}` } };
  }
  if (prior.quietUntil && t < prior.quietUntil) return { action: 'none', state: prior, figures: fig };
  const starting = !prior.behindSince;
  const state: IdleState = { ...prior, behindSince: prior.behindSince ?? t };
  const explanation = explainBurn(fig, rule, now, state.behindSince, !!plan);
  if (!state.warnedAt && daysBetween(state.behindSince!, now) >= rule.windowDays) {
    state.warnedAt = t;
    state.warning = { summary: `Warning: ${explanation.summary}. Unless use picks up, part of the unused credits will be proposed for return after ${rule.graceDays} days.`, figures: explanation.figures };
    return { action: 'warn', state, figures: fig, explanation: state.warning };
  }
  if (state.warnedAt && !state.openReclaimId && daysBetween(state.warnedAt, now) >= rule.graceDays) return { action: 'propose', state, figures: fig, explanation };
  return { action: starting ? 'watch' : 'none', state, figures: fig, explanation };
}

/** The credits to propose for return per resource: a share of each resource's shortfall, within its free balance. */
export function proposeReclaim(f: BurnFacts, rule: IdleRule, now: Date, heldMc: Record<string, Mc>, plan?: BurnPlan): { proposedMc: Record<string, Mc>; explanation: Explanation } | null {
  const share = plannedShare(f, now, plan);
  const proposedMc: Record<string, Mc> = {};
  const figures: Record<string, number | string | null> = {};
  let total = 0;
  let shortfallTotal = 0;
  for (const [r, acct] of Object.entries(f.resources).sort(([a], [b]) => a.localeCompare(b))) {
    const planned = acct.awardedMc * share;
    const shortfall = Math.max(0, planned - acct.usedMc);
    const free = Math.max(0, acct.balanceMc - (heldMc[r] ?? 0));
    // whole credits: a proposal reads as round figures
    const amount = Math.floor(Math.min(free, shortfall * rule.reclaimShare) / 1000) * 1000;
    shortfallTotal += shortfall;
    figures[`shortfall.${r}`] = credits(shortfall);
    figures[`free.${r}`] = credits(free);
    figures[`held.${r}`] = credits(heldMc[r] ?? 0);
    if (amount > 0) {
      proposedMc[r] = amount;
      total += amount;
    }
  }
  if (total <= 0 || total < rule.minimumCredits * 1000) return null;
  const daysLeft = Math.max(0, Math.ceil(daysBetween(now, f.endDate)));
  return {
    proposedMc,
    explanation: {
      summary: `Proposed: return ${credits(total)} credits (${pct(rule.reclaimShare)} of the ${credits(shortfallTotal)}-credit shortfall against plan, within the balance not held for running jobs), ${daysLeft} days before the end`,
      figures: { proposedCredits: credits(total), shortfallCredits: credits(shortfallTotal), reclaimShare: rule.reclaimShare, daysLeft, ...figures },
    },
  };
}

/** Refuses a return above the unused balance, or one that would take credits held for running jobs. */
export function checkReclaim(a: Pick<Allocation, 'resources' | 'state'>, amountsMc: Record<string, Mc>, heldMc: Record<string, Mc>): void {
  if (['expired', 'closed'].includes(a.state)) throw new RuleViolationError(`The allocation is ${a.state}; its credits have already been released`, [{ path: 'credits', problem: `allocation is ${a.state}` }], 'allocation_ended');
  const over: { path: string; problem: string }[] = [];
  const held: { path: string; problem: string }[] = [];
  for (const [r, mc] of Object.entries(amountsMc)) {
    const acct = a.resources[r];
    const path = `credits.${r}`;
    if (!acct) over.push({ path, problem: 'is not a resource of this allocation' });
    else if (mc > acct.balanceMc) over.push({ path, problem: `is ${fromMc(mc)} credits, more than the ${fromMc(Math.max(0, acct.balanceMc))} unused` });
    else if (mc > acct.balanceMc - (heldMc[r] ?? 0))
      held.push({
        path,
        problem: `is ${fromMc(mc)} credits, but ${fromMc(heldMc[r] ?? 0)} of the ${fromMc(acct.balanceMc)} unused are held for running jobs; at most ${fromMc(Math.max(0, acct.balanceMc - (heldMc[r] ?? 0)))} can be returned`,
      });
  }
  if (over.length) throw new RuleViolationError(`The return is more than the unused balance: ${over.map((d) => `${d.path} ${d.problem}`).join('; ')}`, over, 'reclaim_exceeds_unused');
  if (held.length) throw new RuleViolationError(`The return would take credits held for running jobs: ${held.map((d) => `${d.path} ${d.problem}`).join('; ')}`, held, 'reclaim_of_held_credits');
}

/** The allocation after returning credits: `reclaim` entries lower the balance and the awarded credits. */
export function applyReclaim(alloc: Allocation, amountsMc: Record<string, Mc>, heldMc: Record<string, Mc>, ctx: OpContext): { allocation: Allocation; entries: LedgerEntry[] } {
  checkReclaim(alloc, amountsMc, heldMc);
  const a = clone(alloc);
  const entries: LedgerEntry[] = [];
  for (const [r, mc] of Object.entries(amountsMc).sort(([x], [y]) => x.localeCompare(y))) {
    if (mc <= 0) continue;
    const acct = a.resources[r];
    acct.balanceMc -= mc;
    acct.awardedMc -= mc;
    acct.exhausted = acct.balanceMc <= -ctx.overdraftMc;
    entries.push({ entryId: ctx.newEntryId(), allocationId: a.id, kind: 'reclaim', resource: r, amountMc: -mc, overLimit: false, time: ctx.now, actor: ctx.actor, reason: ctx.reason, ref: ctx.ref });
  }
  if (a.state === 'active' && Object.values(a.resources).every((x) => x.exhausted)) a.state = 'exhausted';
  a.entryCount += entries.length;
  a.updatedAt = ctx.now;
  return { allocation: a, entries };
}

// What the API shows of allocations and entries: credits as decimals, rates in force today, and the
// daily burn-down with a projected exhaustion date.
import { runtimeConfig } from '../shared/config';
import { findResource, parseResourceKey, rateAt } from '../domain/catalogue';
import type { Allocation, LedgerEntry } from '../domain/ledger/model';
import { fromMc } from '../domain/ledger/money';
import type { Caller } from '../shared/http/caller';
import { hasRole } from '../shared/http/caller';

export function allocationView(a: Allocation, now = new Date()) {
  const sites = runtimeConfig().sites;
  return {
    id: a.id,
    state: a.state,
    ...(a.stateReason ? { stateReason: a.stateReason } : {}),
    title: a.title,
    piSub: a.piSub,
    institution: a.institution,
    orgType: a.orgType,
    ...(a.orgId ? { orgId: a.orgId } : {}), // identity
    field: a.field,
    proposalId: a.proposalId,
    callId: a.callId,
    tier: a.tier,
    startDate: a.startDate,
    endDate: a.endDate,
    // logins are site accounts (GET /v1/sites/{siteId}/accounts/{sub}); a legacy typed name is not shown
    members: a.members.map((m) => ({ sub: m.sub, role: m.role, addedAt: m.addedAt })),
    balances: Object.entries(a.resources)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([key, r]) => {
        const k = parseResourceKey(key);
        const res = k ? findResource(sites, k.siteId, k.resourceId) : undefined;
        const rate = res ? (rateAt(res, now.toISOString())?.creditsPerGpuHour ?? null) : null;
        return {
          resource: key,
          awarded: fromMc(r.awardedMc),
          balance: fromMc(r.balanceMc),
          used: fromMc(r.usedMc),
          overLimit: fromMc(r.overLimitMc),
          exhausted: r.exhausted,
          creditsPerGpuHour: rate,
          gpuHoursLeft: rate ? Math.max(0, Math.round((fromMc(r.balanceMc) / rate) * 100) / 100) : null,
        };
      }),
    schedulerAccounts: a.schedulerAccounts ?? {},
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

export function entryView(e: LedgerEntry) {
  return {
    entryId: e.entryId,
    kind: e.kind,
    resource: e.resource,
    credits: fromMc(e.amountMc),
    overLimit: e.overLimit,
    time: e.time,
    actor: e.actor,
    reason: e.reason,
    ref: e.ref,
    ...(e.jobs ? { jobs: e.jobs.map((j) => ({ siteId: j.siteId, cluster: j.cluster, jobId: j.jobId, credits: fromMc(-j.deltaMc), totalCredits: fromMc(j.totalMc) })) } : {}),
    ...(e.counterpart ? { counterpart: e.counterpart } : {}),
  };
}

/** Staff see every allocation; a site operator those using their sites; a researcher only their own. */
export function canSee(caller: Caller, a: Allocation): boolean {
  if (hasRole(caller, 'admin', 'auditor', 'chair')) return true;
  if (hasRole(caller, 'site-operator') && Object.keys(a.resources).some((k) => caller.siteIds.includes(k.split('/')[0]))) return true;
  return hasRole(caller, 'researcher') && a.members.some((m) => m.sub === caller.sub);
}

export function burnDown(a: Allocation, entries: LedgerEntry[], now: Date, windowDays: number) {
  const resources = Object.keys(a.resources).sort();
  const today = now.toISOString().slice(0, 10);
  return resources.map((resource) => {
    const byDay = new Map<string, { used: number; delta: number }>();
    for (const e of entries) {
      if (e.resource !== resource || e.overLimit) continue;
      const day = e.time.slice(0, 10);
      const d = byDay.get(day) ?? { used: 0, delta: 0 };
      d.delta += e.amountMc;
      if (e.kind === 'usage') d.used -= e.amountMc;
      byDay.set(day, d);
    }
    const daysSorted = [...byDay.keys()].sort();
    let balance = 0;
    const days = daysSorted.map((date) => {
      balance += byDay.get(date)!.delta;
      return { date, used: fromMc(byDay.get(date)!.used), balance: fromMc(balance) };
    });
    const since = new Date(now.getTime() - windowDays * 86_400_000).toISOString().slice(0, 10);
    const recentUse = daysSorted.filter((d) => d > since && d <= today).reduce((s, d) => s + byDay.get(d)!.used, 0);
    const burnPerDayMc = recentUse / windowDays;
    const current = a.resources[resource].balanceMc;
    const projectedExhaustion = burnPerDayMc > 0 && current > 0 ? new Date(now.getTime() + (current / burnPerDayMc) * 86_400_000).toISOString().slice(0, 10) : current <= 0 ? today : null;
    return { resource, balance: fromMc(current), days, burnPerDay: Math.round(fromMc(burnPerDayMc) * 1000) / 1000, projectedExhaustion };
  });
}

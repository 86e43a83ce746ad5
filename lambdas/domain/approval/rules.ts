// What a proposal must satisfy: a well-formed request against its call (resources that exist, are
// offered and fit the tier), completeness before submission, and eligibility. Each problem names
// the field it is about, so the API can answer 400/422 with details and the flow can record them.
import { findResource, findSite, parseResourceKey, type Site } from '../catalogue';
import { fromMc, type Mc } from '../ledger/money';
import { effectiveOrgType, sumMc, type Call, type Proposal, type Tier } from './model';

export interface Problem {
  path: string;
  problem: string;
}

const fmt = (mc: Mc) => `${fromMc(mc)}`;

export type WindowState = 'upcoming' | 'open' | 'closed';

export function windowState(call: Pick<Call, 'opensAt' | 'closesAt'>, at: Date | string): WindowState {
  const t = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (t < Date.parse(call.opensAt)) return 'upcoming';
  if (t >= Date.parse(call.closesAt)) return 'closed';
  return 'open';
}

/** The tier a request of this total falls in (by the call's thresholds). */
export function tierFor(totalMc: Mc, call: Pick<Call, 'tiers' | 'kind'>): Tier {
  if (call.kind === 'starter') return 'starter';
  if (call.tiers.starter.maxMc > 0 && totalMc <= call.tiers.starter.maxMc) return 'starter';
  if (totalMc <= call.tiers.standard.maxMc) return 'standard';
  return 'flagship';
}

/** The most a request of this tier may total in this call. */
export function tierLimitMc(tier: Tier, call: Pick<Call, 'tiers' | 'maxRequestMc'>): Mc {
  if (tier === 'starter') return Math.min(call.tiers.starter.maxMc, call.maxRequestMc);
  if (tier === 'standard') return Math.min(call.tiers.standard.maxMc, call.maxRequestMc);
  return call.maxRequestMc;
}

/** The tier a proposal is handled in: the one it asked for, else the one its total falls in. */
export function effectiveTier(p: Pick<Proposal, 'requestedTier' | 'requestedMc'>, call: Pick<Call, 'tiers' | 'kind'>): Tier {
  return call.kind === 'starter' ? 'starter' : (p.requestedTier ?? tierFor(sumMc(p.requestedMc), call));
}

/** Panel size and quorum of a reviewed tier. */
export function panelOf(tier: Tier, call: Pick<Call, 'tiers'>): { reviewers: number; minReviews: number } {
  if (tier === 'flagship') return { reviewers: call.tiers.flagship.reviewers, minReviews: call.tiers.flagship.minReviews };
  return { reviewers: call.tiers.standard.reviewers, minReviews: call.tiers.standard.minReviews };
}

/**
 * Problems with the credits requested: every resource must exist at its site and be offered by
 * the call; the total must fit the most one proposal may ask and the tier's limit.
 */
export function requestProblems(requestedMc: Record<string, Mc>, call: Call, sites: readonly Site[], requestedTier?: Tier): Problem[] {
  const out: Problem[] = [];
  const entries = Object.entries(requestedMc);
  if (entries.length === 0) out.push({ path: 'credits', problem: 'must request at least one resource' });
  for (const [key, mc] of entries) {
    const path = `credits.${key}`;
    const rk = parseResourceKey(key);
    if (!rk) {
      out.push({ path, problem: 'is not a resource key (site/resource, e.g. spc/h200)' });
      continue;
    }
    if (!findSite(sites, rk.siteId)) {
      out.push({ path, problem: `names site "${rk.siteId}", which does not exist` });
      continue;
    }
    if (!findResource(sites, rk.siteId, rk.resourceId)) {
      out.push({ path, problem: `is not a resource of site "${rk.siteId}"` });
      continue;
    }
    if (call.capacityMc[key] === undefined) out.push({ path, problem: `is not offered by call ${call.id} (it offers ${Object.keys(call.capacityMc).sort().join(', ')})` });
    if (!(mc > 0)) out.push({ path, problem: 'must be greater than 0' });
  }
  const total = sumMc(requestedMc);
  if (total > call.maxRequestMc) out.push({ path: 'credits', problem: `totals ${fmt(total)} credits, more than the ${fmt(call.maxRequestMc)} one proposal may ask in this call` });
  const tier = call.kind === 'starter' ? 'starter' : requestedTier;
  if (tier && total <= call.maxRequestMc) {
    const limit = tierLimitMc(tier, call);
    if (tier === 'starter' && call.tiers.starter.maxMc === 0) out.push({ path: 'tier', problem: 'is "starter", but this call has no starter tier' });
    else if (total > limit) out.push({ path: 'credits', problem: `totals ${fmt(total)} credits, above the ${tier} tier's limit of ${fmt(limit)}` });
  }
  return out;
}

const AI_PURPOSES = new Set(['pretraining', 'fine-tuning', 'inference']);

/** What is still missing before a proposal can be submitted. */
export function completenessProblems(p: Proposal): Problem[] {
  const out: Problem[] = [];
  const need = (path: string, ok: unknown) => {
    if (ok === undefined || ok === null || ok === '') out.push({ path, problem: 'is required before the proposal can be submitted' });
  };
  need('title', p.title);
  need('abstract', p.abstract);
  need('field', p.field);
  need('pi', p.pi);
  need('workload', p.workload);
  if (p.workload && AI_PURPOSES.has(p.workload.purpose)) need('workload.modelParameters', p.workload.modelParameters);
  if (!p.requestedMc || Object.keys(p.requestedMc).length === 0) out.push({ path: 'credits', problem: 'is required before the proposal can be submitted (or ask KAIRR to recommend, with recommend: true)' });
  need('durationMonths', p.durationMonths);
  need('justification', p.justification);
  return out;
}

/**
 * The flow's Check, and the submit endpoint's: complete, eligible (org type), submitted inside
 * the window, and a request the call can take. Empty when the proposal may go on.
 */
export function checkProposal(p: Proposal, call: Call, sites: readonly Site[], submittedAt: string, opts: { orgTypeWaived?: boolean } = {}): Problem[] {
  const out = completenessProblems(p);
  if (p.callId !== call.id) out.push({ path: 'callId', problem: `is ${p.callId}, not ${call.id}` });
  const w = windowState(call, submittedAt);
  if (w !== 'open') out.push({ path: 'callId', problem: w === 'closed' ? `call ${call.id} closed at ${call.closesAt}` : `call ${call.id} opens at ${call.opensAt}` });
  // The registry's org type when the PI's claims matched an org (what they typed otherwise, flagged to the chair).
  // Waived only where training stands in for it (training.ts fastTrackWaiver).
  if (p.pi && !opts.orgTypeWaived && !call.eligibleOrgTypes.includes(effectiveOrgType(p.pi))) {
    const t = effectiveOrgType(p.pi);
    const why = p.pi.affiliation?.orgType ? ` (the registry's type of ${p.pi.affiliation.orgName})` : '';
    out.push({ path: 'pi.orgType', problem: `"${t}"${why} may not apply to call ${call.id} (eligible: ${call.eligibleOrgTypes.join(', ')})` });
  }
  if (p.requestedMc && Object.keys(p.requestedMc).length) out.push(...requestProblems(p.requestedMc, call, sites, p.requestedTier));
  return out;
}

/** The allocation's end date: `months` after `start` (a YYYY-MM-DD), clamped to the month's last day. */
export function endDateAfter(start: string, months: number): string {
  const [y, m, d] = start.split('-').map(Number);
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, last));
  return target.toISOString().slice(0, 10);
}

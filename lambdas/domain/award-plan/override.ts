// A chair's override of one plan line. The optimiser recommends; the chair decides (docs/domain.md). An
// override never re-solves: it sets the line, recomputes every total and re-checks every rule, so
// the chair sees at once what the change breaks (capacity, request cap, minimum, floors).
import { ValidationError } from '../errors';
import { CREDIT_TOL } from './problem';
import { floorStatus } from './explain';
import type { AwardOverride } from './schema';
import type { AwardLine, AwardPlan, PlanViolation, ProposalPlan } from './types';

/**
 * Returns a new plan with `override` applied; `plan` is not changed. Shadow prices and binding
 * constraints still describe the optimiser's plan, which the override departs from.
 */
export function applyOverride(plan: AwardPlan, override: AwardOverride): AwardPlan {
  const index = plan.proposals.findIndex((p) => p.proposalId === override.proposalId);
  if (index < 0) throw ValidationError.field('proposalId', `"${override.proposalId}" is not in this plan`);
  if (!plan.resources.some((r) => r.resourceKey === override.resourceKey)) {
    throw ValidationError.field('resourceKey', `"${override.resourceKey}" is not a resource of this call`);
  }
  if (!(override.credits >= 0) || !Number.isFinite(override.credits)) throw ValidationError.field('credits', 'must be a finite number of credits, zero or more');
  if (!override.reason.trim()) throw ValidationError.field('reason', 'is required');

  const before = plan.proposals[index];
  const existing = before.lines.find((l) => l.resourceKey === override.resourceKey);
  const previousCredits = existing ? existing.awarded : 0;
  const lines: AwardLine[] = existing
    ? before.lines.map((l) => (l.resourceKey === override.resourceKey ? { ...l, awarded: override.credits } : l))
    : [...before.lines, { resourceKey: override.resourceKey, requested: 0, minViable: 0, awarded: override.credits }].sort((a, b) => (a.resourceKey < b.resourceKey ? -1 : 1));
  const awardedTotal = round6(lines.reduce((a, l) => a + l.awarded, 0));
  const status: ProposalPlan['status'] = awardedTotal <= 0 ? 'not-funded' : lines.every((l) => l.awarded >= l.requested) ? 'funded' : 'partial';
  const after: ProposalPlan = {
    ...before,
    lines,
    awardedTotal,
    status,
    overridden: true,
    explanation: `${before.explanation} Overridden by the chair: ${override.resourceKey} set to ${override.credits} credits (was ${previousCredits}): ${override.reason}`,
  };
  const proposals = plan.proposals.slice();
  proposals[index] = after;
  return recomputeTotals({ ...plan, proposals, overrides: [...plan.overrides, { ...override, previousCredits }] });
}

export function applyOverrides(plan: AwardPlan, overrides: readonly AwardOverride[]): AwardPlan {
  return overrides.reduce(applyOverride, plan);
}

/** Objective, per-resource and per-floor totals, and every rule the plan now breaks. */
export function recomputeTotals(plan: AwardPlan): AwardPlan {
  const used = new Map(plan.resources.map((r) => [r.resourceKey, 0]));
  const byOrg = new Map<string, number>();
  const violations: PlanViolation[] = [];
  let objective = 0;
  for (const p of plan.proposals) {
    for (const l of p.lines) {
      used.set(l.resourceKey, (used.get(l.resourceKey) ?? 0) + l.awarded);
      byOrg.set(p.orgType, (byOrg.get(p.orgType) ?? 0) + l.awarded);
      objective += p.score * l.awarded;
      if (l.awarded > l.requested + tol(l.requested)) {
        violations.push({ kind: 'request-cap', proposalId: p.proposalId, resourceKey: l.resourceKey, requested: l.requested, awarded: l.awarded });
      }
      if (p.awardedTotal > 0 && l.awarded < l.minViable - tol(l.minViable)) {
        violations.push({ kind: 'min-viable-fraction', proposalId: p.proposalId, resourceKey: l.resourceKey, minViable: l.minViable, awarded: l.awarded });
      }
    }
  }
  const resources = plan.resources.map((r) => {
    const awarded = round6(used.get(r.resourceKey) ?? 0);
    if (awarded > r.capacity + tol(r.capacity)) {
      violations.push({ kind: 'capacity', resourceKey: r.resourceKey, capacity: r.capacity, awarded, excess: round6(awarded - r.capacity) });
    }
    return { ...r, awarded, remaining: round6(r.capacity - awarded) };
  });
  const floors = plan.floors.map((f) => {
    const awarded = round6(byOrg.get(f.orgType) ?? 0);
    const status = floorStatus(awarded, f.effectiveTarget, f.target);
    if (status === 'short') violations.push({ kind: 'org-type-floor', orgType: f.orgType, effectiveTarget: f.effectiveTarget, awarded });
    return { ...f, awarded, status };
  });
  return {
    ...plan,
    objective: round6(objective),
    totalAwarded: round6(resources.reduce((a, r) => a + r.awarded, 0)),
    resources,
    floors,
    violations,
  };
}

function tol(x: number): number {
  return CREDIT_TOL * Math.max(1, Math.abs(x)) * 10;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

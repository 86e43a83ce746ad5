// Helpers for the award-plan tests: small inputs, and an independent check that a plan obeys
// every rule of the call (so a test never trusts the optimiser's own bookkeeping).
import type { AwardPlan, AwardPlanInput } from '../../../lambdas/domain/award-plan';

export function call(partial: Partial<AwardPlanInput> & Pick<AwardPlanInput, 'capacity' | 'proposals'>): AwardPlanInput {
  return { floors: {}, minViableFraction: 0.5, ...partial };
}

export function awardOf(plan: AwardPlan, proposalId: string, resourceKey?: string): number {
  const p = plan.proposals.find((x) => x.proposalId === proposalId);
  if (!p) throw new Error(`no proposal ${proposalId} in plan`);
  return resourceKey ? (p.lines.find((l) => l.resourceKey === resourceKey)?.awarded ?? 0) : p.awardedTotal;
}

export function statusOf(plan: AwardPlan, proposalId: string): string {
  return plan.proposals.find((x) => x.proposalId === proposalId)!.status;
}

/** Every rule, checked from the input alone. Returns the broken ones (empty when the plan is valid). */
export function brokenRules(input: AwardPlanInput, plan: AwardPlan): string[] {
  const broken: string[] = [];
  const tol = (x: number) => 1e-6 * Math.max(1, x);
  const used: Record<string, number> = {};
  const byOrg: Record<string, number> = {};
  let objective = 0;
  for (const prop of input.proposals) {
    const got = plan.proposals.find((p) => p.proposalId === prop.id);
    if (!got) {
      broken.push(`${prop.id} missing`);
      continue;
    }
    const f = prop.minViableFraction ?? input.minViableFraction;
    const total = got.lines.reduce((a, l) => a + l.awarded, 0);
    for (const [key, req] of Object.entries(prop.requested)) {
      const award = got.lines.find((l) => l.resourceKey === key)?.awarded ?? 0;
      if (award > req + tol(req)) broken.push(`${prop.id} ${key} above request`);
      if (total > 0 && req > 0 && award < f * req - tol(req)) broken.push(`${prop.id} ${key} below minimum`);
      used[key] = (used[key] ?? 0) + award;
      byOrg[prop.orgType] = (byOrg[prop.orgType] ?? 0) + award;
      objective += prop.score * award;
    }
  }
  for (const [key, cap] of Object.entries(input.capacity)) if ((used[key] ?? 0) > cap + tol(cap)) broken.push(`${key} over capacity`);
  for (const floor of plan.floors) if ((byOrg[floor.orgType] ?? 0) < floor.effectiveTarget - tol(floor.effectiveTarget)) broken.push(`${floor.orgType} floor`);
  if (Math.abs(objective - plan.objective) > tol(objective)) broken.push(`objective ${plan.objective} != ${objective}`);
  return broken;
}

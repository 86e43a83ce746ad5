// Same input, same plan: re-running, re-ordering the input, and the two solve methods.
import { computeAwardPlan, greedyAwardPlan, type AwardPlanInput, type Highs } from '../../../lambdas/domain/award-plan';
import { loadHighsSolver } from '../../../lambdas/recommendation/highs-loader';
import { instance } from '../../../bench/optimizer';
import { brokenRules } from './support';

let highs: Highs;
beforeAll(async () => {
  highs = await loadHighsSolver();
});

function reversed(input: AwardPlanInput): AwardPlanInput {
  return {
    ...input,
    capacity: Object.fromEntries(Object.entries(input.capacity).reverse()),
    proposals: [...input.proposals].reverse().map((p) => ({ ...p, requested: Object.fromEntries(Object.entries(p.requested).reverse()) })),
  };
}

describe('award plan: determinism', () => {
  const input = instance(150, 7);

  test('the same input gives the same plan, whatever order it lists things in', async () => {
    const first = await computeAwardPlan(input, { highs });
    const again = await computeAwardPlan(input, { highs });
    const shuffled = await computeAwardPlan(reversed(input), { highs });

    expect(again).toEqual(first);
    expect(shuffled).toEqual(first);
    expect(first.proposals.map((p) => p.proposalId)).toEqual([...first.proposals.map((p) => p.proposalId)].sort());
    expect(brokenRules(input, first)).toEqual([]);
  });

  test('the core method and the full MIP agree within the gap, and both beat greedy', async () => {
    const mid = instance(400, 11);
    const settings = { mipRelGap: 1e-6 };

    const full = await computeAwardPlan(mid, { highs, settings: { ...settings, method: 'full' } });
    const core = await computeAwardPlan(mid, { highs, settings: { ...settings, method: 'core' } });
    const greedy = greedyAwardPlan(mid, Object.fromEntries(full.floors.map((f) => [f.orgType, f.effectiveTarget])));

    expect(full.solver.method).toBe('full-mip');
    expect(core.solver.method).toBe('core-mip');
    expect(Math.abs(full.objective - core.objective) / full.objective).toBeLessThanOrEqual(1e-6);
    expect(core.solver.dualBound).toBeGreaterThanOrEqual(full.objective * (1 - 1e-9));
    expect(full.objective).toBeGreaterThanOrEqual(greedy.objective);
    expect(core.objective).toBeGreaterThanOrEqual(greedy.objective);
    expect(brokenRules(mid, full)).toEqual([]);
    expect(brokenRules(mid, core)).toEqual([]);
  });

  test('a plan records what is needed to re-run it', async () => {
    const plan = await computeAwardPlan(input, { highs });

    expect(plan.solver).toMatchObject({
      engine: 'highs',
      highsVersion: highs.version.string,
      formulation: 'kairr-award-mip/1',
      status: 'optimal',
      reproducible: true,
      mipRelGap: 1e-5,
    });
    expect(plan.callId).toBe(input.callId);
  });
});

describe('award plan: time limit', () => {
  test('a plan cut short by the time limit is still valid and says it is not reproducible', async () => {
    // Whether HiGHS finishes inside 10 ms depends on the machine, so only what holds either way is asserted.
    const big = instance(2000, 3);

    const plan = await computeAwardPlan(big, { highs, settings: { timeLimitSeconds: 0.01 } });

    expect(brokenRules(big, plan)).toEqual([]);
    expect(plan.solver.reproducible).toBe(plan.solver.status === 'optimal');
    if (plan.solver.method === 'greedy-fallback') expect(plan.solver.gap).toBeNull();
  });
});

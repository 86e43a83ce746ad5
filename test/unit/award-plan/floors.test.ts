// Fairness floors: a binding floor changes the plan as worked out by hand; a floor its org type's
// requests cannot fill is capped, not an error; floors that cannot hold raise a named error.
import { computeAwardPlan, InfeasibleFloorsError, type Highs } from '../../../lambdas/domain/award-plan';
import { loadHighsSolver } from '../../../lambdas/recommendation/highs-loader';
import { awardOf, brokenRules, call } from './support';

let highs: Highs;
beforeAll(async () => {
  highs = await loadHighsSolver();
});
const solve = (input: Parameters<typeof computeAwardPlan>[0]) => computeAwardPlan(input, { highs });

const twoOrgs = (floors: Record<string, number>) =>
  call({
    capacity: { 'spc/h200': 1000 },
    floors,
    proposals: [
      { id: 'U1', orgType: 'university', score: 5, requested: { 'spc/h200': 1000 } },
      { id: 'S1', orgType: 'sme', score: 2, requested: { 'spc/h200': 400 } },
    ],
  });

describe('award plan: fairness floors', () => {
  test('without a floor the best proposal takes everything', async () => {
    const plan = await solve(twoOrgs({}));

    expect([awardOf(plan, 'U1'), awardOf(plan, 'S1')]).toEqual([1000, 0]);
    expect(plan.objective).toBe(5000);
  });

  test('a binding 30% sme floor moves 300 credits to the sme proposal, at a price of 3 per credit', async () => {
    // Floor = 0.3 x 1000 = 300 for sme. S1 gets 300 (>= its minimum 200), U1 the other 700
    // (>= 500): 3500 + 600 = 4100. Each credit the floor reserves moves from score 5 to score 2.
    const input = twoOrgs({ sme: 0.3 });

    const plan = await solve(input);

    expect([awardOf(plan, 'U1'), awardOf(plan, 'S1')]).toEqual([700, 300]);
    expect(plan.objective).toBe(4100);
    expect(plan.floors).toEqual([{ orgType: 'sme', share: 0.3, target: 300, attainable: 400, effectiveTarget: 300, awarded: 300, status: 'met', shadowPrice: 3 }]);
    const u1 = plan.proposals.find((p) => p.proposalId === 'U1')!;
    expect(u1.binding).toMatchObject({ kind: 'org-type-floor', orgType: 'sme' });
    const s1 = plan.proposals.find((p) => p.proposalId === 'S1')!;
    expect(s1.alsoBinding).toContainEqual(expect.objectContaining({ kind: 'org-type-floor', orgType: 'sme', shadowPrice: 3 }));
    expect(brokenRules(input, plan)).toEqual([]);
  });

  test('a floor larger than its org type asked for is capped at what it asked for', async () => {
    // 60% of 1000 = 600, but sme asked for 400 in all: the floor holds at 400, the rest to U1.
    const plan = await solve(twoOrgs({ sme: 0.6 }));

    expect(plan.floors[0]).toMatchObject({ target: 600, attainable: 400, effectiveTarget: 400, awarded: 400, status: 'capped-by-requests' });
    expect([awardOf(plan, 'U1'), awardOf(plan, 'S1')]).toEqual([600, 400]);
  });

  test('a floor for an org type with no proposals is capped at zero', async () => {
    const plan = await solve(twoOrgs({ 'public-agency': 0.1 }));

    expect(plan.floors[0]).toMatchObject({ orgType: 'public-agency', target: 100, attainable: 0, effectiveTarget: 0, status: 'capped-by-requests' });
    expect(plan.objective).toBe(5000);
  });

  test('a floor its org type can reach only through a scarce resource is capped at what that resource allows', async () => {
    // Total 1300, sme floor 25% = 325. sme asked only for gh200, which has 300: S1's minimum (400)
    // exceeds it, so only S2 (minimum 250) can be funded, and sme can reach at most 300.
    const input = call({
      capacity: { 'spc/h200': 1000, 'kisti6/gh200': 300 },
      floors: { sme: 0.25 },
      proposals: [
        { id: 'U1', orgType: 'university', score: 5, requested: { 'spc/h200': 1000 } },
        { id: 'S1', orgType: 'sme', score: 4, requested: { 'kisti6/gh200': 800 } },
        { id: 'S2', orgType: 'sme', score: 3, requested: { 'kisti6/gh200': 500 } },
      ],
    });

    const plan = await solve(input);

    expect(plan.floors[0]).toMatchObject({ target: 325, attainable: 300, effectiveTarget: 300, awarded: 300, status: 'capped-by-requests' });
    expect(awardOf(plan, 'S2')).toBe(300);
    expect(awardOf(plan, 'S1')).toBe(0);
    expect(brokenRules(input, plan)).toEqual([]);
  });

  test('floors that add up to more than 100% are an error naming every floor', async () => {
    const attempt = solve(twoOrgs({ university: 0.6, sme: 0.5 }));

    await expect(attempt).rejects.toBeInstanceOf(InfeasibleFloorsError);
    await expect(attempt).rejects.toMatchObject({
      status: 422,
      code: 'infeasible_floors',
      reason: 'shares-exceed-total',
      conflicts: [
        { orgType: 'university', share: 0.6 },
        { orgType: 'sme', share: 0.5 },
      ],
      details: [
        { path: 'floors.university', problem: expect.stringContaining('60.00%') },
        { path: 'floors.sme', problem: expect.stringContaining('50.00%') },
      ],
    });
  });

  test('floors each reachable alone but not together are an error naming them', async () => {
    // Total capacity 2000: university 50% and sme 50% both need 1000, but both asked only for
    // h200, which has 1000. Each floor alone is attainable; together they are not.
    const input = call({
      capacity: { 'spc/h200': 1000, 'kisti6/gh200': 1000 },
      floors: { university: 0.5, sme: 0.5 },
      proposals: [
        { id: 'U1', orgType: 'university', score: 5, requested: { 'spc/h200': 800 } },
        { id: 'U2', orgType: 'university', score: 4, requested: { 'spc/h200': 800 } },
        { id: 'S1', orgType: 'sme', score: 3, requested: { 'spc/h200': 1000 } },
        { id: 'X1', orgType: 'startup', score: 3, requested: { 'kisti6/gh200': 1000 } },
      ],
    });

    const attempt = solve(input);

    await expect(attempt).rejects.toMatchObject({
      reason: 'jointly-infeasible',
      conflicts: [expect.objectContaining({ orgType: 'university', effectiveTarget: 1000 }), expect.objectContaining({ orgType: 'sme', effectiveTarget: 1000 })],
    });
    const error = (await attempt.catch((e: unknown) => e)) as InfeasibleFloorsError;
    // The best joint plan meets 1000 credits of floors out of 2000.
    expect(error.conflicts.reduce((a, c) => a + (c.bestAchievable ?? 0), 0)).toBe(1000);
  });
});

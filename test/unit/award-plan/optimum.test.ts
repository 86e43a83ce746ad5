// Small calls whose optimum is worked out by hand in each test; the plan must match it exactly.
import { computeAwardPlan, greedyAwardPlan, type AwardPlan, type Highs } from '../../../lambdas/domain/award-plan';
import { loadHighsSolver } from '../../../lambdas/recommendation/highs-loader';
import { awardOf, brokenRules, call, statusOf } from './support';

let highs: Highs;
beforeAll(async () => {
  highs = await loadHighsSolver();
});
const solve = (input: Parameters<typeof computeAwardPlan>[0]) => computeAwardPlan(input, { highs });
const bindingOf = (plan: AwardPlan, id: string) => plan.proposals.find((p) => p.proposalId === id)!;

describe('award plan: hand-computed optima', () => {
  test('best score first; the marginal proposal is funded in part, down to its minimum', async () => {
    // h200 1000, f 0.5. A(5) 600 in full; 400 left: B(4) takes 400 (>= its minimum 300); C(3) has
    // nothing left. Skipping B for C gives 3000 + 900 = 3900 < 3000 + 1600 = 4600.
    const input = call({
      capacity: { 'spc/h200': 1000 },
      proposals: [
        { id: 'A', orgType: 'university', score: 5, requested: { 'spc/h200': 600 } },
        { id: 'B', orgType: 'university', score: 4, requested: { 'spc/h200': 600 } },
        { id: 'C', orgType: 'sme', score: 3, requested: { 'spc/h200': 300 } },
      ],
    });

    const plan = await solve(input);

    expect(plan.objective).toBe(4600);
    expect([awardOf(plan, 'A'), awardOf(plan, 'B'), awardOf(plan, 'C')]).toEqual([600, 400, 0]);
    expect([statusOf(plan, 'A'), statusOf(plan, 'B'), statusOf(plan, 'C')]).toEqual(['funded', 'partial', 'not-funded']);
    expect(bindingOf(plan, 'A').binding).toMatchObject({ kind: 'request-cap', shadowPrice: 1 }); // 5 - lambda 4
    expect(bindingOf(plan, 'B').binding).toMatchObject({ kind: 'capacity', resourceKey: 'spc/h200', shadowPrice: 4 });
    expect(bindingOf(plan, 'C').binding).toMatchObject({ kind: 'capacity', resourceKey: 'spc/h200' });
    expect(plan.resources).toEqual([{ resourceKey: 'spc/h200', capacity: 1000, awarded: 1000, remaining: 0, shadowPrice: 4 }]);
    expect(plan.solver).toMatchObject({ method: 'full-mip', status: 'optimal', reproducible: true, gap: 0 });
    expect(brokenRules(input, plan)).toEqual([]);
  });

  test('all-or-nothing requests: the optimiser beats greedy by funding two smaller proposals', async () => {
    // f = 1. Greedy takes A(5, 600) and then neither B nor C fits: 3000. The optimum leaves A out
    // and funds B(4.5, 500) + C(4, 500) = 2250 + 2000 = 4250.
    const input = call({
      capacity: { 'spc/h200': 1000 },
      minViableFraction: 1,
      proposals: [
        { id: 'A', orgType: 'university', score: 5, requested: { 'spc/h200': 600 } },
        { id: 'B', orgType: 'university', score: 4.5, requested: { 'spc/h200': 500 } },
        { id: 'C', orgType: 'startup', score: 4, requested: { 'spc/h200': 500 } },
      ],
    });

    const plan = await solve(input);
    const greedy = greedyAwardPlan(input);

    expect(plan.objective).toBe(4250);
    expect([statusOf(plan, 'A'), statusOf(plan, 'B'), statusOf(plan, 'C')]).toEqual(['not-funded', 'funded', 'funded']);
    expect(bindingOf(plan, 'A').binding).toMatchObject({ kind: 'capacity', resourceKey: 'spc/h200' });
    expect(greedy.objective).toBe(3000);
    expect(greedy.awards).toEqual({ A: { 'spc/h200': 600 } });
  });

  test("a proposal's own minimum viable fraction overrides the call's", async () => {
    // As above, but A accepts half (min 300): A 500 + B 500 = 2500 + 2250 = 4750 beats B + C (4250)
    // and A 600 alone (3000); A 600 + C does not fit (C needs all 500).
    const input = call({
      capacity: { 'spc/h200': 1000 },
      minViableFraction: 1,
      proposals: [
        { id: 'A', orgType: 'university', score: 5, requested: { 'spc/h200': 600 }, minViableFraction: 0.5 },
        { id: 'B', orgType: 'university', score: 4.5, requested: { 'spc/h200': 500 } },
        { id: 'C', orgType: 'startup', score: 4, requested: { 'spc/h200': 500 } },
      ],
    });

    const plan = await solve(input);

    expect(plan.objective).toBe(4750);
    expect([awardOf(plan, 'A'), awardOf(plan, 'B'), awardOf(plan, 'C')]).toEqual([500, 500, 0]);
    expect(bindingOf(plan, 'A')).toMatchObject({ status: 'partial', minViableFraction: 0.5 });
  });

  test('min-viable fraction: capacity left over but below the minimum is not awarded', async () => {
    // A(5) takes 900 of 1000. B(1) needs all 400 (f = 1): A 600 + B 400 = 3400 < A 900 = 4500.
    // 100 credits stay unawarded because B cannot use less than 400.
    const input = call({
      capacity: { 'spc/h200': 1000 },
      proposals: [
        { id: 'A', orgType: 'university', score: 5, requested: { 'spc/h200': 900 } },
        { id: 'B', orgType: 'sme', score: 1, requested: { 'spc/h200': 400 }, minViableFraction: 1 },
      ],
    });

    const plan = await solve(input);

    expect(plan.objective).toBe(4500);
    expect(awardOf(plan, 'B')).toBe(0);
    expect(plan.resources[0].remaining).toBe(100);
    expect(bindingOf(plan, 'B').binding).toMatchObject({ kind: 'min-viable-fraction', resourceKey: 'spc/h200' });
    expect(bindingOf(plan, 'B').explanation).toContain('100 credits left, less than');
  });

  test('a minimum larger than the whole capacity can never be funded', async () => {
    const input = call({
      capacity: { 'spc/h200': 1000 },
      proposals: [
        { id: 'big', orgType: 'enterprise', score: 5, requested: { 'spc/h200': 3000 } },
        { id: 'small', orgType: 'university', score: 2, requested: { 'spc/h200': 500 } },
      ],
    });

    const plan = await solve(input);

    expect(awardOf(plan, 'big')).toBe(0);
    expect(bindingOf(plan, 'big').binding).toMatchObject({ kind: 'min-viable-fraction', resourceKey: 'spc/h200' });
    expect(bindingOf(plan, 'big').explanation).toContain("exceeds the call's whole capacity");
    expect(awardOf(plan, 'small')).toBe(500);
    expect(plan.objective).toBe(1000);
  });

  test('a proposal across two resources gets its minimum on both or nothing', async () => {
    // gh200 has 100. P2(5) alone would use it: 500. P1(3) needs h200 800 AND at least 100 of gh200:
    // funding P1 (h200 800 + gh200 100 = 2700) beats P2 (500); both cannot fit (150 > 100).
    const input = call({
      capacity: { 'spc/h200': 1000, 'kisti6/gh200': 100 },
      proposals: [
        { id: 'P1', orgType: 'research-institute', score: 3, requested: { 'spc/h200': 800, 'kisti6/gh200': 200 } },
        { id: 'P2', orgType: 'university', score: 5, requested: { 'kisti6/gh200': 100 } },
      ],
    });

    const plan = await solve(input);

    expect(plan.objective).toBe(2700);
    expect(awardOf(plan, 'P1', 'spc/h200')).toBe(800);
    expect(awardOf(plan, 'P1', 'kisti6/gh200')).toBe(100);
    expect(awardOf(plan, 'P2')).toBe(0);
    const p1 = bindingOf(plan, 'P1');
    expect(p1.binding).toMatchObject({ kind: 'capacity', resourceKey: 'kisti6/gh200' });
    expect(p1.alsoBinding).toContainEqual(expect.objectContaining({ kind: 'min-viable-fraction', resourceKey: 'kisti6/gh200' }));
    expect(bindingOf(plan, 'P2').binding).toMatchObject({ kind: 'capacity', resourceKey: 'kisti6/gh200' });
    expect(brokenRules(input, plan)).toEqual([]);
  });

  test('a minimum viable fraction of 0 lets any amount be awarded', async () => {
    const input = call({
      capacity: { 'spc/h200': 1000 },
      minViableFraction: 0,
      proposals: [
        { id: 'A', orgType: 'university', score: 5, requested: { 'spc/h200': 900 } },
        { id: 'B', orgType: 'sme', score: 1, requested: { 'spc/h200': 400 } },
      ],
    });

    const plan = await solve(input);

    expect([awardOf(plan, 'A'), awardOf(plan, 'B')]).toEqual([900, 100]);
    expect(plan.objective).toBe(4600);
  });

  test('an empty call and a call with no capacity give empty plans', async () => {
    const none = await solve(call({ capacity: { 'spc/h200': 1000 }, proposals: [] }));
    expect(none).toMatchObject({ objective: 0, totalAwarded: 0, proposals: [] });

    const dry = await solve(call({ capacity: { 'spc/h200': 0 }, proposals: [{ id: 'A', orgType: 'sme', score: 4, requested: { 'spc/h200': 10 } }] }));
    expect(dry.proposals[0]).toMatchObject({ status: 'not-funded', binding: { kind: 'min-viable-fraction' } });
  });
});

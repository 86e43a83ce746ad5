// The chair's override: set one line, recompute every total, flag every rule it breaks.
import { applyOverride, applyOverrides, computeAwardPlan, ValidationError, type AwardPlan } from '../../../lambdas/domain/award-plan';
import { loadHighsSolver } from '../../../lambdas/recommendation/highs-loader';
import { awardOf, call } from './support';

let plan: AwardPlan;
beforeAll(async () => {
  const highs = await loadHighsSolver();
  // Optimum (hand): U1 700, S1 300 (sme floor 300), objective 4100; h200 is full.
  plan = await computeAwardPlan(
    call({
      capacity: { 'spc/h200': 1000, 'kisti6/gh200': 500 },
      floors: { sme: 0.2 },
      proposals: [
        { id: 'U1', orgType: 'university', score: 5, requested: { 'spc/h200': 1000 } },
        { id: 'S1', orgType: 'sme', score: 2, requested: { 'spc/h200': 400 } },
      ],
    }),
    { highs },
  );
});

describe('award plan: chair overrides', () => {
  test('the plan the overrides start from', () => {
    expect([awardOf(plan, 'U1'), awardOf(plan, 'S1')]).toEqual([700, 300]);
    expect(plan.objective).toBe(4100);
    expect(plan.violations).toEqual([]);
  });

  test('an override within the rules recomputes totals and records what it replaced', () => {
    const after = applyOverride(plan, { proposalId: 'U1', resourceKey: 'spc/h200', credits: 600, reason: 'Panel asked for a smaller first phase' });

    expect(awardOf(after, 'U1')).toBe(600);
    expect(after.objective).toBe(3600);
    expect(after.totalAwarded).toBe(900);
    expect(after.resources.find((r) => r.resourceKey === 'spc/h200')).toMatchObject({ awarded: 900, remaining: 100 });
    expect(after.overrides).toEqual([{ proposalId: 'U1', resourceKey: 'spc/h200', credits: 600, reason: 'Panel asked for a smaller first phase', previousCredits: 700 }]);
    expect(after.proposals.find((p) => p.proposalId === 'U1')).toMatchObject({ overridden: true, status: 'partial' });
    expect(after.violations).toEqual([]);
    expect(awardOf(plan, 'U1')).toBe(700); // the original is untouched
  });

  test('an override past capacity is flagged, not refused', () => {
    const after = applyOverride(plan, { proposalId: 'S1', resourceKey: 'spc/h200', credits: 400, reason: 'Strategic priority' });

    expect(after.violations).toEqual([{ kind: 'capacity', resourceKey: 'spc/h200', capacity: 1000, awarded: 1100, excess: 100 }]);
    expect(after.resources.find((r) => r.resourceKey === 'spc/h200')!.remaining).toBe(-100);
    expect(after.objective).toBe(4300);
  });

  test('overrides that break the request cap, the minimum and a floor are each flagged', () => {
    const after = applyOverrides(plan, [
      { proposalId: 'S1', resourceKey: 'spc/h200', credits: 100, reason: 'Reduce' },
      { proposalId: 'U1', resourceKey: 'kisti6/gh200', credits: 50, reason: 'Add analysis time' },
      { proposalId: 'U1', resourceKey: 'spc/h200', credits: 1100, reason: 'Exceed' },
    ]);

    expect(after.violations).toEqual(
      expect.arrayContaining([
        { kind: 'request-cap', proposalId: 'U1', resourceKey: 'kisti6/gh200', requested: 0, awarded: 50 },
        { kind: 'request-cap', proposalId: 'U1', resourceKey: 'spc/h200', requested: 1000, awarded: 1100 },
        { kind: 'min-viable-fraction', proposalId: 'S1', resourceKey: 'spc/h200', minViable: 200, awarded: 100 },
        { kind: 'org-type-floor', orgType: 'sme', effectiveTarget: 300, awarded: 100 },
        { kind: 'capacity', resourceKey: 'spc/h200', capacity: 1000, awarded: 1200, excess: 200 },
      ]),
    );
    expect(after.violations).toHaveLength(5);
    expect(after.overrides.map((o) => o.previousCredits)).toEqual([300, 0, 700]);
    expect(after.floors[0]).toMatchObject({ awarded: 100, status: 'short' });
  });

  test('an override naming an unknown proposal or resource is refused', () => {
    expect(() => applyOverride(plan, { proposalId: 'nope', resourceKey: 'spc/h200', credits: 1, reason: 'x' })).toThrow(ValidationError);
    expect(() => applyOverride(plan, { proposalId: 'U1', resourceKey: 'spc/b200', credits: 1, reason: 'x' })).toThrow(ValidationError);
  });
});

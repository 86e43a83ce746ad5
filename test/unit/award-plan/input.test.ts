// The request schema the API validates with, and the checks the optimiser makes itself.
import { AwardPlanInputSchema, computeAwardPlan, ValidationError } from '../../../lambdas/domain/award-plan';
import { loadHighsSolver } from '../../../lambdas/recommendation/highs-loader';
import { call } from './support';

describe('award plan: input', () => {
  const valid = call({
    callId: 'call-2026-1',
    capacity: { 'spc/h200': 1000 },
    floors: { sme: 0.1 },
    proposals: [{ id: 'A', orgType: 'sme', score: 3.5, requested: { 'spc/h200': 100 }, minViableFraction: 0.25 }],
  });

  test('a well-formed request parses unchanged', () => {
    expect(AwardPlanInputSchema.parse(valid)).toEqual(valid);
  });

  test.each([
    ['an unknown field', { ...valid, extra: 1 }],
    ['a score above 5', { ...valid, proposals: [{ ...valid.proposals[0], score: 6 }] }],
    ['an unknown org type', { ...valid, proposals: [{ ...valid.proposals[0], orgType: 'charity' }] }],
    ['a floor above 1', { ...valid, floors: { sme: 1.5 } }],
    ['a floor for an unknown org type', { ...valid, floors: { charity: 0.1 } }],
    ['a negative capacity', { ...valid, capacity: { 'spc/h200': -1 } }],
    ['a malformed resource key', { ...valid, capacity: { h200: 1 } }],
    ['a minimum viable fraction above 1', { ...valid, minViableFraction: 2 }],
  ])('the schema rejects %s', (_, body) => {
    expect(AwardPlanInputSchema.safeParse(body).success).toBe(false);
  });

  test('a request for a resource the call does not offer, or a duplicated id, is refused with the field named', async () => {
    const highs = await loadHighsSolver();
    const bad = call({
      capacity: { 'spc/h200': 1000 },
      proposals: [
        { id: 'A', orgType: 'sme', score: 3, requested: { 'spc/b200': 100 } },
        { id: 'A', orgType: 'sme', score: 3, requested: { 'spc/h200': 100 } },
      ],
    });

    const attempt = computeAwardPlan(bad, { highs });

    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({
      status: 400,
      details: expect.arrayContaining([
        { path: 'proposals[0].requested.spc/b200', problem: 'is not a resource this call offers' },
        { path: 'proposals[1].id', problem: 'duplicates another proposal\'s id "A"' },
      ]),
    });
  });
});

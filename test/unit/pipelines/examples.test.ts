// The shipped examples (examples/pipelines/) are pipelines the validator accepts, so they do not rot:
// both directions of the cycle, with their scripts inlined, against a world with one allocation per
// site and the artifacts they register into.
import { loadExample } from '../../../examples/pipelines/body';
import { validatePipeline } from '../../../lambdas/domain/pipelines/validate';
import { parseBody, world } from './support';

const VARS = { SPC_ALLOCATION: 'alloc-spc', KISTI6_ALLOCATION: 'alloc-k6', MODEL_ARTIFACT: 'model-weather', ANALYSIS_ARTIFACT: 'ds-analysis', DATASET_ARTIFACT: 'ds-analysis' };

describe('the example pipelines', () => {
  test('SPC → KISTI-6: train, register, move, analyse, register; the analysis waits for the transfer', () => {
    const v = validatePipeline(parseBody(loadExample('spc-to-kisti6.json', VARS)), world());

    if (!v.ok) throw new Error(JSON.stringify(v.problems));
    expect(v.plan.order).toEqual(['train', 'register-model', 'move', 'analyse', 'register-analysis']);
    expect(v.plan.stages.analyse).toMatchObject({ site: 'kisti6', dependsOn: expect.arrayContaining(['move']) });
    expect(v.plan.stages.move).toMatchObject({ site: 'kisti6', allocationId: 'alloc-k6' });
  });

  test('KISTI-6 → SPC: the model is derived from the simulated dataset', () => {
    const body = loadExample('kisti6-to-spc.json', VARS) as { stages: { id: string; script?: string }[] };
    const v = validatePipeline(parseBody(body), world());

    if (!v.ok) throw new Error(JSON.stringify(v.problems));
    expect(v.plan.stages['register-model'].derivedFrom).toEqual([{ registeredBy: 'register-data' }]);
    expect(body.stages.find((s) => s.id === 'simulate')!.script).toMatch(/^#!\/bin\/bash\n/);
  });

  test('a missing variable is an error, never an empty allocation id', () => {
    expect(() => loadExample('kisti6-to-spc.json', { ...VARS, SPC_ALLOCATION: undefined as never })).toThrow(/SPC_ALLOCATION/);
  });
});

// The pipeline validator: a valid pipeline becomes a plan (order, dependencies, where each copy
// comes from); every problem is named with its field path, all of them in one answer.
import { validatePipeline, type ValidationResult } from '../../../lambdas/domain/pipelines/validate';
import { referencedIds } from '../../../lambdas/domain/pipelines/context';
import { kistiToSpc, parseBody, PERMIT_SPC, withStage, world } from './support';

const SCRIPT = '#!/bin/bash\ntrue\n';
const problemsOf = (r: ValidationResult) => (r.ok ? [] : r.problems);
const validate = (body: unknown, ctx = world()) => validatePipeline(parseBody(body), ctx);

/** SPC → KISTI-6: train at spc/h200, register the model, move it to kisti6, analyse at gh200, register. */
function spcToKisti(): unknown {
  return {
    name: 'train-then-analyse',
    stages: [
      { id: 'train', kind: 'job', site: 'spc', resource: 'h200', allocationId: 'alloc-spc', script: SCRIPT, gpus: 4, timeLimit: 60, outputs: [{ name: 'model', path: 'model/' }] },
      { id: 'register-model', kind: 'registration', artifact: 'model-weather', outputs: [{ stage: 'train', output: 'model' }] },
      { id: 'move', kind: 'transfer', from: 'spc', to: 'kisti6', items: [{ stage: 'register-model' }] },
      {
        id: 'analyse',
        kind: 'job',
        site: 'kisti6',
        resource: 'gh200',
        allocationId: 'alloc-k6',
        script: SCRIPT,
        gpus: 1,
        timeLimit: 30,
        inputs: [{ from: { stage: 'register-model' }, as: 'model' }, { from: { artifact: 'ds-climate', version: '3' } }],
        outputs: [{ name: 'report', path: 'report.json' }],
      },
      { id: 'register-analysis', kind: 'registration', artifact: 'ds-analysis', outputs: [{ stage: 'analyse', output: 'report' }] },
    ],
  };
}

describe('a valid pipeline becomes a plan', () => {
  test('KISTI-6 → SPC: the trainer waits for the transfer that brings the registered data to spc', () => {
    const r = validate(kistiToSpc());

    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.order).toEqual(['simulate', 'register-data', 'move', 'train', 'register-model']);
    expect(r.plan.stages.train).toMatchObject({
      site: 'spc',
      dependsOn: ['register-data', 'move'],
      allocationId: 'alloc-spc',
      resource: 'b200',
      inputs: [{ as: 'data', datum: { kind: 'registered', stage: 'register-data' }, source: { from: 'transfer', site: 'spc', stage: 'move' } }],
    });
    expect(r.plan.stages.simulate.inputs).toEqual([
      { as: 'climate', datum: { key: 'v:ds-climate@3', kind: 'version', ref: { artifact: 'ds-climate', version: '3' } }, source: { from: 'catalogue', site: 'kisti6', path: 'catalogue/ds-climate/3' } },
    ]);
    // the mover runs at the destination under the allocation of the job stage there
    expect(r.plan.stages.move).toMatchObject({ site: 'spc', allocationId: 'alloc-spc', resource: 'b200', dependsOn: ['register-data'] });
    expect(r.plan.stages.move.inputs[0].source).toEqual({ from: 'stage', site: 'kisti6', stage: 'register-data' });
    expect(r.plan.stages['register-data']).toMatchObject({ site: 'kisti6', derivedFrom: [{ version: { artifact: 'ds-climate', version: '3' } }] });
    expect(r.plan.stages['register-model']).toMatchObject({ site: 'spc', derivedFrom: [{ registeredBy: 'register-data' }] });
  });

  test('SPC → KISTI-6: the analysis reads the transferred model and the catalogue copy already at kisti6', () => {
    const r = validate(spcToKisti());

    expect(problemsOf(r)).toEqual([]);
    if (!r.ok) return;
    expect(r.plan.order).toEqual(['train', 'register-model', 'move', 'analyse', 'register-analysis']);
    expect(r.plan.stages.analyse.dependsOn).toEqual(['register-model', 'move']);
    expect(r.plan.stages.analyse.inputs.map((i) => i.source)).toEqual([
      { from: 'transfer', site: 'kisti6', stage: 'move' },
      { from: 'catalogue', site: 'kisti6', path: 'catalogue/ds-climate/3' },
    ]);
    expect(r.plan.stages.move).toMatchObject({ allocationId: 'alloc-k6', resource: 'gh200' });
    expect(r.plan.stages['register-analysis'].derivedFrom).toEqual([{ registeredBy: 'register-model' }, { version: { artifact: 'ds-climate', version: '3' } }]);
  });

  test('referencedIds lists what a handler must load, once each', () => {
    expect(referencedIds(parseBody(spcToKisti()))).toEqual({
      allocations: ['alloc-spc', 'alloc-k6'],
      versions: [{ artifact: 'ds-climate', version: '3' }],
      artifacts: ['model-weather', 'ds-analysis'],
    });
  });
});

describe('every problem is named with its field path', () => {
  test('a cycle names the stages on it', () => {
    const body = {
      name: 'loop',
      stages: [
        { id: 'a', kind: 'job', site: 'spc', resource: 'h200', allocationId: 'alloc-spc', script: SCRIPT, gpus: 1, timeLimit: 5, after: ['b'], outputs: [{ name: 'x', path: 'x' }] },
        { id: 'b', kind: 'job', site: 'spc', resource: 'h200', allocationId: 'alloc-spc', script: SCRIPT, gpus: 1, timeLimit: 5, inputs: [{ from: { stage: 'a', output: 'x' } }] },
      ],
    };

    expect(problemsOf(validate(body))).toEqual([{ path: 'stages[0]', problem: 'is part of a cycle: a → b → a' }]);
  });

  test.each([
    ['an unknown stage in inputs', { inputs: [{ from: { stage: 'trian', output: 'model' } }] }, 'stages[3].inputs[0].from.stage', 'names stage "trian", which is not in this pipeline'],
    ['an unknown stage in after', { after: ['nope'] }, 'stages[3].after[0]', 'names stage "nope", which is not in this pipeline'],
    ['its own stage in after', { after: ['train'] }, 'stages[3].after[0]', 'names its own stage'],
    ['an output the stage does not declare', { inputs: [{ from: { stage: 'simulate', output: 'field' } }] }, 'stages[3].inputs[0].from.output', 'names output "field", which stage "simulate" does not declare (it declares: fields)'],
    ["a job's output without its name", { inputs: [{ from: { stage: 'simulate' } }] }, 'stages[3].inputs[0].from.output', 'is required: stage "simulate" is a job; name one of its outputs (fields)'],
    ['a transfer named as data', { inputs: [{ from: { stage: 'move' } }] }, 'stages[3].inputs[0].from.stage', 'names transfer stage "move": name the data it moves instead, and this stage runs after it'],
    ['a version not in the catalogue', { inputs: [{ from: { artifact: 'ds-climate', version: '9' } }] }, 'stages[3].inputs[0].from', 'names version ds-climate@9, which is not in the catalogue (or not visible to you)'],
    ['a resource not in the allocation', { resource: 'h200', allocationId: 'alloc-k6' }, 'stages[3].resource', 'is not in allocation alloc-k6 (it holds: kisti6/gh200)'],
    ['an allocation of which the caller is not a member', { allocationId: 'alloc-other' }, 'stages[3].allocationId', 'names allocation "alloc-other", which does not exist or of which you are not a member'],
    ['an allocation that is not active', { allocationId: 'alloc-old' }, 'stages[3].allocationId', 'names allocation "alloc-old", which is expired, not active'],
    ['an unknown resource at the site', { resource: 'a100' }, 'stages[3].resource', 'names resource "a100", which spc does not have (it has: h200, b200)'],
    ['an unknown site', { site: 'mars' }, 'stages[3].site', 'names site "mars", which KAIRR does not know (sites: spc, kisti6)'],
    ['more GPUs than a node has', { gpus: 8 }, 'stages[3].gpus', 'must be at most 4, the GPUs per node of spc/b200'],
    ['more nodes than the resource has', { nodes: 2 }, 'stages[3].nodes', 'must be at most 1, the nodes of spc/b200'],
    ["a time limit over the partition's", { timeLimit: 1441 }, 'stages[3].timeLimit', 'must be at most 1440 minutes, the longest partition b200 accepts'],
    ['a reserved environment name', { env: { SLURM_JOB_NAME: 'x' } }, 'stages[3].env.SLURM_JOB_NAME', 'is reserved: names starting with SLURM_ or KAIRR_ are set by the scheduler and KAIRR'],
    ['a script over the size limit', { script: `#!/bin/bash\n#${'x'.repeat(70_000)}\n` }, 'stages[3].script', 'is 70014 bytes; the limit is 65536'],
    [
      'two outputs with one name',
      {
        outputs: [
          { name: 'model', path: 'a' },
          { name: 'model', path: 'b' },
        ],
      },
      'stages[3].outputs[1].name',
      'duplicates an earlier output name',
    ],
    [
      'an output inside another',
      {
        outputs: [
          { name: 'model', path: 'out/' },
          { name: 'log', path: 'out/log.txt' },
        ],
      },
      'stages[3].outputs[1].path',
      'lies inside output "model" (out/); outputs must not overlap',
    ],
  ])('%s', (_what, change, path, problem) => {
    const problems = problemsOf(validate(withStage(kistiToSpc(), 'train', change)));

    expect(problems).toContainEqual({ path, problem });
  });

  test('an input with no copy at the site and no transfer to bring it there (a pending copy does not count)', () => {
    const body = withStage(kistiToSpc(), 'train', { inputs: [{ from: { artifact: 'ds-climate', version: '3' } }] });

    expect(problemsOf(validate(body))).toEqual([{ path: 'stages[3].inputs[0].from', problem: 'version ds-climate@3 has no copy at spc (its copies are at kisti6) and no transfer stage brings it there' }]);
  });

  test("a job's output read at another site without a transfer", () => {
    const body = withStage(kistiToSpc(), 'train', { inputs: [{ from: { stage: 'simulate', output: 'fields' } }] });

    expect(problemsOf(validate(body))).toEqual([{ path: 'stages[3].inputs[0].from', problem: 'output "fields" of stage "simulate" has no copy at spc (its copies are at kisti6) and no transfer stage brings it there' }]);
  });

  test('a transfer that would bring the input only after the stage that reads it', () => {
    const body = withStage(kistiToSpc(), 'move', { after: ['train'] });

    expect(problemsOf(validate(body))).toEqual([{ path: 'stages[3].inputs[0].from', problem: 'has no copy at spc before stage "train": transfer "move" brings it there, but only after this stage' }]);
  });

  test('a transfer reads its items at its source: the item must have a copy there', () => {
    const body = withStage(kistiToSpc(), 'move', { from: 'spc', to: 'kisti6' });

    const problems = problemsOf(validate(body));

    expect(problems).toContainEqual({ path: 'stages[2].items[0]', problem: 'the version stage "register-data" registers has no copy at spc (its copies are at kisti6) and no transfer stage brings it there' });
    expect(problems).toContainEqual({ path: 'stages[3].inputs[0].from', problem: 'the version stage "register-data" registers has no copy at spc (its copies are at kisti6) and no transfer stage brings it there' });
  });

  test('transfers chain: a copy brought to a site can be moved on from there', () => {
    const body = parseBody(kistiToSpc());
    body.stages.push(
      { id: 'back', kind: 'transfer', from: 'spc', to: 'kisti6', items: [{ stage: 'train', output: 'model' }] },
      { id: 'evaluate', kind: 'job', site: 'kisti6', resource: 'gh200', allocationId: 'alloc-k6', script: SCRIPT, gpus: 1, nodes: 1, timeLimit: 5, inputs: [{ from: { stage: 'train', output: 'model' } }], outputs: [] },
    );

    const r = validatePipeline(body, world());

    expect(problemsOf(r)).toEqual([]);
    expect(r.ok && r.plan.stages.evaluate.dependsOn).toEqual(['train', 'back']);
    expect(r.ok && r.plan.stages.back.dependsOn).toEqual(['train']);
  });

  test('a transfer to the site it comes from, between unknown sites, or with no allocation at the destination', () => {
    const body = {
      name: 'moves',
      stages: [
        { id: 'same', kind: 'transfer', from: 'kisti6', to: 'kisti6', items: [{ artifact: 'ds-climate', version: '3' }] },
        { id: 'nowhere', kind: 'transfer', from: 'kisti6', to: 'moon', items: [{ artifact: 'ds-climate', version: '3' }] },
        { id: 'unpaid', kind: 'transfer', from: 'kisti6', to: 'spc', items: [{ artifact: 'ds-climate', version: '3' }] },
        { id: 'paid', kind: 'transfer', from: 'kisti6', to: 'spc', allocationId: 'alloc-k6', items: [{ artifact: 'ds-climate', version: '3' }] },
      ],
    };

    expect(problemsOf(validate(body))).toEqual([
      { path: 'stages[0].to', problem: 'must differ from from ("kisti6")' },
      { path: 'stages[0].allocationId', problem: 'is required: no job stage of this pipeline runs at kisti6 with a usable allocation to lend it; name an allocation with a resource there' },
      { path: 'stages[1].to', problem: 'names site "moon", which KAIRR does not know (sites: spc, kisti6)' },
      { path: 'stages[2].allocationId', problem: 'is required: no job stage of this pipeline runs at spc with a usable allocation to lend it; name an allocation with a resource there' },
      { path: 'stages[3].allocationId', problem: 'allocation alloc-k6 holds no resource at spc to run the mover on' },
    ]);
  });

  test('registrations: outputs from two sites, an unknown artifact, one the caller may not add to', () => {
    const body = parseBody(kistiToSpc());
    body.stages.push(
      {
        id: 'both',
        kind: 'registration',
        artifact: 'ds-nope',
        outputs: [
          { stage: 'simulate', output: 'fields' },
          { stage: 'train', output: 'model' },
        ],
      },
      { id: 'theirs', kind: 'registration', artifact: 'ds-someone-elses', outputs: [{ stage: 'train', output: 'model' }] },
      { id: 'again', kind: 'registration', artifact: 'ds-analysis', outputs: [{ stage: 'register-data' }] },
    );

    expect(problemsOf(validatePipeline(body, world()))).toEqual([
      { path: 'stages[7].outputs[0].stage', problem: 'names registration stage "register-data": a registration takes a job\'s outputs' },
      { path: 'stages[5].outputs', problem: "must all be at one site; they are made at kisti6 and spc (transfer them first and register there, or register each site's outputs separately)" },
      { path: 'stages[5].artifact', problem: 'names artifact "ds-nope", which is not in the catalogue (or not visible to you)' },
      { path: 'stages[6].artifact', problem: 'you may not add versions to "ds-someone-elses" (its owner and stewards may)' },
    ]);
  });

  test('duplicate stage ids, and many problems at once', () => {
    const b = parseBody(kistiToSpc()) as unknown as { stages: Record<string, unknown>[] };
    b.stages.push({ ...b.stages[0] });
    b.stages[3] = { ...b.stages[3], gpus: 9, allocationId: 'alloc-other' };

    const problems = problemsOf(validatePipeline(parseBody(b), world()));

    // the transfer loses the allocation the trainer would have lent it, and says so
    expect(problems.map((p) => p.path)).toEqual(['stages[5].id', 'stages[2].allocationId', 'stages[3].allocationId', 'stages[3].gpus']);
    expect(problems[0].problem).toBe('duplicates the id of stages[0] ("simulate")');
  });
});

describe('restricted data needs a permit at the site that reads it', () => {
  const reading = (site: 'spc' | 'kisti6') => ({
    name: 'restricted',
    stages: [
      site === 'spc'
        ? { id: 'study', kind: 'job', site: 'spc', resource: 'h200', allocationId: 'alloc-spc', script: SCRIPT, gpus: 1, timeLimit: 5, inputs: [{ from: { artifact: 'ds-patients', version: '1' } }] }
        : { id: 'study', kind: 'job', site: 'kisti6', resource: 'gh200', allocationId: 'alloc-k6', script: SCRIPT, gpus: 1, timeLimit: 5, inputs: [{ from: { artifact: 'ds-patients', version: '1' } }] },
      ...(site === 'kisti6' ? [{ id: 'move', kind: 'transfer', from: 'spc', to: 'kisti6', items: [{ artifact: 'ds-patients', version: '1' }] }] : []),
    ],
  });

  test('without a permit the input is refused, naming the dataset and the site', () => {
    expect(problemsOf(validate(reading('spc')))).toEqual([{ path: 'stages[0].inputs[0].from', problem: 'is restricted: you hold no permit for ds-patients at spc that is valid now' }]);
  });

  test('a permit for the site lets it through', () => {
    expect(problemsOf(validate(reading('spc'), world({ permits: [PERMIT_SPC] })))).toEqual([]);
  });

  test.each([
    ['revoked', { ...PERMIT_SPC, revokedAt: '2026-05-01T00:00:00Z' }],
    ['expired', { ...PERMIT_SPC, end: '2026-05-31T23:59:59Z' }],
    ['not yet valid', { ...PERMIT_SPC, start: '2026-07-01T00:00:00Z' }],
    ['for another user', { ...PERMIT_SPC, users: ['sub-bob'] }],
    ['for another dataset', { ...PERMIT_SPC, datasets: ['ds-other'] }],
  ])('a permit that is %s does not', (_what, permit) => {
    expect(problemsOf(validate(reading('spc'), world({ permits: [permit] })))).toHaveLength(1);
  });

  test('moving it to kisti6 and reading it there needs a permit at kisti6, for the transfer and for the job', () => {
    expect(problemsOf(validate(reading('kisti6'), world({ permits: [PERMIT_SPC] })))).toEqual([
      { path: 'stages[0].inputs[0].from', problem: 'is restricted: you hold no permit for ds-patients at kisti6 that is valid now' },
      { path: 'stages[1].items[0]', problem: 'is restricted: you hold no permit for ds-patients at kisti6 that is valid now' },
    ]);
    expect(problemsOf(validate(reading('kisti6'), world({ permits: [{ ...PERMIT_SPC, sites: ['spc', 'kisti6'] }] })))).toEqual([]);
  });

  test('the caller is the token subject the handler passes, not a field of the body', () => {
    const ctx = world({ permits: [PERMIT_SPC], caller: { sub: 'sub-mallory' } });
    expect(problemsOf(validate(reading('spc'), ctx))).toHaveLength(1);
  });
});

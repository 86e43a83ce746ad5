// The create-pipeline body: strict (an unknown field is named), defaults applied, and paths under
// a job's working area refused when they could leave it.
import { relativePathProblem } from '../../../lambdas/domain/pipelines/spec';
import { bodyProblems, kistiToSpc, parseBody, withStage } from './support';

describe('the create-pipeline body', () => {
  test('a valid body parses, with defaults for nodes, inputs and outputs', () => {
    const spec = parseBody(kistiToSpc());

    expect(spec.stages).toHaveLength(5);
    expect(spec.stages[0]).toMatchObject({ kind: 'job', nodes: 1 });
    const train = spec.stages.find((s) => s.id === 'train');
    expect(train).toMatchObject({ inputs: [{ from: { stage: 'register-data' }, as: 'data' }], outputs: [{ name: 'model', path: 'model.pt' }] });
  });

  test.each([
    ['an unknown field on a stage', withStage(kistiToSpc(), 'train', { partition: 'b200' }), 'stages[3].partition', 'is not a recognised field'],
    ['an unknown field at the top', { ...(kistiToSpc() as object), owner: 'x' }, 'owner', 'is not a recognised field'],
    ['a stage of no known kind', withStage(kistiToSpc(), 'train', { kind: 'notebook' }), 'stages[3].kind', undefined],
    ['a stage id with capitals', withStage(kistiToSpc(), 'train', { id: 'Train' }), 'stages[3].id', 'has an invalid format'],
    ['an output path with ..', withStage(kistiToSpc(), 'train', { outputs: [{ name: 'model', path: 'out/../../etc' }] }), 'stages[3].outputs[0].path', 'must not contain ".." segments'],
    ['an absolute output path', withStage(kistiToSpc(), 'train', { outputs: [{ name: 'model', path: '/etc/passwd' }] }), 'stages[3].outputs[0].path', 'must be relative to the working area, not absolute'],
    ['an output path with a newline', withStage(kistiToSpc(), 'train', { outputs: [{ name: 'model', path: 'a\nb' }] }), 'stages[3].outputs[0].path', 'must not contain control characters'],
    ['a script without #!', withStage(kistiToSpc(), 'train', { script: 'python train.py' }), 'stages[3].script', undefined],
    ['no GPUs', withStage(kistiToSpc(), 'train', { gpus: 0 }), 'stages[3].gpus', 'must be at least 1'],
    ['a registration of a catalogue version', withStage(kistiToSpc(), 'register-model', { outputs: [{ artifact: 'ds-climate', version: '3' }] }), 'stages[4].outputs[0].artifact', 'is not a recognised field'],
    ['a transfer with nothing to move', withStage(kistiToSpc(), 'move', { items: [] }), 'stages[2].items', 'must have at least 1 item'],
    ['no stages', { name: 'empty', stages: [] }, 'stages', 'must have at least 1 item'],
  ])('%s is named', (_what, body, path, problem) => {
    const problems = bodyProblems(body);

    expect(problems.map((p) => p.path)).toContain(path);
    if (problem) expect(problems).toContainEqual({ path, problem });
  });

  test.each([
    ['out/model.pt', undefined],
    ['out/', undefined],
    ['a b/c "d".txt', undefined],
    ['', 'must not be empty'],
    ['./x', 'must not contain empty or "." segments'],
    ['a//b', 'must not contain empty or "." segments'],
    ['a\\b', 'must use / between folders, not \\'],
    ['x'.repeat(1025), 'must be at most 1024 characters long'],
  ])('relative path %j', (path, problem) => {
    expect(relativePathProblem(path)).toBe(problem);
  });
});

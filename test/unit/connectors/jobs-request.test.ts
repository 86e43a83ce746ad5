// A dispatch request against the resource and the allocation: every problem named by its field.
import { checkRequest } from '../../../lambdas/jobs/service';
import { DispatchBody } from '../../../lambdas/jobs/api';
import { ValidationError, RuleViolationError } from '../../../lambdas/domain/errors';
import type { Allocation } from '../../../lambdas/domain/ledger/model';
import { useStageConfig } from '../../support/config';

useStageConfig('local', (c) => ({ ...c, policy: { ...c.policy, maxJobScriptBytes: 100, jobWorkingDirectory: '/home/{user}/kairr' } }));
const NOW = new Date('2026-06-01T12:00:00Z');
const acct = { awardedMc: 10_000, balanceMc: 10_000, usedMc: 0, overLimitMc: 0, exhausted: false };
const a = { id: 'alloc-x', resources: { 'spc/h200': acct, 'spc/b200': acct } } as unknown as Allocation;
const body = (over: Record<string, unknown> = {}) => DispatchBody.parse({ site: 'spc', resource: 'h200', script: '#!/bin/bash\ntrue\n', gpus: 2, timeLimit: 60, ...over });
const paths = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationError) return e.details.map((d) => d.path);
    throw e;
  }
  return [];
};

test('a valid request: the resource, its rate, the estimate (GPUs × nodes × minutes at the rate) and the working directory', () => {
  const c = checkRequest(body(), a, NOW);
  expect(c).toMatchObject({ resourceKey: 'spc/h200', rate: 1, estimatedCredits: 2, scriptBytes: 17 });
  expect(c.workingDirectory('alice')).toBe('/home/alice/kairr');
  expect(checkRequest(body({ resource: 'spc/b200', workingDirectory: '/scratch' }), a, NOW)).toMatchObject({ resourceKey: 'spc/b200', rate: 1.8, estimatedCredits: 3.6 });
});

test.each([
  [{ site: 'mars' }, ['site']],
  [{ resource: 'a100' }, ['resource']],
  [{ resource: 'kisti6/gh200' }, ['resource']],
  [{ gpus: 5 }, ['gpus']],
  [{ nodes: 2 }, ['nodes']],
  [{ timeLimit: 1441 }, ['timeLimit']],
  [{ script: `#!/bin/bash\n${'x'.repeat(100)}` }, ['script']],
  [{ script: 'echo' }, ['script']],
  [{ env: { SLURM_NTASKS: '2', KAIRR_X: '1', OK: '1' } }, ['env.SLURM_NTASKS', 'env.KAIRR_X']],
  [{ gpus: 9, timeLimit: 5000, script: 'x' }, ['gpus', 'timeLimit', 'script']],
])('%j is refused naming %j', (over, fields) => {
  expect(paths(() => checkRequest(body(over), a, NOW))).toEqual(fields);
});

test('a resource the allocation does not have is named', () => {
  const only = { ...a, resources: { 'spc/b200': acct } } as unknown as Allocation;
  expect(paths(() => checkRequest(body(), only, NOW))).toEqual(['resource']);
});

test('no rate in force is a rule violation, not a 500', () => {
  expect(() => checkRequest(body(), a, new Date('2025-01-01T00:00:00Z'))).toThrow(RuleViolationError);
});

test('the schema names malformed fields before any check', () => {
  const issues = DispatchBody.safeParse({ site: 'spc', resource: 'h200', script: '#!', gpus: 1.5, nodes: 0, timeLimit: 'long', extra: 1 });
  expect(issues.success).toBe(false);
  const pathsOf = issues.success ? [] : issues.error.issues.map((i) => i.path.join('.'));
  expect(pathsOf).toEqual(expect.arrayContaining(['gpus', 'nodes', 'timeLimit']));
});

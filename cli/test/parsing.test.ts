// Argument parsing: flags become the request the API gets; bad flags are usage errors (exit 2) that
// name the flag; time limits as people write them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMinutes } from '../src/duration';
import { ALLOCATION_STATES } from '../src/commands/alloc';
import { ALLOCATION_STATES as LEDGER_STATES } from '../../lambdas/domain/ledger/model';
import { ASSIGNMENT_STATUSES, REVIEW_RECOMMENDATIONS } from '../../lambdas/domain/approval/model';
import { RECOMMENDATIONS, STATUSES } from '../src/commands/review';
import { fakeApi, kairr, tempConfigHome } from './harness';

const API = 'http://api.test';
const env = { KAIRR_API: API, KAIRR_TOKEN: 'tok' };
const job = (over: Record<string, unknown> = {}) => ({
  jobId: 'job-01',
  allocationId: 'alloc-1',
  site: 'kisti6',
  resource: 'gh200',
  user: 'alice',
  gpus: 4,
  nodes: 1,
  timeLimit: 120,
  state: 'pending',
  estimatedCredits: 6.4,
  createdAt: '2026-12-02T10:00:00Z',
  ...over,
});

function script(): string {
  const f = join(tempConfigHome(), 'train.sh');
  writeFileSync(f, '#!/bin/bash\necho hi\n');
  return f;
}

describe('time limits', () => {
  it.each([
    ['90', 90],
    ['90m', 90],
    ['2h', 120],
    ['1h30m', 90],
    ['1d', 1440],
    ['30s', 1],
    ['02:00:00', 120],
    ['1-00:30:00', 1470],
    ['45:30', 46],
  ])('%s is %i minutes', (text, minutes) => {
    expect(parseMinutes(text)).toBe(minutes);
  });

  it.each(['', '0', '2 hours', 'h', '-5', '1:2:3:4'])('"%s" is refused', (text) => {
    expect(() => parseMinutes(text)).toThrow(/is not a time limit/);
  });
});

describe('job submit', () => {
  it('sends the script and the flags as the dispatch body, with an Idempotency-Key', async () => {
    const api = fakeApi({ 'POST /v1/allocations/alloc-1/jobs': [201, job()] });
    const r = await kairr(['job', 'submit', script(), '--alloc', 'alloc-1', '--site', 'kisti6', '--resource', 'gh200', '--gpus', '4', '--time', '1h30m', '--nodes', '2', '--env', 'A=1', 'B=x=y', '--name', 'train'], {
      env,
      fetch: api.fetch,
    });
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(api.calls).toHaveLength(1);
    expect(api.calls[0].body).toEqual({ site: 'kisti6', resource: 'gh200', script: '#!/bin/bash\necho hi\n', gpus: 4, timeLimit: 90, nodes: 2, name: 'train', env: { A: '1', B: 'x=y' } });
    expect(api.calls[0].headers).toMatchObject({ authorization: 'Bearer tok', 'idempotency-key': expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(r.out).toMatch(/job:\s+job-01/);
  });

  it('--wait follows the job and exits with its exit code', async () => {
    let n = 0;
    const states = [job({ state: 'running' }), job({ state: 'finished', schedulerState: 'FAILED', exitCode: 3 })];
    const api = fakeApi({ 'POST /v1/allocations/alloc-1/jobs': [201, job()], 'GET /v1/allocations/alloc-1/jobs/job-01': () => [200, states[Math.min(n++, 1)]] });
    const r = await kairr(['job', 'submit', script(), '--alloc', 'alloc-1', '--site', 'kisti6', '--resource', 'gh200', '--gpus', '1', '--time', '5', '--wait', '--json'], { env, fetch: api.fetch, tty: true });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out)).toMatchObject({ state: 'finished', exitCode: 3 });
    expect(r.err).toBe('job-01: pending\njob-01: running\njob-01: finished (FAILED)\n');
  });

  it('--wait exits 1 for a job that never ran, and prints no progress when stderr is not a terminal', async () => {
    const api = fakeApi({ 'POST /v1/allocations/alloc-1/jobs': [201, job()], 'GET /v1/allocations/alloc-1/jobs/job-01': [200, job({ state: 'rejected', reason: 'partition down' })] });
    const r = await kairr(['job', 'submit', script(), '--alloc', 'alloc-1', '--site', 'kisti6', '--resource', 'gh200', '--gpus', '1', '--time', '5', '--wait'], { env, fetch: api.fetch });
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/reason:\s+partition down/);
  });

  it.each([
    [['--gpus', 'four'], /option '--gpus <n>' argument 'four' is invalid/],
    [['--gpus', '4', '--time', 'soon'], /option '--time <limit>' argument 'soon' is invalid.*not a time limit/],
    [['--gpus', '4', '--time', '2h', '--gpu', '3'], /unknown option '--gpu'/],
  ])('a bad flag (%j) is a usage error naming it, exit 2, and nothing is sent', async (extra, message) => {
    const api = fakeApi({});
    const r = await kairr(['job', 'submit', 'x.sh', '--alloc', 'a', '--site', 's', '--resource', 'r', ...extra], { env, fetch: api.fetch });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(api.calls).toHaveLength(0);
  });

  it('a mistyped flag is named as unknown, not reported as the required flag it misses (exit 2)', async () => {
    const r = await kairr(['job', 'submit', 'x.sh', '--alloc', 'a', '--site', 's', '--resource', 'r', '--gpus', '1', '--tme', '2h'], { env });
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: unknown option '--tme'\n(Did you mean --time?)\n");
  });

  it('a missing required flag names it (exit 2)', async () => {
    const r = await kairr(['job', 'submit', 'x.sh', '--site', 's'], { env });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/required option '--alloc <id>' not specified/);
  });

  it('an unreadable script is a usage error', async () => {
    const r = await kairr(['job', 'submit', '/nonexistent/x.sh', '--alloc', 'a', '--site', 's', '--resource', 'r', '--gpus', '1', '--time', '1'], { env });
    expect(r).toMatchObject({ code: 2, err: expect.stringMatching(/cannot read the script \/nonexistent\/x.sh \(ENOENT\)/) });
  });
});

describe('commands and groups', () => {
  it('a group without its verb shows its help and exits 2', async () => {
    const r = await kairr(['alloc'], { env });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Usage: kairr alloc/);
  });

  it('--help exits 0 and shows an example', async () => {
    const r = await kairr(['job', 'submit', '--help'], { env });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Example:\n\s+kairr job submit train.sh/);
  });

  it('an unknown command suggests the right one (exit 2)', async () => {
    const r = await kairr(['sites', 'lst'], { env });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command 'lst'[\s\S]*Did you mean list\?/);
  });

  it('alloc list --state offers exactly the ledger states', () => {
    expect([...ALLOCATION_STATES].sort()).toEqual([...LEDGER_STATES].sort());
  });

  it("review list --status and review submit --recommendation offer exactly the approval model's values", () => {
    expect([...STATUSES].sort()).toEqual([...ASSIGNMENT_STATUSES].sort());
    expect([...RECOMMENDATIONS].sort()).toEqual([...REVIEW_RECOMMENDATIONS].sort());
  });
});

describe('recommend', () => {
  it('merges a profile file with flags, the flags winning', async () => {
    const dir = tempConfigHome();
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, 'workload: fine-tuning\nparameters: 7.0e+9\ntrainingTokens: 1e9\nprecision: fp16\n');
    const api = fakeApi({ 'POST /v1/recommendations': [200, { workload: 'fine-tuning', recommended: 'kisti6/gh200', ranked: [] }] });
    const r = await kairr(['recommend', '-f', file, '--precision', 'bf16', '--dataset-gb', '500', '--dataset-site', 'spc'], { env, fetch: api.fetch });
    expect(r.code).toBe(0);
    expect(api.calls[0].body).toEqual({ workload: 'fine-tuning', parameters: 7e9, trainingTokens: 1e9, precision: 'bf16', dataset: { sizeGB: 500, location: { siteId: 'spc' } } });
    expect(r.out).toMatch(/^Recommended: kisti6\/gh200/);
  });

  it('refuses a workload the API does not know before sending anything', async () => {
    const r = await kairr(['recommend', '--workload', 'mining'], { env });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/argument 'mining' is invalid. Allowed choices are pretraining, fine-tuning/);
  });

  it('refuses a profile file that is not a mapping', async () => {
    const file = join(tempConfigHome(), 'p.yaml');
    writeFileSync(file, '- a\n- b\n');
    const r = await kairr(['recommend', '-f', file], { env });
    expect(r).toMatchObject({ code: 2, err: expect.stringMatching(/must hold a mapping/) });
  });
});

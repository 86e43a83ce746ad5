// The version adapter's pure parts: both JSON generations in, one shape out; update bodies that carry
// every TRES limit over.
import { applyLimitChange, assocFromApi, limitsBody } from '../../../lambdas/connectors/slurm-rest/associations';
import { mintSlurmJwt, TokenSource } from '../../../lambdas/connectors/slurm-rest/credentials';
import { normalizeErrors } from '../../../lambdas/connectors/slurm-rest/http';
import { budgetHoldReason, gpusFromGresRequest, gpusFromTresString, jobFromAccounting, jobFromController, exitCodeOfWaitStatus, jobState, num, relativeTime } from '../../../lambdas/connectors/slurm-rest/normalize';
import { createHmac } from 'node:crypto';

describe('numbers and states of both generations', () => {
  test.each([
    [5, 5],
    [null, undefined],
    [{ set: true, infinite: false, number: 7 }, 7],
    [{ set: false, infinite: false, number: 0 }, undefined],
    [{ set: true, infinite: true, number: 0 }, undefined],
    [4294967294, undefined], // NO_VAL
  ])('num(%p) = %p', (raw, value) => expect(num(raw)).toBe(value));

  test('job_state is a string in v0.0.38 and an array in v0.0.40+', () => {
    expect(jobState('RUNNING')).toBe('RUNNING');
    expect(jobState(['COMPLETED', 'COMPLETING'])).toBe('COMPLETED');
  });

  test('GPU counts from TRES strings and from requests', () => {
    expect(gpusFromTresString('cpu=1,mem=128M,node=1,billing=1,gres/gpu=2')).toBe(2);
    expect(gpusFromTresString('cpu=1,gres/gpu:h200=3')).toBe(3);
    expect(gpusFromGresRequest('gpu:2')).toBe(2);
    expect(gpusFromGresRequest('gres/gpu:4')).toBe(4);
    expect(gpusFromGresRequest('gres:gpu:h200:1')).toBe(1);
  });

  test('budget and block reasons are told apart from ordinary waiting', () => {
    expect(budgetHoldReason('AssocGrpGRESMinutes')).toBe(true);
    expect(budgetHoldReason('AssocGrpCPUMinutesLimit')).toBe(true);
    expect(budgetHoldReason('AssocGrpJobsLimit')).toBe(true);
    expect(budgetHoldReason('Resources')).toBe(false);
    expect(budgetHoldReason('Priority')).toBe(false);
  });

  test('relative times need no URL-encoded colons and no time zone', () => {
    expect(relativeTime(new Date(1_000_000 - 90_000), 1_000_000)).toBe('now-90seconds');
    expect(relativeTime(new Date(1_000_000), 1_000_000)).toBe('now');
  });
});

describe('exit codes', () => {
  test.each([
    [0, 0],
    [256, 1],
    [768, 3], // a job that exits 3, as Slurm 22.05's v0.0.38 reports it
    [65 << 8, 65], // a transfer whose checksums did not match
    [255 << 8, 255],
    [9, 137], // killed by SIGKILL (sacct 0:9)
    [15, 143], // SIGTERM
    [4294967294, undefined], // NO_VAL
    [70000, undefined],
  ])('wait status %p is exit code %p', (status, code) => expect(exitCodeOfWaitStatus(status)).toBe(code));

  test('a v0.0.38 controller job that exited 3 reports exit code 3, not 768', () => {
    const s = jobFromController({
      job_id: 9,
      name: 'kairr.d-3',
      account: 'a',
      user_name: 'alice',
      partition: 'h200',
      job_state: 'FAILED',
      state_reason: 'NonZeroExitCode',
      submit_time: 1_700_000_000,
      start_time: 1_700_000_010,
      end_time: 1_700_000_020,
      exit_code: 768,
      node_count: 1,
    });
    expect(s).toMatchObject({ state: 'FAILED', phase: 'finished', exitCode: 3 });
  });

  test('a v0.0.40+ controller job keeps its decoded return code', () => {
    const s = jobFromController({
      job_id: 9,
      name: 'kairr.d-3',
      account: 'a',
      user_name: 'alice',
      partition: 'gh200',
      job_state: ['FAILED'],
      submit_time: { set: true, infinite: false, number: 1_700_000_000 },
      start_time: { set: true, infinite: false, number: 1_700_000_010 },
      end_time: { set: true, infinite: false, number: 1_700_000_020 },
      exit_code: { status: ['ERROR'], return_code: { set: true, infinite: false, number: 3 }, signal: { id: { set: false, infinite: false, number: 0 }, name: '' } },
      node_count: { set: true, infinite: false, number: 1 },
    });
    expect(s).toMatchObject({ phase: 'finished', exitCode: 3 });
  });
});

describe('jobs', () => {
  test('a v0.0.38 slurmctld job', () => {
    const s = jobFromController(
      {
        job_id: 7,
        name: 'kairr.d-1',
        account: 'k-a-h200',
        user_name: 'alice',
        partition: 'h200',
        job_state: 'RUNNING',
        state_reason: 'None',
        submit_time: 1_700_000_000,
        start_time: 1_700_000_010,
        end_time: 1_700_000_070,
        tres_alloc_str: 'cpu=1,mem=128M,node=1,billing=1,gres/gpu=2',
        node_count: 1,
      },
      1_700_000_040_000,
    );
    expect(s).toMatchObject({ jobId: '7', dispatchId: 'd-1', state: 'RUNNING', phase: 'running', gpus: 2, elapsedSeconds: 30 });
    expect(s.end).toBeUndefined();
    expect(s.reason).toBeUndefined();
  });

  test('a v0.0.42 pending job held by its budget, GPUs from the request', () => {
    const s = jobFromController({
      job_id: 8,
      name: 'x',
      account: 'k-a-gh200',
      user_name: 'bob',
      partition: 'gh200',
      job_state: ['PENDING'],
      state_reason: 'AssocGrpGRESMinutes',
      submit_time: { set: true, infinite: false, number: 1_700_000_000 },
      start_time: { set: true, infinite: false, number: 0 },
      tres_per_node: 'gres/gpu:1',
      node_count: { set: true, infinite: false, number: 1 },
    });
    expect(s).toMatchObject({ phase: 'pending', heldByBudget: true, gpus: 1, reason: 'AssocGrpGRESMinutes' });
    expect(s.start).toBeUndefined();
  });

  test('a slurmdbd record of either generation becomes a usage-ready record', () => {
    const v38 = jobFromAccounting(
      {
        job_id: 9,
        name: 'kairr.d-9',
        account: 'k-a-h200',
        user: 'alice',
        partition: 'h200',
        cluster: 'spc',
        state: { current: 'COMPLETED', reason: 'None' },
        time: { submission: 1_700_000_000, start: 1_700_000_005, end: 1_700_000_015, elapsed: 10 },
        tres: {
          allocated: [
            { type: 'cpu', name: null, count: 1 },
            { type: 'gres', name: 'gpu', id: 1001, count: 3 },
          ],
        },
        exit_code: { return_code: 0 },
      },
      'spc',
      'spc',
    );
    const v42 = jobFromAccounting(
      {
        job_id: 9,
        name: 'kairr.d-9',
        account: 'k-a-h200',
        user: 'alice',
        partition: 'h200',
        cluster: 'spc',
        state: { current: ['COMPLETED'], reason: 'None' },
        time: { submission: 1_700_000_000, start: 1_700_000_005, end: 1_700_000_015, elapsed: 10 },
        tres: {
          allocated: [
            { type: 'gres', name: 'gpu', id: 1001, count: 3 },
            { type: 'energy', name: '', count: -2 },
          ],
        },
        exit_code: { status: ['SUCCESS'], return_code: { set: true, infinite: false, number: 0 } },
      },
      'spc',
      'spc',
    );
    for (const j of [v38, v42]) {
      expect(j.record).toMatchObject({ jobId: '9', gpus: 3, elapsedSeconds: 10, state: 'COMPLETED', dispatchId: 'd-9', end: '2023-11-14T22:13:35.000Z' });
      expect(j.status).toMatchObject({ exitCode: 0, phase: 'finished' });
    }
  });
});

describe('association updates resend every TRES limit', () => {
  const v38 = assocFromApi({
    account: 'k-a-h200',
    cluster: 'spc',
    user: null,
    parent_account: 'kairr',
    max: {
      jobs: { per: { count: null, submitted: null } },
      tres: {
        total: [{ type: 'mem', name: null, count: 65536 }],
        group: {
          minutes: [
            { type: 'gres', name: 'gpu', id: 1001, count: 600 },
            { type: 'cpu', name: null, count: 9 },
          ],
          active: [],
        },
        minutes: { per: { job: [] }, total: [] },
        per: { job: [], node: [] },
      },
    },
  });
  const v42 = assocFromApi({
    account: 'k-a-gh200',
    cluster: 'kisti6',
    user: '',
    parent_account: 'kairr',
    max: {
      jobs: { per: { count: { set: false, infinite: true, number: 0 }, submitted: { set: true, infinite: false, number: 0 } } },
      tres: { total: [{ type: 'mem', name: '', count: 65536 }], group: { minutes: [{ type: 'gres', name: 'gpu', id: 1001, count: 600 }], active: [] } },
    },
  });

  test('both generations read the same', () => {
    expect(v38.tres.grpTresMins).toEqual({ 'gres/gpu': 600, cpu: 9 });
    expect(v38.tres.grpTres).toEqual({ mem: 65536 });
    expect(v42.scalars).toEqual({ grpSubmitJobs: 0 });
  });

  test('a budget change keeps GrpTRES, and a dropped TRES is sent as -1', () => {
    const after = applyLimitChange(v38, { grpTresMins: { 'gres/gpu': 900, cpu: null } });
    const max = limitsBody(v38, after, 'v0.0.38') as { tres: { total: unknown; group: { minutes: unknown } } };
    expect(max.tres.total).toEqual([{ type: 'mem', name: '', count: 65536 }]);
    expect(max.tres.group.minutes).toEqual([
      { type: 'gres', name: 'gpu', count: 900 },
      { type: 'cpu', name: '', count: -1 },
    ]);
  });

  test('scalars: v0.0.38 plain numbers, v0.0.40+ tri-state; clearing is unlimited', () => {
    const blocked38 = limitsBody(v38, applyLimitChange(v38, { scalars: { grpSubmitJobs: 0 } }), 'v0.0.38') as { jobs: unknown };
    expect(blocked38.jobs).toEqual({ per: { submitted: 0 } });
    const unblocked42 = limitsBody(v42, applyLimitChange(v42, { scalars: { grpSubmitJobs: null } }), 'data_parser') as { jobs: unknown };
    expect(unblocked42.jobs).toEqual({ per: { submitted: { set: true, infinite: true, number: 0 } } });
  });
});

describe('credentials', () => {
  test('a minted token is an HS256 JWT with sun, iat and exp', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const token = mintSlurmJwt(key, 'alice', 300, 1_700_000_000_000);
    const [h, p, sig] = token.split('.');
    expect(JSON.parse(Buffer.from(p, 'base64url').toString())).toEqual({ iat: 1_700_000_000, exp: 1_700_000_300, sun: 'alice' });
    expect(sig).toBe(createHmac('sha256', key).update(`${h}.${p}`).digest('base64url'));
  });

  test('a key mints per acting user; a static token acts through the user-name header', async () => {
    const keyed = new TokenSource(async () => ({ username: 'slurm', jwtKey: Buffer.from('k').toString('base64') }));
    const asBob = await keyed.headers('bob');
    expect(asBob['X-SLURM-USER-NAME']).toBe('bob');
    expect(JSON.parse(Buffer.from(asBob['X-SLURM-USER-TOKEN'].split('.')[1], 'base64url').toString()).sun).toBe('bob');
    const fixed = new TokenSource(async () => ({ username: 'slurm', token: 't0k' }));
    expect(await fixed.headers('bob')).toEqual({ 'X-SLURM-USER-NAME': 'bob', 'X-SLURM-USER-TOKEN': 't0k' });
  });

  test('slurmrestd errors of both generations normalize', () => {
    expect(normalizeErrors([{ description: "Missing required field 'user'", source: '_parser_run' }])).toEqual([{ message: "Missing required field 'user'" }]);
    expect(normalizeErrors([{ error_number: 2017, error: 'Invalid job id specified', description: '' }])).toEqual([{ code: 2017, message: 'Invalid job id specified' }]);
  });
});

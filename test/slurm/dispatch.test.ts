// Job dispatch through the jobs API handler (as API Gateway calls it) onto the real clusters:
// the job runs under the allocation's account, on the resource's partition, as the member, with
// the GPUs asked for; bad requests get a 400 naming the field; a retry never submits twice, also
// when slurmrestd goes away in the middle, or when the site took the job but its answer was lost.
import { dispatchJobName, slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { TransientSchedulerError, type SchedulerDriver } from '../../lambdas/connectors/driver';
import { useDriverFactory } from '../../lambdas/connectors/sites';
import { slurmRestDriverForSite } from '../../lambdas/connectors/slurm-rest';
import { setState } from '../../lambdas/ledger/service';
import { driverFor, LONG_JOB, restd, SHORT_JOB, slurmCli, waitFor } from './support/clusters';
import { ADMIN, ADMIN_CTX, ALICE, BOB, MALLORY, startHarness, type Harness } from './support/kairr';

jest.setTimeout(10 * 60_000);

let h: Harness;
let allocationId: string;
const toCancel: { siteId: string; jobId: string }[] = [];

beforeAll(async () => {
  h = await startHarness();
  // spc/h200 deliberately left out: "a resource the allocation does not have"
  const a = await h.award({ 'spc/b200': 40, 'kisti6/gh200': 40 }, { members: [BOB] });
  allocationId = a.id;
  const active = await h.settled(a.id);
  if (active.state !== 'active') throw new Error(`allocation did not become active: ${active.state} ${active.stateReason ?? ''}`);
});
afterAll(async () => {
  for (const c of Object.values(h?.clusters ?? {})) restd('start', c);
  for (const j of toCancel)
    await driverFor(h.clusters[j.siteId])
      .cancelJob(j.jobId)
      .catch(() => undefined);
  await h?.stop();
});

const jobsPath = () => `/v1/allocations/${allocationId}/jobs`;
const valid = { site: 'spc', resource: 'b200', script: SHORT_JOB, gpus: 2, timeLimit: 2 };
/**
 * The scheduler job ids that carry one dispatch id: slurmctld's (squeue, every state: a finished job
 * stays there for MinJobAge) and slurmdbd's (sacct, which may lag behind a job that just ended).
 */
const jobsNamed = (siteId: string, jobId: string) => {
  const c = h.clusters[siteId];
  const live = slurmCli(c, 'squeue', '-h', '-t', 'all', '-n', dispatchJobName(jobId), '-o', '%i');
  const past = slurmCli(c, 'sacct', '-a', '-X', '-n', '-P', '--starttime=now-1hour', `--name=${dispatchJobName(jobId)}`, '--format=jobid');
  return [
    ...new Set(
      `${live}\n${past}`
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ].sort();
};

describe('dispatch', () => {
  test.each([
    ['spc', 'b200', BOB, 2],
    ['kisti6', 'gh200', ALICE, 4],
  ] as const)("a job on %s/%s runs under the allocation's account, on the partition, as the member, with the GPUs, and finishes", async (site, resource, member, gpus) => {
    const res = await h.api('POST', jobsPath(), member, { body: { site, resource, script: SHORT_JOB, gpus, timeLimit: 2, name: 'smoke-test', env: { EXPERIMENT: 'e1' } } });
    expect(res.status).toBe(201);
    toCancel.push({ siteId: site, jobId: res.body.schedulerJobId });

    const done = await waitFor(
      `job ${res.body.jobId} to finish`,
      async () => (await h.api('GET', `${jobsPath()}/${res.body.jobId}`, member)).body,
      (j) => j.state === 'finished',
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    const atSite = await driverFor(h.clusters[site]).jobStatus(res.body.schedulerJobId);

    const account = slurmAccountName(allocationId, resource);
    expect(res.body).toMatchObject({ jobId: expect.stringMatching(/^job-/), site, resource: `${site}/${resource}`, account, user: member.username, gpus, nodes: 1, timeLimit: 2, submittedBy: member.sub, name: 'smoke-test' });
    expect(done).toMatchObject({ state: 'finished', schedulerState: 'COMPLETED', exitCode: 0, schedulerJobId: res.body.schedulerJobId });
    expect(atSite).toMatchObject({ jobId: res.body.schedulerJobId, dispatchId: res.body.jobId, account, partition: resource, user: member.username, gpus, state: 'COMPLETED' });
    expect(jobsNamed(site, res.body.jobId)).toEqual([res.body.schedulerJobId]);
    // its output goes to a file named for the member, so another user's stale file under a reused
    // job id in the shared default directory (/tmp) cannot make it fail to launch
    const stdout = /StdOut=(\S+)/.exec(slurmCli(h.clusters[site], 'scontrol', 'show', 'job', res.body.schedulerJobId))?.[1];
    expect(stdout).toBe(`/tmp/slurm-${member.username}-${res.body.schedulerJobId}.out`);
  });

  test("the list shows the allocation's jobs, newest first", async () => {
    const res = await h.api('GET', `${jobsPath()}?limit=10`, BOB);

    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThanOrEqual(2);
    const ids = res.body.items.map((j: { jobId: string }) => j.jobId);
    expect([...ids].sort().reverse()).toEqual(ids);
  });
});

describe('bad requests: a 400 naming the field, and nothing dispatched', () => {
  const big = `#!/bin/bash\n# ${'x'.repeat(65536)}\n`;
  test.each([
    ['an unknown site', { site: 'nowhere' }, 'site'],
    ['an unknown resource', { resource: 'a100' }, 'resource'],
    ['a resource of another site', { resource: 'kisti6/gh200' }, 'resource'],
    ['a resource the allocation does not have', { resource: 'h200' }, 'resource'],
    ['more GPUs than a node has', { gpus: 5 }, 'gpus'],
    ['no GPUs', { gpus: 0 }, 'gpus'],
    ['a fractional GPU count', { gpus: 1.5 }, 'gpus'],
    ['nodes < 1', { nodes: 0 }, 'nodes'],
    ['more nodes than the resource has', { nodes: 2 }, 'nodes'],
    ["a time limit over the partition's maximum", { timeLimit: 1441 }, 'timeLimit'],
    ['a time limit of 0', { timeLimit: 0 }, 'timeLimit'],
    ['a script over the size limit', { script: big }, 'script'],
    ['a script without #!', { script: 'sleep 1' }, 'script'],
    ['an empty script', { script: '' }, 'script'],
    ['a reserved environment variable', { env: { SLURM_JOB_NAME: 'x' } }, 'env.SLURM_JOB_NAME'],
    ['an invalid environment variable name', { env: { '1BAD': 'x' } }, 'env'],
    ['a relative working directory', { workingDirectory: 'scratch' }, 'workingDirectory'],
    ['a name with spaces', { name: 'my job' }, 'name'],
    ['an unknown field', { partition: 'b200' }, ''],
    ['a missing time limit', { timeLimit: undefined }, 'timeLimit'],
  ])('%s', async (_what, change, field) => {
    const before = (await h.api('GET', `${jobsPath()}?limit=200`, BOB)).body.items.length;

    const res = await h.api('POST', jobsPath(), BOB, { body: { ...valid, ...change } });

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContainEqual(field === '' ? expect.any(String) : field.startsWith('env') && field !== 'env.SLURM_JOB_NAME' ? expect.stringMatching(/^env/) : field);
    expect((await h.api('GET', `${jobsPath()}?limit=200`, BOB)).body.items.length).toBe(before);
  });

  test('a body that is not JSON', async () => {
    const res = await h.api('POST', jobsPath(), BOB, { body: undefined });
    expect(res).toMatchObject({ status: 400, body: { error: { details: [{ path: 'body' }] } } });
  });
});

describe('who and when', () => {
  test('a researcher who is not a member does not see the allocation (404); an admin cannot dispatch (403)', async () => {
    expect((await h.api('POST', jobsPath(), MALLORY, { body: valid })).status).toBe(404);
    expect((await h.api('POST', jobsPath(), ADMIN, { body: valid })).status).toBe(403);
  });

  test('more than the balance covers at the rate is refused (422, naming timeLimit)', async () => {
    // 40 credits at 1.8 per GPU-hour: 4 GPUs for 1440 minutes would cost 172.8
    const res = await h.api('POST', jobsPath(), BOB, { body: { ...valid, gpus: 4, timeLimit: 1440 } });
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'insufficient_credits', details: [{ path: 'timeLimit' }] } } });
  });

  test('a suspended allocation dispatches nothing (409)', async () => {
    await setState(allocationId, 'suspended', ADMIN_CTX, 'test');
    try {
      const res = await h.api('POST', jobsPath(), BOB, { body: valid });
      expect(res).toMatchObject({ status: 409, body: { error: { code: 'allocation_not_active' } } });
    } finally {
      await setState(allocationId, 'active', ADMIN_CTX, 'test over');
      await h.settled(allocationId);
    }
  });
});

describe('a retried POST never submits twice', () => {
  test('the same Idempotency-Key returns the same job; another body with it is refused', async () => {
    const key = `retry-${Date.now()}`;
    const body = { ...valid, script: LONG_JOB, gpus: 1 };

    const first = await h.api('POST', jobsPath(), BOB, { body, headers: { 'Idempotency-Key': key } });
    const second = await h.api('POST', jobsPath(), BOB, { body, headers: { 'Idempotency-Key': key } });
    const other = await h.api('POST', jobsPath(), BOB, { body: { ...body, gpus: 2 }, headers: { 'Idempotency-Key': key } });
    toCancel.push({ siteId: 'spc', jobId: first.body.schedulerJobId });

    expect(first.status).toBe(201);
    expect(second).toMatchObject({ status: 200, headers: { 'idempotent-replayed': 'true' }, body: { jobId: first.body.jobId, schedulerJobId: first.body.schedulerJobId } });
    expect(other).toMatchObject({ status: 409, body: { error: { code: 'idempotency_key_reused' } } });
    expect(jobsNamed('spc', first.body.jobId)).toEqual([first.body.schedulerJobId]);
  });

  test('slurmrestd stopped in the middle of a dispatch: 503 naming the job, which stays recoverable; the retry submits it once', async () => {
    const key = `outage-${Date.now()}`;
    const body = { ...valid, script: LONG_JOB, gpus: 1 };
    let down: Awaited<ReturnType<Harness['api']>>;
    let whileDown: Awaited<ReturnType<Harness['api']>>;
    restd('stop', h.clusters.spc);
    try {
      down = await h.api('POST', jobsPath(), BOB, { body, headers: { 'Idempotency-Key': key } });
      whileDown = await h.api('GET', `${jobsPath()}/${down.body.error.details[1].problem}`, BOB);
    } finally {
      restd('start', h.clusters.spc);
    }
    const jobId = down.body.error.details.find((d: { path: string }) => d.path === 'jobId').problem;
    const retried = await waitFor(
      'the retried dispatch to go through',
      () => h.api('POST', jobsPath(), BOB, { body, headers: { 'Idempotency-Key': key } }),
      (r) => r.status === 200,
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    toCancel.push({ siteId: 'spc', jobId: retried.body.schedulerJobId });
    const again = await h.api('POST', jobsPath(), BOB, { body, headers: { 'Idempotency-Key': key } });

    expect(down).toMatchObject({ status: 503, body: { error: { code: 'site_unavailable', details: [{ path: 'site' }, { path: 'jobId', problem: expect.stringMatching(/^job-/) }] } } });
    expect(down.body.error.message).toMatch(/cannot be reached/);
    expect(whileDown).toMatchObject({ status: 200, body: { jobId, state: 'submitting', stale: true } });
    expect(retried.body).toMatchObject({ jobId, state: expect.stringMatching(/pending|running/), schedulerJobId: expect.any(String) });
    expect(again.body.schedulerJobId).toBe(retried.body.schedulerJobId);
    expect(jobsNamed('spc', jobId)).toEqual([retried.body.schedulerJobId]);
  });

  test('a dispatch whose answer never came back while slurmrestd was down is resolved by GET as not submitted', async () => {
    let down: Awaited<ReturnType<Harness['api']>>;
    restd('stop', h.clusters.spc);
    try {
      down = await h.api('POST', jobsPath(), BOB, { body: { ...valid, script: LONG_JOB, gpus: 1 } });
    } finally {
      restd('start', h.clusters.spc);
    }
    const jobId = down.body.error.details.find((d: { path: string }) => d.path === 'jobId').problem;

    const resolved = await waitFor(
      'GET to resolve the dispatch',
      async () => (await h.api('GET', `${jobsPath()}/${jobId}`, BOB)).body,
      (j) => !j.stale,
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );

    expect(down.status).toBe(503);
    expect(resolved).toMatchObject({ jobId, state: 'not-submitted', error: expect.stringMatching(/never received/) });
    expect(jobsNamed('spc', jobId)).toEqual([]);
  });

  test('the site took the job but KAIRR never heard back: GET finds it by its dispatch id, and the retry returns it without a second job', async () => {
    const key = `lost-${Date.now()}`;
    const body = { ...valid, script: LONG_JOB, gpus: 1 };
    // a fault injected around the real driver: the submit reaches Slurm, then its answer is "lost"
    useDriverFactory((site) => {
      const real = slurmRestDriverForSite(site);
      return Object.assign(Object.create(real) as SchedulerDriver, {
        submitJob: async (req: Parameters<SchedulerDriver['submitJob']>[0]) => {
          await real.submitJob(req);
          throw new TransientSchedulerError('the response was lost (injected)', { siteId: site.id });
        },
      });
    });
    let lost: Awaited<ReturnType<Harness['api']>>;
    try {
      lost = await h.api('POST', jobsPath(), BOB, { body, headers: { 'Idempotency-Key': key } });
    } finally {
      useDriverFactory(undefined);
    }
    const jobId = lost.body.error.details.find((d: { path: string }) => d.path === 'jobId').problem;

    const found = await h.api('GET', `${jobsPath()}/${jobId}`, BOB);
    const retried = await h.api('POST', jobsPath(), BOB, { body, headers: { 'Idempotency-Key': key } });
    toCancel.push({ siteId: 'spc', jobId: found.body.schedulerJobId });

    expect(lost.status).toBe(503);
    expect(found.body).toMatchObject({ jobId, state: expect.stringMatching(/pending|running/), schedulerJobId: expect.any(String) });
    expect(retried).toMatchObject({ status: 200, body: { jobId, schedulerJobId: found.body.schedulerJobId } });
    expect(jobsNamed('spc', jobId)).toEqual([found.body.schedulerJobId]);
  });
});

describe('cancel', () => {
  test('the member who dispatched it cancels a running job; another member may not', async () => {
    const res = await h.api('POST', jobsPath(), BOB, { body: { site: 'kisti6', resource: 'gh200', script: LONG_JOB, gpus: 1, timeLimit: 5 } });
    toCancel.push({ siteId: 'kisti6', jobId: res.body.schedulerJobId });
    // alice is the PI: she may; mallory is no member at all
    const stranger = await h.api('DELETE', `${jobsPath()}/${res.body.jobId}`, MALLORY);

    const cancelled = await h.api('DELETE', `${jobsPath()}/${res.body.jobId}`, BOB);
    const after = await waitFor(
      'the job to end cancelled',
      async () => (await h.api('GET', `${jobsPath()}/${res.body.jobId}`, BOB)).body,
      (j) => j.state === 'cancelled',
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );

    expect(stranger.status).toBe(404);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.cancelledAt).toEqual(expect.any(String));
    expect(after).toMatchObject({ state: 'cancelled', schedulerState: 'CANCELLED' });
  });
});

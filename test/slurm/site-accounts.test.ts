// Who runs as whom, against the real clusters (spc: Slurm 22.05 on the host; kisti6: 24.11 in its
// chroot), through the jobs handler as API Gateway calls it:
//  - no field of a dispatch makes a job run as root, as the SlurmUser or as another member: each
//    attempt is a named 4xx and an audit event, and nothing reaches the scheduler;
//  - a member without a site account cannot dispatch (409 naming the site) until the SITE creates
//    the login (scripts/slurm/site-account.sh, the local site side) and its operator confirms it;
//    the operator cannot confirm a system account or another person's login;
//  - a confirmed member's job runs as their site account: Slurm's accounting and the job itself say so;
//  - cancel acts as the job's own login, and a finished job is not "cancelled";
//  - dispatch holds credits: 50 parallel dispatches against a balance covering 10 accept 10;
//  - a resumed dispatch checks the allocation again.
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { auditTable, ddb, mainTable } from '../../lambdas/shared/store/client';
import { trustKeys } from '../../lambdas/shared/store/keys';
import { setState } from '../../lambdas/ledger/service';
import { proposedUsername } from '../../lambdas/domain/site-accounts';
import { slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import type { Caller } from '../../lambdas/shared/http/caller';
import { driverFor, LONG_JOB, restd, sacctmgrAssocs, slurmCli, uniqueId, waitFor } from './support/clusters';
import { ADMIN_CTX, ALICE, BOB, operatorOf, siteAccountScript, startHarness, type Harness } from './support/kairr';

jest.setTimeout(15 * 60_000);

let h: Harness;
let allocationId: string;
const carol: Caller = { sub: uniqueId('sub-carol-'), roles: ['researcher'], siteIds: [] };
const carolLogin = proposedUsername(carol.sub);
const made: [string, string][] = []; // [site, login] the site side created, removed afterwards
const toCancel: { siteId: string; jobId: string }[] = [];
const jobs = () => `/v1/allocations/${allocationId}/jobs`;
const WHO_AM_I = '#!/bin/bash\necho "user=$(id -un) uid=$(id -u)"\n';

beforeAll(async () => {
  h = await startHarness();
  const a = await h.award({ 'spc/b200': 40, 'kisti6/gh200': 40 }, { members: [BOB, carol] });
  allocationId = a.id;
  const active = await h.settled(a.id);
  if (active.state !== 'active') throw new Error(`allocation did not become active: ${active.state} ${active.stateReason ?? ''}`);
});
afterAll(async () => {
  for (const c of Object.values(h?.clusters ?? {})) restd('start', c);
  for (const j of toCancel)
    if (j.siteId && j.jobId)
      await driverFor(h.clusters[j.siteId])
        .cancelJob(j.jobId)
        .catch(() => undefined);
  for (const [site, login] of made) {
    try {
      siteAccountScript('delete', h.clusters[site], login);
    } catch {
      /* a job of it may still be finishing; the login is harmless */
    }
  }
  await h?.stop();
});

async function refusals(): Promise<Record<string, any>[]> {
  const out = await ddb().send(new ScanCommand({ TableName: auditTable(), FilterExpression: '#a = :a', ExpressionAttributeNames: { '#a': 'action' }, ExpressionAttributeValues: { ':a': 'security.refused' } }));
  return out.Items ?? [];
}
const jobCount = async () => (await h.api('GET', `${jobs()}?limit=200`, BOB)).body.items.length;
/** Every scheduler job, at both sites, that ran or runs as this user in the last hour. */
const jobsAtSitesAs = (user: string) => Object.values(h.clusters).flatMap((c) => slurmCli(c, 'sacct', '-a', '-X', '-n', '-P', '--starttime=now-1hour', `--user=${user}`, '--format=jobid').split('\n').filter(Boolean));

describe('no field of a dispatch chooses the user', () => {
  test.each([
    ['user: root', { user: 'root' }, 'user'],
    ['user: the SlurmUser', { user: 'slurm' }, 'user'],
    ['username: another member', { username: 'alice' }, 'username'],
  ])('%s is refused with a named 400, audited, and nothing is dispatched', async (_what, change, field) => {
    const before = { jobs: await jobCount(), refusals: (await refusals()).length };

    const res = await h.api('POST', jobs(), BOB, { body: { site: 'kisti6', resource: 'gh200', script: WHO_AM_I, gpus: 1, timeLimit: 2, ...change } });

    expect(res).toMatchObject({ status: 400, body: { error: { code: 'scheduler_user_not_selectable', details: [{ path: field }] } } });
    expect(await jobCount()).toBe(before.jobs);
    const after = await refusals();
    expect(after.length).toBe(before.refusals + 1);
    expect(after.some((e) => e.actor.sub === BOB.sub && e.details.route === 'POST /v1/allocations/{id}/jobs' && e.details.fields[0].path === field)).toBe(true);
  });

  test('an environment variable or a working directory does not change who runs it either', async () => {
    const res = await h.api('POST', jobs(), BOB, { body: { site: 'spc', resource: 'b200', script: WHO_AM_I, gpus: 1, timeLimit: 2, env: { USER: 'root', LOGNAME: 'root' }, workingDirectory: '/tmp' } });
    toCancel.push({ siteId: 'spc', jobId: res.body.schedulerJobId });
    const done = await waitFor(
      'the job to finish',
      async () => (await h.api('GET', `${jobs()}/${res.body.jobId}`, BOB)).body,
      (j) => j.state === 'finished',
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );

    expect(done).toMatchObject({ user: 'bob', schedulerState: 'COMPLETED' });
    expect(slurmCli(h.clusters.spc, 'cat', `/tmp/slurm-bob-${res.body.schedulerJobId}.out`).trim()).toMatch(/^user=bob uid=[1-9]\d*$/);
  });
});

describe('a member without a site account', () => {
  test("cannot dispatch (409 naming the site); the site's operators see the pending request with KAIRR's proposed login", async () => {
    const res = await h.api('POST', jobs(), carol, { body: { site: 'kisti6', resource: 'gh200', script: WHO_AM_I, gpus: 1, timeLimit: 2 } });
    const pending = await h.api('GET', '/v1/sites/kisti6/accounts?state=pending', operatorOf('kisti6'));

    expect(res).toMatchObject({ status: 409, body: { error: { code: 'site_account_missing', details: [{ path: 'site' }] } } });
    expect(pending.body.items).toContainEqual(expect.objectContaining({ sub: carol.sub, state: 'pending', proposedUsername: carolLogin, requestedFor: allocationId }));
    // no association for a login that does not exist yet
    expect(
      sacctmgrAssocs(h.clusters.kisti6, slurmAccountName(allocationId, 'gh200'))
        .map((r) => r.user)
        .filter(Boolean)
        .sort(),
    ).toEqual(['alice', 'bob']);
  });

  test.each([
    ['root', 400, 'username_denied'],
    ['slurm', 400, 'username_denied'],
    ['munge', 400, 'username_denied'],
    ['alice', 409, 'username_taken'],
  ])('the operator cannot make %s their login (%s %s, audited)', async (login, status, code) => {
    const before = (await refusals()).length;
    const res = await h.grantLogin(carol, 'kisti6', login);
    expect(res).toMatchObject({ status, body: { error: { code, details: [{ path: 'username' }] } } });
    expect((await refusals()).length).toBe(before + 1);
  });

  test('once the site has made the login and its operator confirmed it, the association exists and the job runs as that login, at both sites', async () => {
    for (const site of ['kisti6', 'spc']) {
      const r = await h.grantLogin(carol, site, carolLogin, { createUnixUser: true });
      made.push([site, carolLogin]);
      expect(r).toMatchObject({ status: 200, body: { state: 'active', username: carolLogin, origin: 'operator' } });
    }
    await h.settled(allocationId);
    for (const [site, resource] of [
      ['kisti6', 'gh200'],
      ['spc', 'b200'],
    ] as const) {
      const account = slurmAccountName(allocationId, resource);
      await waitFor(
        `${carolLogin}'s association at ${site}`,
        async () => sacctmgrAssocs(h.clusters[site], account).map((r) => r.user),
        (users) => users.includes(carolLogin),
        { timeoutMs: 120_000, intervalMs: 1_000 },
      );

      const res = await h.api('POST', jobs(), carol, { body: { site, resource, script: WHO_AM_I, gpus: 1, timeLimit: 2 } });
      expect(res).toMatchObject({ status: 201, body: { user: carolLogin, account } });
      toCancel.push({ siteId: site, jobId: res.body.schedulerJobId });
      await waitFor(
        'the job to finish',
        async () => (await h.api('GET', `${jobs()}/${res.body.jobId}`, carol)).body,
        (j) => j.state === 'finished',
        { timeoutMs: 120_000, intervalMs: 1_000 },
      );

      // What the job itself saw is the proof of who ran it.
      const seen = slurmCli(h.clusters[site], 'cat', `/tmp/slurm-${carolLogin}-${res.body.schedulerJobId}.out`).trim();
      const uid = /^user=(\S+) uid=(\d+)$/.exec(seen);
      expect(uid?.[1]).toBe(carolLogin);
      expect(Number(uid?.[2])).toBeGreaterThanOrEqual(1000);
      // Accounting agrees once slurmdbd has the whole record: just after the end, 22.05's sacct can
      // still show uid 0 for a job that ran as the login (seen here, and gone a second later).
      const [user, acctUid] = await waitFor(
        `the accounting record of job ${res.body.schedulerJobId} at ${site}`,
        async () => slurmCli(h.clusters[site], 'sacct', '-a', '-X', '-n', '-P', '-j', res.body.schedulerJobId, '--format=user,uid,state').trim().split('|'),
        ([, u, state]) => state === 'COMPLETED' && u === uid?.[2],
        { timeoutMs: 60_000, intervalMs: 1_000 },
      );
      expect([user, acctUid]).toEqual([carolLogin, uid?.[2]]);
    }
    // and none of this allocation's jobs ever ran as root or as the SlurmUser
    const mine = new Set(
      Object.values(h.clusters).flatMap((c) =>
        slurmCli(c, 'sacct', '-a', '-X', '-n', '-P', '--starttime=now-1hour', `--accounts=${slurmAccountName(allocationId, c.partitions.includes('gh200') ? 'gh200' : 'b200')}`, '--format=jobid')
          .split('\n')
          .filter(Boolean),
      ),
    );
    expect(jobsAtSitesAs('root').filter((j) => mine.has(j))).toEqual([]);
    expect(jobsAtSitesAs('slurm').filter((j) => mine.has(j))).toEqual([]);
  });
});

describe('cancel', () => {
  test('the member cancels as their own login; the PI through the site after checking the job; a finished job is answered job_finished and stays finished', async () => {
    const own = await h.api('POST', jobs(), carol, { body: { site: 'kisti6', resource: 'gh200', script: LONG_JOB, gpus: 1, timeLimit: 5 } });
    const bobs = await h.api('POST', jobs(), BOB, { body: { site: 'kisti6', resource: 'gh200', script: LONG_JOB, gpus: 1, timeLimit: 5 } });
    const quick = await h.api('POST', jobs(), BOB, { body: { site: 'spc', resource: 'b200', script: WHO_AM_I, gpus: 1, timeLimit: 2 } });
    for (const r of [own, bobs, quick]) toCancel.push({ siteId: r.body.site, jobId: r.body.schedulerJobId });

    const byCarol = await h.api('DELETE', `${jobs()}/${own.body.jobId}`, carol);
    const byPi = await h.api('DELETE', `${jobs()}/${bobs.body.jobId}`, ALICE);
    // a finished job: the site says it is done, so nothing is cancelled and nothing recorded
    const finished = await waitFor(
      'the quick job to finish',
      async () => (await h.api('GET', `${jobs()}/${quick.body.jobId}`, BOB)).body,
      (j) => j.state === 'finished',
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    const late = await h.api('DELETE', `${jobs()}/${quick.body.jobId}`, BOB);
    const afterLate = (await h.api('GET', `${jobs()}/${quick.body.jobId}`, BOB)).body;

    expect(byCarol).toMatchObject({ status: 200, body: { cancelledAt: expect.any(String) } });
    expect(byPi).toMatchObject({ status: 200, body: { cancelledAt: expect.any(String) } });
    const cancels = (await ddb().send(new QueryCommand({ TableName: auditTable(), KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `job/${own.body.jobId}` } }))).Items!.filter((e) => e.action === 'job.cancel');
    expect(cancels).toEqual([expect.objectContaining({ details: expect.objectContaining({ as: carolLogin }) })]);
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'job_finished', details: [{ path: 'jobId' }] } } });
    expect(afterLate).toMatchObject({ state: 'finished', schedulerState: finished.schedulerState });
    expect(afterLate.cancelledAt).toBeUndefined();
    const quickEvents = (await ddb().send(new QueryCommand({ TableName: auditTable(), KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `job/${quick.body.jobId}` } }))).Items!;
    expect(quickEvents.map((e) => e.action)).not.toContain('job.cancel');
  });
});

describe('holds', () => {
  test('50 parallel dispatches against a balance that covers 10 accept 10; the others are refused 422; cancelling gives the holds back', async () => {
    const a = await h.award({ 'kisti6/gh200': 8 }, { members: [BOB], logins: false }); // the harness's logins exist from beforeAll
    await h.settled(a.id);
    // 1 GPU for 60 minutes at 0.8 credits per GPU-hour: 0.8 credits each, so 8 credits cover 10
    const body = { site: 'kisti6', resource: 'gh200', script: LONG_JOB, gpus: 1, timeLimit: 60 };

    const res = await Promise.all(Array.from({ length: 50 }, () => h.api('POST', `/v1/allocations/${a.id}/jobs`, BOB, { body })));
    const accepted = res.filter((r) => r.status === 201);
    for (const r of accepted) toCancel.push({ siteId: 'kisti6', jobId: r.body.schedulerJobId });
    const held = async () =>
      Number(
        (
          await ddb().send(
            new QueryCommand({
              TableName: mainTable(),
              KeyConditionExpression: 'pk = :p AND sk = :s',
              ExpressionAttributeValues: { ':p': trustKeys.dispatchHold(a.id, 'kisti6/gh200').pk, ':s': trustKeys.dispatchHold(a.id, 'kisti6/gh200').sk },
            }),
          )
        ).Items?.[0]?.heldMc ?? 0,
      );
    const heldWhileRunning = await held();

    expect(accepted).toHaveLength(10);
    expect(res.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.body.error.code}`)).toEqual(Array(40).fill('422 insufficient_credits'));
    expect(heldWhileRunning).toBe(8_000);
    for (const r of accepted) expect((await h.api('DELETE', `/v1/allocations/${a.id}/jobs/${r.body.jobId}`, BOB)).status).toBe(200);
    expect(await held()).toBe(0);
    // and the balance is whole again for the next job
    expect((await h.api('POST', `/v1/allocations/${a.id}/jobs`, BOB, { body: { ...body, script: WHO_AM_I, timeLimit: 2 } })).status).toBe(201);
  });

  test('a resumed dispatch checks the allocation again: suspended meanwhile, it is refused and nothing is submitted', async () => {
    const key = `resume-${Date.now()}`;
    const body = { site: 'spc', resource: 'b200', script: LONG_JOB, gpus: 1, timeLimit: 2 };
    let down: Awaited<ReturnType<Harness['api']>>;
    restd('stop', h.clusters.spc);
    try {
      down = await h.api('POST', jobs(), BOB, { body, headers: { 'Idempotency-Key': key } });
    } finally {
      restd('start', h.clusters.spc);
    }
    const jobId = down.body.error.details.find((d: { path: string }) => d.path === 'jobId').problem;
    await setState(allocationId, 'suspended', ADMIN_CTX, 'test: suspended between the attempts');
    try {
      const retry = await waitFor(
        'the retry to be answered',
        () => h.api('POST', jobs(), BOB, { body, headers: { 'Idempotency-Key': key } }),
        (r) => r.status !== 503,
        { timeoutMs: 60_000, intervalMs: 1_000 },
      );
      expect(down.status).toBe(503);
      expect(retry).toMatchObject({ status: 409, body: { error: { code: 'allocation_not_active' } } });
      expect(slurmCli(h.clusters.spc, 'squeue', '-h', '-t', 'all', '-n', `kairr.${jobId}`, '-o', '%i').trim()).toBe('');
    } finally {
      await setState(allocationId, 'active', ADMIN_CTX, 'test over');
      await h.settled(allocationId);
    }
  });
});

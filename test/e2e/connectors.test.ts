// The connectors over HTTP against the local runtime and the real local Slurm clusters: an award
// made through the API is provisioned by the deployed flow (bus → rule → state machine → step
// Lambda), a job dispatched through the API runs under the allocation's account and finishes, its
// usage reaches the ledger once however often collection runs, bad requests get named 400s, hand
// drift is repaired by the reconciler, and a dispatch survives slurmrestd going away.
// Needs the runtime's Secrets Manager fake to serve the clusters' credentials (local/slurm-secrets.ts).
import { as, call, describeLocal, mint, runSchedule, settle, target, withToken } from './support/client';
import { dispatchJobName, slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { driverFor, loadClusters, restd, sacctmgrAssocs, SHORT_JOB, LONG_JOB, slurmCli, waitFor, type LocalCluster } from '../slurm/support/clusters';

jest.setTimeout(10 * 60_000);

// Only the local target has local clusters; against another one every test is skipped (describeLocal).
const clusters: Record<string, LocalCluster> = target().local ? Object.fromEntries(loadClusters().map((c) => [c.siteId, c])) : {};
const stamp = Date.now().toString(36);
let alice: ReturnType<typeof withToken>;
let bob: ReturnType<typeof withToken>;
let bobToken: string;
let aliceSub: string;
let bobSub: string;
let allocationId: string;
const jobs = () => `/v1/allocations/${allocationId}/jobs`;
const toCancel: { siteId: string; jobId: string }[] = [];

/** The rule of a site's scheduled connector job, by the logical id the stack gives it. */
function ruleOf(kind: 'Collect' | 'Reconcile', siteId: string): string {
  const prefix = `Connectors${kind}${siteId.charAt(0).toUpperCase()}${siteId.slice(1)}`;
  const id = Object.keys(target().rules ?? {}).find((k) => k.startsWith(prefix) && /^[0-9A-F]{8}$/.test(k.slice(prefix.length)));
  if (!id) throw new Error(`no rule ${prefix}* in the runtime (rules: ${Object.keys(target().rules ?? {}).join(', ')})`);
  return id;
}

const NEEDS_LOCAL = 'drives the local runtime (schedules, settle) and the local Slurm clusters';

async function allocation(): Promise<any> {
  return (await as('admin').get(`/v1/allocations/${allocationId}`)).body;
}

beforeAll(async () => {
  if (!target().local) return; // every test below is skipped then (describeLocal)
  aliceSub = `e2e-alice-${stamp}`;
  bobSub = `e2e-bob-${stamp}`;
  alice = withToken(await mint({ sub: aliceSub, groups: ['researcher'], preferred_username: 'alice' }));
  bobToken = await mint({ sub: bobSub, groups: ['researcher'], preferred_username: 'bob' });
  bob = withToken(bobToken);
  // the sites' side: their operators record the clusters' existing test logins as these people's accounts
  // (before the award, so that its provisioning gives them their associations)
  for (const site of ['spc', 'kisti6']) {
    for (const [sub, login] of [
      [aliceSub, 'alice'],
      [bobSub, 'bob'],
    ]) {
      const r = await as('site-operator').put(`/v1/sites/${site}/accounts/${sub}`, { username: login });
      if (r.status !== 200) throw new Error(`confirming ${login} at ${site} failed: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }
  const today = new Date().toISOString().slice(0, 10);
  const res = await as('admin').post('/v1/allocations', {
    title: 'Connectors e2e',
    piSub: aliceSub,
    institution: 'KISTI',
    orgType: 'research-institute',
    field: 'computer-science',
    startDate: today,
    endDate: '2099-12-31',
    credits: { 'spc/b200': 9, 'kisti6/gh200': 8 },
    members: [{ sub: bobSub }],
    reason: 'e2e: connectors',
  });
  if (res.status !== 201) throw new Error(`creating the allocation failed: ${res.status} ${JSON.stringify(res.body)}`);
  allocationId = res.body.id;
});

afterAll(async () => {
  for (const c of Object.values(clusters)) restd('start', c);
  for (const j of toCancel) slurmCli(clusters[j.siteId], 'scancel', j.jobId);
});

describeLocal('award', NEEDS_LOCAL, () => {
  it('is provisioned through the event → state machine path: accounts with their GrpTRESMins and the members appear in Slurm, the allocation becomes active', async () => {
    const a = await waitFor(
      'the allocation to be provisioned',
      async () => {
        await settle(60_000);
        return allocation();
      },
      (x) => x.state !== 'pending-provisioning',
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    if (a.state === 'provisioning-failed' && /credentials/.test(a.stateReason ?? '')) {
      throw new Error(`provisioning could not read the scheduler credentials: wire local/slurm-secrets.ts into the runtime (${a.stateReason})`);
    }

    const spc = slurmAccountName(allocationId, 'b200');
    const k6 = slurmAccountName(allocationId, 'gh200');
    expect(a).toMatchObject({ state: 'active', schedulerAccounts: { 'spc/b200': spc, 'kisti6/gh200': k6 } });
    // 9 credits at 1.8 per GPU-hour and 8 at 0.8: 300 and 600 GPU-minutes
    for (const [site, account, minutes, partition] of [
      ['spc', spc, 300, 'b200'],
      ['kisti6', k6, 600, 'gh200'],
    ] as const) {
      const rows = sacctmgrAssocs(clusters[site], account);
      expect(rows.filter((r) => !r.user)).toEqual([expect.objectContaining({ parent: 'kairr', grpTresMins: `gres/gpu=${minutes}` })]);
      expect(
        rows
          .filter((r) => r.user)
          .map((r) => `${r.user}:${r.partition}`)
          .sort(),
      ).toEqual([`alice:${partition}`, `bob:${partition}`]);
    }
  });
});

describeLocal('dispatch and usage', NEEDS_LOCAL, () => {
  let job: any;

  it('runs a job dispatched through the API under the right account, on the right partition, with the GPUs, to completion', async () => {
    const res = await bob.post(jobs(), { site: 'kisti6', resource: 'gh200', script: SHORT_JOB, gpus: 2, timeLimit: 2, name: 'e2e' });
    expect(res.status).toBe(201);
    job = res.body;
    toCancel.push({ siteId: 'kisti6', jobId: job.schedulerJobId });

    const done = await waitFor(
      'the job to finish',
      async () => (await bob.get(`${jobs()}/${job.jobId}`)).body,
      (j) => j.state === 'finished',
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    const sacct = slurmCli(clusters.kisti6, 'sacct', '-a', '-X', '-n', '-P', '-j', job.schedulerJobId, '--format=jobname,account,partition,user,alloctres,state');

    expect(done).toMatchObject({ state: 'finished', schedulerState: 'COMPLETED', exitCode: 0, account: slurmAccountName(allocationId, 'gh200'), user: 'bob', gpus: 2 });
    const [jobName, account, partition, user, tres, state] = sacct.trim().split('|');
    expect({ jobName, account, partition, user, state }).toEqual({ jobName: dispatchJobName(job.jobId), account: slurmAccountName(allocationId, 'gh200'), partition: 'gh200', user: 'bob', state: 'COMPLETED' });
    expect(tres).toMatch(/gres\/gpu=2/);
  });

  it("lands the job's usage in the ledger exactly once, however often collection runs", async () => {
    const usageOf = async () => {
      const entries = (await alice.get(`/v1/allocations/${allocationId}/ledger?limit=200`)).body.items as { kind: string; jobs?: { siteId: string; jobId: string; credits: number }[] }[];
      // scheduler job ids are per cluster
      return entries.filter((e) => e.kind === 'usage').flatMap((e) => (e.jobs ?? []).filter((j) => j.siteId === 'kisti6' && j.jobId === job.schedulerJobId));
    };
    // slurmdbd has the job's end, so the first charge is already its final one
    await waitFor(
      "the job's end in accounting",
      async () => (await driverFor(clusters.kisti6).listJobs({ since: new Date(Date.now() - 900_000) })).find((r) => r.jobId === job.schedulerJobId),
      (r) => !!r?.end,
      { timeoutMs: 60_000 },
    );
    const charged = await waitFor(
      'the job to be charged',
      async () => {
        await runSchedule(ruleOf('Collect', 'kisti6'));
        await settle(60_000);
        return usageOf();
      },
      (lines) => lines.length > 0,
      { timeoutMs: 120_000, intervalMs: 2_000 },
    );
    await Promise.all([runSchedule(ruleOf('Collect', 'kisti6')), runSchedule(ruleOf('Collect', 'kisti6'))]);
    await settle(60_000);
    await runSchedule(ruleOf('Collect', 'kisti6'));
    await settle(60_000);

    const after = await usageOf();
    const balance = (await allocation()).balances.find((b: { resource: string }) => b.resource === 'kisti6/gh200');
    expect(charged).toHaveLength(1);
    expect(after).toEqual(charged);
    // a usage line takes credits from the balance: its amount is negative
    expect(charged[0].credits).toBeLessThan(0);
    expect(balance.used).toBeCloseTo(-charged[0].credits, 3);
    const consistency = await as('admin').get(`/v1/allocations/${allocationId}/consistency`);
    expect(consistency.body.ok).toBe(true);
  });

  it("shows a site's scheduler and usage watermark to its operators, and not to others", async () => {
    const operator = withToken(await mint({ sub: `e2e-op-${stamp}`, groups: ['site-operator:kisti6'] }));

    const own = await operator.get('/v1/sites/kisti6/status');
    const other = await operator.get('/v1/sites/spc/status');

    expect(own).toMatchObject({ status: 200, body: { siteId: 'kisti6', scheduler: { ok: true, controller: 'up', accounting: 'up' }, usage: { watermark: expect.any(String) } } });
    expect(other.status).toBe(403);
    expect((await bob.get('/v1/sites/kisti6/status')).status).toBe(403);
  });

  it('gives every bad job request its named 400', async () => {
    const valid = { site: 'spc', resource: 'b200', script: SHORT_JOB, gpus: 1, timeLimit: 2 };
    const cases: [Record<string, unknown>, string][] = [
      [{ site: 'nowhere' }, 'site'],
      [{ resource: 'a100' }, 'resource'],
      [{ resource: 'h200' }, 'resource'],
      [{ gpus: 5 }, 'gpus'],
      [{ nodes: 0 }, 'nodes'],
      [{ timeLimit: 100000 }, 'timeLimit'],
      [{ script: `#!/bin/bash\n#${'x'.repeat(70000)}` }, 'script'],
      [{ env: { SLURM_JOB_ID: '1' } }, 'env.SLURM_JOB_ID'],
    ];
    for (const [change, field] of cases) {
      const res = await bob.post(jobs(), { ...valid, ...change });
      expect({ field, status: res.status, paths: res.body.error?.details?.map((d: { path: string }) => d.path) }).toEqual({ field, status: 400, paths: expect.arrayContaining([field]) });
    }
    const notJson = await call('POST', jobs(), { token: bobToken, rawBody: '{', headers: { 'content-type': 'application/json' } });
    expect(notJson).toMatchObject({ status: 400, body: { error: { details: [{ path: 'body' }] } } });
  });

  it('keeps non-members out (404) and cancels for the member who dispatched', async () => {
    const stranger = withToken(await mint({ sub: `e2e-eve-${stamp}`, groups: ['researcher'], preferred_username: 'eve' }));
    expect((await stranger.post(jobs(), { site: 'spc', resource: 'b200', script: SHORT_JOB, gpus: 1, timeLimit: 2 })).status).toBe(404);

    const long = await bob.post(jobs(), { site: 'spc', resource: 'b200', script: LONG_JOB, gpus: 1, timeLimit: 5 });
    toCancel.push({ siteId: 'spc', jobId: long.body.schedulerJobId });
    const cancelled = await bob.del(`${jobs()}/${long.body.jobId}`);
    const ended = await waitFor(
      'the cancelled job to end',
      async () => (await bob.get(`${jobs()}/${long.body.jobId}`)).body,
      (j) => j.state === 'cancelled',
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );

    expect(cancelled.status).toBe(200);
    expect(ended).toMatchObject({ state: 'cancelled', schedulerState: 'CANCELLED' });
  });
});

describeLocal('faults and drift', NEEDS_LOCAL, () => {
  it('a dispatch while slurmrestd is down answers 503 and stays recoverable; the retry submits it exactly once', async () => {
    const key = `e2e-outage-${stamp}`;
    const body = { site: 'spc', resource: 'b200', script: LONG_JOB, gpus: 1, timeLimit: 2 };
    let down;
    restd('stop', clusters.spc);
    try {
      down = await bob.post(jobs(), body, { 'Idempotency-Key': key });
    } finally {
      restd('start', clusters.spc);
    }
    const retried = await waitFor(
      'the retry to go through',
      () => bob.post(jobs(), body, { 'Idempotency-Key': key }),
      (r) => r.status === 200,
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    toCancel.push({ siteId: 'spc', jobId: retried.body.schedulerJobId });

    expect(down).toMatchObject({ status: 503, body: { error: { code: 'site_unavailable' } } });
    const jobId = down.body.error.details.find((d: { path: string }) => d.path === 'jobId').problem;
    expect(retried.body).toMatchObject({ jobId, schedulerJobId: expect.any(String) });
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(slurmCli(clusters.spc, 'squeue', '-h', '-n', dispatchJobName(jobId), '-o', '%i').trim().split('\n')).toEqual([retried.body.schedulerJobId]);
  });

  it("repairs a change made by hand with sacctmgr when the site's reconciler runs", async () => {
    const account = slurmAccountName(allocationId, 'gh200');
    slurmCli(clusters.kisti6, 'sacctmgr', '-i', 'modify', 'account', account, 'set', 'GrpTRESMins=gres/gpu=5');
    slurmCli(clusters.kisti6, 'sacctmgr', '-i', 'delete', 'user', 'bob', `account=${account}`);

    await runSchedule(ruleOf('Reconcile', 'kisti6'));
    await settle(120_000);

    const rows = sacctmgrAssocs(clusters.kisti6, account);
    expect(rows.filter((r) => !r.user)).toEqual([expect.objectContaining({ grpTresMins: 'gres/gpu=600' })]);
    expect(
      rows
        .filter((r) => r.user)
        .map((r) => r.user)
        .sort(),
    ).toEqual(['alice', 'bob']);
  });
});

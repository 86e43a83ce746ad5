// Who runs as whom, end to end over HTTP against the local runtime (its bundles, the approval and
// provisioning state machines) and the real kisti6 cluster (Slurm 24.11 in its chroot):
// a starter proposal cannot name the user its jobs run as; approved automatically, its PI is a
// member without a login at the site, so dispatch is refused until the SITE creates one
// (scripts/slurm/site-account.sh, then its operator confirms it through the API); then the job
// runs as that login, which Slurm's accounting and the job itself confirm. Every attempt to choose
// the user is audited, and an auditor finds it.
import { as, call, mint, settle, target, withToken } from './support/client';
import { callBody, createCall, devClient, identity, proposalBody, stateOf, suiteTarget, type Client } from './approval-support';
import { proposedUsername } from '../../lambdas/domain/site-accounts';
import { slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { loadClusters, sacctmgrAssocs, slurmCli, waitFor, type LocalCluster } from '../slurm/support/clusters';
import { siteAccountScript } from '../slurm/support/kairr';

jest.setTimeout(10 * 60_000);

const k6: LocalCluster = loadClusters().find((c) => c.siteId === 'kisti6')!;
const WHO_AM_I = '#!/bin/bash\necho "user=$(id -un) uid=$(id -u)"\n';
let pi: Client;
let piToken: string;
let login: string;
let created = false;

beforeAll(async () => {
  if (!target().local) throw new Error('this suite drives the local runtime and the local Slurm clusters');
  pi = await identity(suiteTarget(), 'e2e-trust-pi', ['researcher']);
  piToken = pi.token!;
  login = proposedUsername(pi.sub);
});
afterAll(async () => {
  if (created) {
    try {
      siteAccountScript('delete', k6, login);
    } catch {
      /* a job of it may still be finishing */
    }
  }
});

async function refusalsBy(sub: string): Promise<any[]> {
  const res = await as('auditor').get(`/v1/audit/events?action=security.refused&actor=${encodeURIComponent(sub)}&limit=100`);
  expect(res.status).toBe(200);
  return res.body.items;
}

test('a starter proposal cannot choose its user; approved, its PI runs jobs only as the login the site created', async () => {
  const admin = devClient(suiteTarget(), 'admin');
  const call0 = await createCall(
    admin,
    callBody([
      { sub: 'rev-trust-a', institution: 'POSTECH' },
      { sub: 'rev-trust-b', institution: 'UNIST' },
    ]),
  );
  const body = proposalBody(call0.id, { credits: { 'kisti6/gh200': 50 } }) as Record<string, any>;

  // 1. the proposal: pi.username and team[].username are refused by name, and audited
  const asRoot = await pi.post('/v1/proposals', { ...body, pi: { ...body.pi, username: 'root' } });
  const asSlurm = await pi.post('/v1/proposals', { ...body, team: [{ ...body.team[0], username: 'slurm' }] });
  expect(asRoot).toMatchObject({ status: 400, body: { error: { code: 'scheduler_user_not_selectable', details: [{ path: 'pi.username' }] } } });
  expect(asSlurm).toMatchObject({ status: 400, body: { error: { code: 'scheduler_user_not_selectable', details: [{ path: 'team[0].username' }] } } });

  // 2. without one it is approved automatically and provisioned
  const p = await pi.post('/v1/proposals', body);
  expect(p.status).toBe(201);
  expect((await pi.post(`/v1/proposals/${p.body.id}/submit`)).status).toBe(202);
  const approved = await stateOf(pi, p.body.id, 'approved');
  const allocationId = approved.allocationId as string;
  const jobs = `/v1/allocations/${allocationId}/jobs`;
  const alloc = await waitFor(
    'the allocation to be provisioned',
    async () => {
      await settle(60_000);
      return (await pi.get(`/v1/allocations/${allocationId}`)).body;
    },
    (a) => a.state !== 'pending-provisioning',
    { timeoutMs: 180_000, intervalMs: 500 },
  );
  expect(alloc.state).toBe('active');

  // 3. no login at kisti6 yet: dispatch is refused naming the site; the request waits for the site
  const early = await pi.post(jobs, { site: 'kisti6', resource: 'gh200', script: WHO_AM_I, gpus: 1, timeLimit: 2 });
  const mine = await pi.get(`/v1/sites/kisti6/accounts/${encodeURIComponent(pi.sub)}`);
  const chosen = await pi.post(jobs, { site: 'kisti6', resource: 'gh200', script: WHO_AM_I, gpus: 1, timeLimit: 2, user: 'root' });
  expect(early).toMatchObject({ status: 409, body: { error: { code: 'site_account_missing', details: [{ path: 'site' }] } } });
  expect(mine).toMatchObject({ status: 200, body: { state: 'pending', proposedUsername: login, requestedFor: allocationId } });
  expect(chosen).toMatchObject({ status: 400, body: { error: { code: 'scheduler_user_not_selectable', details: [{ path: 'user' }] } } });
  expect((await pi.call('PUT', `/v1/sites/kisti6/accounts/${encodeURIComponent(pi.sub)}`, { username: login })).status).toBe(403); // not theirs to create

  // 4. the site creates the login on its nodes and its operator confirms it; not as root
  const rootLogin = await as('site-operator').put(`/v1/sites/kisti6/accounts/${encodeURIComponent(pi.sub)}`, { username: 'root' });
  expect(rootLogin).toMatchObject({ status: 400, body: { error: { code: 'username_denied' } } });
  siteAccountScript('create', k6, login);
  created = true;
  const ok = await as('site-operator').put(`/v1/sites/kisti6/accounts/${encodeURIComponent(pi.sub)}`, { username: login });
  expect(ok).toMatchObject({ status: 200, body: { state: 'active', username: login } });
  const account = slurmAccountName(allocationId, 'gh200');
  await waitFor(
    `${login}'s association`,
    async () => {
      await settle(60_000);
      return sacctmgrAssocs(k6, account).map((r) => r.user);
    },
    (users) => users.includes(login),
    { timeoutMs: 180_000, intervalMs: 1_000 },
  );

  // 5. the job runs as that login
  const res = await pi.post(jobs, { site: 'kisti6', resource: 'gh200', script: WHO_AM_I, gpus: 1, timeLimit: 2 });
  expect(res).toMatchObject({ status: 201, body: { user: login, account } });
  await waitFor(
    'the job to finish',
    async () => (await pi.get(`${jobs}/${res.body.jobId}`)).body,
    (j) => j.state === 'finished',
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
  const [user, uid] = slurmCli(k6, 'sacct', '-a', '-X', '-n', '-P', '-j', res.body.schedulerJobId, '--format=user,uid').trim().split('|');
  expect(user).toBe(login);
  expect(Number(uid)).toBeGreaterThanOrEqual(1000);
  expect(slurmCli(k6, 'cat', `/tmp/slurm-${login}-${res.body.schedulerJobId}.out`).trim()).toBe(`user=${login} uid=${uid}`);

  // 6. every attempt to choose the user is in the audit trail
  const refused = await refusalsBy(pi.sub);
  expect(refused.map((e) => e.details.fields.map((f: { path: string }) => f.path).join(',')).sort()).toEqual(['pi.username', 'team[0].username', 'user']);
});

test('a researcher cannot add a member under a login of their choosing', async () => {
  const other = await mint({ sub: `e2e-trust-other-${Date.now()}`, groups: ['researcher'] });
  const admin = as('admin');
  const a = await admin.post('/v1/allocations', {
    title: 'Trust e2e',
    piSub: pi.sub,
    institution: 'KISTI',
    orgType: 'research-institute',
    field: 'computer-science',
    startDate: '2026-01-01',
    endDate: '2099-12-31',
    credits: { 'kisti6/gh200': 5 },
    reason: 'e2e: trust',
  });
  expect(a.status).toBe(201);

  const res = await pi.post(`/v1/allocations/${a.body.id}/members`, { sub: 'someone', username: 'slurm' });
  const notPi = await call('POST', `/v1/allocations/${a.body.id}/members`, { token: other, body: { sub: 'someone' } });

  expect(res).toMatchObject({ status: 400, body: { error: { code: 'scheduler_user_not_selectable', details: [{ path: 'username' }] } } });
  expect(notPi.status).toBe(404);
  expect((await withToken(piToken).get(`/v1/allocations/${a.body.id}`)).body.members).toEqual([expect.objectContaining({ sub: pi.sub, role: 'pi' })]);
});

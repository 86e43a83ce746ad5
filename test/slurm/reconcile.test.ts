// The reconciler against the real clusters: changes made by hand with sacctmgr are found and
// repaired, the run reports what it changed and records it as an audited connector change; a
// provisioning that failed is finished once its cause is gone.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { reconcileSite } from '../../lambdas/connectors/reconcile/reconcile';
import { lastReconcileRun } from '../../lambdas/connectors/state';
import { ddb, auditTable } from '../../lambdas/shared/store/client';
import { auditStream } from '../../lambdas/shared/store/keys';
import { slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { newId } from '../../lambdas/domain/ids';
import { getAllocation } from '../../lambdas/ledger/store';
import { expireDue } from '../../lambdas/ledger/service';
import { driverFor, LONG_JOB, sacctmgrAssocs, slurmCli, waitFor } from './support/clusters';
import { ADMIN_CTX, BOB, foreignAccount, startHarness, type Harness } from './support/kairr';

jest.setTimeout(10 * 60_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const own = (rows: ReturnType<typeof sacctmgrAssocs>) => rows.find((r) => !r.user)!;
const users = (rows: ReturnType<typeof sacctmgrAssocs>) =>
  rows
    .filter((r) => r.user)
    .map((r) => `${r.user}:${r.partition}`)
    .sort();

describe.each(['kisti6', 'spc'] as const)('drift on %s', (siteId) => {
  test('hand-made changes to limits, block and members are found and repaired, and reported once', async () => {
    const resource = siteId === 'spc' ? 'h200' : 'gh200';
    const a = await h.award({ [`${siteId}/${resource}`]: 8 }, { members: [BOB] });
    const active = await h.settled(a.id);
    const c = h.clusters[siteId];
    const account = slurmAccountName(a.id, resource);
    const before = sacctmgrAssocs(c, account);

    // an operator's hand: a smaller budget, a block, bob removed, a stranger added
    slurmCli(c, 'sacctmgr', '-i', 'modify', 'account', account, 'set', 'GrpTRESMins=gres/gpu=1', 'GrpSubmitJobs=0');
    slurmCli(c, 'sacctmgr', '-i', 'delete', 'user', 'bob', `account=${account}`);
    slurmCli(c, 'sacctmgr', '-i', 'add', 'user', 'mallory', `account=${account}`, `partition=${resource}`);
    const drifted = sacctmgrAssocs(c, account);

    const run = await reconcileSite(siteId);
    const repaired = sacctmgrAssocs(c, account);
    const second = await reconcileSite(siteId);
    const recorded = await lastReconcileRun(siteId);
    const events = await ddb().send(new QueryCommand({ TableName: auditTable(), KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': auditStream('connector', `${siteId}/reconcile`) } }));

    expect(active.state).toBe('active');
    expect(own(drifted)).toMatchObject({ grpTresMins: 'gres/gpu=1', grpSubmit: '0' });
    expect(users(drifted)).toEqual(['alice:' + resource, 'mallory:' + resource]);
    const mine = run.changes.filter((x) => x.allocationId === a.id);
    expect(mine.map((x) => x.action).sort()).toEqual(['add-member', 'remove-member', 'set-limits', 'unblock']);
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account, action: 'set-limits', detail: { from: 1, to: Number(own(before).grpTresMins.split('=')[1]) } }),
        expect.objectContaining({ account, action: 'add-member', detail: { user: 'bob' } }),
        expect.objectContaining({ account, action: 'remove-member', detail: { user: 'mallory' } }),
      ]),
    );
    expect(run.errors.filter((e) => e.allocationId === a.id)).toEqual([]);
    expect(own(repaired)).toEqual(own(before));
    expect(users(repaired)).toEqual(users(before));
    expect(second.changes.filter((x) => x.allocationId === a.id)).toEqual([]);
    expect(recorded).toMatchObject({ runId: run.runId, counts: expect.objectContaining({ changes: run.changes.length }) });
    expect(events.Items?.some((e) => e.action === 'connector.reconcile' && e.details?.runId === run.runId)).toBe(true);
  });
});

test('a failed provisioning is finished by the reconciler once its cause is gone', async () => {
  const c = h.clusters.kisti6;
  const id = newId('alloc');
  const account = slurmAccountName(id, 'gh200');
  foreignAccount(c, account);
  await h.award({ 'kisti6/gh200': 2 }, { id, members: [BOB] });
  const failed = await h.settled(id);
  // the other project gives the name up
  slurmCli(c, 'sacctmgr', '-i', 'delete', 'account', account);

  const run = await reconcileSite('kisti6');

  const repaired = await getAllocation(id);
  expect(failed.state).toBe('provisioning-failed');
  expect(run.restored).toContainEqual({ allocationId: id, from: 'provisioning-failed', to: 'active', recorded: ['kisti6/gh200'] });
  expect(repaired.allocation).toMatchObject({ state: 'active', schedulerAccounts: { 'kisti6/gh200': account } });
  expect(repaired.allocation.stateReason).toBeUndefined();
  expect(own(sacctmgrAssocs(c, account))).toMatchObject({ parent: 'kairr', grpTresMins: 'gres/gpu=150' });
  expect(users(sacctmgrAssocs(c, account))).toEqual(['alice:gh200', 'bob:gh200']);
});

test("expiry while a member's job runs: the block is at once, that member's removal is deferred and finished by the reconciler after the job", async () => {
  const c = h.clusters.spc;
  const today = new Date().toISOString().slice(0, 10);
  const a = await h.award({ 'spc/h200': 5 }, { members: [BOB], endDate: today });
  await h.settled(a.id);
  const account = slurmAccountName(a.id, 'h200');
  const job = await h.api('POST', `/v1/allocations/${a.id}/jobs`, BOB, { body: { site: 'spc', resource: 'h200', script: LONG_JOB, gpus: 1, timeLimit: 5 } });
  await waitFor(
    "bob's job to run",
    async () => (await h.api('GET', `/v1/allocations/${a.id}/jobs/${job.body.jobId}`, BOB)).body,
    (j) => j.state === 'running',
    { timeoutMs: 60_000 },
  );

  await expireDue({ ...ADMIN_CTX, now: new Date(Date.now() + 86_400_000) });
  const expired = await h.settled(a.id);
  const whileRunning = sacctmgrAssocs(c, account);
  const [execution] = h.executionsOf(a.id).filter((e) => JSON.parse(e.input!)['detail-type'] === 'AllocationExpired');
  await driverFor(c).cancelJob(job.body.schedulerJobId);
  await waitFor(
    'the job to end',
    () => driverFor(c).jobStatus(job.body.schedulerJobId),
    (s) => s.phase === 'finished',
    { timeoutMs: 60_000 },
  );
  const run = await reconcileSite('spc');
  const after = sacctmgrAssocs(c, account);

  expect(expired.state).toBe('expired');
  expect(execution.status).toBe('SUCCEEDED');
  expect(own(whileRunning)).toMatchObject({ grpSubmit: '0', grpJobs: '0' });
  expect(users(whileRunning)).toEqual(['bob:h200']);
  expect(run.changes.filter((x) => x.allocationId === a.id)).toEqual([expect.objectContaining({ action: 'remove-member', detail: { user: 'bob' } })]);
  expect(users(after)).toEqual([]);
});

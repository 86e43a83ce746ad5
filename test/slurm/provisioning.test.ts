// The provisioning flow end to end in-process: an allocation event on the bus → the rule → the real
// provisioning ASL in the local Step Functions service → the step function → the real clusters.
// Checked with the clusters' own sacctmgr, and through the allocation's audited record.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambdas/shared/store/keys';
import { ddb, mainTable } from '../../lambdas/shared/store/client';
import { addCredits, addMember, removeMember, setState } from '../../lambdas/ledger/service';
import { getAllocation } from '../../lambdas/ledger/store';
import { creditsToGpuMinutes, slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { findResource, rateAt } from '../../lambdas/domain/catalogue';
import { newId } from '../../lambdas/domain/ids';
import { restd, sacctmgrAssocs, slurmCli, waitFor } from './support/clusters';
import { ADMIN_CTX, BOB, foreignAccount, startHarness, statesEntered, taskErrors, type Harness } from './support/kairr';

jest.setTimeout(10 * 60_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

/** GPU-minutes the scheduler should allow for `credits` on a resource, at the rate in force today. */
const budget = (siteId: string, resourceId: string, credits: number) => creditsToGpuMinutes(credits, rateAt(findResource(h.config.sites, siteId, resourceId)!, new Date().toISOString())!.creditsPerGpuHour);
const users = (rows: ReturnType<typeof sacctmgrAssocs>) =>
  rows
    .filter((r) => r.user)
    .map((r) => `${r.user}:${r.partition}`)
    .sort();
const own = (rows: ReturnType<typeof sacctmgrAssocs>) => rows.filter((r) => !r.user);

describe('award → accounts at both sites', () => {
  let allocationId: string;

  test('AllocationAwarded provisions an account per resource with its GPU-minute budget and the members, then the allocation is active', async () => {
    const a = await h.award({ 'spc/h200': 10, 'kisti6/gh200': 8 }, { members: [BOB] });
    allocationId = a.id;

    const after = await h.settled(a.id);

    const spcAccount = slurmAccountName(a.id, 'h200');
    const kAccount = slurmAccountName(a.id, 'gh200');
    expect(after).toMatchObject({ state: 'active', schedulerAccounts: { 'spc/h200': spcAccount, 'kisti6/gh200': kAccount } });
    // credits ÷ the rate in force × 60, rounded down: 8 credits at 0.8 per GPU-hour = 600 GPU-minutes
    const spc = sacctmgrAssocs(h.clusters.spc, spcAccount);
    expect(own(spc)).toEqual([expect.objectContaining({ parent: 'kairr', grpTresMins: `gres/gpu=${budget('spc', 'h200', 10)}` })]);
    expect(users(spc)).toEqual(['alice:h200', 'bob:h200']);
    const k6 = sacctmgrAssocs(h.clusters.kisti6, kAccount);
    expect(own(k6)).toEqual([expect.objectContaining({ parent: 'kairr', grpTresMins: 'gres/gpu=600' })]);
    expect(users(k6)).toEqual(['alice:gh200', 'bob:gh200']);
    // usage reports naming the account find the allocation
    const index = await ddb().send(new GetCommand({ TableName: mainTable(), Key: keys.schedulerAccount('spc', spcAccount) }));
    expect(index.Item).toMatchObject({ allocationId: a.id, resource: 'spc/h200' });

    const [execution] = h.executionsOf(a.id);
    expect(execution.status).toBe('SUCCEEDED');
    expect(statesEntered(h.sfn, execution.executionArn)).toEqual(['Read event', 'Plan', 'Anything to do?', 'Converge each resource', 'Converge account', 'Converge account', 'Record accounts', 'Provisioned']);
  });

  test('the same event delivered again changes nothing', async () => {
    const before = await getAllocation(allocationId);
    const [first] = h.executionsOf(allocationId);
    const event = JSON.parse(first.input!);

    const again = h.sfn.executions.start(first.stateMachineArn, event);
    const done = await h.sfn.executions.waitFor(again.executionArn, { timeoutMs: 120_000 });

    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!).result).toEqual({ state: 'active', recorded: [], changes: 0 });
    expect((await getAllocation(allocationId)).item.auditSeq).toBe(before.item.auditSeq);
  });

  test('AllocationMembersChanged adds and removes associations', async () => {
    const spcAccount = slurmAccountName(allocationId, 'h200');

    await removeMember(allocationId, BOB.sub, ADMIN_CTX);
    await h.settled(allocationId);
    const withoutBob = users(sacctmgrAssocs(h.clusters.spc, spcAccount));
    await addMember(allocationId, { sub: BOB.sub }, ADMIN_CTX);
    await h.settled(allocationId);
    const withBob = users(sacctmgrAssocs(h.clusters.spc, spcAccount));

    expect(withoutBob).toEqual(['alice:h200']);
    expect(withBob).toEqual(['alice:h200', 'bob:h200']);
  });

  test('AllocationSupplemented raises the budget; AllocationSuspended blocks and AllocationResumed unblocks', async () => {
    const spcAccount = slurmAccountName(allocationId, 'h200');

    await addCredits(allocationId, 'supplement', 'spc/h200', 5, ADMIN_CTX);
    await h.settled(allocationId);
    const supplemented = own(sacctmgrAssocs(h.clusters.spc, spcAccount))[0];
    await setState(allocationId, 'suspended', ADMIN_CTX, 'policy review');
    await h.settled(allocationId);
    const suspended = own(sacctmgrAssocs(h.clusters.spc, spcAccount))[0];
    await setState(allocationId, 'active', ADMIN_CTX, 'review passed');
    await h.settled(allocationId);
    const resumed = own(sacctmgrAssocs(h.clusters.spc, spcAccount))[0];

    const raised = `gres/gpu=${budget('spc', 'h200', 15)}`;
    expect(supplemented).toMatchObject({ grpTresMins: raised, grpSubmit: '', grpJobs: '' });
    expect(suspended).toMatchObject({ grpTresMins: raised, grpSubmit: '0', grpJobs: '0' });
    expect(resumed).toMatchObject({ grpTresMins: raised, grpSubmit: '', grpJobs: '' });
  });
});

describe('failures', () => {
  test("an account that exists elsewhere in the site's tree is a permanent failure: the Catch marks the allocation provisioning-failed with the cause", async () => {
    const id = newId('alloc');
    const account = slurmAccountName(id, 'gh200');
    // someone else's account with the name KAIRR would use, in another project's part of the tree
    foreignAccount(h.clusters.kisti6, account);

    try {
      await h.award({ 'kisti6/gh200': 1 }, { id });
      const failed = await h.settled(id);

      const [execution] = h.executionsOf(id);
      expect(failed.state).toBe('provisioning-failed');
      expect(failed.stateReason).toMatch(/^provisioning failed: Connector\.Permanent: .*exists under "otherproj", not "kairr"/);
      expect(execution.status).toBe('FAILED');
      expect(statesEntered(h.sfn, execution.executionArn)).toEqual(expect.arrayContaining(['Converge each resource', 'Mark provisioning failed', 'Provisioning failed']));
      expect(statesEntered(h.sfn, execution.executionArn)).not.toContain('Record accounts');
      expect(own(sacctmgrAssocs(h.clusters.kisti6, account))).toEqual([expect.objectContaining({ parent: 'otherproj', grpTresMins: '' })]);
    } finally {
      slurmCli(h.clusters.kisti6, 'sacctmgr', '-i', 'delete', 'account', account);
    }
  });

  test('slurmrestd stopped in the middle of provisioning: the flow retries with backoff and completes once it is back, with one account', async () => {
    const cluster = h.clusters.spc;
    const id = newId('alloc');
    const account = slurmAccountName(id, 'b200');

    restd('stop', cluster);
    try {
      await h.award({ 'spc/b200': 3.6 }, { id });
      // the converge step has failed at least once with the transient error, and is waiting to retry
      await waitFor(
        'a transient failure of the converge step',
        async () => h.executionsOf(id).flatMap((e) => taskErrors(h.sfn, e.executionArn)),
        (errs) => errs.includes('Connector.Transient'),
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    } finally {
      restd('start', cluster);
    }
    const done = await h.settled(id);

    const [execution] = h.executionsOf(id);
    expect(execution.status).toBe('SUCCEEDED');
    expect(done.state).toBe('active');
    const rows = sacctmgrAssocs(cluster, account);
    // 3.6 credits at 1.8 per GPU-hour = 120 GPU-minutes; one account association, one per member
    expect(own(rows)).toEqual([expect.objectContaining({ parent: 'kairr', grpTresMins: 'gres/gpu=120' })]);
    expect(users(rows)).toEqual(['alice:b200', 'bob:b200']);
    expect(slurmCli(cluster, 'sacctmgr', '-n', '-P', 'show', 'account', account, 'format=account').trim().split('\n')).toEqual([account]);
  });
});

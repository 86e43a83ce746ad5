// The budget through the whole loop on a real cluster: an allocation's credits become a GPU-minute
// budget; a dispatched job uses them up; collection charges it; the ledger's AllocationExhausted
// makes the flow block the account, so Slurm itself refuses new jobs; a supplement raises the
// budget and lifts the block; expiry removes the members' access.
// spc/b200 costs 1.8 credits per GPU-hour: 0.12 credits are exactly 4 GPU-minutes.
import { addCredits, expireDue } from '../../lambdas/ledger/service';
import { getAllocation } from '../../lambdas/ledger/store';
import { collectUsage } from '../../lambdas/connectors/usage/collect';
import { PermanentSchedulerError } from '../../lambdas/connectors/driver';
import { slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { driverFor, LONG_JOB, sacctmgrAssocs, SHORT_JOB, uniqueId, waitFor } from './support/clusters';
import { ADMIN_CTX, BOB, startHarness, type Harness } from './support/kairr';

jest.setTimeout(15 * 60_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

test('exhausted → blocked at the scheduler; supplemented → raised and unblocked; expired → no access', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const a = await h.award({ 'spc/b200': 0.12 }, { members: [BOB], endDate: today });
  const provisioned = await h.settled(a.id);
  const account = slurmAccountName(a.id, 'b200');
  const jobs = `/v1/allocations/${a.id}/jobs`;
  const own = () => sacctmgrAssocs(h.clusters.spc, account).find((r) => !r.user)!;
  const members = () =>
    sacctmgrAssocs(h.clusters.spc, account)
      .filter((r) => r.user)
      .map((r) => r.user)
      .sort();
  const direct = () =>
    driverFor(h.clusters.spc)
      .submitJob({ dispatchId: uniqueId('direct-'), account, user: 'bob', partition: 'b200', gpus: 1, timeLimitMinutes: 1, script: SHORT_JOB, workingDirectory: '/tmp' })
      .then(
        (r) => r,
        (e: unknown) => e,
      );
  const budgetAtStart = own();

  // use it up: 4 GPUs for the whole 1-minute limit is the whole budget (the balance covers exactly that)
  const burn = await h.api('POST', jobs, BOB, { body: { site: 'spc', resource: 'b200', script: LONG_JOB, gpus: 4, timeLimit: 1 } });
  const burnt = await waitFor(
    'the burner to reach its time limit',
    async () => (await h.api('GET', `${jobs}/${burn.body.jobId}`, BOB)).body,
    (j) => j.state === 'finished',
    { timeoutMs: 300_000, intervalMs: 2_000 },
  );
  await waitFor(
    'its final record in accounting',
    async () => (await driverFor(h.clusters.spc).listJobs({ since: new Date(Date.now() - 900_000) })).find((r) => r.jobId === burn.body.schedulerJobId),
    (r) => !!r?.end,
    { timeoutMs: 60_000 },
  );
  const collected = await collectUsage('spc');
  // the ledger announced AllocationExhausted; the flow blocked the account
  const exhausted = await h.settled(a.id);
  const blocked = own();
  const dispatchWhileExhausted = await h.api('POST', jobs, BOB, { body: { site: 'spc', resource: 'b200', script: SHORT_JOB, gpus: 1, timeLimit: 1 } });
  const directWhileExhausted = await direct();

  await addCredits(a.id, 'supplement', 'spc/b200', 0.06, ADMIN_CTX);
  const supplemented = await h.settled(a.id);
  const raised = own();
  const next = await h.api('POST', jobs, BOB, { body: { site: 'spc', resource: 'b200', script: SHORT_JOB, gpus: 1, timeLimit: 1 } });
  const nextDone = await waitFor(
    'the job after the supplement',
    async () => (await h.api('GET', `${jobs}/${next.body.jobId}`, BOB)).body,
    (j) => j.state === 'finished',
    { timeoutMs: 180_000, intervalMs: 2_000 },
  );

  const tomorrow = new Date(Date.now() + 86_400_000);
  await expireDue({ ...ADMIN_CTX, now: tomorrow });
  const expired = await h.settled(a.id);
  const afterExpiry = own();
  const directAfterExpiry = await direct();

  expect(provisioned.state).toBe('active');
  expect(budgetAtStart).toMatchObject({ grpTresMins: 'gres/gpu=4', grpSubmit: '', grpJobs: '' });
  expect(burn).toMatchObject({ status: 201, body: { estimatedCredits: 0.12, gpus: 4 } });
  expect(burnt).toMatchObject({ state: 'finished', schedulerState: 'TIMEOUT' });
  expect(collected.summary.failed ?? 0).toBe(0);
  expect(exhausted).toMatchObject({ state: 'exhausted', resources: { 'spc/b200': { exhausted: true } } });
  expect(blocked).toMatchObject({ grpSubmit: '0', grpJobs: '0' });
  expect(dispatchWhileExhausted).toMatchObject({ status: 409, body: { error: { code: 'allocation_not_active' } } });
  expect(directWhileExhausted).toBeInstanceOf(PermanentSchedulerError);
  expect(String((directWhileExhausted as Error).message)).toMatch(/job submit limit|violates accounting/i);

  expect(supplemented).toMatchObject({ state: 'active', resources: { 'spc/b200': { exhausted: false } } });
  // 0.18 credits granted in all: 6 GPU-minutes
  expect(raised).toMatchObject({ grpTresMins: 'gres/gpu=6', grpSubmit: '', grpJobs: '' });
  expect(next.status).toBe(201);
  expect(nextDone).toMatchObject({ state: 'finished', schedulerState: 'COMPLETED' });

  expect(expired.state).toBe('expired');
  expect(afterExpiry).toMatchObject({ grpSubmit: '0', grpJobs: '0' });
  expect(members()).toEqual([]);
  expect(directAfterExpiry).toBeInstanceOf(PermanentSchedulerError);
  expect((await getAllocation(a.id)).allocation.schedulerAccounts).toEqual({ 'spc/b200': account });
});

// Accountability at the real scheduler (kisti6, Slurm 24.11), in-process: a report comes due, is
// reminded and overdue; after the grace period the daily job holds the allocation, and through the
// connectors' existing path (AllocationSuspended → the provisioning ASL → the driver) Slurm itself
// refuses new jobs while a running one goes on. Accepting the report lifts the hold and releases the
// second tranche: the account's GPU-minute budget follows it. The clock is moved by the test.
import { slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { PermanentSchedulerError } from '../../lambdas/connectors/driver';
import { getAllocation } from '../../lambdas/ledger/store';
import { useClock } from '../../lambdas/accountability/clock';
import { addDays, addMonths } from '../../lambdas/domain/accountability/dates';
import { driverFor, LONG_JOB, sacctmgrAssocs, SHORT_JOB, uniqueId, waitFor } from './support/clusters';
import { startHarness, type Harness } from './support/kairr';
import { seedOrgs } from '../unit/approval/support';
import { as, award, chair, member, newCall, pi, reportBody, runDaily, TWO_TRANCHES } from '../unit/accountability/support';

jest.setTimeout(15 * 60_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await seedOrgs(); // the approval fixtures' calls name reviewers' registry orgs
});
afterAll(async () => {
  useClock(undefined);
  await h?.stop();
});

test('overdue report → held at Slurm (new jobs refused, the running job goes on) → accepted: unblocked, and the budget follows the second tranche', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const callId = await newCall(TWO_TRANCHES, { capacity: { 'kisti6/gh200': 100 } });
  // 2 credits at 0.8 credits per GPU-hour: 75 GPU-minutes per tranche
  const a = await award({ callId, credits: { 'kisti6/gh200': 2 }, startDate: today });
  const provisioned = await h.settled(a.id);
  // the site's side: the member's login at kisti6, without which dispatch there is refused (409)
  expect((await h.grantLogin(member, 'kisti6', 'bob')).status).toBe(200);
  const account = slurmAccountName(a.id, 'gh200');
  const own = () => sacctmgrAssocs(h.clusters.kisti6, account).find((r) => !r.user)!;
  // The confirmed login reaches Slurm as the member's association through provisioning, after the
  // answer; a job submitted before it exists is refused by the site (422 rejected_by_site, seen in CI).
  await h.settled(a.id);
  await waitFor(
    "bob's association at kisti6",
    async () => sacctmgrAssocs(h.clusters.kisti6, account).map((r) => r.user),
    (users) => users.includes('bob'),
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
  const jobs = `/v1/allocations/${a.id}/jobs`;
  const dispatch = (script: string, timeLimit: number) => h.api('POST', jobs, member, { body: { site: 'kisti6', resource: 'gh200', script, gpus: 1, timeLimit } });
  const direct = () =>
    driverFor(h.clusters.kisti6)
      .submitJob({ dispatchId: uniqueId('direct-'), account, user: 'bob', partition: 'gh200', gpus: 1, timeLimitMinutes: 1, script: SHORT_JOB, workingDirectory: '/tmp' })
      .then(
        (r) => r,
        (e: unknown) => e,
      );
  const budgetAtStart = own();
  const long = await dispatch(LONG_JOB, 10);
  expect({ status: long.status, code: long.body?.error?.code, details: long.body?.error?.details }).toEqual({ status: 201, code: undefined, details: undefined });
  await waitFor(
    'the long job to run',
    async () => (await h.api('GET', `${jobs}/${long.body.jobId}`, member)).body,
    (j) => j.state === 'running',
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );

  // the month-1 report: reminded before, on and after its due date; held after the 14-day grace
  const due = addMonths(today, 1);
  for (const d of [addDays(due, -7), due, addDays(due, 1)]) await runDaily(`${d}T00:15:00Z`);
  const held = await runDaily(`${addDays(due, 15)}T00:15:00Z`);
  const onHold = await h.settled(a.id);
  const blocked = own();
  const refused = await dispatch(SHORT_JOB, 1);
  const directWhileHeld = await direct();
  const longWhileHeld = (await h.api('GET', `${jobs}/${long.body.jobId}`, member)).body;

  // the PI reports; the chair accepts: the hold is lifted and the second half released
  useClock(() => new Date(`${addDays(due, 16)}T09:00:00Z`));
  const submitted = await as(pi).post(`/v1/allocations/${a.id}/reports/month-1`, reportBody());
  const accepted = await as(chair).post(`/v1/allocations/${a.id}/reports/month-1/review`, { decision: 'accept', comments: 'Thank you; releasing the second half.' });
  const lifted = await h.settled(a.id);
  const after = own();
  const next = await dispatch(SHORT_JOB, 1);
  const nextDone = await waitFor(
    'a job after the hold',
    async () => (await h.api('GET', `${jobs}/${next.body.jobId}`, member)).body,
    (j) => j.state === 'finished',
    { timeoutMs: 180_000, intervalMs: 2_000 },
  );
  await h.api('DELETE', `${jobs}/${long.body.jobId}`, member);

  expect(provisioned.state).toBe('active');
  expect(budgetAtStart).toMatchObject({ grpTresMins: 'gres/gpu=75', grpSubmit: '', grpJobs: '' });
  expect(long.status).toBe(201);
  expect(held.timers).toMatchObject({ holds: 1, failed: 0 });
  expect(onHold).toMatchObject({ state: 'suspended' });
  expect(onHold.stateReason).toMatch(/^on hold: the month-1 report/);
  expect(blocked).toMatchObject({ grpSubmit: '0', grpJobs: '0' });
  expect(refused).toMatchObject({ status: 409, body: { error: { code: 'allocation_on_hold' } } });
  expect(directWhileHeld).toBeInstanceOf(PermanentSchedulerError);
  expect(String((directWhileHeld as Error).message)).toMatch(/job submit limit|violates accounting|QOSGrpSubmit|AssocGrpSubmit/i);
  expect(longWhileHeld.state).toBe('running');

  expect(submitted.status).toBe(201);
  expect(accepted.body).toMatchObject({ releasedTranches: ['t2'], holdLifted: true });
  expect(lifted.state).toBe('active');
  expect(lifted.resources['kisti6/gh200']).toMatchObject({ awardedMc: 2_000 });
  expect(after).toMatchObject({ grpTresMins: 'gres/gpu=150', grpSubmit: '', grpJobs: '' });
  expect(next.status).toBe(201);
  expect(nextDone.state).toBe('finished');
  expect((await getAllocation(a.id)).allocation.state).toBe('active');
});

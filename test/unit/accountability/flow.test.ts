// Through the deployed approval flow (statemachines/approval.asl.json on the local Step Functions
// service, the real flow and API handlers, DynamoDB Local), with the daily job's clock moved by the
// test: an award under a two-tranche policy grants its first half and opens its obligations and
// listing; an idle allocation is warned, its unused credits are returned to the call, and the
// returned credits then fund a proposal that was waiting for capacity.
import { approvalFixture, as as approvalAs, assignmentOf, caller, chair, enteredStates, newCall, newProposal, panel, proposalState, reviewBody, until, type ApprovalFixture } from '../approval/support';
import { useClock } from '../../../lambdas/accountability/clock';
import { recordProvisioned } from '../../../lambdas/connectors/allocation-writes';
import { getAllocation, listEntries } from '../../../lambdas/ledger/store';
import { addDays } from '../../../lambdas/domain/accountability/dates';
import { admin, as, runDaily, TWO_TRANCHES } from './support';

let fx: ApprovalFixture;
beforeAll(async () => {
  fx = await approvalFixture();
});
afterAll(async () => {
  useClock(undefined);
  await fx?.stop();
});

const reviewers = [caller('rev-a', ['reviewer']), caller('rev-b', ['reviewer']), caller('rev-c', ['reviewer'])];

async function reviewedAndWaiting(p: { id: string }) {
  const assigned = await panel(p.id, 2);
  for (const r of reviewers.filter((x) => assigned.includes(x.sub))) {
    await assignmentOf(r, p.id);
    expect((await approvalAs(r).post(`/v1/proposals/${p.id}/reviews`, reviewBody(4))).status).toBe(201);
  }
  await until(`${p.id} awaiting a decision`, async () => ((await approvalAs(chair).get(`/v1/proposals/${p.id}`)).body?.stage === 'awaiting-decision' ? true : undefined));
}

it('awards the first tranche with the obligations, then returns idle credits to the call, which funds a waiting proposal', async () => {
  const call = await newCall({ capacity: { 'spc/h200': 1_000 } });
  expect((await as(admin).put(`/v1/calls/${call.id}/accountability`, { ...TWO_TRANCHES, idle: { ...TWO_TRANCHES.idle, mode: 'chair' } })).status).toBe(200);

  // A takes the whole capacity; B waits for a decision
  const ra = caller('researcher-a', ['researcher'], { username: 'resa' });
  const rb = caller('researcher-b', ['researcher'], { username: 'resb' });
  const a = await newProposal(ra, call.id, { credits: { 'spc/h200': 1_000 } });
  const b = await newProposal(rb, call.id, { credits: { 'spc/h200': 200 }, title: 'Korean speech recognition at scale', pi: { name: 'Park Seo-yeon', email: 'sy@postech.example', institution: 'POSTECH', orgType: 'university' } });
  for (const [r, p] of [
    [ra, a],
    [rb, b],
  ] as const)
    expect((await approvalAs(r).post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
  await reviewedAndWaiting(a);
  await reviewedAndWaiting(b);
  expect((await approvalAs(chair).post(`/v1/proposals/${a.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 1_000 }, reason: 'Excellent.' })).status).toBe(200);
  const approvedA = await proposalState(ra, a.id, 'approved');
  const full = await approvalAs(chair).post(`/v1/proposals/${b.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 200 }, reason: 'Good, if capacity allows.' });
  expect(full.status).toBe(422);
  expect(full.body.error.code).toBe('capacity_exceeded');

  // the award step granted half, and opened the schedule, the tranches and the public listing
  const id = approvedA.allocationId;
  const awarded = (await getAllocation(id)).allocation;
  expect(awarded.resources['spc/h200']).toMatchObject({ awardedMc: 500_000, balanceMc: 500_000 });
  const rec = (await as(ra).get(`/v1/allocations/${id}/accountability`)).body;
  // a six-month award: the 9-month report falls after the end, so the final report covers it
  expect(rec.reports.map((r: any) => r.reportId)).toEqual(['month-1', 'month-3', 'final']);
  expect(rec.tranches.map((t: any) => [t.trancheId, t.credits['spc/h200'], t.released])).toEqual([
    ['t1', 500, true],
    ['t2', 500, false],
  ]);
  expect((await as(undefined).get(`/v1/public/awards/${id}`)).body).toMatchObject({ title: a.title, organisation: 'KAIST', credits: { awarded: 500, committed: 1000 } });
  const run = await fx.sfn.executions.waitFor(`${fx.machineArn.replace(':stateMachine:', ':execution:')}:${a.id}-r1`);
  expect(enteredStates(fx.sfn.executions.history(run.executionArn))).toEqual(expect.arrayContaining(['AwaitDecision', 'Award', 'Awarded']));

  // active at the scheduler; then idle: watched, warned after 30 days, a return proposed 14 days later
  await recordProvisioned(id, [{ resourceKey: 'spc/h200', siteId: 'spc', account: 'kairr-flow-h200' }], { actor: { sub: 'system:connector-spc', role: 'system' }, requestId: 'prov' });
  const start = awarded.startDate;
  const day = (n: number) => `${addDays(start, n)}T00:15:00.000Z`;
  await runDaily(day(1));
  expect((await runDaily(day(31))).idle.actions.warn).toBe(1);
  expect((await runDaily(day(45))).idle.actions.propose).toBe(1);
  const reclaim = (await as(chair).get(`/v1/allocations/${id}/accountability`)).body.reclaims[0];
  expect(reclaim.state).toBe('proposed');
  const back = reclaim.proposed['spc/h200'];
  expect(back).toBeGreaterThan(0);
  useClock(() => new Date(day(46)));
  const ok = await as(chair).post(`/v1/allocations/${id}/reclaims/${reclaim.reclaimId}/decision`, { decision: 'confirm', comment: 'Idle for six weeks; returned to the call.' });
  expect(ok.body).toMatchObject({ state: 'applied', applied: { 'spc/h200': back } });
  const entries = (await listEntries(id, { limit: 100, all: true })).items;
  expect(entries.map((e) => e.kind)).toEqual(['award', 'reclaim']);
  const c = (await approvalAs(chair).get(`/v1/calls/${call.id}`)).body;
  expect(c.capacity.find((x: any) => x.resource === 'spc/h200')).toMatchObject({ capacity: 1_000, awarded: 1_000 - back, remaining: back });

  // the waiting proposal is funded from what came back
  expect((await approvalAs(chair).post(`/v1/proposals/${b.id}/decision`, { decision: 'approve', credits: { 'spc/h200': back }, reason: 'Funded from returned idle credits.' })).status).toBe(200);
  const approvedB = await proposalState(rb, b.id, 'approved');
  expect((await getAllocation(approvedB.allocationId)).allocation.resources['spc/h200'].awardedMc).toBe(Math.floor((back * 1000) / 2));
  expect(fx.published.map((e) => e.type)).toEqual(expect.arrayContaining(['IdleWarning', 'ReclaimProposed', 'CreditsReclaimed']));
});

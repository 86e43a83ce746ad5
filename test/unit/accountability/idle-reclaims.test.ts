// The idle rule through the daily job and the API, against DynamoDB Local, with time moved by the
// test: an allocation far behind plan is watched, warned, then has a return proposed (never taking
// credits held for running jobs); the PI answers; the chair confirms and the credits go back to the
// call's capacity; an automatic policy applies an unanswered proposal itself; use clears the run.
import { createJob, type JobRecord } from '../../../lambdas/jobs/store';
import { ingestUsage } from '../../../lambdas/ledger/ingest';
import { consistency } from '../../../lambdas/ledger/service';
import { getAllocation, listEntries } from '../../../lambdas/ledger/store';
import { readCall } from '../../../lambdas/approval/store';
import { newId } from '../../../lambdas/domain/ids';
import { admin, as, award, chair, fixture, member, newCall, pi, stranger, TWO_TRANCHES, type Fixture } from './support';
import { runDaily } from './support';

let f: Fixture;
beforeAll(async () => {
  f = await fixture();
});
afterAll(async () => {
  await f?.stop();
});

// no reports: the idle rule alone (reports and holds have their own test)
const ONE_TRANCHE = { ...TWO_TRANCHES, progressReports: { atMonths: [] }, finalReport: null, tranches: [{ share: 1, releaseOn: 'start' }] };
const events = (type: string, id: string) => f.published.filter((e) => e.type === type && e.detail.allocationId === id);

async function runningJob(allocationId: string, estimatedCredits: number) {
  const j: JobRecord = {
    jobId: newId('job'),
    allocationId,
    siteId: 'spc',
    resourceKey: 'spc/h200',
    cluster: 'spc',
    account: 'acct',
    user: 'bob',
    submittedBy: member.sub,
    gpus: 4,
    nodes: 1,
    timeLimitMinutes: 600,
    workingDirectory: '/tmp',
    scriptBytes: 10,
    scriptSha256: 'x',
    envNames: [],
    creditsPerGpuHour: 1,
    estimatedCredits,
    state: 'submitted',
    phase: 'running',
    createdAt: '2026-02-10T00:00:00Z',
    leaseUntil: '2026-02-10T00:01:00Z',
    attempts: 1,
    requestHash: 'h',
    schedulerJobId: '42',
  };
  await createJob(j, { actor: { sub: member.sub, role: 'researcher' }, requestId: 'job' });
}

describe('an idle allocation under a chair-confirmed policy', () => {
  let callId: string;
  let id: string;
  beforeAll(async () => {
    callId = await newCall(ONE_TRANCHE);
    // 365 credits over 365 days: one credit a day by the even plan
    id = (await award({ callId, credits: { 'spc/h200': 365 }, startDate: '2026-01-01', provisioned: true })).id;
  });

  it('watches it from the first day behind plan, and warns after 30 days with the figures', async () => {
    const first = await runDaily('2026-01-02T00:15:00Z');
    expect(first.idle).toMatchObject({ actions: { watch: 1, warn: 0 }, failed: 0 });
    expect((await as(pi).get(`/v1/allocations/${id}/accountability`)).body.idle.behindSince).toBe('2026-01-02T00:15:00.000Z');
    // a day like the one before writes nothing
    expect((await runDaily('2026-01-20T00:15:00Z')).idle.actions).toEqual({ watch: 0, clear: 0, warn: 0, propose: 0 });
    const warned = await runDaily('2026-02-01T00:15:00Z');
    expect(warned.idle.actions.warn).toBe(1);
    const [w] = events('IdleWarning', id);
    expect(w.detail.figures).toMatchObject({ date: '2026-02-01', awardedCredits: 365, plannedCredits: 31.01, usedCredits: 0, ratio: 0, threshold: 0.2, plan: 'even', behindSince: '2026-01-02', windowDays: 30, graceDays: 14 });
    expect(w.detail.summary).toMatch(/^Warning: Used 0 of the 31\.01 credits the even plan expects by 2026-02-01/);
  });

  it('proposes a return after the grace period, within the balance not held for running jobs', async () => {
    await runningJob(id, 300);
    const out = await runDaily('2026-02-15T00:15:00Z');
    expect(out.idle.actions.propose).toBe(1);
    const rec = (await as(pi).get(`/v1/allocations/${id}/accountability`)).body;
    expect(rec.reclaims).toHaveLength(1);
    const r = rec.reclaims[0];
    // planned by 15 Feb: 45.01; shortfall 45.01, half is 22.5; 65 of the 365 are free of the 300 held: 22 (whole credits)
    expect(r).toMatchObject({ state: 'proposed', mode: 'chair', proposed: { 'spc/h200': 22 } });
    expect(r.explanation.figures).toMatchObject({ proposedCredits: 22, shortfallCredits: 45.01, 'held.spc/h200': 300, 'free.spc/h200': 65, reclaimShare: 0.5 });
    expect(rec.idle.openReclaimId).toBe(r.reclaimId);
    expect(events('ReclaimProposed', id)).toHaveLength(1);
    // no second proposal while this one is open
    expect((await runDaily('2026-02-16T00:15:00Z')).idle.actions.propose).toBe(0);
  });

  it('lets the PI answer, and the chair see the answer; refuses returns above the unused or of held credits, by name', async () => {
    const r = (await as(pi).get(`/v1/allocations/${id}/accountability`)).body.reclaims[0];
    expect((await as(member).post(`/v1/allocations/${id}/reclaims/${r.reclaimId}/answer`, { reason: 'not the PI' })).status).toBe(403);
    expect((await as(stranger).post(`/v1/allocations/${id}/reclaims/${r.reclaimId}/answer`, { reason: 'who am I' })).status).toBe(404);
    const ans = await as(pi).post(`/v1/allocations/${id}/reclaims/${r.reclaimId}/answer`, { reason: 'A 256-GPU run is planned for March.' });
    expect(ans.body).toMatchObject({ state: 'answered', response: { reason: 'A 256-GPU run is planned for March.', by: pi.sub } });
    expect((await as(chair).get(`/v1/allocations/${id}/accountability`)).body.reclaims[0].response.reason).toBe('A 256-GPU run is planned for March.');

    for (const who of [pi, member]) expect((await as(who).post(`/v1/allocations/${id}/reclaims/${r.reclaimId}/decision`, { decision: 'confirm', comment: 'mine' })).status).toBe(403);
    const tooMuch = await as(chair).post(`/v1/allocations/${id}/reclaims/${r.reclaimId}/decision`, { decision: 'confirm', credits: { 'spc/h200': 400 }, comment: 'all of it' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error).toMatchObject({ code: 'reclaim_exceeds_unused', details: [{ path: 'credits.spc/h200', problem: 'is 400 credits, more than the 365 unused' }] });
    const held = await as(chair).post(`/v1/allocations/${id}/reclaims/${r.reclaimId}/decision`, { decision: 'confirm', credits: { 'spc/h200': 100 }, comment: 'more' });
    expect(held.status).toBe(422);
    expect(held.body.error.code).toBe('reclaim_of_held_credits');
    expect(held.body.error.details[0].problem).toContain('300 of the 365 unused are held for running jobs; at most 65 can be returned');
    expect((await getAllocation(id)).allocation.resources['spc/h200'].balanceMc).toBe(365_000);
  });

  it("on confirmation returns the credits: a reclaim entry, the call's capacity back, the scheduler told, the run reset", async () => {
    const before = (await readCall(callId)).call;
    const r = (await as(pi).get(`/v1/allocations/${id}/accountability`)).body.reclaims[0];
    const ok = await as(chair).post(`/v1/allocations/${id}/reclaims/${r.reclaimId}/decision`, { decision: 'confirm', comment: 'Return 22 credits; the March run fits in the rest.' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ state: 'applied', applied: { 'spc/h200': 22 }, decision: { outcome: 'confirm', by: chair.sub, automatic: false } });
    const a = (await getAllocation(id)).allocation;
    expect(a.resources['spc/h200']).toMatchObject({ awardedMc: 343_000, balanceMc: 343_000 });
    const entries = (await listEntries(id, { limit: 100, all: true })).items;
    expect(entries.map((e) => [e.kind, e.amountMc])).toEqual([
      ['award', 365_000],
      ['reclaim', -22_000],
    ]);
    expect((await consistency(id)).ok).toBe(true);
    const after = (await readCall(callId)).call;
    expect(before.awardedMc['spc/h200'] - after.awardedMc['spc/h200']).toBe(22_000);
    expect(before.awardedByOrgTypeMc.university!['spc/h200'] - after.awardedByOrgTypeMc.university!['spc/h200']).toBe(22_000);
    expect(events('AllocationSupplemented', id).at(-1)!.detail).toMatchObject({ kind: 'reclaim', resources: ['spc/h200'] });
    expect(events('CreditsReclaimed', id)[0].detail).toMatchObject({ credits: 22, toCall: callId, automatic: false });
    const rec = (await as(pi).get(`/v1/allocations/${id}/accountability`)).body;
    expect(rec.idle).toEqual({});
    expect(rec.committed).toEqual({ 'spc/h200': 343 });
    expect((await as(chair).post(`/v1/allocations/${id}/reclaims/${r.reclaimId}/decision`, { decision: 'reject', comment: 'changed my mind' })).body.error.code).toBe('reclaim_closed');
  });
});

describe("an automatic policy, the PI's plan, and use", () => {
  it('applies an unanswered proposal after the answer period, as far as credits are free', async () => {
    const callId = await newCall({ ...ONE_TRANCHE, idle: { ...ONE_TRANCHE.idle, mode: 'automatic', responseDays: 7 } });
    const id = (await award({ callId, credits: { 'spc/h200': 365 }, startDate: '2026-01-01', provisioned: true })).id;
    for (const d of ['2026-01-02', '2026-02-01', '2026-02-15']) await runDaily(`${d}T00:15:00Z`);
    const r = (await as(admin).get(`/v1/allocations/${id}/accountability`)).body.reclaims[0];
    expect(r).toMatchObject({ state: 'proposed', mode: 'automatic', applyAfter: '2026-02-22T00:15:00.000Z', proposed: { 'spc/h200': 22 } });
    expect((await runDaily('2026-02-21T00:15:00Z')).timers.reclaims).toBe(0);
    const out = await runDaily('2026-02-22T00:15:00Z');
    expect(out.timers.reclaims).toBe(1);
    const applied = (await as(admin).get(`/v1/allocations/${id}/accountability`)).body.reclaims[0];
    expect(applied).toMatchObject({ state: 'applied', applied: { 'spc/h200': 22 }, decision: { automatic: true, by: 'system:accountability' } });
    expect((await getAllocation(id)).allocation.resources['spc/h200'].balanceMc).toBe(343_000);
  });

  it('an answer stops the automatic return: the chair decides instead', async () => {
    const callId = await newCall({ ...ONE_TRANCHE, idle: { ...ONE_TRANCHE.idle, mode: 'automatic', responseDays: 7 } });
    const id = (await award({ callId, credits: { 'spc/h200': 365 }, startDate: '2026-01-01', provisioned: true })).id;
    for (const d of ['2026-01-02', '2026-02-01', '2026-02-15']) await runDaily(`${d}T00:15:00Z`);
    const r = (await as(pi).get(`/v1/allocations/${id}/accountability`)).body.reclaims[0];
    await as(pi).post(`/v1/allocations/${id}/reclaims/${r.reclaimId}/answer`, { reason: 'The data pipeline is ready; the run starts next week.' });
    await runDaily('2026-02-23T00:15:00Z');
    f.clock.set('2026-02-23T09:00:00Z');
    expect((await as(pi).get(`/v1/allocations/${id}/accountability`)).body.reclaims[0].state).toBe('answered');
    const rej = await as(chair).post(`/v1/allocations/${id}/reclaims/${r.reclaimId}/decision`, { decision: 'reject', comment: 'Accepted: the run is planned.' });
    expect(rej.body.state).toBe('rejected');
    expect((await as(pi).get(`/v1/allocations/${id}/accountability`)).body.idle.quietUntil).toBe('2026-03-25T09:00:00.000Z');
  });

  it("follows the PI's plan instead of the even one, and clears the run once use catches up", async () => {
    const callId = await newCall(ONE_TRANCHE);
    const id = (await award({ callId, credits: { 'spc/h200': 365 }, startDate: '2026-01-01', provisioned: true })).id;
    await runDaily('2026-01-02T00:15:00Z');
    expect((await as(pi).get(`/v1/allocations/${id}/accountability`)).body.idle.behindSince).toBeDefined();
    expect((await as(member).put(`/v1/allocations/${id}/plan`, { points: [{ date: '2026-04-01', share: 0.01 }], reason: 'data preparation first' })).status).toBe(403);
    const bad = await as(pi).put(`/v1/allocations/${id}/plan`, {
      points: [
        { date: '2026-04-01', share: 0.2 },
        { date: '2026-03-01', share: 0.1 },
      ],
      reason: 'backwards',
    });
    expect(bad.body.error.details).toEqual([{ path: 'points[1].date', problem: 'must be after the previous point' }]);
    expect((await as(pi).put(`/v1/allocations/${id}/plan`, { points: [{ date: '2026-04-01', share: 0.001 }], reason: 'data preparation first' })).status).toBe(200);
    // 4 GPUs for 5 hours: 20 credits, more than 20% of what the plan expects by February
    await ingestUsage('spc', [{ cluster: 'spc', jobId: `j-${id}`, allocationId: id, resource: 'h200', user: 'bob', gpus: 4, start: '2026-01-10T00:00:00Z', end: '2026-01-10T05:00:00Z', elapsedSeconds: 5 * 3600 }], {
      actor: { sub: 'system:connector-spc', role: 'system' },
      requestId: 'usage',
    });
    const out = await runDaily('2026-02-01T00:15:00Z');
    expect(out.idle.actions).toMatchObject({ clear: 1, warn: 0 });
    const rec = (await as(pi).get(`/v1/allocations/${id}/accountability`)).body;
    expect(rec.idle).toEqual({});
    expect(rec.plan).toMatchObject({ points: [{ date: '2026-04-01', share: 0.001 }], reason: 'data preparation first' });
  });
});

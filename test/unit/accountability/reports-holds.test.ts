// Reports, reminders, holds and tranches through the API function and the daily job, against
// DynamoDB Local, with the clock moved by the test: a report is due, reminded, overdue, the
// allocation held (dispatch refused with a named reason, AllocationSuspended for the connectors),
// then the report accepted: the hold lifted and the second tranche released as a ledger entry.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { callerToContext } from '../../../lambdas/shared/http/caller';
import { consistency } from '../../../lambdas/ledger/service';
import { getAllocation, listEntries } from '../../../lambdas/ledger/store';
import { recordProvisioned } from '../../../lambdas/connectors/allocation-writes';
import { admin, as, auditor, award, chair, fixture, member, newCall, pi, reportBody, reviewer, runDaily, stranger, TWO_TRANCHES, type Fixture } from './support';

let f: Fixture;
beforeAll(async () => {
  f = await fixture();
});
afterAll(async () => {
  await f?.stop();
});

const dispatch = async (allocationId: string) => {
  const { handler } = require('../../../lambdas/jobs/handler') as typeof import('../../../lambdas/jobs/handler');
  const res = (await handler({
    httpMethod: 'POST',
    resource: '/v1/allocations/{id}/jobs',
    path: `/v1/allocations/${allocationId}/jobs`,
    pathParameters: { id: allocationId },
    queryStringParameters: null,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ site: 'spc', resource: 'h200', script: '#!/bin/bash\nsleep 1\n', gpus: 1, timeLimit: 5 }),
    isBase64Encoded: false,
    requestContext: { requestId: 'dispatch', authorizer: callerToContext(member) },
  } as unknown as APIGatewayProxyEvent)) as { statusCode: number; body: string };
  return { status: res.statusCode, body: JSON.parse(res.body) };
};

describe('a two-tranche award with a report schedule', () => {
  let callId: string;
  let id: string;
  beforeAll(async () => {
    callId = await newCall(TWO_TRANCHES);
    id = (await award({ callId, credits: { 'spc/h200': 800 }, startDate: '2026-03-01' })).id;
  });

  it('grants the first half at the award and lists the schedule, the tranches and the reminder times', async () => {
    const { allocation } = await getAllocation(id);
    expect(allocation.resources['spc/h200']).toMatchObject({ awardedMc: 400_000, balanceMc: 400_000 });
    const r = await as(pi).get(`/v1/allocations/${id}/accountability`);
    expect(r.status).toBe(200);
    expect(r.body.reports.map((x: any) => [x.reportId, x.dueDate, x.status])).toEqual([
      ['month-1', '2026-04-01', 'pending'],
      ['month-3', '2026-06-01', 'pending'],
      ['month-9', '2026-12-01', 'pending'],
      ['final', '2027-03-31', 'pending'],
    ]);
    expect(r.body.reports[0].reminders).toMatchObject({ before: '2026-03-25T00:00:00.000Z', on: '2026-04-01T00:00:00.000Z', overdue: '2026-04-02T00:00:00.000Z', sent: [] });
    expect(r.body.reports[0].holdsOn).toBe('2026-04-16');
    expect(r.body.tranches).toEqual([
      expect.objectContaining({ trancheId: 't1', share: 0.5, releaseOn: 'start', credits: { 'spc/h200': 400 }, released: true, releaseReason: 'the award' }),
      expect.objectContaining({ trancheId: 't2', share: 0.5, releaseOn: 'report-accepted', report: 'month-1', credits: { 'spc/h200': 400 }, released: false }),
    ]);
    expect(r.body.committed).toEqual({ 'spc/h200': 800 });
    // others: a stranger does not learn it exists; staff see it
    expect((await as(stranger).get(`/v1/allocations/${id}/accountability`)).status).toBe(404);
    expect((await as(auditor).get(`/v1/allocations/${id}/accountability`)).status).toBe(200);
    expect((await as(reviewer).get(`/v1/allocations/${id}/accountability`)).status).toBe(403);
    expect((await as(undefined).get(`/v1/allocations/${id}/accountability`)).status).toBe(401);
  });

  it('reminds before, on and after the due date, then holds: dispatch refused with allocation_on_hold and AllocationSuspended sent', async () => {
    await runDaily('2026-03-20T00:15:00Z');
    expect(f.published.filter((e) => e.type === 'ReportReminder' && e.detail.allocationId === id)).toHaveLength(0);
    for (const day of ['2026-03-25', '2026-04-01', '2026-04-02', '2026-04-10']) await runDaily(`${day}T00:15:00Z`);
    const reminders = f.published.filter((e) => e.type === 'ReportReminder' && e.detail.allocationId === id);
    expect(reminders.map((e) => e.detail.stage)).toEqual(['before', 'on', 'overdue']);
    expect(reminders[2].detail.figures).toMatchObject({ reportId: 'month-1', dueDate: '2026-04-01', daysOverdue: 1, graceDays: 14, holdOn: '2026-04-16' });
    expect((await getAllocation(id)).allocation.state).toBe('pending-provisioning');

    // provisioned meanwhile (as the connectors would record it), so dispatch would otherwise go ahead
    await recordProvisioned(id, [{ resourceKey: 'spc/h200', siteId: 'spc', account: 'kairr-test-acct' }], { actor: { sub: 'system:connector-spc', role: 'system' }, requestId: 'prov' });
    const out = await runDaily('2026-04-16T00:15:00Z');
    expect(out.timers).toMatchObject({ holds: 1, failed: 0 });
    const { allocation } = await getAllocation(id);
    expect(allocation.state).toBe('suspended');
    expect(allocation.stateReason).toMatch(/^on hold: the month-1 report was due on 2026-04-01 and is still outstanding after the 14-day grace period/);
    expect(f.published).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'AllocationSuspended', detail: expect.objectContaining({ allocationId: id, reason: 'report-overdue', reportIds: ['month-1'] }) })]));
    expect(f.published.filter((e) => e.type === 'ReportReminder' && e.detail.allocationId === id).at(-1)!.detail.stage).toBe('hold');
    const refused = await dispatch(id);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'allocation_on_hold', details: [{ path: 'id', problem: 'allocation is on hold for an overdue report' }] });
    expect(refused.body.error.message).toContain('New jobs are refused; running jobs finish');
    // the hold is recorded with the figures, and a second run the same day changes nothing
    const rec = (await as(pi).get(`/v1/allocations/${id}/accountability`)).body;
    expect(rec.hold).toMatchObject({ reportIds: ['month-1'], explanation: { figures: { dueDate: '2026-04-01', daysOverdue: 15, graceDays: 14 } } });
    expect((await runDaily('2026-04-16T00:20:00Z')).timers).toMatchObject({ due: 0, holds: 0 });
  });

  it('refuses a report for a period not yet open, one over its limit, and a malformed DOI, each by name', async () => {
    f.clock.set('2026-04-17T09:00:00Z');
    const month9 = await as(pi).post(`/v1/allocations/${id}/reports/month-9`, reportBody());
    expect(month9.status).toBe(422);
    expect(month9.body.error).toMatchObject({ code: 'report_period_not_open', details: [{ path: 'reportId', problem: 'opens on 2026-06-01' }] });
    const long = await as(pi).post(`/v1/allocations/${id}/reports/month-1`, reportBody({ progress: 'word '.repeat(520) }));
    expect(long.status).toBe(422);
    expect(long.body.error.code).toBe('report_over_limit');
    expect(long.body.error.details[0].problem).toMatch(/has \d+ words; the limit is 500/);
    const doi = await as(pi).post(`/v1/allocations/${id}/reports/month-1`, reportBody({ outcomes: [{ kind: 'publication', doi: '10.1145/not a doi', title: 'x', venue: 'y', year: 2026 }] }));
    expect(doi.status).toBe(400);
    expect(doi.body.error).toMatchObject({ code: 'malformed_doi', details: [{ path: 'outcomes[0].doi' }] });
    const missing = await as(pi).post(`/v1/allocations/${id}/reports/month-1`, { language: 'de', progress: '' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d: any) => d.path).sort()).toEqual(['language', 'progress']);
    expect((await as(pi).post(`/v1/allocations/${id}/reports/month-7`, reportBody())).status).toBe(404);
  });

  it('takes a retried submission with the same Idempotency-Key as one report; only the PI may submit', async () => {
    const headers = { 'idempotency-key': 'report-month-1-try-1' };
    expect((await as(member).post(`/v1/allocations/${id}/reports/month-1`, reportBody(), headers)).status).toBe(403);
    expect((await as(stranger).post(`/v1/allocations/${id}/reports/month-1`, reportBody(), headers)).status).toBe(404);
    expect((await as(chair).post(`/v1/allocations/${id}/reports/month-1`, reportBody(), headers)).status).toBe(403);
    const first = await as(pi).post(`/v1/allocations/${id}/reports/month-1`, reportBody(), headers);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ reportId: 'month-1', status: 'submitted', version: 1 });
    const again = await as(pi).post(`/v1/allocations/${id}/reports/month-1`, reportBody(), headers);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await as(pi).post(`/v1/allocations/${id}/reports/month-1`, reportBody({ problems: 'different' }), headers);
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    const twice = await as(pi).post(`/v1/allocations/${id}/reports/month-1`, reportBody(), { 'idempotency-key': 'report-month-1-try-2' });
    expect(twice.body.error.code).toBe('report_under_review');
    const got = await as(member).get(`/v1/allocations/${id}/reports/month-1`);
    expect(got.body.versions).toHaveLength(1);
    expect(got.body.latest.body.outcomes[0].doi).toBe('10.1145/3580305.3599256');
    // still on hold: submitting is not accepting
    expect((await getAllocation(id)).allocation.state).toBe('suspended');
  });

  it('returns a report with comments (chair or admin only), then accepts the resubmission: hold lifted, second tranche released', async () => {
    for (const who of [pi, member, reviewer, auditor]) expect((await as(who).post(`/v1/allocations/${id}/reports/month-1/review`, { decision: 'accept', comments: 'fine' })).status).toBe(403);
    const back = await as(chair).post(`/v1/allocations/${id}/reports/month-1/review`, { decision: 'return', comments: 'Please add the evaluation numbers.' });
    expect(back.status).toBe(200);
    expect(back.body.report).toMatchObject({ status: 'returned', comments: 'Please add the evaluation numbers.', dueDate: '2026-05-01' });
    expect((await as(chair).post(`/v1/allocations/${id}/reports/month-1/review`, { decision: 'accept', comments: 'fine' })).body.error.code).toBe('report_not_submitted');
    f.clock.set('2026-04-20T09:00:00Z');
    expect((await as(pi).post(`/v1/allocations/${id}/reports/month-1`, reportBody({ progress: 'KLUE: 71.2 average. We pretrained the 1B model on 40B tokens.' }))).body.version).toBe(2);

    const ok = await as(admin).post(`/v1/allocations/${id}/reports/month-1/review`, { decision: 'accept', comments: 'Thank you.' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ releasedTranches: ['t2'], holdLifted: true, report: { status: 'accepted' } });
    const { allocation } = await getAllocation(id);
    expect(allocation.state).toBe('active');
    expect(allocation.stateReason).toBeUndefined();
    expect(allocation.resources['spc/h200']).toMatchObject({ awardedMc: 800_000, balanceMc: 800_000 });
    expect(f.published).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'AllocationResumed', detail: expect.objectContaining({ allocationId: id, reason: 'report-accepted' }) }),
        expect.objectContaining({ type: 'AllocationSupplemented', detail: expect.objectContaining({ allocationId: id, kind: 'tranche', tranches: ['t2'] }) }),
      ]),
    );
    // the ledger holds one tranche entry; balances still equal the sum of their entries
    const entries = (await listEntries(id, { limit: 100, all: true })).items;
    expect(entries.map((e) => [e.kind, e.amountMc])).toEqual([
      ['award', 400_000],
      ['tranche', 400_000],
    ]);
    expect((await consistency(id)).ok).toBe(true);
    expect((await as(admin).post(`/v1/allocations/${id}/reports/month-1/review`, { decision: 'accept', comments: 'again' })).body.error.code).toBe('report_already_accepted');
  });

  it('refuses a tranche released twice, by name; only a chair or an admin outside the allocation releases by hand', async () => {
    expect((await as(pi).post(`/v1/allocations/${id}/tranches/t2/release`, { reason: 'more please' })).status).toBe(403);
    const twice = await as(chair).post(`/v1/allocations/${id}/tranches/t2/release`, { reason: 'release it again' });
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({ code: 'tranche_already_released', details: [{ path: 'trancheId', problem: 'is already released' }] });
    expect((await as(chair).post(`/v1/allocations/${id}/tranches/t9/release`, { reason: 'no such tranche' })).status).toBe(404);
    expect((await getAllocation(id)).allocation.resources['spc/h200'].awardedMc).toBe(800_000);
  });
});

describe('call policies', () => {
  it('only admins set them; anyone signed in reads them; a bad policy names its fields', async () => {
    const callId = await newCall();
    expect((await as(chair).put(`/v1/calls/${callId}/accountability`, TWO_TRANCHES)).status).toBe(403);
    expect((await as(undefined).get(`/v1/calls/${callId}/accountability`)).status).toBe(401);
    expect((await as(pi).get(`/v1/calls/${callId}/accountability`)).status).toBe(404);
    const bad = await as(admin).put(`/v1/calls/${callId}/accountability`, {
      ...TWO_TRANCHES,
      tranches: [
        { share: 0.6, releaseOn: 'start' },
        { share: 0.6, releaseOn: 'manual' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'tranches', problem: 'shares add up to 1.2, not 1' }]);
    expect((await as(admin).put('/v1/calls/call-01jd3x8e0c7k9m2n4p6q8r0s2t/accountability', TWO_TRANCHES)).status).toBe(404);
    expect((await as(admin).put(`/v1/calls/${callId}/accountability`, TWO_TRANCHES)).status).toBe(200);
    expect((await as(pi).get(`/v1/calls/${callId}/accountability`)).body.policy.tranches).toHaveLength(2);
  });
});

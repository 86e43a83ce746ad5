// The public record without a token: paged, filtered, CSV, cacheable (Cache-Control, ETag), no
// personal data (the PI only when opted in; an award unlisted while the chair decides and once the
// chair accepts), and aggregates that match the ledger. Against DynamoDB Local.
import { getAllocation, listEntries } from '../../../lambdas/ledger/store';
import { publicMetrics } from '../../../lambdas/accountability/public';
import { admin, as, auditor, award, chair, draftProposal, fixture, member, newCall, pi, reportBody, runDaily, stranger, TWO_TRANCHES, type Fixture } from './support';

let f: Fixture;
let callA: string;
let callB: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  f = await fixture((c) => ({ ...c, policy: { ...c.policy, accountability: { ...c.policy.accountability, regions: { KAIST: 'Daejeon', 'Hangul AI': 'Seoul', POSTECH: 'Gyeongbuk' } } } }));
  callA = await newCall(TWO_TRANCHES);
  callB = await newCall();
  const proposalId = await draftProposal(callA);
  ids.kaist = (await award({ callId: callA, credits: { 'spc/h200': 800 }, startDate: '2026-03-01', proposalId, provisioned: true })).id;
  ids.startup = (await award({ callId: callA, credits: { 'spc/h200': 300 }, startDate: '2026-03-05', institution: 'Hangul AI', orgType: 'startup', field: 'linguistics', provisioned: true })).id;
  ids.postech = (await award({ callId: callB, credits: { 'kisti6/gh200': 500 }, startDate: '2026-04-01', institution: 'POSTECH', field: 'physics', provisioned: true })).id;
  ids.hidden = (await award({ callId: callB, credits: { 'kisti6/gh200': 100 }, startDate: '2026-04-02', institution: 'POSTECH', field: 'physics', title: 'Stealth project', provisioned: true })).id;
});
afterAll(async () => {
  await f?.stop();
});

describe('the listing', () => {
  it('lists awards newest first without a token, cacheable, with nothing personal in it', async () => {
    const res = await as(undefined).get('/v1/public/awards');
    expect(res.status).toBe(200);
    expect(res.body.items.map((x: any) => x.allocationId)).toEqual([ids.hidden, ids.postech, ids.startup, ids.kaist]);
    expect(res.headers['cache-control']).toBe('public, max-age=300, s-maxage=300');
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const k = res.body.items.find((x: any) => x.allocationId === ids.kaist);
    expect(k).toMatchObject({
      callId: callA,
      title: 'Scaling laws for Korean LLMs',
      organisation: 'KAIST',
      orgType: 'university',
      region: 'Daejeon',
      field: 'computer-science',
      resources: [{ resource: 'spc/h200', awarded: 400, used: 0 }],
      credits: { awarded: 400, used: 0, committed: 800 },
    });
    expect(k.pi).toBeUndefined();
    for (const personal of [pi.sub, member.sub, 'alice', 'bob', 'kaist.example', 'Kim Ji-woo']) expect(res.text).not.toContain(personal);
    // the same answer again: the client's cached copy is still good
    const again = await as(undefined).get('/v1/public/awards', { 'if-none-match': res.headers.etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    // a token is not needed, and does not change what is shown
    expect((await as(auditor).get('/v1/public/awards')).body).toEqual(res.body);
  });

  it('takes the first page in two DynamoDB round trips (one query, one batch read of the allocations)', async () => {
    await as(undefined).get('/v1/public/awards?limit=2');
    expect(publicMetrics.roundTrips).toBe(2);
  });

  it('pages, filters by call, field, org type and region, and refuses a token from another list', async () => {
    const p1 = await as(undefined).get('/v1/public/awards?limit=3');
    expect(p1.body.items).toHaveLength(3);
    const p2 = await as(undefined).get(`/v1/public/awards?limit=3&nextToken=${p1.body.nextToken}`);
    expect(p2.body.items.map((x: any) => x.allocationId)).toEqual([ids.kaist]);
    expect(p2.body.nextToken).toBeUndefined();
    const byCall = await as(undefined).get(`/v1/public/awards?callId=${callB}`);
    expect(byCall.body.items.map((x: any) => x.allocationId)).toEqual([ids.hidden, ids.postech]);
    expect((await as(undefined).get(`/v1/public/awards?callId=${callB}&nextToken=${p1.body.nextToken}`)).body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.nextToken' }] });
    expect((await as(undefined).get('/v1/public/awards?orgType=startup')).body.items.map((x: any) => x.allocationId)).toEqual([ids.startup]);
    expect((await as(undefined).get('/v1/public/awards?region=Gyeongbuk&field=physics')).body.items).toHaveLength(2);
    expect((await as(undefined).get('/v1/public/awards?limit=0')).body.error.details).toEqual([{ path: 'query.limit', problem: 'must be at least 1' }]);
    expect((await as(undefined).get('/v1/public/awards?format=xml')).status).toBe(400);
  });

  it('downloads as CSV, page by page (the next page in a Link header)', async () => {
    const csv = await as(undefined).get('/v1/public/awards?format=csv&limit=2');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="kairr-awards.csv"');
    expect(csv.headers['cache-control']).toBe('public, max-age=300, s-maxage=300');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe(
      'allocationId,callId,title,abstract,field,organisation,orgType,region,pi,startDate,endDate,state,resources,creditsAwarded,creditsUsed,creditsCommitted,publications,datasets,models,software,patents,startups,peopleTrained',
    );
    expect(lines).toHaveLength(3);
    expect(csv.headers.link).toMatch(/^<\/v1\/public\/awards\?[^>]*nextToken=[A-Za-z0-9_-]+[^>]*>; rel="next"$/);
    expect(csv.headers.link).toContain('format=csv');
    const next = await as(undefined).get(`/v1/public/awards?format=csv&limit=2&nextToken=${csv.headers['x-next-token']}`);
    expect(next.text.trim().split('\r\n')).toHaveLength(3);
  });
});

describe('privacy choices', () => {
  it('names the PI only when they opt in (only the PI may choose)', async () => {
    expect((await as(member).put(`/v1/allocations/${ids.kaist}/listing`, { showPi: true })).status).toBe(403);
    expect((await as(stranger).put(`/v1/allocations/${ids.kaist}/listing`, { showPi: true })).status).toBe(404);
    const res = await as(pi).put(`/v1/allocations/${ids.kaist}/listing`, { showPi: true });
    expect(res.body).toMatchObject({ showPi: true, piName: 'Kim Ji-woo', listed: true });
    expect((await as(undefined).get(`/v1/public/awards/${ids.kaist}`)).body.pi).toBe('Kim Ji-woo');
    await as(pi).put(`/v1/allocations/${ids.kaist}/listing`, { showPi: false });
    expect((await as(undefined).get(`/v1/public/awards/${ids.kaist}`)).body.pi).toBeUndefined();
  });

  it('keeps an award out while its request to stay unlisted waits, and after the chair accepts it; lists it again if rejected', async () => {
    expect((await as(pi).put(`/v1/allocations/${ids.hidden}/listing`, { showPi: false, unlisted: { reason: 'short' } })).status).toBe(400);
    const asked = await as(pi).put(`/v1/allocations/${ids.hidden}/listing`, { showPi: false, unlisted: { reason: 'A patent application is pending until June.' } });
    expect(asked.body).toMatchObject({ listed: false, unlisted: { state: 'requested' } });
    expect((await as(undefined).get(`/v1/public/awards/${ids.hidden}`)).status).toBe(404);
    expect((await as(undefined).get('/v1/public/awards')).body.items.map((x: any) => x.allocationId)).not.toContain(ids.hidden);
    for (const who of [pi, admin, auditor]) expect((await as(who).post(`/v1/allocations/${ids.hidden}/listing/decision`, { accept: true, comment: 'ok' })).status).toBe(403);
    const ok = await as(chair).post(`/v1/allocations/${ids.hidden}/listing/decision`, { accept: true, comment: 'Until the patent is filed.' });
    expect(ok.body).toMatchObject({ listed: false, unlisted: { state: 'accepted', decidedBy: chair.sub } });
    expect((await as(chair).post(`/v1/allocations/${ids.hidden}/listing/decision`, { accept: false, comment: 'again' })).body.error.code).toBe('unlisting_decided');
    expect((await as(chair).post(`/v1/allocations/${ids.postech}/listing/decision`, { accept: true, comment: 'none asked' })).body.error.code).toBe('no_unlisting_request');
    await as(pi).put(`/v1/allocations/${ids.startup}/listing`, { showPi: false, unlisted: { reason: 'We would rather not be listed at all.' } });
    await as(chair).post(`/v1/allocations/${ids.startup}/listing/decision`, { accept: false, comment: 'Public money: the award is listed.' });
    expect((await as(undefined).get(`/v1/public/awards/${ids.startup}`)).status).toBe(200);
  });
});

describe('outcomes and aggregates', () => {
  it("shows an accepted report's outcomes (people trained only as a count)", async () => {
    f.clock.set('2026-03-20T09:00:00Z');
    expect((await as(pi).post(`/v1/allocations/${ids.kaist}/reports/month-1`, reportBody())).status).toBe(201);
    expect((await as(undefined).get(`/v1/public/awards/${ids.kaist}`)).body.outcomes.publications).toBe(0);
    await as(chair).post(`/v1/allocations/${ids.kaist}/reports/month-1/review`, { decision: 'accept', comments: 'Good progress.' });
    const award = (await as(undefined).get(`/v1/public/awards/${ids.kaist}`)).body;
    expect(award.outcomes).toEqual({ publications: 1, datasets: 1, models: 0, software: 0, patents: 0, startups: 0, peopleTrained: 2 });
    expect(award.outcomeList).toEqual([
      { kind: 'dataset', catalogueId: 'ds-kowiki', purpose: 'pretraining', recordedAt: '2026-03-20' },
      { kind: 'publication', doi: '10.1145/3580305.3599256', title: 'Korean scaling laws', venue: 'KDD', year: 2026, purpose: 'pretraining', recordedAt: '2026-03-20' },
    ]);
    expect(award.credits).toEqual({ awarded: 800, used: 0, committed: 800 });
  });

  it('publishes figures that match the ledger, per call and over all, counting the unlisted award without showing it', async () => {
    expect((await as(undefined).get('/v1/public/stats')).status).toBe(404);
    await runDaily('2026-04-03T00:15:00Z');
    const all = await as(undefined).get('/v1/public/stats');
    expect(all.status).toBe(200);
    expect(all.headers['cache-control']).toBe('public, max-age=300, s-maxage=300');
    // the ledger: the sum of every award, tranche and return entry of each allocation
    let ledgerMc = 0;
    for (const id of Object.values(ids)) for (const e of (await listEntries(id, { limit: 100, all: true })).items) if (['award', 'tranche', 'reclaim', 'supplement', 'adjustment'].includes(e.kind)) ledgerMc += e.amountMc;
    expect(all.body.creditsAwarded * 1000).toBe(ledgerMc);
    // the startup's award has released its first half only (150 of 300)
    expect(all.body).toMatchObject({ callId: null, awards: 4, creditsAwarded: 1550, creditsUsed: 0 });
    expect(all.body.byCall.map((g: any) => [g.key, g.awards, g.creditsAwarded])).toEqual(
      [
        [callA, 2, 950],
        [callB, 2, 600],
      ].sort(),
    );
    expect(all.body.byRegion.map((g: any) => [g.key, g.creditsAwarded])).toEqual([
      ['Daejeon', 800],
      ['Gyeongbuk', 600],
      ['Seoul', 150],
    ]);
    expect(all.body.byOrgType.map((g: any) => [g.key, g.awards])).toEqual([
      ['startup', 1],
      ['university', 3],
    ]);
    expect(all.body.byField.find((g: any) => g.key === 'computer-science').outcomes.publications).toBe(1);
    // KAIST 800, POSTECH 600, Hangul AI 150: Gini = 2*(1*150 + 2*600 + 3*800)/(3*1550) - 4/3
    expect(all.body.concentration).toEqual({ organisations: 3, top10Share: 1, gini: Math.round(((2 * (150 + 2 * 600 + 3 * 800)) / (3 * 1550) - 4 / 3) * 10_000) / 10_000, giniIncludingUnfunded: expect.any(Number) });
    expect(all.body.overTime.map((g: any) => [g.key, g.awards])).toEqual([
      ['2026-Q1', 2],
      ['2026-Q2', 2],
    ]);
    const a = await as(undefined).get(`/v1/public/stats?callId=${callA}`);
    expect(a.body).toMatchObject({ callId: callA, awards: 2, creditsAwarded: 950 });
    const csv = await as(undefined).get(`/v1/public/stats?callId=${callA}&format=csv`);
    expect(csv.text.split('\r\n')[1]).toBe(`${callA},all,all,2,950,0,0,0,,1,1,0,0,0,0,2`);
    // nothing changed: the next day's run writes no new snapshot
    expect((await runDaily('2026-04-04T00:15:00Z')).stats.written).toBe(0);
    expect((await getAllocation(ids.kaist)).allocation.resources['spc/h200'].awardedMc).toBe(800_000);
  });
});

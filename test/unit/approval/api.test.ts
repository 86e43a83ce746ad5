// The approval API in-process: strict validation (every problem a 4xx naming the field, never a
// 500), Idempotency-Key, and who may see and do what.
import { admin, approvalFixture, as, assignmentOf, callBody, caller, chair, memberOf, newCall, newProposal, panel, pool, proposalBody, reviewBody, until, type ApprovalFixture } from './support';

let fx: ApprovalFixture;
beforeAll(async () => {
  fx = await approvalFixture();
});
afterAll(async () => {
  await fx?.stop();
});

let n = 0;
const researcher = () => caller(`api-researcher-${++n}`, ['researcher'], { username: `api${n}` });
const paths = (res: { body: any }) => (res.body?.error?.details ?? []).map((d: any) => d.path);

describe('calls', () => {
  it.each([
    ['a window that closes before it opens', { closesAt: new Date(Date.now() - 7200_000).toISOString() }, 'closesAt'],
    ['a resource no site has', { capacity: { 'spc/h999': 10 } }, 'capacity.spc/h999'],
    ['a malformed resource key', { capacity: { H200: 10 } }, 'capacity.H200'],
    ['a negative capacity', { capacity: { 'spc/h200': -5 } }, 'capacity.spc/h200'],
    ['a starter limit above the standard limit', { tiers: { starter: { maxCredits: 5_000 }, standard: { maxCredits: 2_000 } } }, 'tiers.starter.maxCredits'],
    ['a flagship panel no larger than the standard one', { tiers: { starter: { maxCredits: 0 }, standard: { maxCredits: 2_000, reviewers: 3 }, flagship: { reviewers: 3 } } }, 'tiers.flagship.reviewers'],
    ['a quorum above the panel', { tiers: { starter: { maxCredits: 0 }, standard: { maxCredits: 2_000, reviewers: 2, minReviews: 3 } } }, 'tiers.standard.minReviews'],
    ['floors above the whole capacity', { fairnessFloors: { university: 0.7, startup: 0.5 } }, 'fairnessFloors'],
    ['an unknown org type', { eligibleOrgTypes: ['charity'] }, 'eligibleOrgTypes[0]'],
    [
      'a reviewer twice in the pool',
      {
        reviewerPool: pool([
          { sub: 'x', institution: 'Ajou' },
          { sub: 'x', institution: 'Busan' },
        ]),
      },
      'reviewerPool[1].sub',
    ],
    ['a reviewer with a bad e-mail', { reviewerPool: [{ sub: 'x', name: 'X', email: 'not-an-email', institution: 'A', fields: ['cs'], maxLoad: 2 }] }, 'reviewerPool[0].email'],
    ['a zero review deadline', { reviewDeadlineHours: 0 }, 'reviewDeadlineHours'],
    ['an unknown field', { colour: 'blue' }, 'colour'],
  ])('refuses %s with a 400 naming the field', async (_what, patch, path) => {
    const res = await as(admin).post('/v1/calls', callBody(patch));
    expect(res.status).toBe(400);
    expect(paths(res)).toContain(path);
  });

  it('only admins create and edit calls', async () => {
    for (const who of [researcher(), chair, caller('rev', ['reviewer']), caller('aud', ['auditor'])]) {
      expect((await as(who).post('/v1/calls', callBody())).status).toBe(403);
    }
    const call = await newCall();
    expect((await as(chair).patch(`/v1/calls/${call.id}`, { title: 'Renamed' })).status).toBe(403);
    expect((await as(admin).patch(`/v1/calls/${call.id}`, { title: 'Renamed call' })).body.title).toBe('Renamed call');
  });

  it('replays a create with the same Idempotency-Key, and refuses the key with another body', async () => {
    const key = { 'idempotency-key': `call-create-${Date.now()}` };
    const body = callBody({ title: 'Idempotent call' });
    const first = await as(admin).post('/v1/calls', body, key);
    const again = await as(admin).post('/v1/calls', body, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await as(admin).post('/v1/calls', callBody({ title: 'Another call' }), key)).status).toBe(409);
  });

  it('lists open calls to everyone, without the reviewer pool; other statuses to staff only', async () => {
    const open = await newCall({ title: 'Visible open call' });
    const r = researcher();
    const list = await as(r).get('/v1/calls?limit=200');
    expect(list.status).toBe(200);
    const mine = list.body.items.find((c: any) => c.id === open.id);
    expect(mine).toMatchObject({ status: 'open', title: 'Visible open call' });
    expect(mine.reviewerPool).toBeUndefined();
    expect((await as(r).get(`/v1/calls/${open.id}`)).body.reviewerPool).toBeUndefined();
    expect((await as(admin).get(`/v1/calls/${open.id}`)).body.reviewerPool).toHaveLength(3);
    expect((await as(r).get('/v1/calls?status=all')).status).toBe(403);
    expect((await as(admin).get('/v1/calls?status=all')).status).toBe(200);
    expect((await as(r).get('/v1/calls?nextToken=forged')).status).toBe(400);
  });

  it('pages through the calls with an opaque token, each call once', async () => {
    for (let i = 0; i < 3; i++) await newCall({ title: `Paged call ${i}` });
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await as(researcher()).get(`/v1/calls?limit=2${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((c: any) => c.id));
      token = res.body.nextToken;
      pages++;
    } while (token && pages < 100);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(pages).toBeGreaterThanOrEqual(2);
  });

  it('refuses to cut capacity below what is already awarded', async () => {
    const call = await newCall();
    const r = researcher();
    const p = await newProposal(r, call.id, { credits: { 'spc/h200': 90 } });
    await as(r).post(`/v1/proposals/${p.id}/submit`);
    await until('the starter award', async () => ((await as(r).get(`/v1/proposals/${p.id}`)).body.state === 'approved' ? true : undefined));
    const res = await as(admin).patch(`/v1/calls/${call.id}`, { capacity: { 'spc/h200': 50, 'kisti6/gh200': 5_000 } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'capacity.spc/h200', problem: 'cannot be below the 90 credits already awarded' }]);
  });
});

describe('proposals', () => {
  let callId: string;
  beforeAll(async () => {
    callId = (await newCall({ capacity: { 'spc/h200': 10_000 } })).id;
  });

  it.each([
    ['a short title', { title: 'AI' }, 'title'],
    ['a short abstract', { abstract: 'Too short.' }, 'abstract'],
    ['a PI e-mail that is not one', { pi: { name: 'Kim', email: 'kim', institution: 'KAIST', orgType: 'university' } }, 'pi.email'],
    ['an unknown org type', { pi: { name: 'Kim', email: 'kim@kaist.example', institution: 'KAIST', orgType: 'charity' } }, 'pi.orgType'],
    ['a team member without an e-mail', { team: [{ name: 'Lee', institution: 'KAIST', role: 'student' }] }, 'team[0].email'],
    [
      'a team member twice',
      {
        team: [
          { name: 'Lee', email: 'lee@x.example', institution: 'KAIST', role: 'student' },
          { name: 'Lee2', email: 'LEE@x.example', institution: 'KAIST', role: 'student' },
        ],
      },
      'team[1].email',
    ],
    ['an unknown team role', { team: [{ name: 'Lee', email: 'lee@x.example', institution: 'KAIST', role: 'boss' }] }, 'team[0].role'],
    ['an unknown purpose', { workload: { purpose: 'mining', precision: 'bf16', dataset: { sizeGB: 1, location: { siteId: 'spc' } }, memoryPerGpuGB: 10, interconnect: 'none' } }, 'workload.purpose'],
    ['an unknown precision', { workload: { purpose: 'inference', precision: 'int3', dataset: { sizeGB: 1, location: { siteId: 'spc' } }, memoryPerGpuGB: 10, interconnect: 'none' } }, 'workload.precision'],
    ['a negative dataset size', { workload: { purpose: 'inference', precision: 'bf16', dataset: { sizeGB: -1, location: { siteId: 'spc' } }, memoryPerGpuGB: 10, interconnect: 'none' } }, 'workload.dataset.sizeGB'],
    ['a resource no site has', { credits: { 'spc/h999': 10 } }, 'credits.spc/h999'],
    ['a site that does not exist', { credits: { 'nowhere/h200': 10 } }, 'credits.nowhere/h200'],
    ['a resource the call does not offer', { credits: { 'kisti6/gh200': 10 } }, 'credits.kisti6/gh200'],
    ['zero credits', { credits: { 'spc/h200': 0 } }, 'credits.spc/h200'],
    ['more than one proposal may ask', { credits: { 'spc/h200': 6_000 } }, 'credits'],
    ["more than the starter tier's limit", { tier: 'starter', credits: { 'spc/h200': 500 } }, 'credits'],
    ['credits and a recommendation at once', { recommend: true }, 'recommend'],
    ['a duration of zero months', { durationMonths: 0 }, 'durationMonths'],
    ['a dataset with a bad URI', { datasets: [{ name: 'x', uri: 'not a uri' }] }, 'datasets[0].uri'],
    ['an unknown field', { budget: 5 }, 'budget'],
    ['a call that does not exist', { callId: 'call-01aaaaaaaaaaaaaaaaaaaaaaaa' }, 'callId'],
  ])('refuses %s with a 400 naming the field', async (_what, patch, path) => {
    const res = await as(researcher()).post('/v1/proposals', proposalBody(callId, patch));
    expect(res.status).toBe(400);
    expect(paths(res)).toContain(path);
  });

  it('accepts an incomplete draft, and refuses to submit it with a 422 naming each missing field', async () => {
    const r = researcher();
    const res = await as(r).post('/v1/proposals', { callId, title: 'Just a title for now' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ state: 'draft', round: 0, credits: {}, totalCredits: 0 });
    const submit = await as(r).post(`/v1/proposals/${res.body.id}/submit`);
    expect(submit.status).toBe(422);
    expect(paths(submit).sort()).toEqual(['abstract', 'credits', 'durationMonths', 'field', 'justification', 'pi', 'workload'].sort());
  });

  it('fills the request from the recommender when asked (recommend: true)', async () => {
    const r = researcher();
    const { credits: _c, ...big } = proposalBody(callId);
    // 7B parameters on 2e11 tokens: the recommender's estimate is over what one proposal may ask here
    const tooBig = await as(r).post('/v1/proposals', { ...big, recommend: true });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.details).toEqual([{ path: 'credits', problem: expect.stringMatching(/more than the 5000 one proposal may ask .*\(as recommended for the workload\)$/) }]);
    const body = { ...big, workload: { ...big.workload, trainingTokens: 5e10 } };
    const res = await as(r).post('/v1/proposals', { ...body, recommend: true });
    expect(res.status).toBe(201);
    expect(res.body.recommend).toBe(true);
    expect(Object.keys(res.body.credits)).toEqual(['spc/h200']);
    expect(res.body.credits['spc/h200']).toBeGreaterThan(0);
    expect(res.body.recommendation).toMatchObject({ resource: 'spc/h200', credits: res.body.credits['spc/h200'] });
    const noTokens = await as(r).post('/v1/proposals', { ...body, recommend: true, workload: { ...body.workload, trainingTokens: undefined } });
    expect(noTokens.status).toBe(400);
    expect(paths(noTokens)).toEqual(['workload.trainingTokens']);
  });

  it('replays a create with the same Idempotency-Key (one proposal), and refuses the key with another body', async () => {
    const r = researcher();
    const key = { 'idempotency-key': `prop-create-${Date.now()}` };
    const a = await as(r).post('/v1/proposals', proposalBody(callId), key);
    const b = await as(r).post('/v1/proposals', proposalBody(callId), key);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).toBe(a.body.id);
    expect((await as(r).get('/v1/proposals')).body.items).toHaveLength(1);
    expect((await as(r).post('/v1/proposals', proposalBody(callId, { title: 'Something else entirely' }), key)).status).toBe(409);
    expect((await as(r).post('/v1/proposals', proposalBody(callId), { 'idempotency-key': 'short' })).status).toBe(400);
  });

  it("shows a researcher only their own proposals, and answers 404 for anyone else's", async () => {
    const [owner, other] = [researcher(), researcher()];
    const p = await newProposal(owner, callId);
    expect((await as(owner).get('/v1/proposals')).body.items.map((x: any) => x.id)).toEqual([p.id]);
    expect((await as(other).get('/v1/proposals')).body.items).toEqual([]);
    expect((await as(other).get(`/v1/proposals/${p.id}`)).status).toBe(404);
    expect((await as(other).patch(`/v1/proposals/${p.id}`, { title: 'Stolen title here' })).status).toBe(404);
    expect((await as(other).post(`/v1/proposals/${p.id}/submit`)).status).toBe(404);
    expect((await as(other).post(`/v1/proposals/${p.id}/withdraw`)).status).toBe(404);
    expect((await as(other).get(`/v1/proposals/${p.id}/decision`)).status).toBe(404);
    expect((await as(caller('rev-x', ['reviewer'])).get(`/v1/proposals/${p.id}`)).status).toBe(404);
    expect((await as(caller('rev-x', ['reviewer'])).get('/v1/proposals')).status).toBe(403);
    expect((await as(caller('rev-x', ['reviewer'])).post('/v1/proposals', proposalBody(callId))).status).toBe(403);
    expect((await as(admin).get(`/v1/proposals/${p.id}`)).body.ownerSub).toBe(owner.sub);
  });

  it('refuses a submission after the call has closed (422), and edits of a submitted proposal (409)', async () => {
    const call = await newCall();
    const r = researcher();
    const late = await newProposal(r, call.id);
    const onTime = await newProposal(r, call.id, { title: 'Submitted in time' });
    expect((await as(r).post(`/v1/proposals/${onTime.id}/submit`)).status).toBe(202);
    expect((await as(r).patch(`/v1/proposals/${onTime.id}`, { title: 'Changed after submission' })).status).toBe(409);
    await as(admin).patch(`/v1/calls/${call.id}`, { closesAt: new Date(Date.now() - 1000).toISOString(), reason: 'Closing the round' });
    const res = await as(r).post(`/v1/proposals/${late.id}/submit`);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'call_closed', details: [{ path: 'callId', problem: expect.stringMatching(/closed at/) }] });
    expect((await as(r).get(`/v1/proposals/${late.id}`)).body.state).toBe('draft');
    expect((await as(r).post('/v1/proposals', proposalBody(call.id))).status).toBe(422);
    await as(r).post(`/v1/proposals/${onTime.id}/withdraw`);
  });
});

describe('reviews and decisions', () => {
  let callId: string;
  beforeAll(async () => {
    callId = (
      await newCall({
        reviewerPool: pool([
          { sub: 'api-rev-a', institution: 'POSTECH' },
          { sub: 'api-rev-b', institution: 'UNIST' },
          { sub: 'api-rev-c', institution: 'GIST' },
          { sub: 'chair-in-pool', institution: 'KAIST' },
        ]),
      })
    ).id;
  });

  async function inReview(r = researcher(), overrides: Record<string, unknown> = {}) {
    const p = await newProposal(r, callId, overrides);
    await as(r).post(`/v1/proposals/${p.id}/submit`);
    const assigned = await panel(p.id, 2);
    return { r, p, assigned };
  }

  async function reviewed(r = researcher(), overrides: Record<string, unknown> = {}) {
    const x = await inReview(r, overrides);
    for (const s of x.assigned) {
      const who = caller(s, ['reviewer']);
      await assignmentOf(who, x.p.id);
      expect((await as(who).post(`/v1/proposals/${x.p.id}/reviews`, reviewBody())).status).toBe(201);
    }
    await until('awaiting a decision', async () => ((await as(admin).get(`/v1/proposals/${x.p.id}`)).body.stage === 'awaiting-decision' ? true : undefined));
    return x;
  }

  it('shows a reviewer only their own assignments and the proposals they are assigned to', async () => {
    const { p, assigned } = await inReview();
    const inside = caller(assigned[0], ['reviewer']);
    const outside = caller(['api-rev-a', 'api-rev-b', 'api-rev-c'].find((s) => !assigned.includes(s))!, ['reviewer']);
    expect((await as(inside).get('/v1/reviews/assignments')).body.items.map((a: any) => a.proposalId)).toContain(p.id);
    expect((await as(outside).get('/v1/reviews/assignments')).body.items.map((a: any) => a.proposalId)).not.toContain(p.id);
    const seen = await as(inside).get(`/v1/proposals/${p.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body.ownerSub).toBeUndefined();
    expect(seen.body.reviewSummary).toBeUndefined();
    expect((await as(outside).get(`/v1/proposals/${p.id}`)).status).toBe(404);
    expect((await as(outside).post(`/v1/proposals/${p.id}/reviews`, reviewBody())).status).toBe(404);
    expect((await as(outside).post(`/v1/proposals/${p.id}/conflicts`, { reason: 'I know them.' })).status).toBe(404);
    expect((await as(researcher()).get('/v1/reviews/assignments')).status).toBe(403);
    expect((await as(inside).get(`/v1/proposals/${p.id}/reviews`)).status).toBe(403);
    expect((await as(inside).get(`/v1/proposals/${p.id}/decision`)).status).toBe(403);
  });

  it('validates a review strictly, and takes it once', async () => {
    const { p, assigned } = await inReview();
    const who = caller(assigned[0], ['reviewer']);
    const bad = await as(who).post(`/v1/proposals/${p.id}/reviews`, { ...reviewBody(), scores: { merit: 6, feasibility: 0, impact: 3.5 } });
    expect(bad.status).toBe(400);
    expect(paths(bad).sort()).toEqual(['scores.feasibility', 'scores.impact', 'scores.merit', 'scores.resourceJustification']);
    expect(paths(await as(who).post(`/v1/proposals/${p.id}/reviews`, { ...reviewBody(), recommendation: 'maybe' }))).toEqual(['recommendation']);
    expect((await as(who).post(`/v1/proposals/${p.id}/reviews`, reviewBody())).status).toBe(201);
    expect((await as(who).post(`/v1/proposals/${p.id}/reviews`, reviewBody())).status).toBe(409);
  });

  it("lets the chair replace a pending reviewer, never with a conflicted one (the PI's organisation, by registry id)", async () => {
    const { p, assigned } = await inReview(memberOf('KAIST', `api-kaist-${++n}`));
    const conflicted = await as(chair).post(`/v1/proposals/${p.id}/reviewers/${assigned[0]}/replace`, { replacement: 'chair-in-pool', reason: 'Swap.' });
    expect(conflicted.status).toBe(422);
    expect(conflicted.body.error.details).toEqual([{ path: 'replacement', problem: "belongs to the PI's organisation" }]);
    const spare = ['api-rev-a', 'api-rev-b', 'api-rev-c'].find((s) => !assigned.includes(s))!;
    const res = await as(chair).post(`/v1/proposals/${p.id}/reviewers/${assigned[0]}/replace`, { replacement: spare, reason: 'Reviewer on leave.' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ replaced: assigned[0], assignment: { reviewerSub: spare, origin: 'chair', status: 'assigned' } });
    expect(await panel(p.id, 2)).toEqual(expect.arrayContaining([spare, assigned[1]]));
    expect((await as(caller(assigned[0], ['reviewer'])).post(`/v1/proposals/${p.id}/reviews`, reviewBody())).status).toBe(409);
    expect((await as(researcher()).post(`/v1/proposals/${p.id}/reviewers/${assigned[1]}/replace`, { reason: 'Nope.' })).status).toBe(403);
  });

  it('a chair cannot decide on their own proposal', async () => {
    const chairResearcher = caller('chair-researcher', ['chair', 'researcher'], { username: 'chairres' });
    const { p } = await reviewed(chairResearcher);
    const res = await as(chairResearcher).post(`/v1/proposals/${p.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 100 }, reason: 'Mine.' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/their own proposal/);
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'Decided by another chair.' })).status).toBe(200);
  });

  it('a chair cannot decide on a conflicted proposal: named on the team, or a declared conflict', async () => {
    const onTeam = await reviewed(researcher(), { team: [{ name: 'The Chair', email: 'chair@kairr.example', institution: 'KAIRR', role: 'co-investigator' }] });
    const teamRes = await as(chair).post(`/v1/proposals/${onTeam.p.id}/decision`, { decision: 'reject', reason: 'x x x' });
    expect(teamRes.status).toBe(403);
    expect(teamRes.body.error.message).toMatch(/named on the proposal's team/);
    expect((await as(chair).get(`/v1/proposals/${onTeam.p.id}/reviews`)).status).toBe(403);

    const declared = await reviewed();
    const chair3 = caller('chair-3', ['chair']);
    expect((await as(chair3).post(`/v1/proposals/${declared.p.id}/conflicts`, { reason: 'Former student of the PI.' })).status).toBe(201);
    const res = await as(chair3).post(`/v1/proposals/${declared.p.id}/decision`, { decision: 'reject', reason: 'x x x' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/declared a conflict/);
    const listed = (await as(chair3).get('/v1/proposals?state=in-review&limit=200')).body.items.find((x: any) => x.id === declared.p.id);
    expect(listed).toMatchObject({ conflicted: true });
    expect(listed.reviewSummary).toBeUndefined();
  });

  it('takes a retried review, conflict or decision once (Idempotency-Key, or the same decision sent again)', async () => {
    const { p, assigned } = await inReview();
    const key = { 'idempotency-key': `review-${p.id}` };
    for (const s of assigned) {
      const who = caller(s, ['reviewer']);
      await assignmentOf(who, p.id);
      const first = await as(who).post(`/v1/proposals/${p.id}/reviews`, reviewBody(), key);
      const again = await as(who).post(`/v1/proposals/${p.id}/reviews`, reviewBody(), key);
      expect([first.status, again.status]).toEqual([201, 201]);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
    }
    await until('awaiting a decision', async () => ((await as(admin).get(`/v1/proposals/${p.id}`)).body.stage === 'awaiting-decision' ? true : undefined));
    const awarded = async () => (await as(admin).get(`/v1/calls/${callId}`)).body.capacity.find((c: any) => c.resource === 'spc/h200').awarded;
    const before = await awarded();
    const body = { decision: 'approve', credits: { 'spc/h200': 300 }, reason: 'Fund part of it.' };
    const results = [await as(chair).post(`/v1/proposals/${p.id}/decision`, body), await as(chair).post(`/v1/proposals/${p.id}/decision`, body)];
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(await awarded()).toBe(before + 300);
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { ...body, reason: 'Changed my mind.' })).status).toBe(409);
    await until('the award', async () => ((await as(admin).get(`/v1/proposals/${p.id}`)).body.state === 'approved' ? true : undefined));
    expect(await awarded()).toBe(before + 300);
  });

  it('refuses an award above the request or for a resource not requested (422), and a decision out of turn (409)', async () => {
    const early = await inReview();
    expect((await as(chair).post(`/v1/proposals/${early.p.id}/decision`, { decision: 'reject', reason: 'Too early.' })).status).toBe(409);
    const { p } = await reviewed();
    const over = await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 5_000 }, reason: 'Generous.' });
    expect(over.status).toBe(422);
    expect(over.body.error.details).toEqual([{ path: 'credits.spc/h200', problem: 'is 5000 credits, more than the 1000 requested' }]);
    const other = await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'approve', credits: { 'kisti6/gh200': 5 }, reason: 'Other.' });
    expect(other.body.error.details).toEqual([{ path: 'credits.kisti6/gh200', problem: 'was not requested by the proposal' }]);
    const noReason = await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'reject' });
    expect(noReason.status).toBe(400);
    expect(paths(noReason)).toEqual(['reason']);
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'Not now.' })).status).toBe(200);
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'Again.' })).status).toBe(409);
    expect((await as(caller('rev-z', ['reviewer'])).post(`/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'Me.' })).status).toBe(403);
  });
});

// The approval capability over HTTP against the local runtime: the real ASL on the local Step
// Functions service (callbacks with their own task tokens), the bundled functions, DynamoDB Local.
// One test per flow path; the states each execution entered are read back through the Step
// Functions API (DescribeExecution, GetExecutionHistory, ListExecutions).
import { readFileSync } from 'node:fs';
import { callBody, createCall, createProposal, devClient, finished, identity, openPanel, proposalBody, review, runId, stageOf, stateOf, suiteTarget, until, type ApprovalTarget, type Client } from './approval-support';

let t: ApprovalTarget;
let admin: Client;
let chair: Client;
let reviewers: Record<string, Client>;
beforeAll(async () => {
  t = suiteTarget();
  // Against the suite's own local runtime, the flow's executions are read back through its Step Functions API.
  if (JSON.parse(readFileSync(process.env.KAIRR_E2E_TARGET!, 'utf8')).local) expect(t.sfn?.stateMachineArn).toMatch(/:stateMachine:Kairr-local-approval$/);
  admin = devClient(t, 'admin');
  chair = devClient(t, 'chair');
  reviewers = Object.fromEntries(await Promise.all(['ra', 'rb', 'rc', 'rkaist'].map(async (n) => [n, await identity(t, `e2e-${n}`, ['reviewer'])] as const)));
});

const pool = () => [
  { sub: reviewers.ra.sub, institution: 'POSTECH' },
  { sub: reviewers.rb.sub, institution: 'UNIST' },
  { sub: reviewers.rc.sub, institution: 'GIST' },
];
const bySub = (sub: string) => Object.values(reviewers).find((r) => r.sub === sub)!;
let n = 0;
const researcher = () => identity(t, `e2e-researcher-${++n}`, ['researcher']);

async function reviewedAndAwaiting(r: Client, callId: string, overrides: Record<string, unknown> = {}) {
  const p = await createProposal(r, proposalBody(callId, overrides));
  expect((await r.post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
  for (const s of await openPanel(admin, p.id, 2)) await review(bySub(s), p.id);
  await stageOf(chair, p.id, 'awaiting-decision');
  return p;
}

it('starter tier: a small request is approved automatically and awarded (pending-provisioning, award entries)', async () => {
  const call = await createCall(admin, callBody(pool()));
  const r = await researcher();
  const p = await createProposal(r, proposalBody(call.id, { credits: { 'spc/h200': 75 } }));
  expect((await r.post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
  const approved = await stateOf(r, p.id, 'approved');
  expect(approved).toMatchObject({ tier: 'starter', decision: { outcome: 'approve', automatic: true, credits: { 'spc/h200': 75 } } });
  const alloc = await r.get(`/v1/allocations/${approved.allocationId}`);
  expect(alloc.status).toBe(200);
  expect(alloc.body).toMatchObject({ state: 'pending-provisioning', proposalId: p.id, callId: call.id, tier: 'starter', piSub: r.sub });
  expect(alloc.body.balances).toEqual([expect.objectContaining({ resource: 'spc/h200', awarded: 75, balance: 75 })]);
  const ledger = await r.get(`/v1/allocations/${approved.allocationId}/ledger`);
  expect(ledger.body.items).toEqual([expect.objectContaining({ kind: 'award', resource: 'spc/h200', credits: 75 })]);
  const run = await finished(t, p.id);
  if (run) expect({ status: run.status, states: run.states }).toEqual({ status: 'SUCCEEDED', states: ['Check', 'CheckPassed', 'AutoApprove', 'AutoApproved', 'Award', 'Awarded'] });
});

it('standard tier: two reviewers in parallel, aggregated scores, a partial award by the chair', async () => {
  const call = await createCall(admin, callBody(pool()));
  const r = await researcher();
  const p = await reviewedAndAwaiting(r, call.id, { credits: { 'spc/h200': 1_500, 'kisti6/gh200': 400 } });
  const panel = await chair.get(`/v1/proposals/${p.id}/reviews`);
  expect(panel.body.reviewSummary).toMatchObject({ count: 2, quorum: true, overall: 4 });
  const listed = await chair.get(`/v1/proposals?state=in-review&callId=${call.id}`);
  expect(listed.body.items.map((x: any) => x.id)).toEqual([p.id]);
  const dec = await chair.post(`/v1/proposals/${p.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 1_000 }, reason: 'Strong; GH200 not justified.' });
  expect(dec.status).toBe(200);
  const approved = await stateOf(r, p.id, 'approved');
  const alloc = (await r.get(`/v1/allocations/${approved.allocationId}`)).body;
  expect(alloc.balances).toEqual([expect.objectContaining({ resource: 'spc/h200', awarded: 1_000 })]);
  const decision = (await r.get(`/v1/proposals/${p.id}/decision`)).body;
  expect(decision).toMatchObject({ state: 'approved', decision: { outcome: 'approve', credits: { 'spc/h200': 1_000 } }, allocationId: approved.allocationId });
  expect(decision.reviews.map((x: any) => x.reviewer)).toEqual(['Reviewer 1', 'Reviewer 2']);
  expect(JSON.stringify(decision)).not.toContain(runId); // no reviewer identity (their subs carry the run id)
  expect(JSON.stringify(decision)).not.toContain('For the committee only');
  const c = (await r.get(`/v1/calls/${call.id}`)).body;
  expect(c.capacity.find((x: any) => x.resource === 'spc/h200')).toMatchObject({ awarded: 1_000, remaining: 9_000 });
  const run = await finished(t, p.id);
  if (run) {
    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).toEqual(expect.arrayContaining(['AssignReviewers', 'CollectReviews', 'PrepareReview', 'Aggregate', 'AwaitDecision', 'Award', 'Awarded']));
    // Each slot ends with its review in (a review may arrive before its slot starts waiting: then no AwaitReview).
    expect(run.states.filter((s) => s === 'ReviewIn')).toHaveLength(2);
    expect(run.states).not.toContain('ReviewMissing');
    expect(run.events.some((e) => e.type === 'TaskSubmitted')).toBe(true);
  }
});

it("award plan: the chair plans the call's reviewed proposals with the bundled solver; stored, listed and read back", async () => {
  // Capacity 2,500; both proposals score 4 and ask 1,500 and 1,200 GPU-credits, all or nothing:
  // only one fits, and 4 × 1,500 beats 4 × 1,200.
  const call = await createCall(admin, callBody(pool(), { capacity: { 'spc/h200': 2_500 } }));
  const big = await reviewedAndAwaiting(await researcher(), call.id, { credits: { 'spc/h200': 1_500 } });
  const small = await reviewedAndAwaiting(await researcher(), call.id, { credits: { 'spc/h200': 1_200 } });
  expect((await (await researcher()).post(`/v1/calls/${call.id}/award-plan`, {})).status).toBe(403);
  const res = await chair.post(`/v1/calls/${call.id}/award-plan`, { minViableFraction: 1 });
  expect(res.status).toBe(201);
  const awarded = Object.fromEntries(res.body.plan.proposals.map((p: any) => [p.proposalId, p.awardedTotal]));
  expect(awarded).toEqual({ [big.id]: 1_500, [small.id]: 0 });
  expect(res.body.plan.objective).toBeCloseTo(6_000, 6);
  const list = await chair.get(`/v1/calls/${call.id}/award-plans`);
  expect(list.status).toBe(200);
  expect(list.body.items.map((x: any) => x.planId)).toEqual([res.body.planId]);
  const got = await chair.get(`/v1/calls/${call.id}/award-plans/${res.body.planId}`);
  expect(got.status).toBe(200);
  expect(got.body.input).toEqual(res.body.input);
});

it('rejection: the flow ends Rejected and nothing is awarded', async () => {
  const call = await createCall(admin, callBody(pool()));
  const r = await researcher();
  const p = await reviewedAndAwaiting(r, call.id);
  expect((await chair.post(`/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'The plan is not feasible in six months.' })).status).toBe(200);
  const rejected = await stateOf(r, p.id, 'rejected');
  expect(rejected.decision).toMatchObject({ outcome: 'reject', reason: 'The plan is not feasible in six months.' });
  expect(rejected.allocationId).toBeUndefined();
  const decision = (await r.get(`/v1/proposals/${p.id}/decision`)).body;
  expect(decision.reviews).toHaveLength(2);
  const run = await finished(t, p.id);
  if (run) expect(run.states.slice(-2)).toEqual(['Decided', 'Rejected']);
});

it('revision: back to the researcher, edited, resubmitted, reviewed again and approved', async () => {
  const call = await createCall(admin, callBody(pool()));
  const r = await researcher();
  const p = await reviewedAndAwaiting(r, call.id);
  expect((await chair.post(`/v1/proposals/${p.id}/decision`, { decision: 'revise', reason: 'Justify the token budget.' })).status).toBe(200);
  await stateOf(r, p.id, 'revision-requested');
  expect((await r.patch(`/v1/proposals/${p.id}`, { justification: 'A 64-GPU pilot reached 38% MFU; 2e11 tokens at 7B parameters need 1,000 H200 GPU-hours.' })).status).toBe(200);
  const resubmitted = await r.post(`/v1/proposals/${p.id}/submit`);
  expect(resubmitted.status).toBe(202);
  expect(resubmitted.body.round).toBe(2);
  for (const s of await openPanel(admin, p.id, 2, 2)) await review(bySub(s), p.id, 5);
  await stageOf(chair, p.id, 'awaiting-decision');
  expect((await chair.post(`/v1/proposals/${p.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 1_000 }, reason: 'Convincing now.' })).status).toBe(200);
  expect((await stateOf(r, p.id, 'approved')).round).toBe(2);
  const first = await finished(t, p.id, 1);
  if (first) expect(first.states.slice(-1)).toEqual(['RevisionRequested']);
  const second = await finished(t, p.id, 2);
  if (second) expect(second.states.slice(-1)).toEqual(['Awarded']);
});

it("conflicts: a reviewer from the PI's institution is never assigned and is refused on read", async () => {
  // Conflicts rest on registry ids (docs/security.md): the PI's organisation comes from their verified
  // e-mail matched to the registry, the reviewer's from the admin's pool entry.
  const kaist = `e2e-kaist-${runId}`;
  const org = await admin.post('/v1/orgs', { orgId: kaist, names: { ko: '한국과학기술원', en: 'KAIST' }, orgType: 'university', emailDomains: [`${kaist}.example`], homeOrganizations: [], entityIds: [] });
  expect(org.status).toBe(201);
  const call = await createCall(admin, callBody([...pool(), { sub: reviewers.rkaist.sub, institution: 'KAIST', orgId: kaist }]));
  const r = await identity(t, `e2e-researcher-${++n}`, ['researcher'], { email: `pi-${runId}@${kaist}.example`, email_verified: true });
  const p = await createProposal(r, proposalBody(call.id));
  expect((await r.post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
  const panel = await openPanel(admin, p.id, 2);
  expect(panel).not.toContain(reviewers.rkaist.sub);
  expect((await reviewers.rkaist.get(`/v1/proposals/${p.id}`)).status).toBe(404);
  expect((await reviewers.rkaist.get('/v1/reviews/assignments')).body.items.map((a: any) => a.proposalId)).not.toContain(p.id);
  expect((await reviewers.rkaist.post(`/v1/proposals/${p.id}/reviews`, { scores: { merit: 5, feasibility: 5, impact: 5, resourceJustification: 5 }, comments: 'I should not be able to do this.', recommendation: 'approve' })).status).toBe(
    404,
  );
  // an assigned reviewer declares a conflict: the slot goes to the third, and they can no longer read it
  const leaving = bySub(panel[0]);
  const declared = await leaving.post(`/v1/proposals/${p.id}/conflicts`, { reason: 'I co-authored a paper with the PI this year.' });
  expect(declared.status).toBe(201);
  expect(declared.body.reassigned).toBe(true);
  expect((await leaving.get(`/v1/proposals/${p.id}`)).status).toBe(404);
  const now = await openPanel(admin, p.id, 2);
  expect(now).not.toContain(leaving.sub);
  expect(now).not.toContain(reviewers.rkaist.sub);
  expect((await r.post(`/v1/proposals/${p.id}/withdraw`)).status).toBe(200);
  const run = await finished(t, p.id);
  if (run) expect(run.status).toBe('ABORTED');
});

it('the call window: a submission after the call closes is refused', async () => {
  const call = await createCall(admin, callBody(pool()));
  const r = await researcher();
  const p = await createProposal(r, proposalBody(call.id));
  expect((await admin.patch(`/v1/calls/${call.id}`, { closesAt: new Date(Date.now() - 60_000).toISOString(), reason: 'Round closed early' })).status).toBe(200);
  const res = await r.post(`/v1/proposals/${p.id}/submit`);
  expect(res.status).toBe(422);
  expect(res.body.error).toMatchObject({ code: 'call_closed', details: [{ path: 'callId', problem: expect.stringContaining('closed at') }] });
  expect((await r.get(`/v1/proposals/${p.id}`)).body.state).toBe('draft');
  expect((await r.get('/v1/calls')).body.items.map((c: any) => c.id)).not.toContain(call.id);
});

it('capacity: of two concurrent approvals that together exceed the call, exactly one succeeds', async () => {
  const call = await createCall(admin, callBody(pool(), { capacity: { 'spc/h200': 1_600 } }));
  const [r1, r2] = [await researcher(), await researcher()];
  const [p1, p2] = [await reviewedAndAwaiting(r1, call.id), await reviewedAndAwaiting(r2, call.id)];
  const otherChair = await identity(t, 'e2e-chair-2', ['chair']);
  const results = await Promise.all([
    chair.post(`/v1/proposals/${p1.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 1_000 }, reason: 'Fund in full.' }),
    otherChair.post(`/v1/proposals/${p2.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 1_000 }, reason: 'Fund in full.' }),
  ]);
  expect(results.map((x) => x.status).sort()).toEqual([200, 422]);
  const refused = results.find((x) => x.status === 422)!;
  expect(refused.body.error).toMatchObject({ code: 'capacity_exceeded', details: [{ path: 'credits.spc/h200', problem: expect.stringContaining('600') }] });
  const winner = results[0].status === 200 ? { p: p1, r: r1 } : { p: p2, r: r2 };
  await stateOf(winner.r, winner.p.id, 'approved');
  const c = (await admin.get(`/v1/calls/${call.id}`)).body;
  expect(c.capacity[0]).toMatchObject({ resource: 'spc/h200', capacity: 1_600, awarded: 1_000, remaining: 600 });
});

describe('authorization, both ways, for every endpoint', () => {
  let call: any;
  let owner: Client;
  let other: Client;
  let draft: any;
  let inReview: any;
  let assigned: Client;
  let unassigned: Client;
  let auditor: Client;
  let operator: Client;

  beforeAll(async () => {
    call = await createCall(admin, callBody(pool()));
    [owner, other] = [await researcher(), await researcher()];
    auditor = devClient(t, 'auditor');
    operator = devClient(t, 'site-operator');
    draft = await createProposal(owner, proposalBody(call.id, { title: 'A draft that stays a draft' }));
    inReview = await createProposal(owner, proposalBody(call.id));
    await owner.post(`/v1/proposals/${inReview.id}/submit`);
    const panel = await openPanel(admin, inReview.id, 2);
    assigned = bySub(panel[0]);
    unassigned = bySub(
      pool()
        .map((x) => x.sub)
        .find((s) => !panel.includes(s))!,
    );
  });

  const anonymous = () => new (devClient(t, 'admin').constructor as new (...a: unknown[]) => Client)(t, undefined, 'anonymous');

  it('GET/POST /v1/calls, GET/PATCH /v1/calls/{callId}', async () => {
    for (const who of [owner, assigned, chair, auditor, operator, admin]) expect((await who.get('/v1/calls')).status).toBe(200);
    expect((await anonymous().get('/v1/calls')).status).toBe(401);
    for (const who of [owner, assigned, chair, auditor, operator]) expect((await who.post('/v1/calls', callBody(pool()))).status).toBe(403);
    expect((await owner.get(`/v1/calls/${call.id}`)).body.reviewerPool).toBeUndefined();
    expect((await admin.get(`/v1/calls/${call.id}`)).body.reviewerPool).toHaveLength(3);
    for (const who of [owner, chair, auditor]) expect((await who.patch(`/v1/calls/${call.id}`, { title: 'Renamed by someone' })).status).toBe(403);
    expect((await admin.patch(`/v1/calls/${call.id}`, { description: 'Edited by the admin' })).status).toBe(200);
  });

  it('GET/POST /v1/proposals: a researcher lists only their own; only researchers create', async () => {
    expect((await owner.get('/v1/proposals')).body.items.map((x: any) => x.id).sort()).toEqual([draft.id, inReview.id].sort());
    expect((await other.get('/v1/proposals')).body.items).toEqual([]);
    for (const who of [assigned, operator]) expect((await who.get('/v1/proposals')).status).toBe(403);
    for (const who of [chair, admin, auditor]) expect((await who.get(`/v1/proposals?state=in-review&callId=${call.id}`)).body.items.map((x: any) => x.id)).toEqual([inReview.id]);
    for (const who of [assigned, chair, admin, auditor, operator]) expect((await who.post('/v1/proposals', proposalBody(call.id))).status).toBe(403);
  });

  it('GET/PATCH /v1/proposals/{id}: the PI, assigned reviewers and staff read; only the PI edits', async () => {
    expect((await owner.get(`/v1/proposals/${inReview.id}`)).status).toBe(200);
    expect((await other.get(`/v1/proposals/${inReview.id}`)).status).toBe(404);
    expect((await assigned.get(`/v1/proposals/${inReview.id}`)).status).toBe(200);
    expect((await unassigned.get(`/v1/proposals/${inReview.id}`)).status).toBe(404);
    expect((await assigned.get(`/v1/proposals/${draft.id}`)).status).toBe(404);
    for (const who of [chair, admin, auditor]) expect((await who.get(`/v1/proposals/${inReview.id}`)).status).toBe(200);
    expect((await operator.get(`/v1/proposals/${inReview.id}`)).status).toBe(403);
    expect((await owner.patch(`/v1/proposals/${draft.id}`, { title: 'A draft with a new title' })).status).toBe(200);
    expect((await other.patch(`/v1/proposals/${draft.id}`, { title: 'Hijacked draft title' })).status).toBe(404);
    for (const who of [assigned, chair, admin]) expect((await who.patch(`/v1/proposals/${draft.id}`, { title: 'Edited by staff here' })).status).toBe(403);
  });

  it('POST /v1/proposals/{id}/submit and /withdraw: the PI only', async () => {
    expect((await other.post(`/v1/proposals/${draft.id}/submit`)).status).toBe(404);
    expect((await other.post(`/v1/proposals/${draft.id}/withdraw`)).status).toBe(404);
    for (const who of [assigned, chair, admin, auditor]) {
      expect((await who.post(`/v1/proposals/${draft.id}/submit`)).status).toBe(403);
      expect((await who.post(`/v1/proposals/${draft.id}/withdraw`)).status).toBe(403);
    }
    expect((await owner.post(`/v1/proposals/${draft.id}/withdraw`)).status).toBe(200);
  });

  it('GET /v1/reviews/assignments: reviewers, each their own', async () => {
    expect((await assigned.get('/v1/reviews/assignments')).body.items.map((a: any) => a.proposalId)).toContain(inReview.id);
    expect((await unassigned.get('/v1/reviews/assignments')).body.items.map((a: any) => a.proposalId)).not.toContain(inReview.id);
    for (const who of [owner, chair, admin, auditor]) expect((await who.get('/v1/reviews/assignments')).status).toBe(403);
  });

  it('GET /v1/proposals/{id}/reviews: staff only, never the researcher or a reviewer', async () => {
    for (const who of [chair, admin, auditor]) expect((await who.get(`/v1/proposals/${inReview.id}/reviews`)).status).toBe(200);
    for (const who of [owner, assigned]) expect((await who.get(`/v1/proposals/${inReview.id}/reviews`)).status).toBe(403);
  });

  it('GET /v1/proposals/{id}/decision: the PI and staff', async () => {
    expect((await owner.get(`/v1/proposals/${inReview.id}/decision`)).status).toBe(200);
    expect((await other.get(`/v1/proposals/${inReview.id}/decision`)).status).toBe(404);
    for (const who of [chair, admin, auditor]) expect((await who.get(`/v1/proposals/${inReview.id}/decision`)).status).toBe(200);
    expect((await assigned.get(`/v1/proposals/${inReview.id}/decision`)).status).toBe(403);
  });

  it('POST /v1/proposals/{id}/conflicts: an assigned reviewer or a chair; not someone with nothing to do with it', async () => {
    expect((await unassigned.post(`/v1/proposals/${inReview.id}/conflicts`, { reason: 'Not mine to declare.' })).status).toBe(404);
    for (const who of [owner, admin, auditor]) expect((await who.post(`/v1/proposals/${inReview.id}/conflicts`, { reason: 'Not allowed to declare.' })).status).toBe(403);
  });

  it('POST /v1/proposals/{id}/reviewers/{sub}/replace: the chair only', async () => {
    for (const who of [owner, assigned, admin, auditor]) expect((await who.post(`/v1/proposals/${inReview.id}/reviewers/${assigned.sub}/replace`, { reason: 'Not allowed to.' })).status).toBe(403);
  });

  it('POST /v1/proposals/{id}/reviews and /decision: the assigned reviewer reviews; the chair decides, never on their own or a conflicted proposal', async () => {
    expect((await unassigned.post(`/v1/proposals/${inReview.id}/reviews`, { scores: { merit: 3, feasibility: 3, impact: 3, resourceJustification: 3 }, comments: 'Not my assignment at all.', recommendation: 'reject' })).status).toBe(404);
    for (const who of [owner, chair, admin])
      expect((await who.post(`/v1/proposals/${inReview.id}/reviews`, { scores: { merit: 3, feasibility: 3, impact: 3, resourceJustification: 3 }, comments: 'Not a reviewer here at all.', recommendation: 'reject' })).status).toBe(403);
    for (const s of await openPanel(admin, inReview.id, 2)) await review(bySub(s), inReview.id);
    await stageOf(chair, inReview.id, 'awaiting-decision');
    for (const who of [owner, assigned, admin, auditor]) expect((await who.post(`/v1/proposals/${inReview.id}/decision`, { decision: 'reject', reason: 'Not allowed to decide.' })).status).toBe(403);

    // a chair who is also the PI
    const chairPi = await identity(t, 'e2e-chair-pi', ['chair', 'researcher']);
    const own = await reviewedAndAwaiting(chairPi, call.id);
    const ownRes = await chairPi.post(`/v1/proposals/${own.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 10 }, reason: 'My own.' });
    expect(ownRes.status).toBe(403);
    // a chair named on the team
    const teamChair = await identity(t, 'e2e-chair-team', ['chair']);
    const onTeam = await reviewedAndAwaiting(other, call.id, { team: [{ name: 'A chair', email: `${teamChair.sub}@e2e.example`, institution: 'KAIRR', role: 'co-investigator' }] });
    expect((await teamChair.post(`/v1/proposals/${onTeam.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 10 }, reason: 'On the team.' })).status).toBe(403);
    // a chair who declared a conflict
    expect((await chair.post(`/v1/proposals/${inReview.id}/conflicts`, { reason: 'I supervised the PI.' })).status).toBe(201);
    expect((await chair.post(`/v1/proposals/${inReview.id}/decision`, { decision: 'reject', reason: 'Conflicted.' })).status).toBe(403);
    // and a chair without a conflict decides all three
    const free = await identity(t, 'e2e-chair-free', ['chair']);
    for (const id of [inReview.id, own.id, onTeam.id]) expect((await free.post(`/v1/proposals/${id}/decision`, { decision: 'reject', reason: 'Decided by a free chair.' })).status).toBe(200);
    await until('the three rejections', async () => {
      const states = await Promise.all([owner.get(`/v1/proposals/${inReview.id}`), chairPi.get(`/v1/proposals/${own.id}`), other.get(`/v1/proposals/${onTeam.id}`)]);
      return states.every((s) => s.body.state === 'rejected');
    });
  });
});

it('"let KAIRR recommend" through the bundled proposals function: the recommender loads from its file beside the bundle', async () => {
  // The recommender ships as recommended.js beside the proposals bundle (lib/approval/approval.ts);
  // this runs the deployed bundle, so a missing or broken lazy file fails here, not in production.
  const call = await createCall(admin, callBody(pool()));
  const r = await researcher();
  const { credits: _c, ...body } = proposalBody(call.id, { workload: { ...proposalBody(call.id).workload, trainingTokens: 5e10 } });
  const res = await r.post('/v1/proposals', { ...body, recommend: true });
  expect(res.status).toBe(201);
  expect(res.body.recommendation).toMatchObject({ resource: expect.stringMatching(/^(spc|kisti6)\//), credits: expect.any(Number) });
  expect(res.body.credits).toEqual({ [res.body.recommendation.resource]: res.body.recommendation.credits });
  // a refusal made in the lazy file is still the typed 400 naming the field (not a 500)
  const missing = await r.post('/v1/proposals', { ...body, recommend: true, workload: { ...body.workload, trainingTokens: undefined } });
  expect(missing.status).toBe(400);
  expect(missing.body.error.details).toEqual([{ path: 'workload.trainingTokens', problem: expect.stringContaining('is required when KAIRR recommends') }]);
});

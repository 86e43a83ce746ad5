// The approval flow end to end in-process: the real ASL file on the local Step Functions service
// (real .waitForTaskToken callbacks with their own tokens), the real flow and API handlers, and
// DynamoDB Local. One named case per path; each asserts which states ran.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../lambdas/shared/store/keys';
import { approvalKeys } from '../../../lambdas/shared/store/keys';
import { admin, approvalFixture, as, assignmentOf, caller, chair, enteredStates, newCall, newProposal, panel, pool, proposalState, reviewBody, memberOf, until, type ApprovalFixture } from './support';

let fx: ApprovalFixture;
beforeAll(async () => {
  fx = await approvalFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const reviewers = { a: caller('rev-a', ['reviewer']), b: caller('rev-b', ['reviewer']), c: caller('rev-c', ['reviewer']) };
let n = 0;
const researcher = () => caller(`researcher-${++n}`, ['researcher'], { username: `user${n}` });

async function executionOf(proposal: { id: string; round?: number }, round = 1) {
  const arn = `${fx.machineArn.replace(':stateMachine:', ':execution:')}:${proposal.id}-r${round}`;
  return arn;
}

async function getItem(key: { pk: string; sk: string }) {
  return (await fx.tables.doc.send(new GetCommand({ TableName: fx.tables.names.main, Key: key }))).Item;
}

async function submit(who: ReturnType<typeof caller>, id: string) {
  const res = await as(who).post(`/v1/proposals/${id}/submit`);
  expect(res.status).toBe(202);
  return res.body;
}

async function reviewAll(id: string, who: ReturnType<typeof caller>[], score = 4) {
  for (const r of who) {
    await assignmentOf(r, id);
    const res = await as(r).post(`/v1/proposals/${id}/reviews`, reviewBody(score));
    expect(res.status).toBe(201);
  }
}

async function awaitingDecision(who: ReturnType<typeof caller>, id: string) {
  return until(`proposal ${id} awaiting a decision`, async () => {
    const r = await as(who).get(`/v1/proposals/${id}`);
    return r.body?.stage === 'awaiting-decision' ? r.body : undefined;
  });
}

describe('starter tier', () => {
  it('approves a small request from an eligible researcher automatically, then awards it (Check → AutoApprove → Award)', async () => {
    const call = await newCall();
    const r = researcher();
    const p = await newProposal(r, call.id, { credits: { 'spc/h200': 80 } });
    await submit(r, p.id);

    const done = await fx.sfn.executions.waitFor(await executionOf(p));
    expect(done.status).toBe('SUCCEEDED');
    expect(enteredStates(fx.sfn.executions.history(done.executionArn))).toEqual(['Check', 'CheckPassed', 'AutoApprove', 'AutoApproved', 'Award', 'Awarded']);

    const approved = (await as(r).get(`/v1/proposals/${p.id}`)).body;
    expect(approved).toMatchObject({ state: 'approved', tier: 'starter', decision: { outcome: 'approve', automatic: true, credits: { 'spc/h200': 80 } } });
    const alloc = await getItem(keys.allocation(approved.allocationId));
    expect(alloc).toMatchObject({ state: 'pending-provisioning', proposalId: p.id, callId: call.id, tier: 'starter', piSub: r.sub, resources: { 'spc/h200': { awardedMc: 80_000, balanceMc: 80_000 } } });
    await fx.bus.bus.idle();
    expect(fx.published.filter((e) => e.detail.proposalId === p.id).map((e) => e.type)).toEqual(['ProposalSubmitted', 'ProposalDecided', 'AllocationAwarded']);
    const c = (await as(r).get(`/v1/calls/${call.id}`)).body;
    expect(c.capacity.find((x: any) => x.resource === 'spc/h200')).toEqual({ resource: 'spc/h200', capacity: 10_000, awarded: 80, remaining: 9_920 });
  });

  it('sends a second starter request of the same researcher to review while the first allocation is active', async () => {
    const call = await newCall();
    const r = researcher();
    const first = await newProposal(r, call.id, { credits: { 'spc/h200': 50 } });
    await submit(r, first.id);
    await proposalState(r, first.id, 'approved');

    const second = await newProposal(r, call.id, { credits: { 'spc/h200': 60 }, title: 'A second small project' });
    await submit(r, second.id);
    const inReview = await proposalState(r, second.id, 'in-review');
    expect(inReview.tier).toBe('standard');
    expect(inReview.tierNote).toMatch(/already hold an active starter allocation/);
    expect(await panel(second.id, 2)).toHaveLength(2);
    await as(r).post(`/v1/proposals/${second.id}/withdraw`);
  });
});

describe('standard tier', () => {
  it('assigns two reviewers, collects their reviews in parallel, and awards what the chair approves (a partial award)', async () => {
    const call = await newCall();
    const r = researcher();
    const p = await newProposal(r, call.id, { credits: { 'spc/h200': 1_000, 'kisti6/gh200': 500 } });
    await submit(r, p.id);
    const assigned = await panel(p.id, 2);
    const who = Object.values(reviewers).filter((x) => assigned.includes(x.sub));
    expect(who).toHaveLength(2);
    // both callback tasks wait at once, each with its own token
    const pending = await until('two review tasks', async () => {
      const t = fx.sfn.tasks.pending({ executionArn: await executionOf(p) });
      return t.length === 2 ? t : undefined;
    });
    expect(new Set(pending.map((t) => t.taskToken)).size).toBe(2);

    await reviewAll(p.id, who);
    await awaitingDecision(chair, p.id);
    const reviews = (await as(chair).get(`/v1/proposals/${p.id}/reviews`)).body;
    expect(reviews.reviewSummary).toMatchObject({ count: 2, quorum: true, overall: 4, means: { merit: 4 } });

    const dec = await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 600 }, reason: 'Strong proposal; H200 only, scaled down.' });
    expect(dec.status).toBe(200);
    const done = await fx.sfn.executions.waitFor(await executionOf(p));
    expect(done.status).toBe('SUCCEEDED');
    const states = enteredStates(fx.sfn.executions.history(done.executionArn));
    expect(states).toEqual(expect.arrayContaining(['Check', 'AssignReviewers', 'CollectReviews', 'PrepareReview', 'AwaitReview', 'ReviewIn', 'Aggregate', 'AwaitDecision', 'Decided', 'Award', 'Awarded']));
    expect(states).not.toContain('AutoApprove');
    expect(states).not.toContain('RecordError');

    const approved = await proposalState(r, p.id, 'approved');
    const alloc = await getItem(keys.allocation(approved.allocationId));
    expect(alloc!.resources).toEqual({ 'spc/h200': expect.objectContaining({ awardedMc: 600_000 }) });
    const decision = (await as(r).get(`/v1/proposals/${p.id}/decision`)).body;
    expect(decision.decision).toMatchObject({ outcome: 'approve', credits: { 'spc/h200': 600 }, reason: 'Strong proposal; H200 only, scaled down.' });
    expect(decision.reviews.map((x: any) => x.reviewer)).toEqual(['Reviewer 1', 'Reviewer 2']);
    expect(JSON.stringify(decision)).not.toMatch(/rev-[abc]|For the committee only/);
    // the reviewers' loads went back to zero
    for (const s of assigned) expect((await getItem(approvalKeys.reviewerLoad(s)))?.open).toBe(0);
  });

  it('rejects: the flow ends Rejected, nothing is awarded, nothing reserved', async () => {
    const call = await newCall();
    const r = researcher();
    const p = await newProposal(r, call.id);
    await submit(r, p.id);
    const assigned = await panel(p.id, 2);
    await reviewAll(
      p.id,
      Object.values(reviewers).filter((x) => assigned.includes(x.sub)),
      2,
    );
    await awaitingDecision(chair, p.id);
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'Not feasible as planned.' })).status).toBe(200);
    const done = await fx.sfn.executions.waitFor(await executionOf(p));
    expect(enteredStates(fx.sfn.executions.history(done.executionArn)).slice(-2)).toEqual(['Decided', 'Rejected']);
    const got = (await as(r).get(`/v1/proposals/${p.id}`)).body;
    expect(got).toMatchObject({ state: 'rejected', decision: { outcome: 'reject' } });
    expect(got.allocationId).toBeUndefined();
    expect((await as(r).get(`/v1/calls/${call.id}`)).body.capacity[1]).toMatchObject({ resource: 'spc/h200', awarded: 0 });
  });

  it('asks for a revision; the researcher edits and resubmits; round 2 goes back to the same panel', async () => {
    const call = await newCall();
    const r = researcher();
    const p = await newProposal(r, call.id);
    await submit(r, p.id);
    const first = await panel(p.id, 2);
    await reviewAll(
      p.id,
      Object.values(reviewers).filter((x) => first.includes(x.sub)),
      3,
    );
    await awaitingDecision(chair, p.id);
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'revise', reason: 'Justify the token count.' })).status).toBe(200);
    const round1 = await fx.sfn.executions.waitFor(await executionOf(p, 1));
    expect(enteredStates(fx.sfn.executions.history(round1.executionArn)).slice(-1)).toEqual(['RevisionRequested']);
    expect((await as(r).get(`/v1/proposals/${p.id}`)).body).toMatchObject({ state: 'revision-requested', decision: { outcome: 'revise', reason: 'Justify the token count.' } });

    const edited = await as(r).patch(`/v1/proposals/${p.id}`, { justification: 'We measured 38% MFU on a 64-GPU run; 2e11 tokens at 7B parameters need 1,000 H200 GPU-hours.' });
    expect(edited.status).toBe(200);
    const resubmitted = await submit(r, p.id);
    expect(resubmitted).toMatchObject({ state: 'submitted', round: 2 });
    const second = await until('round 2 panel', async () => {
      const res = await as(admin).get(`/v1/proposals/${p.id}/reviews`);
      const open = res.body.assignments.filter((a: any) => a.round === 2 && a.status === 'assigned').map((a: any) => a.reviewerSub);
      return open.length === 2 ? open : undefined;
    });
    expect(second.sort()).toEqual([...first].sort());
    await reviewAll(
      p.id,
      Object.values(reviewers).filter((x) => second.includes(x.sub)),
      5,
    );
    await awaitingDecision(chair, p.id);
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 1_000 }, reason: 'Revised justification is convincing.' })).status).toBe(200);
    const round2 = await fx.sfn.executions.waitFor(await executionOf(p, 2));
    expect(round2.status).toBe('SUCCEEDED');
    expect((await proposalState(r, p.id, 'approved')).round).toBe(2);
  });
});

describe('conflicts of interest', () => {
  it("never assigns a reviewer from the PI's institution or on the team; a declared conflict hands the slot to someone else", async () => {
    const call = await newCall({
      reviewerPool: pool([
        { sub: 'rev-a', institution: 'POSTECH' },
        { sub: 'rev-b', institution: 'UNIST' },
        { sub: 'rev-c', institution: 'GIST' },
        { sub: 'rev-kaist', institution: 'KAIST' },
        { sub: 'rev-team', institution: 'SNU', email: 'min@kaist.example' },
      ]),
    });
    // the PI's verified e-mail is at KAIST's domain: the registry makes KAIST their org, so rev-kaist
    // (KAIST in the pool) is conflicted; without the claim nothing would exclude rev-kaist, and
    // whether it is picked would depend on the other tests' load
    const r = memberOf('KAIST', `researcher-${++n}`);
    const p = await newProposal(r, call.id);
    await submit(r, p.id);
    const assigned = await panel(p.id, 2);
    expect(assigned).not.toContain('rev-kaist');
    expect(assigned).not.toContain('rev-team');
    const kaist = caller('rev-kaist', ['reviewer']);
    expect((await as(kaist).get(`/v1/proposals/${p.id}`)).status).toBe(404);
    expect((await as(kaist).post(`/v1/proposals/${p.id}/reviews`, reviewBody())).status).toBe(404);

    const leaving = Object.values(reviewers).find((x) => x.sub === assigned[0])!;
    const declared = await as(leaving).post(`/v1/proposals/${p.id}/conflicts`, { reason: 'I co-authored with the PI last year.' });
    expect(declared.status).toBe(201);
    expect(declared.body.reassigned).toBe(true);
    expect((await as(leaving).get(`/v1/proposals/${p.id}`)).status).toBe(404);
    const now = await panel(p.id, 2);
    expect(now).not.toContain(leaving.sub);
    const third = Object.values(reviewers).find((x) => !assigned.includes(x.sub))!;
    expect(now).toContain(third.sub);
    await reviewAll(
      p.id,
      Object.values(reviewers).filter((x) => now.includes(x.sub)),
    );
    await awaitingDecision(chair, p.id);
  });
});

describe("the call's capacity", () => {
  it('lets exactly one of two concurrent approvals through when together they exceed what the call has left', async () => {
    const call = await newCall({ capacity: { 'spc/h200': 1_500 } });
    const [r1, r2] = [researcher(), researcher()];
    const p1 = await newProposal(r1, call.id);
    const p2 = await newProposal(r2, call.id);
    await submit(r1, p1.id);
    await submit(r2, p2.id);
    for (const p of [p1, p2]) {
      const assigned = await panel(p.id, 2);
      await reviewAll(
        p.id,
        Object.values(reviewers).filter((x) => assigned.includes(x.sub)),
      );
      await awaitingDecision(chair, p.id);
    }
    const chair2 = caller('chair-2', ['chair']);
    const results = await Promise.all([
      as(chair).post(`/v1/proposals/${p1.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 1_000 }, reason: 'Fund in full.' }),
      as(chair2).post(`/v1/proposals/${p2.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 1_000 }, reason: 'Fund in full.' }),
    ]);
    expect(results.map((x) => x.status).sort()).toEqual([200, 422]);
    const refused = results.find((x) => x.status === 422)!;
    expect(refused.body.error.details[0]).toMatchObject({ path: 'credits.spc/h200', problem: expect.stringMatching(/more than the 500 call .* has left/) });
    const c = (await as(admin).get(`/v1/calls/${call.id}`)).body;
    expect(c.capacity[0]).toMatchObject({ capacity: 1_500, awarded: 1_000, remaining: 500 });
    // the refused one still waits for a decision, and can be funded with what is left
    const loser = results[0].status === 422 ? p1 : p2;
    const loserChair = results[0].status === 422 ? chair : chair2;
    expect((await as(loserChair).post(`/v1/proposals/${loser.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 500 }, reason: 'What the call has left.' })).status).toBe(200);
    await fx.sfn.executions.waitFor(await executionOf(p1));
    await fx.sfn.executions.waitFor(await executionOf(p2));
    expect((await as(admin).get(`/v1/calls/${call.id}`)).body.capacity[0]).toMatchObject({ awarded: 1_500, remaining: 0 });
  });
});

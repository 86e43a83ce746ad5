// Deadlines in the approval flow, with the review and decision timeouts shortened by explicit
// per-state overrides (the definition's own deadlines come from the call and are days long):
// a reminder halfway, one reassignment on timeout, then going on without the late review if the
// minimum is met, or ending in a visible error if not; and a committee that never decides.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { approvalKeys } from '../../../lambdas/shared/store/keys';
import { admin, approvalFixture, as, assignmentOf, caller, chair, enteredStates, newCall, newProposal, panel, pool, proposalState, reviewBody, until, type ApprovalFixture } from './support';

const HALF_MS = 1_000;
let fx: ApprovalFixture;
beforeAll(async () => {
  fx = await approvalFixture({ timeOverrides: { taskTimeoutMs: { AwaitReview: HALF_MS, AwaitReviewAfterReminder: HALF_MS, AwaitDecision: 2_000 } } });
});
afterAll(async () => {
  await fx?.stop();
});

let n = 0;
const researcher = () => caller(`dl-researcher-${++n}`, ['researcher'], { username: `dl${n}` });
const reviewer = (sub: string) => caller(sub, ['reviewer']);
const executionArn = (id: string, round = 1) => `${fx.machineArn.replace(':stateMachine:', ':execution:')}:${id}-r${round}`;

async function staffPanel(id: string) {
  return (await as(admin).get(`/v1/proposals/${id}/reviews`)).body.assignments as any[];
}

describe('a review that does not come', () => {
  it("reminds the reviewer halfway, reassigns the slot once at the deadline, and goes on with the new reviewer's review", async () => {
    const call = await newCall({
      reviewerPool: pool([
        { sub: 'dl-a', institution: 'POSTECH' },
        { sub: 'dl-b', institution: 'UNIST' },
        { sub: 'dl-c', institution: 'GIST' },
      ]),
    });
    const r = researcher();
    const p = await newProposal(r, call.id);
    expect((await as(r).post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
    const [silent, prompt] = await panel(p.id, 2);
    const spare = ['dl-a', 'dl-b', 'dl-c'].find((s) => s !== silent && s !== prompt)!;
    await assignmentOf(reviewer(prompt), p.id);
    expect((await as(reviewer(prompt)).post(`/v1/proposals/${p.id}/reviews`, reviewBody(4))).status).toBe(201);

    const reminded = await until('the reminder', async () => fx.published.find((e) => e.type === 'ReviewReminder' && e.detail.proposalId === p.id));
    expect(reminded.detail.reviewerSub).toBe(silent);
    const mine = await assignmentOf(reviewer(spare), p.id);
    expect(mine).toMatchObject({ status: 'assigned', round: 1 });
    expect((await as(reviewer(spare)).post(`/v1/proposals/${p.id}/reviews`, reviewBody(5))).status).toBe(201);
    // the late reviewer's assignment has ended; their review is refused
    expect((await as(reviewer(silent)).post(`/v1/proposals/${p.id}/reviews`, reviewBody(1))).status).toBe(409);

    await until('awaiting a decision', async () => ((await as(chair).get(`/v1/proposals/${p.id}`)).body.stage === 'awaiting-decision' ? true : undefined));
    const slots = await staffPanel(p.id);
    expect(slots.map((a) => [a.reviewerSub, a.status, a.origin]).sort()).toEqual(
      [
        [silent, 'timed-out', 'initial'],
        [prompt, 'submitted', 'initial'],
        [spare, 'submitted', 'timeout'],
      ].sort(),
    );
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 900 }, reason: 'Good, slightly reduced.' })).status).toBe(200);
    const done = await fx.sfn.executions.waitFor(executionArn(p.id));
    expect(done.status).toBe('SUCCEEDED');
    const states = enteredStates(fx.sfn.executions.history(done.executionArn));
    expect(states.filter((s) => s === 'RemindReviewer')).toHaveLength(1);
    expect(states.filter((s) => s === 'ReviewTimedOut')).toHaveLength(1);
    expect(states).toContain('AwaitReviewAfterReminder');
    const loads = await Promise.all([silent, prompt, spare].map(async (s) => (await fx.tables.doc.send(new GetCommand({ TableName: fx.tables.names.main, Key: approvalKeys.reviewerLoad(s) }))).Item?.open));
    expect(loads).toEqual([0, 0, 0]);
  });

  it('reassigns a slot only once; with the minimum still met the flow goes on without it', async () => {
    // flagship-sized panel of 3 with a minimum of 2: one slot may stay empty
    const call = await newCall({
      tiers: { starter: { maxCredits: 0 }, standard: { maxCredits: 500, reviewers: 2, minReviews: 2 }, flagship: { reviewers: 3, minReviews: 2 } },
      reviewerPool: pool(['dl-d', 'dl-e', 'dl-f', 'dl-g'].map((sub, i) => ({ sub, institution: `Inst ${i}` }))),
    });
    const r = researcher();
    const p = await newProposal(r, call.id, { credits: { 'spc/h200': 1_000 } });
    await as(r).post(`/v1/proposals/${p.id}/submit`);
    const first = await panel(p.id, 3);
    const [silent, ...prompt] = first;
    for (const s of prompt) {
      await assignmentOf(reviewer(s), p.id);
      expect((await as(reviewer(s)).post(`/v1/proposals/${p.id}/reviews`, reviewBody(3))).status).toBe(201);
    }
    // the silent reviewer's slot goes to the spare, who is silent too: no second reassignment
    await until('the flow to go on', async () => ((await as(chair).get(`/v1/proposals/${p.id}`)).body.stage === 'awaiting-decision' ? true : undefined), 30_000);
    const slots = await staffPanel(p.id);
    const silentSlot = slots.filter((a) => a.slot === slots.find((x) => x.reviewerSub === silent).slot);
    expect(silentSlot.map((a) => [a.origin, a.status])).toEqual([
      ['initial', 'timed-out'],
      ['timeout', 'timed-out'],
    ]);
    const summary = (await as(chair).get(`/v1/proposals/${p.id}/reviews`)).body.reviewSummary;
    expect(summary).toMatchObject({ count: 2, minReviews: 2, quorum: true });
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'Not this round.' })).status).toBe(200);
    const done = await fx.sfn.executions.waitFor(executionArn(p.id));
    expect(enteredStates(fx.sfn.executions.history(done.executionArn)).filter((s) => s === 'ReviewTimedOut')).toHaveLength(2);
  });

  it('ends in a visible error when too few reviews arrive', async () => {
    const call = await newCall({
      reviewerPool: pool([
        { sub: 'dl-h', institution: 'POSTECH' },
        { sub: 'dl-i', institution: 'UNIST' },
      ]),
    });
    const r = researcher();
    const p = await newProposal(r, call.id);
    await as(r).post(`/v1/proposals/${p.id}/submit`);
    const [one] = await panel(p.id, 2);
    await assignmentOf(reviewer(one), p.id);
    await as(reviewer(one)).post(`/v1/proposals/${p.id}/reviews`, reviewBody(4));
    const failed = await proposalState(r, p.id, 'error');
    expect(failed.error).toMatchObject({ code: 'TooFewReviews', message: expect.stringMatching(/Only 1 of the 2 reviews/) });
    const done = await fx.sfn.executions.waitFor(executionArn(p.id));
    expect(done.status).toBe('FAILED');
    expect(enteredStates(fx.sfn.executions.history(done.executionArn)).slice(-3)).toEqual(['TooFewReviews', 'RecordError', 'FlowFailed']);
  });
});

describe('a committee that does not decide', () => {
  it('ends the proposal in a visible error at the decision deadline', async () => {
    const call = await newCall({
      reviewerPool: pool([
        { sub: 'dl-j', institution: 'POSTECH' },
        { sub: 'dl-k', institution: 'UNIST' },
      ]),
    });
    const r = researcher();
    const p = await newProposal(r, call.id);
    await as(r).post(`/v1/proposals/${p.id}/submit`);
    for (const s of await panel(p.id, 2)) {
      await assignmentOf(reviewer(s), p.id);
      await as(reviewer(s)).post(`/v1/proposals/${p.id}/reviews`, reviewBody(4));
    }
    const failed = await proposalState(r, p.id, 'error');
    expect(failed.error).toMatchObject({ code: 'DecisionDeadlinePassed', message: 'The committee did not decide within 30 day(s)' });
    const done = await fx.sfn.executions.waitFor(executionArn(p.id));
    expect(enteredStates(fx.sfn.executions.history(done.executionArn)).slice(-4)).toEqual(['AwaitDecision', 'DecisionTimedOut', 'RecordError', 'FlowFailed']);
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'reject', reason: 'Too late.' })).status).toBe(409);
  });
});

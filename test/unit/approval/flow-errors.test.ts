// Failure paths of the approval flow: every one ends with the proposal in a state a person can see
// (rejected with reasons, error with the cause, withdrawn), capacity and reviewer load given back,
// and no execution left waiting.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { approvalKeys } from '../../../lambdas/shared/store/keys';
import { admin, approvalFixture, as, assignmentOf, caller, chair, memberOf, enteredStates, newCall, newProposal, panel, pool, proposalState, reviewBody, until, type ApprovalFixture } from './support';

let fx: ApprovalFixture;
beforeAll(async () => {
  fx = await approvalFixture();
});
afterAll(async () => {
  await fx?.stop();
});

let n = 0;
const researcher = () => caller(`err-researcher-${++n}`, ['researcher'], { username: `err${n}` });
const reviewer = (sub: string) => caller(sub, ['reviewer']);
const executionArn = (id: string, round = 1) => `${fx.machineArn.replace(':stateMachine:', ':execution:')}:${id}-r${round}`;
const load = async (sub: string) => (await fx.tables.doc.send(new GetCommand({ TableName: fx.tables.names.main, Key: approvalKeys.reviewerLoad(sub) }))).Item?.open ?? 0;

class ServiceException extends Error {
  override name = 'Lambda.ServiceException';
}
class ConnectorDown extends Error {
  override name = 'ConnectorDown';
}

async function toDecision(r: ReturnType<typeof caller>, callId: string, reviewers: string[]) {
  const p = await newProposal(r, callId);
  await as(r).post(`/v1/proposals/${p.id}/submit`);
  for (const s of await panel(p.id, 2)) {
    if (!reviewers.includes(s)) throw new Error(`unexpected reviewer ${s}`);
    await assignmentOf(reviewer(s), p.id);
    await as(reviewer(s)).post(`/v1/proposals/${p.id}/reviews`, reviewBody(4));
  }
  await until('awaiting a decision', async () => ((await as(chair).get(`/v1/proposals/${p.id}`)).body.stage === 'awaiting-decision' ? true : undefined));
  return p;
}

it('Check: a proposal that is no longer eligible when the flow checks it is rejected with the reasons recorded (Check → NotEligible)', async () => {
  const call = await newCall();
  const r = researcher();
  const p = await newProposal(r, call.id, { pi: { name: 'Park', email: 'park@startup.example', institution: 'Tiny AI', orgType: 'startup' } });
  // between the submission and the check, the admin narrows the eligible org types
  fx.beforeStep.set('check', async () => {
    expect((await as(admin).patch(`/v1/calls/${call.id}`, { eligibleOrgTypes: ['university'], reason: 'Round restricted to universities' })).status).toBe(200);
  });
  await as(r).post(`/v1/proposals/${p.id}/submit`);
  const rejected = await proposalState(r, p.id, 'rejected');
  expect(rejected.checkProblems).toEqual([{ path: 'pi.orgType', problem: expect.stringMatching(/"startup" may not apply/) }]);
  expect(rejected.decision).toMatchObject({ outcome: 'reject', automatic: true });
  const done = await fx.sfn.executions.waitFor(executionArn(p.id));
  expect(enteredStates(fx.sfn.executions.history(done.executionArn))).toEqual(['Check', 'CheckPassed', 'NotEligible']);
});

it('AssignReviewers: a pool that cannot staff the panel ends the proposal in error, with the cause', async () => {
  const call = await newCall({
    reviewerPool: pool([
      { sub: 'err-a', institution: 'POSTECH' },
      { sub: 'err-kaist', institution: 'KAIST' },
    ]),
  });
  const r = memberOf('KAIST', `err-kaist-pi-${++n}`);
  const p = await newProposal(r, call.id);
  await as(r).post(`/v1/proposals/${p.id}/submit`);
  const failed = await proposalState(r, p.id, 'error');
  expect(failed.error).toMatchObject({ code: 'InsufficientReviewers', message: expect.stringMatching(/^Only 1 reviewer\(s\) of call .* the standard tier needs at least 2 \(passed over: 1 belong to the PI's organisation\)$/) });
  const done = await fx.sfn.executions.waitFor(executionArn(p.id));
  expect(done.status).toBe('FAILED');
  expect(enteredStates(fx.sfn.executions.history(done.executionArn))).toEqual(['Check', 'CheckPassed', 'AssignReviewers', 'RecordError', 'FlowFailed']);
});

it('a transient Lambda failure is retried, and the step does its work once', async () => {
  const call = await newCall({
    reviewerPool: pool([
      { sub: 'err-b', institution: 'POSTECH' },
      { sub: 'err-c', institution: 'UNIST' },
    ]),
  });
  const r = researcher();
  const p = await newProposal(r, call.id);
  fx.failStep.set('assign', () => (fx.failStep.delete('assign'), new ServiceException('throttled')));
  await as(r).post(`/v1/proposals/${p.id}/submit`);
  expect(await panel(p.id, 2)).toHaveLength(2);
  expect(fx.steps.filter((s) => s.step === 'assign' && s.payload.proposalId === p.id)).toHaveLength(2);
  expect(await load('err-b')).toBe(1);
  await as(r).post(`/v1/proposals/${p.id}/withdraw`);
});

it('Award: a failure after approval ends in error and gives the reserved capacity back', async () => {
  const call = await newCall({
    reviewerPool: pool([
      { sub: 'err-d', institution: 'POSTECH' },
      { sub: 'err-e', institution: 'UNIST' },
    ]),
  });
  const r = researcher();
  const p = await toDecision(r, call.id, ['err-d', 'err-e']);
  fx.failStep.set('award', () => new ConnectorDown('the allocation could not be created'));
  try {
    expect((await as(chair).post(`/v1/proposals/${p.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 700 }, reason: 'Fund most of it.' })).status).toBe(200);
    const failed = await proposalState(r, p.id, 'error');
    expect(failed.error).toMatchObject({ code: 'ConnectorDown', message: 'the allocation could not be created' });
  } finally {
    fx.failStep.delete('award');
  }
  expect((await as(admin).get(`/v1/calls/${call.id}`)).body.capacity.find((c: any) => c.resource === 'spc/h200')).toMatchObject({ awarded: 0, remaining: 10_000 });
  const done = await fx.sfn.executions.waitFor(executionArn(p.id));
  expect(enteredStates(fx.sfn.executions.history(done.executionArn)).slice(-3)).toEqual(['Award', 'RecordError', 'FlowFailed']);
});

it('a withdrawal during review stops the execution and releases the reviewers', async () => {
  const call = await newCall({
    reviewerPool: pool([
      { sub: 'err-f', institution: 'POSTECH' },
      { sub: 'err-g', institution: 'UNIST' },
    ]),
  });
  const r = researcher();
  const p = await newProposal(r, call.id);
  await as(r).post(`/v1/proposals/${p.id}/submit`);
  await panel(p.id, 2);
  await until('both review tasks waiting', async () => (fx.sfn.tasks.pending({ executionArn: executionArn(p.id) }).length === 2 ? true : undefined));
  const res = await as(r).post(`/v1/proposals/${p.id}/withdraw`);
  expect(res.status).toBe(200);
  expect(res.body.state).toBe('withdrawn');
  const done = await fx.sfn.executions.waitFor(executionArn(p.id));
  expect(done.status).toBe('ABORTED');
  expect(fx.sfn.tasks.pending({ executionArn: executionArn(p.id) })).toHaveLength(0);
  expect([await load('err-f'), await load('err-g')]).toEqual([0, 0]);
  const slots = (await as(admin).get(`/v1/proposals/${p.id}/reviews`)).body.assignments;
  expect(slots.map((a: any) => a.status)).toEqual(['cancelled', 'cancelled']);
  expect((await as(reviewer('err-f')).post(`/v1/proposals/${p.id}/reviews`, reviewBody())).status).toBe(409);
});

it('submit: when the flow cannot be started, the submission is undone (503) and can be retried', async () => {
  const call = await newCall({
    reviewerPool: pool([
      { sub: 'err-h', institution: 'POSTECH' },
      { sub: 'err-i', institution: 'UNIST' },
    ]),
  });
  const r = researcher();
  const p = await newProposal(r, call.id);
  const real = process.env.APPROVAL_STATE_MACHINE_ARN!;
  process.env.APPROVAL_STATE_MACHINE_ARN = real.replace(/:stateMachine:.*/, ':stateMachine:does-not-exist');
  try {
    const res = await as(r).post(`/v1/proposals/${p.id}/submit`);
    expect(res.status).toBe(503);
  } finally {
    process.env.APPROVAL_STATE_MACHINE_ARN = real;
  }
  expect((await as(r).get(`/v1/proposals/${p.id}`)).body).toMatchObject({ state: 'draft', round: 0 });
  expect((await as(r).post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
  expect(await panel(p.id, 2)).toHaveLength(2);
  await as(r).post(`/v1/proposals/${p.id}/withdraw`);
});

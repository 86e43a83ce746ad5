// A reviewer who never answers, over HTTP. The review deadline comes from the call (hours); this
// file starts its own local runtime (from the synth the suite just made) with the two review
// waits shortened by an explicit per-state override, so the suite's runtime stays real-time.
// Also checks that the notifications reach the SNS topic (an SQS queue subscribed to it).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { REPO_ROOT } from '../../local/build';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { callBody, Client, createCall, createProposal, finished, identity, openPanel, proposalBody, review, stageOf, stateOf, until, type ApprovalTarget } from './approval-support';

const HALF_MS = 3_000;
let runtime: LocalRuntime;
let t: ApprovalTarget;
let sns: SNSClient;

beforeAll(async () => {
  runtime = await startLocalRuntime({
    outDir: join(REPO_ROOT, 'cdk.out'),
    stateDir: join(mkdtempSync(join(tmpdir(), 'kairr-e2e-approval-')), 'state'),
    port: 0,
    schedules: 'manual',
    // Explicit, for this test only: each half of the review deadline lasts HALF_MS.
    sfnTimeOverrides: { 'Kairr-local-approval': { taskTimeoutMs: { AwaitReview: HALF_MS, AwaitReviewAfterReminder: HALF_MS } } },
  });
  const i = runtime.info;
  const machine = Object.entries(i.stateMachines).find(([id]) => id.startsWith('Approval'))![1];
  t = { apiUrl: i.apiUrl, tokens: i.tokens, tokenMintUrl: i.tokenMintUrl, sfn: { endpoint: i.sfnEndpoint, region: i.region, stateMachineArn: machine } };
  sns = new SNSClient({ endpoint: i.s3Endpoint, region: i.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}, 120_000);

afterAll(async () => {
  sns?.destroy();
  await runtime?.stop();
});

/** fauxqs speaks SQS's JSON protocol; no SQS client is a dependency. */
async function sqs(action: string, body: Record<string, unknown>): Promise<any> {
  const res = await fetch(runtime.info.s3Endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` }, body: JSON.stringify(body) });
  const out = await res.json();
  if (!res.ok) throw new Error(`SQS ${action}: ${JSON.stringify(out)}`);
  return out;
}

it('reminds the silent reviewer halfway, reassigns the review at the deadline, and the flow goes on to an award', async () => {
  // Listen on the notification topic.
  const topic = runtime.template.ofType('AWS::SNS::Topic').find(([id]) => id.startsWith('ApprovalNotifications'))!;
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: runtime.template.physicalName(topic[0]) }))).TopicArn!;
  const { QueueUrl } = await sqs('CreateQueue', { QueueName: 'approval-notifications-e2e' });
  const { Attributes } = await sqs('GetQueueAttributes', { QueueUrl, AttributeNames: ['QueueArn'] });
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes.QueueArn }));

  const admin = new Client(t, t.tokens.admin, 'dev-admin');
  const chair = new Client(t, t.tokens.chair, 'dev-chair');
  const reviewers = await Promise.all(['to-a', 'to-b', 'to-c'].map((n) => identity(t, n, ['reviewer'])));
  const call = await createCall(admin, callBody(reviewers.map((r, i) => ({ sub: r.sub, institution: ['POSTECH', 'UNIST', 'GIST'][i] }))));
  const researcher = await identity(t, 'to-researcher', ['researcher']);
  const p = await createProposal(researcher, proposalBody(call.id));
  expect((await researcher.post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);

  const [silentSub, promptSub] = await openPanel(admin, p.id, 2);
  const bySub = (s: string) => reviewers.find((r) => r.sub === s)!;
  const spare = reviewers.find((r) => r.sub !== silentSub && r.sub !== promptSub)!;
  await review(bySub(promptSub), p.id);

  // Halfway: the silent reviewer is reminded (their assignment shows it).
  const reminded = await until('the reminder', async () => (await bySub(silentSub).get('/v1/reviews/assignments')).body.items.find((a: any) => a.proposalId === p.id && a.remindedAt));
  expect(reminded.status).toBe('assigned');
  // At the deadline: the slot goes to the spare reviewer, who answers.
  await review(spare, p.id, 5);
  const late = (await bySub(silentSub).get('/v1/reviews/assignments')).body.items.find((a: any) => a.proposalId === p.id);
  expect(late).toMatchObject({ status: 'timed-out', closeReason: 'no review by the deadline' });
  expect((await bySub(silentSub).post(`/v1/proposals/${p.id}/reviews`, { scores: { merit: 1, feasibility: 1, impact: 1, resourceJustification: 1 }, comments: 'Too late, but here it is anyway.', recommendation: 'reject' })).status).toBe(
    409,
  );

  await stageOf(chair, p.id, 'awaiting-decision');
  const panel = (await chair.get(`/v1/proposals/${p.id}/reviews`)).body;
  expect(panel.assignments.map((a: any) => [a.reviewerSub, a.status, a.origin]).sort()).toEqual(
    [
      [silentSub, 'timed-out', 'initial'],
      [promptSub, 'submitted', 'initial'],
      [spare.sub, 'submitted', 'timeout'],
    ].sort(),
  );
  expect(panel.reviewSummary).toMatchObject({ count: 2, quorum: true, overall: 4.5 });
  expect((await chair.post(`/v1/proposals/${p.id}/decision`, { decision: 'approve', credits: { 'spc/h200': 800 }, reason: 'Good; reduced.' })).status).toBe(200);
  await stateOf(researcher, p.id, 'approved');

  const run = (await finished(t, p.id))!;
  expect(run.status).toBe('SUCCEEDED');
  expect(run.states.filter((s) => s === 'RemindReviewer')).toHaveLength(1);
  expect(run.states.filter((s) => s === 'ReviewTimedOut')).toHaveLength(1);
  expect(run.events.filter((e) => e.type === 'TaskTimedOut').map((e) => e.taskTimedOutEventDetails?.error)).toEqual(['States.Timeout', 'States.Timeout']);

  // Every kind of notification reached the topic.
  await runtime.settle();
  const seen = new Set<string>();
  await until('the five kinds of notification', async () => {
    const { Messages } = await sqs('ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
    for (const m of Messages ?? []) {
      const event = JSON.parse(JSON.parse(m.Body).Message);
      if (event.detail?.proposalId === p.id) seen.add(event['detail-type']);
      await sqs('DeleteMessage', { QueueUrl, ReceiptHandle: m.ReceiptHandle });
    }
    return ['ProposalSubmitted', 'ReviewerAssigned', 'ReviewReminder', 'ProposalDecided', 'AllocationAwarded'].every((k) => seen.has(k));
  });
});

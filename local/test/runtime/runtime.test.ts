// The local runtime runs a template's state machines and event rules as the template declares
// them. The fixture app (fixtures/app.ts) is synthesized for real, bundles included, and the
// runtime is started from that cloud assembly, as `npm start` and the e2e suite start it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { startCdkLocal, type CdkLocal } from '@kairr/cdk-local';
import { eventBusesOf, rulesOf, stateMachinesOf, Template } from '../../template';
import { APPROVER, synthFixture, type FixtureIds } from './fixtures/app';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dir: string;
let outDir: string;
let ids: FixtureIds;
let runtime: CdkLocal;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kairr-runtime-'));
  outDir = join(dir, 'cdk.out');
  ids = synthFixture(outDir);
  runtime = await startCdkLocal({
    outDir,
    stateDir: join(dir, 'state'),
    port: 0,
    schedules: 'manual',
    // The fixture's Cooldown waits an hour, as it would deployed; here, explicitly, not at all.
    sfnTimeOverrides: { [ids.workMachine]: { waitMs: { Cooldown: 0 } } },
  });
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('template views', () => {
  let template: Template;
  beforeAll(() => {
    template = Template.load(outDir);
  });

  test('a state machine from an ASL file asset gets its substitutions resolved to local names and ARNs', () => {
    const work = stateMachinesOf(template).find((m) => m.logicalId === ids.workMachine)!;

    expect(work).toMatchObject({ type: 'STANDARD', arn: template.ref(ids.workMachine), name: template.physicalName(ids.workMachine) });
    expect(work.source).toMatch(/asset\.[0-9a-f]+\.json$/);
    expect(work.definition.States.Record.Resource).toBe(template.getAtt(ids.recordFn, 'Arn'));
    expect(work.definition.States.Store).toMatchObject({ Parameters: { TableName: template.physicalName(ids.table) } });
    expect(JSON.stringify(work.definition)).not.toMatch(/\$\{\w+\}/);
  });

  test('an inline definition keeps its declared name and type', () => {
    const inline = stateMachinesOf(template).find((m) => m.logicalId === ids.inlineMachine)!;

    expect(inline).toMatchObject({ name: 'fixture-inline', type: 'EXPRESS', source: 'inline' });
    expect(inline.arn).toBe(`arn:aws:states:${template.region}:000000000000:stateMachine:fixture-inline`);
    expect(inline.definition.States.Echo.Type).toBe('Pass');
  });

  test('the custom bus keeps the name the template declares', () => {
    const [bus] = eventBusesOf(template);
    const declared = template.resources[ids.bus].Properties!.Name as string;

    expect(bus).toEqual({ logicalId: ids.bus, name: declared, arn: `arn:aws:events:${template.region}:000000000000:event-bus/${declared}` });
  });

  test('rules carry their bus, pattern or schedule, and targets with input, retry policy and DLQ resolved', () => {
    const rules = Object.fromEntries(rulesOf(template).map((r) => [r.logicalId, r]));
    const busName = template.physicalName(ids.bus);

    expect(rules[ids.startRule]).toMatchObject({
      eventBusName: busName,
      arn: `arn:aws:events:${template.region}:000000000000:rule/${busName}/${template.physicalName(ids.startRule)}`,
      eventPattern: { source: ['fixture.requests'], 'detail-type': ['WorkRequested'] },
      state: 'ENABLED',
      targets: [{ arn: template.ref(ids.workMachine), inputTransformer: { inputPathsMap: { 'detail-id': '$.detail.id', source: '$.source' } } }],
    });
    expect(rules[ids.approvalRule].targets[0]).toMatchObject({
      arn: template.getAtt(ids.approveFn, 'Arn'),
      inputPath: '$.detail',
      retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      deadLetterConfig: { arn: template.getAtt(ids.dlq, 'Arn') },
    });
    expect(rules[ids.nightlyRule]).toMatchObject({ eventBusName: 'default', scheduleExpression: 'cron(0 3 * * ? *)', targets: [{ input: '{"id":"nightly"}' }] });
  });
});

describe('an event on the custom bus that matches StartRule', () => {
  let executionArn: string;

  beforeAll(async () => {
    const events = new EventBridgeClient({ endpoint: runtime.info.eventsEndpoint, region: runtime.info.region, credentials });
    const put = await events.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: runtime.info.eventBuses[ids.bus], Source: 'fixture.requests', DetailType: 'WorkRequested', Detail: JSON.stringify({ id: 'req-1' }) }],
      }),
    );
    events.destroy();
    expect(put.FailedEntryCount).toBe(0);

    await runtime.settle();
    const started = runtime.sfn.executions.list({ stateMachineArn: runtime.info.stateMachines[ids.workMachine] });
    expect(started).toHaveLength(1);
    executionArn = started[0].executionArn;
  }, 60_000);

  test('starts the state machine with the rule target input transformer applied, and it succeeds', () => {
    const execution = runtime.sfn.executions.describe(executionArn);

    expect(JSON.parse(execution.input)).toEqual({ id: 'req-1', requestedBy: 'fixture.requests' });
    expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  });

  test('runs every state in order, the Wait included', () => {
    const entered = runtime.sfn.executions
      .history(executionArn)
      .filter((e) => e.type?.endsWith('StateEntered'))
      .map((e) => e.stateEnteredEventDetails?.name);

    expect(entered).toEqual(['Record', 'Store', 'Cooldown', 'AwaitApproval', 'Notify', 'Enqueue']);
  });

  test('the Lambda task runs the bundled function with its template environment, and it writes to DynamoDB Local', async () => {
    const output = JSON.parse(runtime.sfn.executions.describe(executionArn).output!);
    const table = runtime.info.tables[ids.table];
    const ddb = new DynamoDBClient({ endpoint: runtime.info.dynamodbEndpoint, region: runtime.info.region, credentials });
    const byLambda = await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'lambda#req-1' } } }));
    const byStateMachine = await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'sfn#req-1' } } }));
    ddb.destroy();

    expect(output.recorded).toEqual({ id: 'req-1', table });
    expect(byLambda.Item).toMatchObject({ by: { S: 'record-fn' } });
    expect(byStateMachine.Item).toMatchObject({ by: { S: 'state-machine' } });
  });

  test('the callback task is answered by a function that reached the SFN endpoint with the ordinary client', () => {
    const output = JSON.parse(runtime.sfn.executions.describe(executionArn).output!);
    const approvals = runtime.events.bus.deliveries.filter((d) => d.ruleName === runtime.info.rules[ids.approvalRule]);

    // Only ApproveFn has APPROVER in its environment, and it answers through SendTaskSuccess.
    expect(output.approval).toEqual({ id: 'req-1', approvedBy: APPROVER });
    expect(approvals).toHaveLength(1);
    expect(approvals[0].payload).toMatchObject({ id: 'req-1', taskToken: expect.any(String) });
    expect(runtime.services.failedAsync).toEqual([]);
  });

  test('the sqs:sendMessage task reaches the queue in fauxqs', async () => {
    const messages = await receiveAll(runtime.template.physicalName(ids.queue));

    expect(messages.map((m) => JSON.parse(m.Body))).toEqual([{ id: 'req-1', approvedBy: APPROVER }]);
  });
});

describe('scheduled rules over the admin endpoint', () => {
  test('lists the scheduled rules', async () => {
    const res = await fetch(`${runtime.info.localAdminUrl}/schedules`);
    const body = (await res.json()) as { schedules: Array<{ logicalId: string; scheduleExpression: string }> };

    expect(res.status).toBe(200);
    expect(body.schedules).toEqual([expect.objectContaining({ logicalId: ids.nightlyRule, scheduleExpression: 'cron(0 3 * * ? *)' })]);
  });

  test('runs a schedule on demand, and /idle returns once its asynchronous Lambda invocation is done', async () => {
    const run = await fetch(`${runtime.info.localAdminUrl}/schedules/${ids.nightlyRule}/run`, { method: 'POST' });
    const ran = (await run.json()) as { ruleName: string; eventId: string };
    const idle = await fetch(`${runtime.info.localAdminUrl}/idle?timeoutMs=30000`);
    const ddb = new DynamoDBClient({ endpoint: runtime.info.dynamodbEndpoint, region: runtime.info.region, credentials });
    const item = await ddb.send(new GetItemCommand({ TableName: runtime.info.tables[ids.table], Key: { pk: { S: 'lambda#nightly' } } }));
    ddb.destroy();

    expect(run.status).toBe(200);
    expect(ran.ruleName).toBe(runtime.info.rules[ids.nightlyRule]);
    expect(idle.status).toBe(200);
    expect(item.Item).toMatchObject({ by: { S: 'record-fn' } });
  });

  test('a rule is found by its physical name too, and an unknown rule is a 404', async () => {
    const byName = await fetch(`${runtime.info.localAdminUrl}/schedules/${encodeURIComponent(runtime.info.rules[ids.nightlyRule])}/run`, { method: 'POST' });
    const unknown = await fetch(`${runtime.info.localAdminUrl}/schedules/NoSuchRule/run`, { method: 'POST' });
    const notScheduled = await fetch(`${runtime.info.localAdminUrl}/schedules/${ids.startRule}/run`, { method: 'POST' });
    await runtime.settle();

    expect(byName.status).toBe(200);
    expect(unknown.status).toBe(404);
    expect(notScheduled.status).toBe(400);
  });
});

// ---- accountability ----
describe('a schedule run at a given time', () => {
  test('carries that time in its event; a time that is not a date is a 400', async () => {
    const at = await fetch(`${runtime.info.localAdminUrl}/schedules/${ids.nightlyRule}/run?time=2027-03-15T00:15:00Z`, { method: 'POST' });
    const bad = await fetch(`${runtime.info.localAdminUrl}/schedules/${ids.nightlyRule}/run?time=yesterday`, { method: 'POST' });
    await runtime.settle();
    expect(at.status).toBe(200);
    expect(((await at.json()) as { time: string }).time).toBe('2027-03-15T00:15:00Z');
    expect(bad.status).toBe(400);
  });
});
// ---- end accountability ----

describe('a target that cannot be delivered', () => {
  test('is retried, then dead-lettered to its DLQ queue with the reason in message attributes', async () => {
    runtime.events.bus.putEvents([{ EventBusName: runtime.info.eventBuses[ids.bus], Source: 'fixture.orphans', DetailType: 'Orphaned', Detail: '{"n":1}' }]);
    await runtime.settle();
    const [letter] = await receiveAll(runtime.template.physicalName(ids.dlq));

    expect(runtime.events.bus.deadLetters).toEqual([expect.objectContaining({ ruleName: runtime.info.rules[ids.orphanRule], attempts: 2 })]);
    expect(JSON.parse(letter.Body)).toMatchObject({ source: 'fixture.orphans', detail: { n: 1 } });
    expect(letter.MessageAttributes.RULE_ARN.StringValue).toBe(runtime.events.rule(ids.orphanRule).arn);
    expect(letter.MessageAttributes.ERROR_MESSAGE.StringValue).toMatch(/Function not found/);
  });
});

test('stop() closes every endpoint and ends every process the runtime started', async () => {
  const { info } = runtime;
  const endpoints = [info.apiUrl, info.dynamodbEndpoint, info.s3Endpoint, info.lambdaEndpoint, info.sfnEndpoint, info.eventsEndpoint, info.localAdminUrl];

  await runtime.stop();
  const reachable = await Promise.all(
    endpoints.map((url) =>
      fetch(url).then(
        () => url,
        () => undefined,
      ),
    ),
  );

  expect(reachable.filter(Boolean)).toEqual([]);
});

interface SqsMessage {
  Body: string;
  MessageAttributes: Record<string, { StringValue: string }>;
}

/** Every message now in a fauxqs queue (SQS JSON protocol; no SQS client is a dependency). */
async function receiveAll(queueName: string): Promise<SqsMessage[]> {
  const call = async (action: string, body: unknown) => {
    const res = await fetch(runtime.info.s3Endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`SQS ${action}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const { QueueUrl } = await call('GetQueueUrl', { QueueName: queueName });
  const { Messages } = await call('ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] });
  return (Messages ?? []) as SqsMessage[];
}

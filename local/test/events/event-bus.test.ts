// The local EventBridge bus, driven through the real @aws-sdk/client-eventbridge.
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand, PutEventsCommand, ResourceNotFoundException, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { createLocalEventBus, startLocalEventBridge, type DeadLetter, type DeliveryInfo, type LocalEventBridge, type LocalEventRule, type LocalEventTarget } from '../../events';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

interface Delivered {
  target: LocalEventTarget;
  payload: any;
  info: DeliveryInfo;
}

const RULES: LocalEventRule[] = [
  {
    name: 'award-granted',
    eventBusName: 'kairr',
    eventPattern: { source: ['kairr.awards'], 'detail-type': ['AwardGranted'], detail: { credits: [{ numeric: ['>', 0] }] } },
    targets: [
      { id: 'ledger', arn: functionArn('ledger') },
      { id: 'notify', arn: queueArn('notify'), inputPath: '$.detail' },
      {
        id: 'audit',
        arn: functionArn('audit'),
        inputTransformer: {
          inputPathsMap: { award: '$.detail.awardId', credits: '$.detail.credits' },
          inputTemplate: '{"award": <award>, "credits": <credits>, "summary": "award <award> granted <credits> credits", "rule": <aws.events.rule-name>}',
        },
      },
    ],
  },
  {
    name: 'nightly-usage',
    scheduleExpression: 'cron(0 2 * * ? *)',
    targets: [{ id: 'collector', arn: functionArn('collect-usage'), input: '{"window":"24h"}' }],
  },
  {
    name: 'flaky-delivery',
    eventBusName: 'kairr',
    eventPattern: { source: ['kairr.flaky'] },
    targets: [
      { id: 'broken', arn: functionArn('broken'), deadLetterConfig: { arn: queueArn('broken-dlq') } },
      { id: 'impatient', arn: functionArn('broken'), retryPolicy: { maximumRetryAttempts: 0 } },
      { id: 'healthy', arn: functionArn('healthy') },
    ],
  },
  { name: 'switched-off', eventBusName: 'kairr', state: 'DISABLED', eventPattern: { source: ['kairr.awards'] }, targets: [{ id: 'never', arn: functionArn('never') }] },
];

let bridge: LocalEventBridge;
let client: EventBridgeClient;
let delivered: Delivered[] = [];
let deadLettersForwarded: DeadLetter[] = [];
let brokenAttempts = 0;

beforeEach(async () => {
  delivered = [];
  deadLettersForwarded = [];
  brokenAttempts = 0;
  bridge = await startLocalEventBridge({
    region: REGION,
    accountId: ACCOUNT,
    rules: RULES,
    retry: { maxRetries: 2, baseDelayMs: 1 },
    scheduler: false,
    deliver: async (target, payload, info) => {
      if (target.arn === functionArn('broken')) {
        brokenAttempts++;
        throw new Error(`target ${target.id} is down`);
      }
      delivered.push({ target, payload, info });
    },
    onDeadLetter: (letter) => {
      deadLettersForwarded.push(letter);
    },
  });
  client = new EventBridgeClient({ endpoint: bridge.url, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
});

afterEach(async () => {
  client.destroy();
  await bridge.stop();
});

function deliveredTo(targetId: string): Delivered[] {
  return delivered.filter((delivery) => delivery.target.id === targetId);
}

describe('PutEvents through the SDK', () => {
  test('a matching event reaches every target of the rule with the full envelope, transformed per target', async () => {
    const response = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'kairr.awards',
            DetailType: 'AwardGranted',
            Detail: JSON.stringify({ awardId: 'aw-1', credits: 500 }),
            EventBusName: 'kairr',
            Resources: ['arn:kairr:award/aw-1'],
            Time: new Date('2026-03-01T12:34:56.789Z'),
          },
        ],
      }),
    );
    await bridge.bus.idle();

    expect(response.FailedEntryCount).toBe(0);
    const eventId = response.Entries![0].EventId!;
    expect(deliveredTo('ledger')).toHaveLength(1);
    expect(deliveredTo('ledger')[0].payload).toEqual({
      version: '0',
      id: eventId,
      'detail-type': 'AwardGranted',
      source: 'kairr.awards',
      account: ACCOUNT,
      time: '2026-03-01T12:34:56Z',
      region: REGION,
      resources: ['arn:kairr:award/aw-1'],
      detail: { awardId: 'aw-1', credits: 500 },
    });
    expect(deliveredTo('ledger')[0].info).toMatchObject({ ruleName: 'award-granted', ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/kairr/award-granted`, attempt: 1 });
    expect(deliveredTo('notify')[0].payload).toEqual({ awardId: 'aw-1', credits: 500 });
    expect(deliveredTo('audit')[0].payload).toEqual({ award: 'aw-1', credits: 500, summary: 'award aw-1 granted 500 credits', rule: 'award-granted' });
    expect(deliveredTo('never')).toEqual([]);
    expect(bridge.bus.deliveries.map((record) => record.targetId).sort()).toEqual(['audit', 'ledger', 'notify']);
  });

  test('events that do not match, or go to another bus, are accepted but delivered nowhere', async () => {
    const response = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'kairr.awards', DetailType: 'AwardGranted', Detail: JSON.stringify({ credits: 0 }), EventBusName: 'kairr' },
          { Source: 'kairr.awards', DetailType: 'AwardGranted', Detail: JSON.stringify({ credits: 5 }) },
        ],
      }),
    );
    await bridge.bus.idle();

    expect(response.FailedEntryCount).toBe(0);
    expect(delivered).toEqual([]);
  });

  test('invalid entries get per-entry error codes while valid ones go through', async () => {
    const response = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'kairr.awards', DetailType: 'AwardGranted', EventBusName: 'kairr' },
          { Source: 'kairr.awards', DetailType: 'AwardGranted', Detail: 'not json', EventBusName: 'kairr' },
          { Source: 'kairr.awards', DetailType: 'AwardGranted', Detail: '{}', EventBusName: 'no-such-bus' },
          { Source: 'aws.ec2', DetailType: 'Spoofed', Detail: '{}' },
          { Source: 'kairr.awards', DetailType: 'AwardGranted', Detail: JSON.stringify({ credits: 1 }), EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/kairr` },
        ],
      }),
    );
    await bridge.bus.idle();

    expect(response.FailedEntryCount).toBe(4);
    expect(response.Entries!.map((entry) => entry.ErrorCode ?? 'ok')).toEqual(['InvalidArgument', 'MalformedDetail', 'ResourceNotFoundException', 'NotAuthorizedForSourceException', 'ok']);
    expect(deliveredTo('ledger')).toHaveLength(1);
  });

  test('TestEventPattern, DescribeRule and ListTargetsByRule answer from the same rules', async () => {
    const matching = await client.send(
      new TestEventPatternCommand({
        EventPattern: JSON.stringify({ detail: { state: [{ 'anything-but': 'initializing' }] } }),
        Event: JSON.stringify({ id: '1', source: 'x', 'detail-type': 'y', account: ACCOUNT, region: REGION, time: '2024-01-01T00:00:00Z', resources: [], detail: { state: 'running' } }),
      }),
    );
    const rule = await client.send(new DescribeRuleCommand({ Name: 'nightly-usage' }));
    const targets = await client.send(new ListTargetsByRuleCommand({ Rule: 'award-granted', EventBusName: 'kairr' }));

    expect(matching.Result).toBe(true);
    expect(rule).toMatchObject({ Name: 'nightly-usage', ScheduleExpression: 'cron(0 2 * * ? *)', State: 'ENABLED', Arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/nightly-usage` });
    expect(targets.Targets?.map((target) => target.Id)).toEqual(['ledger', 'notify', 'audit']);
    await expect(client.send(new DescribeRuleCommand({ Name: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('scheduled rules', () => {
  test('runScheduleNow fires the rule like its schedule would: a Scheduled Event to its targets', async () => {
    const event = bridge.bus.runScheduleNow('nightly-usage');
    await bridge.bus.idle();

    expect(event).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/nightly-usage`],
      detail: {},
    });
    expect(deliveredTo('collector').map((delivery) => delivery.payload)).toEqual([{ window: '24h' }]);
  });

  // ---- accountability ----
  test("runScheduleNow at a given time fires the Scheduled Event with that time (how tests move a job's clock)", async () => {
    const event = bridge.bus.runScheduleNow('nightly-usage', undefined, new Date('2027-03-15T00:15:00.400Z'));
    await bridge.bus.idle();
    expect(event.time).toBe('2027-03-15T00:15:00Z');
  });
  // ---- end accountability ----

  test('with the scheduler running, rules fire on their schedule', async () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const firedAt: string[] = [];
    const bus = createLocalEventBus({
      rules: [
        { name: 'every-5-minutes', scheduleExpression: 'rate(5 minutes)', targets: [{ id: 't', arn: functionArn('t') }] },
        { name: 'at-02', scheduleExpression: 'cron(0 2 * * ? *)', targets: [{ id: 'c', arn: functionArn('c') }] },
      ],
      deliver: (_target, payload) => {
        firedAt.push((payload as { time: string; resources: string[] }).resources[0].split('/').pop()! + '@' + (payload as { time: string }).time);
      },
    });
    try {
      await jest.advanceTimersByTimeAsync(15 * 60_000);
      await bus.idle();
      expect(firedAt).toEqual(['every-5-minutes@2026-01-01T00:05:00Z', 'every-5-minutes@2026-01-01T00:10:00Z', 'every-5-minutes@2026-01-01T00:15:00Z']);

      await jest.advanceTimersByTimeAsync(2 * 60 * 60_000);
      await bus.idle();
      expect(firedAt.filter((fired) => fired.startsWith('at-02'))).toEqual(['at-02@2026-01-01T02:00:00Z']);
    } finally {
      await bus.stop();
      jest.useRealTimers();
    }
  });
});

describe('delivery failures', () => {
  test('a target that keeps failing is retried, then dead-lettered; other targets are unaffected', async () => {
    await client.send(new PutEventsCommand({ Entries: [{ Source: 'kairr.flaky', DetailType: 'Ping', Detail: '{"n":1}', EventBusName: 'kairr' }] }));
    await bridge.bus.idle();

    const letters = bridge.bus.deadLetters;
    expect(letters.map((letter) => [letter.targetId, letter.attempts])).toEqual(
      expect.arrayContaining([
        ['impatient', 1],
        ['broken', 3],
      ]),
    );
    expect(letters).toHaveLength(2);
    const broken = letters.find((letter) => letter.targetId === 'broken')!;
    expect(broken).toMatchObject({ deadLetterArn: queueArn('broken-dlq'), error: { message: 'target broken is down' }, event: { source: 'kairr.flaky', detail: { n: 1 } } });
    expect(brokenAttempts).toBe(4); // broken: 1 + 2 retries, impatient: 1
    expect(deadLettersForwarded).toHaveLength(2);
    expect(deliveredTo('healthy')).toHaveLength(1);
  });

  test('stopping the bus dead-letters deliveries still waiting for a retry', async () => {
    const bus = createLocalEventBus({
      rules: [{ name: 'r', eventPattern: { source: ['s'] }, targets: [{ id: 'down', arn: functionArn('down') }] }],
      retry: { maxRetries: 5, baseDelayMs: 60_000 },
      deliver: () => {
        throw new Error('down');
      },
    });
    bus.putEvents([{ Source: 's', DetailType: 'd', Detail: '{}' }]);
    await expect(bus.idle({ timeoutMs: 50 })).rejects.toThrow(/outstanding/);

    await bus.stop();

    expect(bus.deadLetters).toHaveLength(1);
    expect(bus.deadLetters[0]).toMatchObject({ targetId: 'down', attempts: 1, error: { message: expect.stringContaining('stopped') } });
    await expect(bus.idle()).resolves.toBeUndefined();
  });
});

// How the local runtime wires the two emulators together: a state machine's events:putEvents
// task publishes to the local bus, whose rule targets another state machine.
import { startLocalEventBridge, type LocalEventBridge } from '../../events';
import { startLocalSfn, type LocalSfn } from '../../sfn';

const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
let sfn: LocalSfn;
let events: LocalEventBridge;

beforeAll(async () => {
  // The bus delivers to state machines by starting an execution with the payload as input.
  events = await startLocalEventBridge({
    scheduler: false,
    rules: [
      {
        name: 'award-granted-to-ledger',
        eventBusName: 'kairr',
        eventPattern: { source: ['kairr.awards'], 'detail-type': ['AwardGranted'] },
        targets: [{ id: 'ledger', arn: arn('Ledger'), inputPath: '$.detail' }],
      },
    ],
    deliver: async (target, payload) => {
      if (target.arn.includes(':states:')) sfn.executions.start(target.arn, payload);
    },
  });
  sfn = await startLocalSfn({
    taskHandlers: {
      invokeLambda: async () => {
        throw new Error('no Lambda in this test');
      },
      putEvents: async (entries) => events.bus.putEvents(entries),
    },
    stateMachines: [
      {
        arn: arn('Grant'),
        name: 'Grant',
        definition: {
          StartAt: 'Announce',
          States: {
            Announce: {
              Type: 'Task',
              Resource: 'arn:aws:states:::events:putEvents',
              Parameters: { Entries: [{ Source: 'kairr.awards', DetailType: 'AwardGranted', EventBusName: 'kairr', 'Detail.$': '$' }] },
              End: true,
            },
          },
        },
      },
      { arn: arn('Ledger'), name: 'Ledger', definition: { StartAt: 'Record', States: { Record: { Type: 'Pass', Parameters: { 'recorded.$': '$.awardId' }, End: true } } } },
    ],
  });
});

afterAll(async () => {
  await events?.stop();
  await sfn?.stop();
});

test('a putEvents task reaches the rule target, which starts the downstream state machine', async () => {
  const grant = sfn.executions.start(arn('Grant'), { awardId: 'aw-9', credits: 100 });
  await sfn.executions.waitFor(grant.executionArn);
  await events.bus.idle();
  await sfn.executions.idle();

  const [ledger] = sfn.executions.list({ stateMachineArn: arn('Ledger') });
  expect(sfn.executions.describe(grant.executionArn).status).toBe('SUCCEEDED');
  expect(ledger).toMatchObject({ status: 'SUCCEEDED', input: '{"awardId":"aw-9","credits":100}', output: '{"recorded":"aw-9"}' });
});

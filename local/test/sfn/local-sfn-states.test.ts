// The local Step Functions service, driven through the real @aws-sdk/client-sfn: the other states
// (Map, Parallel, Wait, Pass, JSONata) and the SNS, EventBridge and nested-execution integrations.
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { UnsupportedDefinitionError, type AslDefinition } from '../../sfn';
import { enteredStates, eventTypes, lambdaArn, machineArn } from './support';
import { client, finished, publishedEvents, publishedMessages, run, sfn, useLocalSfn } from './fixture';

useLocalSfn();

describe('other states and integrations', () => {
  test('Map iterates with $$.Map.Item and runs a task per item', async () => {
    sfn.addStateMachine({
      arn: machineArn('Scores'),
      name: 'Scores',
      definition: {
        StartAt: 'ScoreAll',
        States: {
          ScoreAll: {
            Type: 'Map',
            ItemsPath: '$.items',
            MaxConcurrency: 2,
            ItemSelector: { 'index.$': '$$.Map.Item.Index', 'item.$': '$$.Map.Item.Value' },
            ItemProcessor: { StartAt: 'Score', States: { Score: { Type: 'Task', Resource: lambdaArn('score'), End: true } } },
            End: true,
          },
        },
      },
    });

    const { output, events } = await finished(await run('Scores', { items: [5, 6, 7] }));

    expect(output).toEqual([
      { index: 0, doubled: 10 },
      { index: 1, doubled: 12 },
      { index: 2, doubled: 14 },
    ]);
    expect(eventTypes(events).filter((type) => type === 'MapIterationSucceeded')).toHaveLength(3);
  });

  test('the context object exposes execution, state machine and state fields', async () => {
    sfn.addStateMachine({
      arn: machineArn('Context'),
      name: 'Context',
      definition: {
        StartAt: 'Describe',
        States: {
          Describe: {
            Type: 'Pass',
            Parameters: {
              'execution.$': '$$.Execution.Name',
              'input.$': '$$.Execution.Input',
              'machine.$': '$$.StateMachine.Name',
              'state.$': '$$.State.Name',
              'entered.$': '$$.State.EnteredTime',
              'label.$': "States.Format('{}/{}', $$.StateMachine.Name, $$.State.Name)",
            },
            End: true,
          },
        },
      },
    });

    const { output } = await finished(await run('Context', { x: 1 }, 'ctx-1'));

    expect(output).toMatchObject({ execution: 'ctx-1', input: { x: 1 }, machine: 'Context', state: 'Describe', label: 'Context/Describe' });
    expect(Number.isNaN(Date.parse(output.entered))).toBe(false);
  });

  test('events:putEvents hands entries (Detail as a JSON string) to the callback; failed entries become EventBridge.FailedEntry', async () => {
    sfn.addStateMachine({
      arn: machineArn('Publish'),
      name: 'Publish',
      definition: {
        StartAt: 'Emit',
        States: {
          Emit: {
            Type: 'Task',
            Resource: 'arn:aws:states:::events:putEvents',
            Parameters: { Entries: [{ 'Source.$': '$.source', DetailType: 'AwardGranted', 'Detail.$': '$.detail', EventBusName: 'kairr' }] },
            Catch: [{ ErrorEquals: ['EventBridge.FailedEntry'], ResultPath: '$.failure', Next: 'Failed' }],
            End: true,
          },
          Failed: { Type: 'Pass', End: true },
        },
      },
    });

    const ok = await finished(await run('Publish', { source: 'kairr.awards', detail: { awardId: 'a1' } }));
    const rejected = await finished(await run('Publish', { source: 'reject.me', detail: {} }));

    expect(ok.output).toMatchObject({ Entries: [{ EventId: 'event-0' }], FailedEntryCount: 0 });
    expect(publishedEvents[0]).toEqual([{ Source: 'kairr.awards', DetailType: 'AwardGranted', Detail: '{"awardId":"a1"}', EventBusName: 'kairr' }]);
    expect(enteredStates(rejected.events)).toEqual(['Emit', 'Failed']);
    expect(rejected.output.failure.Error).toBe('EventBridge.FailedEntry');
  });

  test('sns:publish hands the message (an object Message serialised) to the callback', async () => {
    sfn.addStateMachine({
      arn: machineArn('Notify'),
      name: 'Notify',
      definition: {
        StartAt: 'Publish',
        States: {
          Publish: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sns:publish',
            Parameters: { TopicArn: 'arn:aws:sns:us-east-1:000000000000:awards', Subject: 'Award', 'Message.$': '$' },
            ResultSelector: { 'messageId.$': '$.MessageId' },
            End: true,
          },
        },
      },
    });

    const { output } = await finished(await run('Notify', { awardId: 'a2' }));

    expect(output).toEqual({ messageId: 'message-1' });
    expect(publishedMessages).toEqual([{ TopicArn: 'arn:aws:sns:us-east-1:000000000000:awards', Subject: 'Award', Message: '{"awardId":"a2"}' }]);
  });

  test('states:startExecution.sync:2 runs a nested execution and returns its output', async () => {
    sfn.addStateMachine({
      arn: machineArn('Parent'),
      name: 'Parent',
      definition: {
        StartAt: 'Child',
        States: {
          Child: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { StateMachineArn: machineArn('Booking'), Input: { 'id.$': '$.id', failTimes: 0 } },
            ResultSelector: { 'status.$': '$.Status', 'confirmation.$': '$.Output.confirmation' },
            End: true,
          },
        },
      },
    });

    const { output } = await finished(await run('Parent', { id: 'nested' }));

    expect(output).toEqual({ status: 'SUCCEEDED', confirmation: { confirmed: 'r-nested' } });
  });

  test('a Wait runs in real time unless overridden, and stopping the execution interrupts it', async () => {
    const waitDefinition: AslDefinition = { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 3600, Next: 'After' }, After: { Type: 'Pass', End: true } } };
    sfn.addStateMachine({ arn: machineArn('LongWait'), name: 'LongWait', definition: waitDefinition });
    sfn.addStateMachine({ arn: machineArn('LongWaitOverridden'), name: 'LongWaitOverridden', definition: waitDefinition, timeOverrides: { waitMs: { Pause: 0 } } });

    const overridden = await finished(await run('LongWaitOverridden', {}));
    const realTime = await run('LongWait', {});
    await expect(sfn.executions.waitFor(realTime, { timeoutMs: 200 })).rejects.toThrow(/still RUNNING/);
    await client.send(new StopExecutionCommand({ executionArn: realTime }));

    expect(enteredStates(overridden.events)).toEqual(['Pause', 'After']);
    expect(sfn.executions.describe(realTime).status).toBe('ABORTED');
  });

  test('the execution TimeoutSeconds (overridden) times the execution out', async () => {
    sfn.addStateMachine({
      arn: machineArn('Slow'),
      name: 'Slow',
      definition: { StartAt: 'Pause', TimeoutSeconds: 3600, States: { Pause: { Type: 'Wait', Seconds: 7200, End: true } } },
      timeOverrides: { executionTimeoutMs: 30 },
    });

    const { description, events } = await finished(await run('Slow', {}));

    expect(description).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(events.at(-1)!.type).toBe('ExecutionTimedOut');
  });

  test('an unknown resource fails the execution loudly, even past a Catch on States.ALL', async () => {
    sfn.addStateMachine({
      arn: machineArn('Unknown'),
      name: 'Unknown',
      definition: {
        StartAt: 'Mystery',
        States: {
          Mystery: { Type: 'Task', Resource: 'arn:aws:states:::glue:startJobRun', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Swallow' }], End: true },
          Swallow: { Type: 'Pass', End: true },
        },
      },
    });

    const { description } = await finished(await run('Unknown', {}));

    expect(description.status).toBe('FAILED');
    expect(description.error).toBe('LocalSfn.UnsupportedResource');
    expect(description.cause).toContain('arn:aws:states:::glue:startJobRun');
  });

  test('definitions the library would silently misrun are refused', () => {
    expect(() =>
      sfn.addStateMachine({
        arn: machineArn('Jsonata'),
        name: 'Jsonata',
        definition: { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', Output: '{% 1 + 2 %}', End: true } } },
        validate: false,
      }),
    ).toThrow(UnsupportedDefinitionError);
    expect(() => sfn.addStateMachine({ arn: machineArn('Broken'), name: 'Broken', definition: { StartAt: 'Missing', States: {} } })).toThrow(/InvalidDefinition|invalid/i);
  });
});

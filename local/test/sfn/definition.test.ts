// How a deployable definition is prepared for aws-local-stepfunctions, and the explicit timeScale.
import { compileDefinition, ENVELOPE, LIBRARY_TASK_TIMEOUT_SECONDS, rewritePath, UnsupportedDefinitionError, WAIT_RESOURCE, type AslDefinition } from '../../sfn/definition';
import { startLocalSfn } from '../../sfn';
import { machineArn } from './support';

const DEFINITION: AslDefinition = {
  StartAt: 'Work',
  TimeoutSeconds: 600,
  States: {
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token', 'input.$': '$$.Execution.Input', 'where.$': "States.Format('{}', $$.State.Name)" } },
      TimeoutSecondsPath: '$.timeout',
      HeartbeatSeconds: 60,
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxDelaySeconds: 10 }],
      Next: 'Pause',
    },
    Pause: { Type: 'Wait', SecondsPath: '$.pause', Next: 'Fan' },
    Fan: {
      Type: 'Parallel',
      Branches: [{ StartAt: 'Inner', States: { Inner: { Type: 'Pass', Parameters: { 'id.$': '$$.Execution.Id' }, End: true } } }],
      End: true,
    },
  },
};

describe('compileDefinition', () => {
  const compiled = compileDefinition(DEFINITION, { timeScale: 0.5 });
  const states = compiled.runDefinition.States as Record<string, any>;

  test('wraps Task parameters in an envelope carrying the evaluated timeout path', () => {
    expect(states.Work.Parameters).toEqual({
      [ENVELOPE.parameters]: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token', 'input.$': '$$.Kairr__Execution.Input', 'where.$': "States.Format('{}', $$.Kairr__StateNames.s0)" } },
      [`${ENVELOPE.timeoutSeconds}.$`]: '$.timeout',
    });
    expect(states.Work.TimeoutSeconds).toBe(LIBRARY_TASK_TIMEOUT_SECONDS);
    expect(states.Work).not.toHaveProperty('HeartbeatSeconds');
    expect(compiled.tasks.get('Work')).toMatchObject({ resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', heartbeatSeconds: 60, hasTimeoutPath: true });
    expect(compiled.stateNames.s0).toBe('Work');
  });

  test('scales Retry intervals by the explicit timeScale', () => {
    expect(states.Work.Retry).toEqual([{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxDelaySeconds: 5 }]);
  });

  test('turns a Wait into a Task on the internal wait resource, keeping its type for the history', () => {
    expect(states.Pause).toMatchObject({ Type: 'Task', Resource: WAIT_RESOURCE, Parameters: { [`${ENVELOPE.waitInput}.$`]: '$', [`${ENVELOPE.waitSeconds}.$`]: '$.pause' } });
    expect(compiled.stateTypes.get('Pause')).toBe('Wait');
  });

  test('rewrites context paths inside nested branches and leaves the top-level TimeoutSeconds to the service', () => {
    expect(states.Fan.Branches[0].States.Inner.Parameters).toEqual({ 'id.$': '$$.Kairr__Execution.Id' });
    expect(compiled.runDefinition).not.toHaveProperty('TimeoutSeconds');
    expect(compiled.timeoutSeconds).toBe(600);
  });

  test('rewritePath leaves other context references and ordinary paths alone', () => {
    expect(rewritePath('$$.Map.Item.Value', 's1')).toBe('$$.Map.Item.Value');
    expect(rewritePath('$.Execution', 's1')).toBe('$.Execution');
    expect(rewritePath('$$.State.EnteredTime', 's1')).toBe('$$.Kairr__State.EnteredTime');
  });

  test('refuses duplicate state names, JSONata and Variables', () => {
    const duplicate: AslDefinition = {
      StartAt: 'P',
      States: { P: { Type: 'Parallel', Branches: [{ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }], End: true } },
    };
    const variables: AslDefinition = { StartAt: 'A', States: { A: { Type: 'Pass', Assign: { x: 1 }, End: true } } };
    expect(() => compileDefinition(duplicate)).toThrow(UnsupportedDefinitionError);
    expect(() => compileDefinition(variables)).toThrow(/Assign/);
  });
});

test('timeScale speeds up Waits, retry intervals and task timeouts only when asked to', async () => {
  const sfn = await startLocalSfn({
    timeScale: 0.001,
    taskHandlers: {
      invokeLambda: async () => {
        throw Object.assign(new Error('busy'), { name: 'Busy' });
      },
      sendSqsMessage: async () => ({ MessageId: 'm-1' }),
    },
    stateMachines: [
      {
        arn: machineArn('Scaled'),
        name: 'Scaled',
        definition: {
          StartAt: 'Pause',
          States: {
            Pause: { Type: 'Wait', Seconds: 30, Next: 'Try' },
            Try: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: 'f' },
              Retry: [{ ErrorEquals: ['Busy'], IntervalSeconds: 20, MaxAttempts: 2, BackoffRate: 2 }],
              Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Approve' }],
              End: true,
            },
            Approve: {
              Type: 'Task',
              Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
              Parameters: { QueueUrl: 'q', MessageBody: { 'token.$': '$$.Task.Token' } },
              TimeoutSeconds: 60,
              End: true,
            },
          },
        },
      },
    ],
  });
  try {
    const started = Date.now();
    const { executionArn } = sfn.executions.start(machineArn('Scaled'), {});
    const result = await sfn.executions.waitFor(executionArn, { timeoutMs: 5_000 });

    // 30 s wait + 20 s and 40 s retries + 60 s timeout = 150 s of ASL time, in ~150 ms.
    expect(Date.now() - started).toBeLessThan(3_000);
    // Nobody answers the sqs:sendMessage callback, so the scaled TimeoutSeconds ends the run.
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    const history = sfn.executions.history(executionArn);
    expect(history.filter((event) => event.type === 'TaskFailed').map((event) => event.taskFailedEventDetails!.error)).toEqual(['Busy', 'Busy', 'Busy']);
    expect(history.filter((event) => event.type === 'TaskSubmitted').map((event) => JSON.parse(event.taskSubmittedEventDetails!.output!).MessageId)).toEqual(['m-1']);
    expect(history.find((event) => event.type === 'TaskTimedOut')!.taskTimedOutEventDetails).toMatchObject({ resourceType: 'sqs', resource: 'sendMessage.waitForTaskToken' });
  } finally {
    await sfn.stop();
  }
});

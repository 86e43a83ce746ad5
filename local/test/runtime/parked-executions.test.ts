// What settle() relies on: an execution is "active" while one of its tasks works, and parked
// while it only waits for the outside world (a callback token, a Wait, a child execution).
import { startLocalSfn, type LocalSfn } from '../../sfn';

const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
let sfn: LocalSfn;
let releaseWork: () => void = () => undefined;
let workStarted: Promise<void>;

beforeAll(async () => {
  let markStarted!: () => void;
  workStarted = new Promise((resolve) => (markStarted = resolve));
  sfn = await startLocalSfn({
    taskHandlers: {
      // "Work" runs until the test releases it; "Submit" returns at once (the callback's integration call).
      invokeLambda: async (fn) => {
        if (fn.endsWith(':Submit')) return {};
        markStarted();
        await new Promise<void>((resolve) => (releaseWork = resolve));
        return { done: true };
      },
    },
    stateMachines: [
      {
        arn: arn('Callback'),
        name: 'Callback',
        definition: {
          StartAt: 'Ask',
          States: {
            Ask: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:Submit', Payload: { 'token.$': '$$.Task.Token' } },
              End: true,
            },
          },
        },
      },
      { arn: arn('Sleep'), name: 'Sleep', definition: { StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 3600, End: true } } } },
      { arn: arn('Busy'), name: 'Busy', definition: { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:Work', End: true } } } },
      {
        arn: arn('Parent'),
        name: 'Parent',
        definition: {
          StartAt: 'Child',
          States: { Child: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', Parameters: { StateMachineArn: arn('Sleep') }, End: true } },
        },
      },
    ],
  });
});

afterAll(async () => {
  releaseWork();
  await sfn?.stop();
});

/** Resolves once the execution is parked; the deadline turns a never-parking execution into a failure. */
async function parked(executionArn: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (sfn.executions.active().some((e) => e.executionArn === executionArn)) {
    if (Date.now() > deadline) throw new Error(`${executionArn} did not park within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('an execution waiting for its callback token is parked, and active again once answered', async () => {
  const execution = sfn.executions.start(arn('Callback'), {});
  const task = await sfn.tasks.waitFor({ executionArn: execution.executionArn });
  await parked(execution.executionArn);

  sfn.tasks.succeed(task.taskToken, { ok: true });
  const closed = await sfn.executions.waitFor(execution.executionArn);

  expect(closed.status).toBe('SUCCEEDED');
  expect(sfn.executions.active()).toEqual([]);
});

test('an execution in a Wait state is parked', async () => {
  const execution = sfn.executions.start(arn('Sleep'), {});

  await parked(execution.executionArn);

  expect(sfn.executions.describe(execution.executionArn).status).toBe('RUNNING');
});

test('a parent waiting on a parked child execution is parked too', async () => {
  const sleepingBefore = sfn.executions.list({ stateMachineArn: arn('Sleep'), status: 'RUNNING' }).length;
  const parent = sfn.executions.start(arn('Parent'), {});

  await parked(parent.executionArn);

  expect(sfn.executions.describe(parent.executionArn).status).toBe('RUNNING');
  expect(sfn.executions.list({ stateMachineArn: arn('Sleep'), status: 'RUNNING' })).toHaveLength(sleepingBefore + 1);
});

test('an execution whose task is working is active until the task returns', async () => {
  const execution = sfn.executions.start(arn('Busy'), {});
  await workStarted;

  expect(sfn.executions.active().map((e) => e.executionArn)).toContain(execution.executionArn);

  releaseWork();
  await sfn.executions.waitFor(execution.executionArn);
  expect(sfn.executions.active().map((e) => e.executionArn)).not.toContain(execution.executionArn);
});

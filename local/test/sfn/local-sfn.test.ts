// The local Step Functions service, driven through the real @aws-sdk/client-sfn.
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalSfn } from '../../sfn';
import { enteredStates, eventTypes, lambdaArn, machineArn } from './support';
import { APPROVAL, BOOKING, client, finished, lambdas, reviewers, run, sfn, useLocalSfn } from './fixture';

useLocalSfn();

describe('Lambda tasks, Choice, Retry and Catch', () => {
  test('a lambda:invoke task and a plain function ARN run the local functions; results are shaped like AWS', async () => {
    const executionArn = await run('Booking', { id: 'happy', failTimes: 0 });

    const { description, output, events } = await finished(executionArn);

    expect(description.status).toBe('SUCCEEDED');
    expect(output.result).toEqual({ reservation: { reservationId: 'r-happy' }, status: 200 });
    expect(output.confirmation).toEqual({ confirmed: 'r-happy' });
    expect(enteredStates(events)).toEqual(['Route', 'Reserve', 'Confirm', 'Done']);
    expect(eventTypes(events)).toEqual(expect.arrayContaining(['TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'LambdaFunctionScheduled', 'LambdaFunctionSucceeded', 'ExecutionSucceeded']));
    const confirmCall = lambdas.callsTo('confirm').at(-1)!;
    expect(confirmCall.ctx).toMatchObject({ executionArn, stateName: 'Confirm', resource: lambdaArn('confirm') });
  });

  test('a thrown ConflictError is retried by name, then the task succeeds', async () => {
    const executionArn = await run('Booking', { id: 'flaky', failTimes: 2 });

    const { description, events } = await finished(executionArn);

    expect(description.status).toBe('SUCCEEDED');
    expect(enteredStates(events)).toEqual(['Route', 'Reserve', 'Confirm', 'Done']);
    const taskEvents = eventTypes(events).filter((type) => type === 'TaskFailed' || type === 'TaskSucceeded');
    expect(taskEvents).toEqual(['TaskFailed', 'TaskFailed', 'TaskSucceeded']);
    const failures = events.filter((event) => event.type === 'TaskFailed').map((event) => event.taskFailedEventDetails!);
    expect(failures.map((failure) => failure.error)).toEqual(['ConflictError', 'ConflictError']);
    expect(JSON.parse(failures[0].cause!)).toMatchObject({ errorType: 'ConflictError', errorMessage: 'slot taken (attempt 1)' });
  });

  test('when retries are exhausted the Catch path runs with the Lambda error name and cause', async () => {
    const executionArn = await run('Booking', { id: 'doomed', failTimes: 99 });

    const { description, output, events } = await finished(executionArn);

    expect(description.status).toBe('SUCCEEDED');
    expect(enteredStates(events)).toEqual(['Route', 'Reserve', 'Compensate']);
    expect(eventTypes(events).filter((type) => type === 'TaskFailed')).toHaveLength(3); // 1 try + MaxAttempts 2
    expect(output).toMatchObject({ compensated: true, error: 'ConflictError', cause: { errorType: 'ConflictError', errorMessage: 'slot taken (attempt 3)' } });
  });

  test('Choice routes around the task', async () => {
    const executionArn = await run('Booking', { kind: 'express' });

    const { output, events } = await finished(executionArn);

    expect(output).toEqual({ kind: 'express', track: 'fast' });
    expect(enteredStates(events)).toEqual(['Route', 'FastTrack']);
  });
});

describe('the callback pattern (.waitForTaskToken)', () => {
  test('three Parallel reviewer tasks each wait for their own token and complete out of order', async () => {
    const executionArn = await run('Review', { proposalId: 'p-42' });
    const pending = await Promise.all(reviewers.map((reviewer) => sfn.tasks.waitFor({ executionArn, stateName: `Review${reviewer}` })));
    const tokens = pending.map((task) => task.taskToken);
    expect(new Set(tokens).size).toBe(3);
    // Each reviewer's Lambda received exactly the token of its own task.
    for (const [index, reviewer] of reviewers.entries()) {
      const call = lambdas.callsTo('notify-reviewer').find((c) => c.ctx.executionArn === executionArn && c.payload.reviewer === reviewer)!;
      expect(call.payload.taskToken).toBe(tokens[index]);
      expect(call.payload.executionInput).toEqual({ proposalId: 'p-42' });
    }

    for (const index of [2, 0, 1]) {
      await client.send(new SendTaskSuccessCommand({ taskToken: tokens[index], output: JSON.stringify({ reviewer: reviewers[index], score: index + 1 }) }));
    }
    const { description, output, events } = await finished(executionArn);

    expect(description.status).toBe('SUCCEEDED');
    expect(output).toEqual({ scores: [1, 2, 3], proposalId: 'p-42' });
    expect(eventTypes(events).filter((type) => type === 'TaskSubmitted')).toHaveLength(3);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: tokens[0], output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  test('SendTaskFailure is caught by a Catch on its error name', async () => {
    const executionArn = await run('Approval', { budget: 100 });
    const task = await sfn.tasks.waitFor({ executionArn });

    await client.send(new SendTaskFailureCommand({ taskToken: task.taskToken, error: 'Rejected', cause: 'over budget' }));
    const { output, events } = await finished(executionArn);

    expect(enteredStates(events)).toEqual(['RequestApproval', 'Rejected']);
    expect(output).toEqual({ budget: 100, failure: { Error: 'Rejected', Cause: 'over budget' } });
    expect(events.find((event) => event.type === 'TaskFailed')!.taskFailedEventDetails).toMatchObject({ error: 'Rejected', cause: 'over budget' });
  });

  test('SendTaskSuccess output becomes the task result', async () => {
    const executionArn = await run('Approval', { budget: 5 });
    const task = await sfn.tasks.waitFor({ executionArn });
    expect(task.parameters).toMatchObject({ FunctionName: 'request-approval', Payload: { taskToken: task.taskToken, request: { budget: 5 } } });

    await client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: JSON.stringify({ approvedBy: 'pi' }) }));
    const { output, events } = await finished(executionArn);

    expect(output).toEqual({ budget: 5, decision: { approvedBy: 'pi' } });
    expect(enteredStates(events)).toEqual(['RequestApproval', 'Approved']);
  });

  test('a task timeout (explicitly overridden to 50 ms) goes to the States.Timeout catcher and closes the token', async () => {
    const executionArn = await run('ApprovalFastTimeout', { budget: 1 });
    const task = await sfn.tasks.waitFor({ executionArn });

    const { output, events } = await finished(executionArn);

    expect(enteredStates(events)).toEqual(['RequestApproval', 'TimedOut']);
    expect(output.failure.Error).toBe('States.Timeout');
    expect(events.find((event) => event.type === 'TaskTimedOut')!.taskTimedOutEventDetails).toMatchObject({ error: 'States.Timeout' });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  test('States.TaskFailed does not catch States.Timeout, as in AWS', async () => {
    const executionArn = await run('TimeoutIsNotTaskFailed', {});

    const { description, events } = await finished(executionArn);

    expect(description.status).toBe('FAILED');
    expect(description.error).toBe('States.Timeout');
    expect(enteredStates(events)).toEqual(['RequestApproval']);
  });

  test('heartbeats keep a callback task alive; without them it fails with States.HeartbeatTimeout', async () => {
    const alive = await run('ApprovalFastHeartbeat', {});
    const aliveTask = await sfn.tasks.waitFor({ executionArn: alive });
    const silent = await run('ApprovalFastHeartbeat', {});
    await sfn.tasks.waitFor({ executionArn: silent });

    // 4 x 100 ms outlasts the 300 ms heartbeat window several times over.
    for (let beat = 0; beat < 4; beat++) {
      await sleep(100);
      await client.send(new SendTaskHeartbeatCommand({ taskToken: aliveTask.taskToken }));
    }
    await client.send(new SendTaskSuccessCommand({ taskToken: aliveTask.taskToken, output: '"ok"' }));

    expect(enteredStates((await finished(alive)).events)).toEqual(['RequestApproval', 'Approved']);
    const silentRun = await finished(silent);
    expect(enteredStates(silentRun.events)).toEqual(['RequestApproval', 'NoHeartbeat']);
    expect(silentRun.output.failure.Error).toBe('States.HeartbeatTimeout');
  });

  test('malformed and unknown tokens are rejected with the SDK error classes', async () => {
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
    const unknown = `KAIRRLOCAL1${'A'.repeat(43)}`;
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: unknown, output: '{}' }))).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });
});

describe('executions API', () => {
  test('StartExecution is idempotent for the same name and input while running; other input or a closed execution conflict', async () => {
    const first = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('Approval'), name: 'grant-7', input: '{"budget":7}' }));
    const again = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('Approval'), name: 'grant-7', input: '{"budget":7}' }));
    expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });

    await expect(client.send(new StartExecutionCommand({ stateMachineArn: machineArn('Approval'), name: 'grant-7', input: '{"budget":8}' }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    const task = await sfn.tasks.waitFor({ executionArn: first.executionArn });
    const stopped = await client.send(new StopExecutionCommand({ executionArn: first.executionArn, error: 'Withdrawn', cause: 'applicant withdrew' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const description = await client.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(description).toMatchObject({ status: 'ABORTED', error: 'Withdrawn', cause: 'applicant withdrew' });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: machineArn('Approval'), name: 'grant-7', input: '{"budget":7}' }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn: first.executionArn }));
    expect(events!.at(-1)).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Withdrawn' } });
  });

  test('ListExecutions filters by status and paginates newest first; DescribeExecution reports dates and output', async () => {
    sfn.addStateMachine({ arn: machineArn('Echo'), name: 'Echo', definition: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } } });
    const arns: string[] = [];
    for (let n = 0; n < 3; n++) arns.push(await run('Echo', { n }, `echo-${n}`));
    await Promise.all(arns.map((arn) => sfn.executions.waitFor(arn)));
    const runningApproval = await run('Approval', {}, 'still-waiting');

    const firstPage = await client.send(new ListExecutionsCommand({ stateMachineArn: machineArn('Echo'), maxResults: 2 }));
    const secondPage = await client.send(new ListExecutionsCommand({ stateMachineArn: machineArn('Echo'), maxResults: 2, nextToken: firstPage.nextToken }));
    const running = await client.send(new ListExecutionsCommand({ stateMachineArn: machineArn('Approval'), statusFilter: 'RUNNING' }));
    const described = await client.send(new DescribeExecutionCommand({ executionArn: arns[1] }));

    expect(firstPage.executions!.map((e) => e.name)).toEqual(['echo-2', 'echo-1']);
    expect(secondPage.executions!.map((e) => e.name)).toEqual(['echo-0']);
    expect(secondPage.nextToken).toBeUndefined();
    expect(running.executions!.map((e) => e.executionArn)).toEqual([runningApproval]);
    expect(described).toMatchObject({ status: 'SUCCEEDED', name: 'echo-1', input: '{"n":1}', output: '{"n":1}', stateMachineArn: machineArn('Echo') });
    expect(described.startDate!.getTime()).toBeLessThanOrEqual(described.stopDate!.getTime());
    await client.send(new StopExecutionCommand({ executionArn: runningApproval }));
  });

  test('GetExecutionHistory pages, reverses and can leave out execution data', async () => {
    const executionArn = await run('Booking', { id: 'history', failTimes: 0 });
    await sfn.executions.waitFor(executionArn);

    const all = (await client.send(new GetExecutionHistoryCommand({ executionArn }))).events!;
    const page = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3 }));
    const reversed = (await client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }))).events!;
    const lean = (await client.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }))).events!;

    expect(all.map((event) => event.id)).toEqual(all.map((_event, index) => index + 1));
    expect(all[0]).toMatchObject({ type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"id":"history","failTimes":0}' } });
    expect(page.events).toHaveLength(3);
    expect(page.nextToken).toBeDefined();
    expect(reversed.map((event) => event.id)).toEqual(all.map((event) => event.id).reverse());
    expect(lean[0].executionStartedEventDetails).not.toHaveProperty('input');
    expect(all.every((event) => event.timestamp instanceof Date)).toBe(true);
  });

  test('state machines are described and listed; unknown ARNs raise the SDK exceptions', async () => {
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: machineArn('Booking') }));
    const listed = await client.send(new ListStateMachinesCommand({}));

    expect(JSON.parse(described.definition!)).toEqual(BOOKING);
    expect(described).toMatchObject({ name: 'Booking', type: 'STANDARD', status: 'ACTIVE' });
    expect(listed.stateMachines!.map((machine) => machine.name)).toEqual(expect.arrayContaining(['Booking', 'Approval', 'Review']));
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: machineArn('Nope') }))).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(client.send(new DescribeExecutionCommand({ executionArn: `${machineArn('Booking').replace('stateMachine', 'execution')}:nope` }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(client.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:s3:::bucket' }))).rejects.toBeInstanceOf(InvalidArn);
  });
});

describe('stop()', () => {
  test('aborts running executions, rejects pending callbacks and leaves nothing behind', async () => {
    const local = await startLocalSfn({
      taskHandlers: { invokeLambda: lambdas.invoke },
      stateMachines: [
        { arn: machineArn('Approval'), name: 'Approval', definition: APPROVAL },
        { arn: machineArn('Sleepy'), name: 'Sleepy', definition: { StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 86400, End: true } } } },
      ],
    });
    const waiting = local.executions.start(machineArn('Approval'), {});
    const sleeping = local.executions.start(machineArn('Sleepy'), {});
    await local.tasks.waitFor({ executionArn: waiting.executionArn });

    await local.stop();

    expect(local.executions.describe(waiting.executionArn)).toMatchObject({ status: 'ABORTED', error: 'States.Aborted' });
    expect(local.executions.describe(sleeping.executionArn).status).toBe('ABORTED');
    expect(local.tasks.pending()).toEqual([]);
    await expect(fetch(local.url)).rejects.toThrow();
  });
});

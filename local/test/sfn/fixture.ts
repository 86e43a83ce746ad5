// The shared fixture of the local Step Functions tests: fake Lambda functions, the published SNS
// messages and EventBridge entries, the state machines they run, and a service started for the
// test file that calls useLocalSfn() (each jest file has its own module registry, so its own service).
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { startLocalSfn, type AslDefinition, type LocalSfn, type PutEventsEntry, type SnsPublishInput } from '../../sfn';
import { ConflictError, FakeLambdas, lambdaArn, machineArn, sfnClient } from './support';

export const lambdas = new FakeLambdas();
export const publishedEvents: PutEventsEntry[][] = [];
export const publishedMessages: SnsPublishInput[] = [];
export let sfn: LocalSfn;
export let client: SFNClient;

export async function run(machine: string, input: unknown, name?: string) {
  const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn(machine), input: JSON.stringify(input), name }));
  return executionArn!;
}

export async function finished(executionArn: string) {
  await sfn.executions.waitFor(executionArn);
  const description = await client.send(new DescribeExecutionCommand({ executionArn }));
  const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return { description, output: description.output ? JSON.parse(description.output) : undefined, events: events! };
}

export const BOOKING: AslDefinition = {
  StartAt: 'Route',
  States: {
    Route: {
      Type: 'Choice',
      // A Choice on a missing path is a States.Runtime error in AWS too, hence IsPresent.
      Choices: [
        {
          And: [
            { Variable: '$.kind', IsPresent: true },
            { Variable: '$.kind', StringEquals: 'express' },
          ],
          Next: 'FastTrack',
        },
      ],
      Default: 'Reserve',
    },
    FastTrack: { Type: 'Pass', Result: 'fast', ResultPath: '$.track', End: true },
    Reserve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: lambdaArn('reserve'), 'Payload.$': '$' },
      ResultSelector: { 'reservation.$': '$.Payload', 'status.$': '$.StatusCode' },
      ResultPath: '$.result',
      Retry: [{ ErrorEquals: ['ConflictError'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Compensate' }],
      Next: 'Confirm',
    },
    Confirm: { Type: 'Task', Resource: lambdaArn('confirm'), InputPath: '$.result.reservation', ResultPath: '$.confirmation', Next: 'Done' },
    Compensate: {
      Type: 'Pass',
      Parameters: { compensated: true, 'error.$': '$.error.Error', 'cause.$': 'States.StringToJson($.error.Cause)' },
      End: true,
    },
    Done: { Type: 'Succeed' },
  },
};

export function approvalDefinition(catchers: Array<{ ErrorEquals: string[]; Next: string }>): AslDefinition {
  return {
    StartAt: 'RequestApproval',
    States: {
      RequestApproval: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'request-approval', Payload: { 'taskToken.$': '$$.Task.Token', 'request.$': '$' } },
        TimeoutSeconds: 3600,
        HeartbeatSeconds: 600,
        ResultPath: '$.decision',
        Catch: catchers.map((catcher) => ({ ...catcher, ResultPath: '$.failure' })),
        Next: 'Approved',
      },
      Approved: { Type: 'Pass', End: true },
      // One end state per catcher: asl-validator rejects unreachable states.
      ...Object.fromEntries(catchers.map((catcher) => [catcher.Next, { Type: 'Pass', End: true }])),
    },
  };
}

export const APPROVAL = approvalDefinition([
  { ErrorEquals: ['Rejected'], Next: 'Rejected' },
  { ErrorEquals: ['States.Timeout'], Next: 'TimedOut' },
  { ErrorEquals: ['States.HeartbeatTimeout'], Next: 'NoHeartbeat' },
]);

export const reviewers = ['Ada', 'Grace', 'Barbara'];
export const REVIEW: AslDefinition = {
  StartAt: 'Reviews',
  States: {
    Reviews: {
      Type: 'Parallel',
      Branches: reviewers.map((reviewer) => ({
        StartAt: `Review${reviewer}`,
        States: {
          [`Review${reviewer}`]: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: {
              FunctionName: 'notify-reviewer',
              Payload: { reviewer, 'taskToken.$': '$$.Task.Token', 'proposalId.$': '$.proposalId', 'executionInput.$': '$$.Execution.Input' },
            },
            End: true,
          },
        },
      })),
      ResultPath: '$.reviews',
      Next: 'Tally',
    },
    Tally: { Type: 'Pass', Parameters: { 'scores.$': '$.reviews[*].score', 'proposalId.$': '$.proposalId' }, End: true },
  },
};

/** Starts the service before the calling test file's tests, and stops it after them. */
export function useLocalSfn(): void {
  beforeAll(async () => {
    lambdas.define('reserve', (payload: { id: string; failTimes: number }) => {
      const attempts = lambdas.callsTo('reserve').filter((call) => call.payload.id === payload.id).length;
      if (attempts <= payload.failTimes) throw new ConflictError(`slot taken (attempt ${attempts})`);
      return { reservationId: `r-${payload.id}` };
    });
    lambdas.define('confirm', (reservation: { reservationId: string }) => ({ confirmed: reservation.reservationId }));
    lambdas.define('request-approval', () => ({ ignored: 'the callback decides the result' }));
    lambdas.define('notify-reviewer', () => undefined);
    lambdas.define('score', (payload: { index: number; item: number }) => ({ index: payload.index, doubled: payload.item * 2 }));

    sfn = await startLocalSfn({
      region: 'us-east-1',
      accountId: '000000000000',
      taskHandlers: {
        invokeLambda: lambdas.invoke,
        publishSns: async (input) => {
          publishedMessages.push(input);
          return { MessageId: `message-${publishedMessages.length}` };
        },
        putEvents: async (entries) => {
          publishedEvents.push(entries);
          const rejected = entries.filter((entry) => entry.Source === 'reject.me').length;
          return {
            FailedEntryCount: rejected,
            Entries: entries.map((entry, index) => (entry.Source === 'reject.me' ? { ErrorCode: 'InvalidArgument', ErrorMessage: 'rejected' } : { EventId: `event-${index}` })),
          };
        },
      },
      stateMachines: [
        { arn: machineArn('Booking'), name: 'Booking', definition: BOOKING, timeOverrides: { retryIntervalMs: { Reserve: 0 } } },
        { arn: machineArn('Approval'), name: 'Approval', definition: APPROVAL },
        { arn: machineArn('ApprovalFastTimeout'), name: 'ApprovalFastTimeout', definition: APPROVAL, timeOverrides: { taskTimeoutMs: { RequestApproval: 50 } } },
        { arn: machineArn('ApprovalFastHeartbeat'), name: 'ApprovalFastHeartbeat', definition: APPROVAL, timeOverrides: { heartbeatMs: { RequestApproval: 300 } } },
        {
          arn: machineArn('TimeoutIsNotTaskFailed'),
          name: 'TimeoutIsNotTaskFailed',
          definition: approvalDefinition([{ ErrorEquals: ['States.TaskFailed'], Next: 'AnyTaskFailure' }]),
          timeOverrides: { taskTimeoutMs: { RequestApproval: 20 } },
        },
        { arn: machineArn('Review'), name: 'Review', definition: REVIEW },
      ],
    });
    client = sfnClient(sfn.url);
  });

  afterAll(async () => {
    client?.destroy();
    await sfn?.stop();
  });
}

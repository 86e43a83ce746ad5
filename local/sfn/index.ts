// Local Step Functions: runs the deployable ASL with aws-local-stepfunctions behind an HTTP
// endpoint that speaks the Step Functions JSON 1.0 protocol, so unchanged handlers reach it
// with @aws-sdk/client-sfn (endpoint = url). See docs/local-runtime-sfn.md.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { startAwsJsonServer } from './aws-json-http';
import { SfnApiError } from './errors';
import { LocalSfnService, type ExecutionSnapshot, type ExecutionStatus, type LocalSfnServiceOptions, type LocalStateMachineSpec } from './service';
import type { PendingTaskInfo } from './tokens';

export type { AslDefinition, AslState, JsonValue } from './definition';
export { UnsupportedDefinitionError } from './definition';
export { SfnApiError, TaskFailure } from './errors';
export type {
  LocalSfnTaskHandlers,
  PutEventsEntry,
  PutEventsResult,
  ResourceHandler,
  SnsPublishInput,
  SqsSendMessageInput,
  TaskContext,
} from './integrations';
export { LambdaServiceError } from './integrations';
export type { ExecutionSnapshot, ExecutionStatus, LocalSfnServiceOptions, LocalStateMachineSpec } from './service';
export { LocalSfnService } from './service';
export type { StateTimeOverrides } from './task-runner';
export type { PendingTaskInfo } from './tokens';

export interface StartLocalSfnOptions extends LocalSfnServiceOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
}

export interface WaitOptions {
  /** Reject after this long (default 10 000 ms). */
  timeoutMs?: number;
}

export interface LocalSfn {
  /** Endpoint for SFNClient({ endpoint: url }). */
  readonly url: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /** The in-process service behind the endpoint. */
  readonly service: LocalSfnService;
  addStateMachine(spec: LocalStateMachineSpec): void;
  readonly executions: {
    start(stateMachineArn: string, input?: unknown, options?: { name?: string }): ExecutionSnapshot;
    describe(executionArn: string): ExecutionSnapshot;
    list(filter?: { stateMachineArn?: string; status?: ExecutionStatus }): ExecutionSnapshot[];
    history(executionArn: string): HistoryEvent[];
    /** Resolves once the execution is no longer RUNNING. */
    waitFor(executionArn: string, options?: WaitOptions): Promise<ExecutionSnapshot>;
    /** Resolves once no execution is RUNNING. */
    idle(options?: WaitOptions): Promise<void>;
    /**
     * RUNNING executions doing something now: not parked on a callback, a Wait or a child
     * execution. Empty when every running execution only waits for the outside world.
     */
    active(): ExecutionSnapshot[];
  };
  readonly tasks: {
    /** Callback tasks waiting for SendTaskSuccess/SendTaskFailure. */
    pending(filter?: { executionArn?: string; stateName?: string }): PendingTaskInfo[];
    /** Resolves with the first pending callback task matching the filter (already pending or future). */
    waitFor(filter?: { executionArn?: string; stateName?: string }, options?: WaitOptions): Promise<PendingTaskInfo>;
    succeed(taskToken: string, output: unknown): void;
    fail(taskToken: string, error?: string, cause?: string): void;
    heartbeat(taskToken: string): void;
  };
  /** Stops executions (pending callbacks are rejected), clears timers, closes the server. */
  stop(): Promise<void>;
}

const DEFAULT_WAIT_MS = 10_000;

export async function startLocalSfn(options: StartLocalSfnOptions): Promise<LocalSfn> {
  const service = await LocalSfnService.create(options);
  const server = await startAwsJsonServer({
    host: options.host,
    port: options.port,
    targetPrefix: 'AWSStepFunctions',
    jsonVersion: '1.0',
    log: options.log,
    mapError: (error) => (error instanceof SfnApiError ? { status: error.statusCode, code: error.code, message: error.message } : undefined),
    operations: {
      StartExecution: (body) => service.startExecution(body as never),
      StartSyncExecution: (body) => service.startSyncExecution(body as never),
      DescribeExecution: (body) => service.describeExecution(body as never),
      ListExecutions: (body) => service.listExecutions(body as never),
      GetExecutionHistory: (body) => service.getExecutionHistory(body as never),
      StopExecution: (body) => service.stopExecution(body as never),
      SendTaskSuccess: (body) => service.sendTaskSuccess(body as never),
      SendTaskFailure: (body) => service.sendTaskFailure(body as never),
      SendTaskHeartbeat: (body) => service.sendTaskHeartbeat(body as never),
      DescribeStateMachine: (body) => service.describeStateMachine(body as never),
      DescribeStateMachineForExecution: (body) => service.describeStateMachineForExecution(body as never),
      ListStateMachines: (body) => service.listStateMachines(body as never),
    },
  });

  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    region: service.region,
    accountId: service.accountId,
    service,
    addStateMachine: (spec) => service.addStateMachine(spec),
    executions: {
      start: (stateMachineArn, input = {}, startOptions = {}) => {
        const { executionArn } = service.startExecution({ stateMachineArn, input: JSON.stringify(input), name: startOptions.name });
        return service.snapshot(executionArn!);
      },
      describe: (executionArn) => service.snapshot(executionArn),
      list: (filter) => service.snapshots(filter),
      history: (executionArn) => service.history(executionArn),
      waitFor: (executionArn, waitOptions) => withDeadline(service.closed(executionArn), waitOptions, () => `execution ${executionArn} is still RUNNING`),
      idle: (waitOptions) =>
        withDeadline(
          service.idle(),
          waitOptions,
          () =>
            `executions still RUNNING: ${service
              .snapshots({ status: 'RUNNING' })
              .map((e) => e.name)
              .join(', ')}`,
        ),
      active: () => service.activeExecutions(),
    },
    tasks: {
      pending: (filter) => service.pendingTasks(filter),
      waitFor: (filter = {}, waitOptions) => {
        const [already] = service.pendingTasks(filter);
        if (already) return Promise.resolve(already);
        let unsubscribe: () => void = () => undefined;
        const found = new Promise<PendingTaskInfo>((resolve) => {
          const stopListening = service.tokens.onRegistered((task) => {
            if ((!filter.executionArn || task.executionArn === filter.executionArn) && (!filter.stateName || task.stateName === filter.stateName)) {
              stopListening();
              resolve(task);
            }
          });
          unsubscribe = () => void stopListening();
        });
        return withDeadline(found, waitOptions, () => `no callback task matching ${JSON.stringify(filter)} became pending`).finally(() => unsubscribe());
      },
      succeed: (taskToken, output) => service.sendTaskSuccess({ taskToken, output: JSON.stringify(output ?? null) }),
      fail: (taskToken, error, cause) => service.sendTaskFailure({ taskToken, error, cause }),
      heartbeat: (taskToken) => service.sendTaskHeartbeat({ taskToken }),
    },
    stop: () => {
      stopping ??= (async () => {
        await service.stop();
        await server.close();
      })();
      return stopping;
    },
  };
}

function withDeadline<T>(promise: Promise<T>, options: WaitOptions | undefined, describe: () => string): Promise<T> {
  const timeoutMs = options?.timeoutMs ?? DEFAULT_WAIT_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${describe()} after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

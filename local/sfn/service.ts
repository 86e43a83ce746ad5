// The local Step Functions service: state machines, executions, task tokens, and the API
// operations the HTTP layer exposes. Everything here is in memory and in process. An execution's
// own record is execution.ts; the rules for what callers send are api-input.ts, and the shapes of
// the answers responses.ts.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type * as Sfn from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';
import { compileDefinition, type AslDefinition } from './definition';
import { describeError, fatal, SfnApiError, TaskFailure } from './errors';
import type { ClosedExecution, LocalSfnTaskHandlers, NestedExecutions } from './integrations';
import { createRunner, statesTimeoutErrorClass, validateDefinition } from './library';
import type { StateTimeOverrides, TaskRunnerEnv } from './task-runner';
import { TimerSet } from './timers';
import { TaskTokenRegistry, type PendingTaskInfo } from './tokens';
import { Execution, type ExecutionSnapshot, type ExecutionStatus, type MachineRecord } from './execution';
import { runExecution } from './run';
import { describeExecutionOutput, describeStateMachineForExecutionOutput, describeStateMachineOutput, executionListItem, stateMachineListItem, syncExecutionOutput } from './responses';
import { EXECUTION_ARN, NAME, paginate, parseExecutionInput, requireToken, STATE_MACHINE_ARN, withoutExecutionData } from './api-input';

export type { ExecutionSnapshot, ExecutionStatus } from './execution';

export interface LocalStateMachineSpec {
  arn: string;
  name: string;
  /** The parsed ASL, with definition substitutions already applied. */
  definition: AslDefinition;
  roleArn?: string;
  type?: 'STANDARD' | 'EXPRESS';
  /** Explicit speed-ups for this machine's states (see StateTimeOverrides). */
  timeOverrides?: StateTimeOverrides;
  /** Run asl-validator on the definition first (default true). */
  validate?: boolean;
}

export interface LocalSfnServiceOptions {
  region?: string;
  accountId?: string;
  stateMachines?: LocalStateMachineSpec[];
  taskHandlers: LocalSfnTaskHandlers;
  /** For the dynamodb:* integrations: a client, or the config to build one (endpoint, region, credentials). */
  dynamoDb?: DynamoDBClient | DynamoDBClientConfig;
  /**
   * Multiplies every duration the service waits for: Wait states, Retry intervals, task
   * TimeoutSeconds/HeartbeatSeconds and execution TimeoutSeconds. Default 1 (real time).
   */
  timeScale?: number;
  /** Clock for dates the service reports. Default: the system clock. */
  now?: () => Date;
  log?: (line: string) => void;
}

export class LocalSfnService {
  readonly region: string;
  readonly accountId: string;
  readonly tokens = new TaskTokenRegistry();
  private readonly machines = new Map<string, MachineRecord>();
  private readonly executions = new Map<string, Execution>();
  private readonly executionsByMachine = new Map<string, Execution[]>();
  private readonly timers = new TimerSet();
  private readonly timeScale: number;
  private readonly now: () => Date;
  private readonly log: (line: string) => void;
  private readonly env: TaskRunnerEnv;
  private dynamoDbClient?: DynamoDBClient;
  private ownsDynamoDbClient = false;
  private stopped = false;

  /** Use create(): the service needs one asynchronous probe of the library before it runs. */
  private constructor(
    private readonly options: LocalSfnServiceOptions,
    statesTimeout: (message: string) => Error,
  ) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0) || !Number.isFinite(this.timeScale)) throw new Error(`timeScale must be a positive number, got ${options.timeScale}`);
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    const nested: NestedExecutions = {
      start: ({ stateMachineArn, input, name }) => {
        const started = this.startExecution({ stateMachineArn, input, name });
        return { executionArn: started.executionArn!, startDate: started.startDate! };
      },
      waitUntilClosed: (executionArn, signal) => this.waitUntilClosed(executionArn, signal),
      stop: async (executionArn, error, cause) => {
        await this.stopExecution({ executionArn, error, cause });
      },
    };
    this.env = {
      tokens: this.tokens,
      timers: this.timers,
      timeScale: this.timeScale,
      region: this.region,
      now: this.now,
      statesTimeout,
      integrations: { handlers: options.taskHandlers, dynamoDb: () => this.dynamoDb(), nested },
    };
  }

  static async create(options: LocalSfnServiceOptions): Promise<LocalSfnService> {
    const TimeoutError = await statesTimeoutErrorClass();
    const statesTimeout = (message: string): Error => {
      const error = TimeoutError ? new TimeoutError() : new TaskFailure('States.Timeout', message);
      error.message = message;
      return error;
    };
    const service = new LocalSfnService(options, statesTimeout);
    for (const spec of options.stateMachines ?? []) service.addStateMachine(spec);
    return service;
  }

  /** Adds a state machine, or replaces the definition of one with the same ARN (later executions use it). */
  addStateMachine(spec: LocalStateMachineSpec): void {
    if (!STATE_MACHINE_ARN.test(spec.arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${spec.arn}'`);
    if (spec.validate !== false) {
      try {
        validateDefinition(spec.definition);
      } catch (error) {
        throw new SfnApiError('InvalidDefinition', `state machine ${spec.name}: ${describeError(error).message}`);
      }
    }
    const compiled = compileDefinition(spec.definition, { timeScale: this.timeScale });
    const existing = this.machines.get(spec.arn);
    this.machines.set(spec.arn, {
      arn: spec.arn,
      name: spec.name,
      type: spec.type ?? 'STANDARD',
      roleArn: spec.roleArn ?? `arn:aws:iam::${this.accountId}:role/kairr-local-states`,
      creationDate: existing?.creationDate ?? this.now(),
      definitionString: JSON.stringify(spec.definition),
      compiled,
      runner: createRunner(compiled.runDefinition),
      overrides: spec.timeOverrides ?? {},
    });
  }

  // ---- API operations ------------------------------------------------------------------------

  startExecution(input: Sfn.StartExecutionInput): Sfn.StartExecutionOutput {
    this.assertRunning();
    const machine = this.requireMachine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    if (!NAME.test(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    const inputString = input.input ?? '{}';
    const inputValue = parseExecutionInput(inputString);
    const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;

    const existing = this.executions.get(executionArn);
    if (existing) {
      // Step Functions: the same name and input while the execution runs is the same request.
      if (existing.status === 'RUNNING' && existing.input === inputString) return { executionArn, startDate: existing.startDate };
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }

    const execution = new Execution(executionArn, name, machine, inputString, inputValue, this.now(), this.now);
    this.executions.set(executionArn, execution);
    const list = this.executionsByMachine.get(machine.arn) ?? [];
    list.push(execution);
    this.executionsByMachine.set(machine.arn, list);
    execution.history.append('ExecutionStarted', {
      executionStartedEventDetails: { input: inputString, inputDetails: { truncated: false }, roleArn: machine.roleArn },
    });
    this.log(`sfn: started ${executionArn}`);
    // Run after the caller has its answer, as the real service does.
    queueMicrotask(() => void runExecution(execution, { env: this.env, timers: this.timers, timeScale: this.timeScale, now: this.now, log: this.log }));
    return { executionArn, startDate: execution.startDate };
  }

  async startSyncExecution(input: Sfn.StartSyncExecutionInput): Promise<Sfn.StartSyncExecutionOutput> {
    const machine = this.requireMachine(input.stateMachineArn);
    if (machine.type !== 'EXPRESS') throw new SfnApiError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
    const { executionArn } = this.startExecution({ stateMachineArn: input.stateMachineArn, name: input.name, input: input.input });
    const execution = this.requireExecution(executionArn);
    await execution.closed;
    return syncExecutionOutput(machine, execution);
  }

  describeExecution(input: Sfn.DescribeExecutionInput): Sfn.DescribeExecutionOutput {
    return describeExecutionOutput(this.requireExecution(input.executionArn));
  }

  listExecutions(input: Sfn.ListExecutionsInput): Sfn.ListExecutionsOutput {
    const machine = this.requireMachine(input.stateMachineArn);
    const newestFirst = [...(this.executionsByMachine.get(machine.arn) ?? [])].reverse();
    const matching = input.statusFilter ? newestFirst.filter((execution) => execution.status === input.statusFilter) : newestFirst;
    const page = paginate(matching, input.maxResults, input.nextToken);
    return {
      executions: page.items.map(executionListItem),
      nextToken: page.nextToken,
    };
  }

  getExecutionHistory(input: Sfn.GetExecutionHistoryInput): Sfn.GetExecutionHistoryOutput {
    const execution = this.requireExecution(input.executionArn);
    const ordered = input.reverseOrder ? [...execution.history.events].reverse() : execution.history.events;
    const page = paginate(ordered, input.maxResults, input.nextToken);
    const events = input.includeExecutionData === false ? page.items.map(withoutExecutionData) : page.items.map((event) => ({ ...event }));
    return { events, nextToken: page.nextToken };
  }

  async stopExecution(input: Sfn.StopExecutionInput): Promise<Sfn.StopExecutionOutput> {
    const execution = this.requireExecution(input.executionArn);
    if (execution.terminate({ status: 'ABORTED', error: input.error, cause: input.cause })) {
      this.log(`sfn: stopping ${execution.executionArn}`);
    }
    await execution.closed;
    return { stopDate: execution.stopDate };
  }

  sendTaskSuccess(input: Sfn.SendTaskSuccessInput): Sfn.SendTaskSuccessOutput {
    if (typeof input.output !== 'string') throw new SfnApiError('ValidationException', "1 validation error detected: Value null at 'output' failed to satisfy constraint: Member must not be null");
    this.tokens.succeed(requireToken(input.taskToken), input.output);
    return {};
  }

  sendTaskFailure(input: Sfn.SendTaskFailureInput): Sfn.SendTaskFailureOutput {
    this.tokens.fail(requireToken(input.taskToken), input.error, input.cause);
    return {};
  }

  sendTaskHeartbeat(input: Sfn.SendTaskHeartbeatInput): Sfn.SendTaskHeartbeatOutput {
    this.tokens.heartbeat(requireToken(input.taskToken));
    return {};
  }

  describeStateMachine(input: Sfn.DescribeStateMachineInput): Sfn.DescribeStateMachineOutput {
    return describeStateMachineOutput(this.requireMachine(input.stateMachineArn));
  }

  describeStateMachineForExecution(input: Sfn.DescribeStateMachineForExecutionInput): Sfn.DescribeStateMachineForExecutionOutput {
    return describeStateMachineForExecutionOutput(this.requireExecution(input.executionArn).machine);
  }

  listStateMachines(input: Sfn.ListStateMachinesInput): Sfn.ListStateMachinesOutput {
    const page = paginate([...this.machines.values()], input.maxResults, input.nextToken);
    return {
      stateMachines: page.items.map(stateMachineListItem),
      nextToken: page.nextToken,
    };
  }

  // ---- in-process helpers for the runtime and tests -------------------------------------------

  snapshot(executionArn: string): ExecutionSnapshot {
    return this.requireExecution(executionArn).snapshot();
  }

  snapshots(filter: { stateMachineArn?: string; status?: ExecutionStatus } = {}): ExecutionSnapshot[] {
    return [...this.executions.values()]
      .filter((execution) => (!filter.stateMachineArn || execution.stateMachineArn === filter.stateMachineArn) && (!filter.status || execution.status === filter.status))
      .map((execution) => execution.snapshot());
  }

  history(executionArn: string): Sfn.HistoryEvent[] {
    return this.requireExecution(executionArn).history.events.map((event) => ({ ...event }));
  }

  /** Resolves when the execution is no longer RUNNING. */
  async closed(executionArn: string): Promise<ExecutionSnapshot> {
    const execution = this.requireExecution(executionArn);
    await execution.closed;
    return execution.snapshot();
  }

  /** Resolves when no execution is RUNNING (including ones started meanwhile). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.executions.values()].filter((execution) => execution.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.all(running.map((execution) => execution.closed));
    }
  }

  /** RUNNING executions that are not parked (see Execution.isParked): they are doing something now. */
  activeExecutions(): ExecutionSnapshot[] {
    return [...this.executions.values()].filter((execution) => execution.status === 'RUNNING' && !execution.isParked).map((execution) => execution.snapshot());
  }

  pendingTasks(filter: { executionArn?: string; stateName?: string } = {}): PendingTaskInfo[] {
    return this.tokens.list(filter);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Aborts every running execution (pending callbacks get TaskTimedOut), clears all timers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const running = [...this.executions.values()].filter((execution) => execution.status === 'RUNNING');
    for (const execution of running) {
      execution.terminate({ status: 'ABORTED', error: 'States.Aborted', cause: 'the local Step Functions service stopped' });
    }
    await Promise.all(running.map((execution) => execution.closed));
    this.timers.close();
    if (this.ownsDynamoDbClient) this.dynamoDbClient?.destroy();
  }

  // ---- internals -----------------------------------------------------------------------------

  private async waitUntilClosed(executionArn: string, signal: AbortSignal): Promise<ClosedExecution> {
    const execution = this.requireExecution(executionArn);
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void execution.closed.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    return execution.snapshot();
  }

  private dynamoDb(): DynamoDBClient {
    if (!this.dynamoDbClient) {
      const configured = this.options.dynamoDb;
      if (configured instanceof DynamoDBClient) {
        this.dynamoDbClient = configured;
      } else if (configured) {
        this.dynamoDbClient = new DynamoDBClient(configured);
        this.ownsDynamoDbClient = true;
      } else {
        throw fatal(new TaskFailure('LocalSfn.NoHandler', 'a dynamodb:* Task ran, but the local Step Functions service was given no dynamoDb client or config'));
      }
    }
    return this.dynamoDbClient;
  }

  private requireMachine(arn: unknown): MachineRecord {
    if (typeof arn !== 'string') throw new SfnApiError('ValidationException', "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null");
    if (!STATE_MACHINE_ARN.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private requireExecution(arn: unknown): Execution {
    if (typeof arn !== 'string') throw new SfnApiError('ValidationException', "1 validation error detected: Value null at 'executionArn' failed to satisfy constraint: Member must not be null");
    if (!EXECUTION_ARN.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const execution = this.executions.get(arn);
    if (!execution) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private assertRunning(): void {
    if (this.stopped) throw new SfnApiError('ValidationException', 'the local Step Functions service has stopped');
  }
}

// The local Step Functions service: state machines, executions, task tokens, and the API
// operations the HTTP layer exposes. Everything here is in memory and in process.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type * as Sfn from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';
import { compileDefinition, CONTEXT_KEYS, type AslDefinition, type CompiledDefinition, type JsonValue } from './definition';
import { describeError, fatal, SfnApiError, TaskFailure } from './errors';
import { ExecutionHistory } from './history';
import type { ClosedExecution, LocalSfnTaskHandlers, NestedExecutions } from './integrations';
import { createRunner, isExecutionError, statesTimeoutErrorClass, validateDefinition, type LibraryStateMachine, type RunOptions } from './library';
import { createTaskHandler, createWaitHandler, type ExecutionScope, type StateTimeOverrides, type TaskActivity, type TaskRunnerEnv } from './task-runner';
import { TimerSet } from './timers';
import { newTaskToken, TaskTokenRegistry, type PendingTaskInfo } from './tokens';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

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

export interface ExecutionSnapshot {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

interface MachineRecord {
  arn: string;
  name: string;
  type: 'STANDARD' | 'EXPRESS';
  roleArn: string;
  creationDate: Date;
  definitionString: string;
  compiled: CompiledDefinition;
  runner: LibraryStateMachine;
  overrides: StateTimeOverrides;
}

interface Outcome {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  output?: string;
  error?: string;
  cause?: string;
}

const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:\s]+$/;
const EXECUTION_ARN = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:(execution|express):[^:\s]+:[^:\s]+$/;
// Step Functions names: 1-80 characters, none of whitespace, brackets, wildcards, these
// specials " # % \ ^ | ~ ` $ & , ; : / or control characters.
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/u;
const MAX_INPUT_BYTES = 256 * 1024;
const LIBRARY_FAIL_STATE_ERROR = 'FailStateError';
const LIBRARY_FAIL_STATE_CAUSE = 'Execution failed because of a Fail state';

class Execution implements ExecutionScope {
  status: ExecutionStatus = 'RUNNING';
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  termination?: Outcome;
  readonly history: ExecutionHistory;
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  private readonly controller = new AbortController();
  private issuedToken?: string;
  private libraryAbort?: () => void;

  constructor(
    readonly executionArn: string,
    readonly executionName: string,
    readonly machine: MachineRecord,
    readonly input: string,
    readonly inputValue: JsonValue,
    readonly startDate: Date,
    now: () => Date,
  ) {
    this.history = new ExecutionHistory(machine.compiled.stateTypes, now);
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  get stateMachineArn(): string {
    return this.machine.arn;
  }

  get overrides(): StateTimeOverrides {
    return this.machine.overrides;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Backs the $$.Task.Token getter. The library resolves a Task's Parameters and calls its
   * handler in one synchronous step, so the token minted here is claimed by that very handler
   * (takeIssuedToken); a microtask drops it if no handler claims it.
   */
  issueToken(): string {
    if (!this.issuedToken) {
      const token = newTaskToken();
      this.issuedToken = token;
      queueMicrotask(() => {
        if (this.issuedToken === token) this.issuedToken = undefined;
      });
    }
    return this.issuedToken;
  }

  takeIssuedToken(): string | undefined {
    const token = this.issuedToken;
    this.issuedToken = undefined;
    return token;
  }

  private working = 0;
  private parkedTasks = 0;

  track(): TaskActivity {
    let state: 'working' | 'parked' | 'ended' = 'working';
    this.working++;
    const move = (to: 'working' | 'parked' | 'ended') => {
      if (state === 'ended' || state === to) return;
      if (state === 'working') this.working--;
      else this.parkedTasks--;
      if (to === 'working') this.working++;
      else if (to === 'parked') this.parkedTasks++;
      state = to;
    };
    return { working: () => move('working'), parked: () => move('parked'), end: () => move('ended') };
  }

  /**
   * Parked: running, but every task in progress only waits for something outside the execution
   * (a callback, a Wait's timer, a child execution) and none is working. Between states (no task
   * at all) an execution is not parked: it is about to do something.
   */
  get isParked(): boolean {
    return this.status === 'RUNNING' && this.working === 0 && this.parkedTasks > 0;
  }

  attachLibraryRun(abort: () => void): void {
    this.libraryAbort = abort;
    if (this.signal.aborted) abort();
  }

  /** Stops a running execution with a final status decided now (ABORTED or TIMED_OUT). */
  terminate(outcome: Outcome): boolean {
    if (this.status !== 'RUNNING' || this.termination) return false;
    this.termination = outcome;
    this.controller.abort(fatal(new TaskFailure('States.Aborted', outcome.cause ?? 'execution stopped')));
    this.libraryAbort?.();
    return true;
  }

  close(outcome: Outcome, at: Date): void {
    this.status = outcome.status;
    this.output = outcome.output;
    this.error = outcome.error;
    this.cause = outcome.cause;
    this.stopDate = at;
    this.markClosed();
  }

  snapshot(): ExecutionSnapshot {
    return {
      executionArn: this.executionArn,
      stateMachineArn: this.machine.arn,
      name: this.executionName,
      status: this.status,
      startDate: this.startDate,
      stopDate: this.stopDate,
      input: this.input,
      output: this.output,
      error: this.error,
      cause: this.cause,
    };
  }
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
    queueMicrotask(() => void this.run(execution));
    return { executionArn, startDate: execution.startDate };
  }

  async startSyncExecution(input: Sfn.StartSyncExecutionInput): Promise<Sfn.StartSyncExecutionOutput> {
    const machine = this.requireMachine(input.stateMachineArn);
    if (machine.type !== 'EXPRESS') throw new SfnApiError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
    const { executionArn } = this.startExecution({ stateMachineArn: input.stateMachineArn, name: input.name, input: input.input });
    const execution = this.requireExecution(executionArn);
    await execution.closed;
    return {
      executionArn,
      stateMachineArn: machine.arn,
      name: execution.executionName,
      startDate: execution.startDate,
      stopDate: execution.stopDate,
      status: execution.status === 'ABORTED' ? 'FAILED' : (execution.status as Sfn.SyncExecutionStatus),
      error: execution.error,
      cause: execution.cause,
      input: execution.input,
      inputDetails: { included: true },
      output: execution.output,
      outputDetails: { included: true },
    };
  }

  describeExecution(input: Sfn.DescribeExecutionInput): Sfn.DescribeExecutionOutput {
    const execution = this.requireExecution(input.executionArn);
    return {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.executionName,
      status: execution.status,
      startDate: execution.startDate,
      stopDate: execution.stopDate,
      input: execution.input,
      inputDetails: { included: true },
      output: execution.output,
      outputDetails: execution.output === undefined ? undefined : { included: true },
      error: execution.error,
      cause: execution.cause,
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
  }

  listExecutions(input: Sfn.ListExecutionsInput): Sfn.ListExecutionsOutput {
    const machine = this.requireMachine(input.stateMachineArn);
    const newestFirst = [...(this.executionsByMachine.get(machine.arn) ?? [])].reverse();
    const matching = input.statusFilter ? newestFirst.filter((execution) => execution.status === input.statusFilter) : newestFirst;
    const page = paginate(matching, input.maxResults, input.nextToken);
    return {
      executions: page.items.map((execution) => ({
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.executionName,
        status: execution.status,
        startDate: execution.startDate,
        stopDate: execution.stopDate,
      })),
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
    const machine = this.requireMachine(input.stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionString,
      roleArn: machine.roleArn,
      type: machine.type,
      creationDate: machine.creationDate,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  describeStateMachineForExecution(input: Sfn.DescribeStateMachineForExecutionInput): Sfn.DescribeStateMachineForExecutionOutput {
    const { machine } = this.requireExecution(input.executionArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      definition: machine.definitionString,
      roleArn: machine.roleArn,
      updateDate: machine.creationDate,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  listStateMachines(input: Sfn.ListStateMachinesInput): Sfn.ListStateMachinesOutput {
    const page = paginate([...this.machines.values()], input.maxResults, input.nextToken);
    return {
      stateMachines: page.items.map((machine) => ({ stateMachineArn: machine.arn, name: machine.name, type: machine.type, creationDate: machine.creationDate })),
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

  private async run(execution: Execution): Promise<void> {
    const { machine } = execution;
    const handlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const info of machine.compiled.tasks.values()) handlers[info.name] = createTaskHandler(info, execution, this.env);
    for (const info of machine.compiled.waits.values()) handlers[info.name] = createWaitHandler(info, execution, this.env);

    const timeoutMs =
      machine.overrides.executionTimeoutMs ?? (machine.compiled.timeoutSeconds === undefined ? undefined : machine.compiled.timeoutSeconds * 1000 * this.timeScale);
    let cancelTimeout: () => void = () => undefined;
    let outcome: Outcome;
    try {
      if (timeoutMs !== undefined) {
        cancelTimeout = this.timers.after(timeoutMs, () =>
          execution.terminate({ status: 'TIMED_OUT', error: 'States.Timeout', cause: `The execution exceeded its TimeoutSeconds (${machine.compiled.timeoutSeconds} s)` }),
        );
      }
      const run = machine.runner.run(execution.inputValue as never, {
        overrides: {
          taskResourceLocalHandlers: handlers as NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>,
          retryIntervalOverrides: machine.overrides.retryIntervalMs,
        },
        context: this.contextFor(execution),
        noThrowOnAbort: true,
      });
      execution.attachLibraryRun(run.abort);
      const drained = (async () => {
        for await (const event of run.eventLogs) execution.history.consume(event as Parameters<ExecutionHistory['consume']>[0]);
      })().catch((error: unknown) => this.log(`sfn: history of ${execution.executionArn} is incomplete: ${describeError(error).message}`));
      try {
        const output = await run.result;
        outcome = execution.termination ?? { status: 'SUCCEEDED', output: JSON.stringify(output ?? null) };
      } catch (error) {
        outcome = execution.termination ?? failureOutcome(error);
      }
      await drained;
    } catch (error) {
      outcome = { status: 'FAILED', error: 'States.Runtime', cause: describeError(error).message };
    } finally {
      cancelTimeout();
    }
    this.close(execution, outcome);
  }

  private close(execution: Execution, outcome: Outcome): void {
    const { history } = execution;
    history.flushUnattached();
    if (outcome.status === 'SUCCEEDED') {
      history.append('ExecutionSucceeded', { executionSucceededEventDetails: { output: outcome.output, outputDetails: { truncated: false } } });
    } else if (outcome.status === 'FAILED') {
      history.append('ExecutionFailed', { executionFailedEventDetails: { error: outcome.error, cause: outcome.cause } });
    } else if (outcome.status === 'ABORTED') {
      history.append('ExecutionAborted', { executionAbortedEventDetails: { error: outcome.error, cause: outcome.cause } });
    } else {
      history.append('ExecutionTimedOut', { executionTimedOutEventDetails: { error: outcome.error, cause: outcome.cause } });
    }
    execution.close(outcome, this.now());
    this.log(`sfn: ${execution.executionArn} ${outcome.status}${outcome.error ? ` (${outcome.error})` : ''}`);
  }

  private contextFor(execution: Execution): Record<string, unknown> {
    const { machine } = execution;
    const now = this.now;
    const base = { Id: execution.executionArn, Name: execution.executionName, RoleArn: machine.roleArn, StartTime: execution.startDate.toISOString(), RedriveCount: 0 };
    return {
      Execution: base,
      // The library replaces Execution.Input/StartTime inside Parallel/Map; definition.ts points
      // $$.Execution.* here instead.
      [CONTEXT_KEYS.execution]: { ...base, Input: structuredClone(execution.inputValue) },
      [CONTEXT_KEYS.state]: {
        get EnteredTime() {
          return now().toISOString();
        },
      },
      [CONTEXT_KEYS.stateNames]: machine.compiled.stateNames,
      StateMachine: { Id: machine.arn, Name: machine.name },
      Task: {
        get Token() {
          return execution.issueToken();
        },
      },
    };
  }

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

function parseExecutionInput(input: string): JsonValue {
  if (Buffer.byteLength(input, 'utf8') > MAX_INPUT_BYTES) throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input exceeds 262144 bytes');
  try {
    return JSON.parse(input) as JsonValue;
  } catch {
    throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
  }
}

function requireToken(token: unknown): string {
  if (typeof token !== 'string') throw new SfnApiError('ValidationException', "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null");
  return token;
}

function failureOutcome(error: unknown): Outcome {
  const cause = isExecutionError(error) ? error.cause : error;
  const described = describeError(cause);
  return {
    status: 'FAILED',
    // A Fail state without Error/Cause reports neither, like AWS.
    error: described.name === LIBRARY_FAIL_STATE_ERROR ? undefined : described.name,
    cause: described.message === LIBRARY_FAIL_STATE_CAUSE ? undefined : described.message,
  };
}

function paginate<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined): { items: T[]; nextToken?: string } {
  const pageSize = maxResults && maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  let offset = 0;
  if (nextToken) {
    try {
      offset = (JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')) as { offset: number }).offset;
    } catch {
      throw new SfnApiError('InvalidToken', 'Invalid Token: nextToken is not a token this service issued');
    }
    if (!Number.isInteger(offset) || offset < 0) throw new SfnApiError('InvalidToken', 'Invalid Token: nextToken is not a token this service issued');
  }
  const page = items.slice(offset, offset + pageSize);
  const next = offset + pageSize < items.length ? Buffer.from(JSON.stringify({ offset: offset + pageSize })).toString('base64url') : undefined;
  return { items: page, nextToken: next };
}

function withoutExecutionData(event: Sfn.HistoryEvent): Sfn.HistoryEvent {
  const copy: Record<string, unknown> = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') {
      const { input: _input, output: _output, parameters: _parameters, ...rest } = value as Record<string, unknown>;
      copy[key] = rest;
    }
  }
  return copy as unknown as Sfn.HistoryEvent;
}

// One execution of a local state machine: its status and outcome, its history, its task tokens,
// and whether it is working or parked (waiting only for the outside world). The service
// (service.ts) starts, runs and closes executions; this is the record each one keeps.
import type { CompiledDefinition, JsonValue } from './definition';
import { describeError, fatal, TaskFailure } from './errors';
import { ExecutionHistory } from './history';
import { isExecutionError, type LibraryStateMachine } from './library';
import type { ExecutionScope, StateTimeOverrides, TaskActivity } from './task-runner';
import { newTaskToken } from './tokens';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

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

export interface MachineRecord {
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

export interface Outcome {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  output?: string;
  error?: string;
  cause?: string;
}

const LIBRARY_FAIL_STATE_ERROR = 'FailStateError';
const LIBRARY_FAIL_STATE_CAUSE = 'Execution failed because of a Fail state';

export class Execution implements ExecutionScope {
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

/** The outcome of a run that ended in an error (a Fail state's, a task's, or the runtime's). */
export function failureOutcome(error: unknown): Outcome {
  const cause = isExecutionError(error) ? error.cause : error;
  const described = describeError(cause);
  return {
    status: 'FAILED',
    // A Fail state without Error/Cause reports neither, like AWS.
    error: described.name === LIBRARY_FAIL_STATE_ERROR ? undefined : described.name,
    cause: described.message === LIBRARY_FAIL_STATE_CAUSE ? undefined : described.message,
  };
}

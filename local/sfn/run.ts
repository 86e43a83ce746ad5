// Running one execution: the library runs the ASL with our task and Wait handlers, its events
// become the execution's history, an execution timeout may end it, and its outcome closes it.
import { CONTEXT_KEYS, type JsonValue } from './definition';
import { describeError } from './errors';
import type { ExecutionHistory } from './history';
import type { RunOptions } from './library';
import { createTaskHandler, createWaitHandler, type TaskRunnerEnv } from './task-runner';
import type { TimerSet } from './timers';
import { failureOutcome, type Execution, type Outcome } from './execution';

export interface RunDeps {
  env: TaskRunnerEnv;
  timers: TimerSet;
  timeScale: number;
  now: () => Date;
  log: (line: string) => void;
}

/** Runs one execution on the library to its end, and closes it with the outcome. */
export async function runExecution(execution: Execution, deps: RunDeps): Promise<void> {
  const { machine } = execution;
  const handlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
  for (const info of machine.compiled.tasks.values()) handlers[info.name] = createTaskHandler(info, execution, deps.env);
  for (const info of machine.compiled.waits.values()) handlers[info.name] = createWaitHandler(info, execution, deps.env);

  const timeoutMs = machine.overrides.executionTimeoutMs ?? (machine.compiled.timeoutSeconds === undefined ? undefined : machine.compiled.timeoutSeconds * 1000 * deps.timeScale);
  let cancelTimeout: () => void = () => undefined;
  let outcome: Outcome;
  try {
    if (timeoutMs !== undefined) {
      cancelTimeout = deps.timers.after(timeoutMs, () => execution.terminate({ status: 'TIMED_OUT', error: 'States.Timeout', cause: `The execution exceeded its TimeoutSeconds (${machine.compiled.timeoutSeconds} s)` }));
    }
    const run = machine.runner.run(execution.inputValue as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>,
        retryIntervalOverrides: machine.overrides.retryIntervalMs,
      },
      context: contextFor(execution, deps.now),
      noThrowOnAbort: true,
    });
    execution.attachLibraryRun(run.abort);
    const drained = (async () => {
      for await (const event of run.eventLogs) execution.history.consume(event as Parameters<ExecutionHistory['consume']>[0]);
    })().catch((error: unknown) => deps.log(`sfn: history of ${execution.executionArn} is incomplete: ${describeError(error).message}`));
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
  close(execution, outcome, deps);
}

function close(execution: Execution, outcome: Outcome, deps: RunDeps): void {
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
  execution.close(outcome, deps.now());
  deps.log(`sfn: ${execution.executionArn} ${outcome.status}${outcome.error ? ` (${outcome.error})` : ''}`);
}

/** The context object ($$) the library gives the states of this execution. */
function contextFor(execution: Execution, now: () => Date): Record<string, unknown> {
  const { machine } = execution;
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

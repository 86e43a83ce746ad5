// The life of one Task (and one Wait) inside an execution: history events, the callback
// pattern, TimeoutSeconds/HeartbeatSeconds, and stopping when the execution stops.
// The handlers returned here are installed as aws-local-stepfunctions task overrides, one per
// state name; they receive the hidden envelope built by definition.ts.
import { ENVELOPE, parseResource, type JsonValue, type TaskStateInfo, type WaitStateInfo } from './definition';
import { fatal, TaskFailure } from './errors';
import { stringify, type ExecutionHistory } from './history';
import { callIntegration, describeResource, isLambdaFunctionArn, type IntegrationEnv, type TaskContext } from './integrations';
import type { TimerSet } from './timers';
import { newTaskToken, type TaskTokenRegistry } from './tokens';

/** Explicit per-state time overrides, in milliseconds. Nothing is sped up unless listed here or by timeScale. */
export interface StateTimeOverrides {
  /** Wait state name -> how long it waits. */
  waitMs?: Record<string, number>;
  /** State name -> retry interval (one value, or one per retrier). Passed to the library as is. */
  retryIntervalMs?: Record<string, number | number[]>;
  /** Task state name -> its TimeoutSeconds, replaced. */
  taskTimeoutMs?: Record<string, number>;
  /** Task state name -> its HeartbeatSeconds, replaced. */
  heartbeatMs?: Record<string, number>;
  /** The machine's top-level TimeoutSeconds, replaced. */
  executionTimeoutMs?: number;
}

/** What a task needs from the execution it runs in. */
export interface ExecutionScope {
  executionArn: string;
  executionName: string;
  stateMachineArn: string;
  signal: AbortSignal;
  history: ExecutionHistory;
  overrides: StateTimeOverrides;
  /** The token minted while this task's Parameters were resolved, if they referenced $$.Task.Token. */
  takeIssuedToken(): string | undefined;
  /** Counts this task as doing work or as parked (see TaskActivity), until end(). */
  track(): TaskActivity;
}

/**
 * What a running task is doing, for telling a busy execution from one that only waits for
 * something outside it: a callback, a Wait's timer, a child execution. Starts as working.
 */
export interface TaskActivity {
  working(): void;
  parked(): void;
  end(): void;
}

export interface TaskRunnerEnv {
  tokens: TaskTokenRegistry;
  timers: TimerSet;
  integrations: IntegrationEnv;
  timeScale: number;
  region: string;
  now(): Date;
  /** Builds the library's own States.Timeout error, which States.TaskFailed does not match. */
  statesTimeout(message: string): Error;
}

type Envelope = Record<string, JsonValue>;

export function createTaskHandler(info: TaskStateInfo, scope: ExecutionScope, env: TaskRunnerEnv): (envelope: JsonValue) => Promise<JsonValue> {
  const { base, pattern } = parseResource(info.resource);
  const isLambdaArn = isLambdaFunctionArn(base);
  const described = describeResource(info.resource);

  return async (raw) => {
    const issuedToken = scope.takeIssuedToken();
    if (scope.signal.aborted) throw scope.signal.reason;
    const envelope = raw as Envelope;
    const parameters = envelope[ENVELOPE.parameters];
    const timeoutSeconds = readSeconds(envelope[ENVELOPE.timeoutSeconds], info.timeoutSeconds, `TimeoutSecondsPath of "${info.name}"`);
    const heartbeatSeconds = readSeconds(envelope[ENVELOPE.heartbeatSeconds], info.heartbeatSeconds, `HeartbeatSecondsPath of "${info.name}"`);
    const timeoutMs = scope.overrides.taskTimeoutMs?.[info.name] ?? (timeoutSeconds === undefined ? Infinity : timeoutSeconds * 1000 * env.timeScale);
    const heartbeatMs = pattern !== 'waitForTaskToken' ? Infinity : (scope.overrides.heartbeatMs?.[info.name] ?? (heartbeatSeconds === undefined ? Infinity : heartbeatSeconds * 1000 * env.timeScale));

    const visit = scope.history.beginTaskVisit(info.name);
    if (isLambdaArn) {
      visit.record('LambdaFunctionScheduled', {
        lambdaFunctionScheduledEventDetails: { resource: info.resource, input: stringify(parameters), timeoutInSeconds: timeoutSeconds },
      });
      visit.record('LambdaFunctionStarted', {});
    } else {
      visit.record('TaskScheduled', {
        taskScheduledEventDetails: {
          ...described,
          region: env.region,
          parameters: stringify(parameters),
          timeoutInSeconds: timeoutSeconds,
          heartbeatInSeconds: pattern === 'waitForTaskToken' ? heartbeatSeconds : undefined,
        },
      });
      visit.record('TaskStarted', { taskStartedEventDetails: described });
    }

    // Aborted when the task ends for any reason, so handlers and nested waits can let go.
    const taskController = new AbortController();
    const forwardAbort = () => taskController.abort(scope.signal.reason);
    scope.signal.addEventListener('abort', forwardAbort, { once: true });
    const ctx: TaskContext = {
      executionArn: scope.executionArn,
      executionName: scope.executionName,
      stateMachineArn: scope.stateMachineArn,
      stateName: info.name,
      resource: info.resource,
      signal: taskController.signal,
    };
    const activity = scope.track();
    ctx.activity = activity;
    const cleanups: Array<() => void> = [() => activity.end()];
    let timedOut: 'States.Timeout' | 'States.HeartbeatTimeout' | undefined;

    try {
      const output = await new Promise<JsonValue>((resolve, reject) => {
        let settled = false;
        const succeed = (value: JsonValue) => {
          if (settled) return;
          settled = true;
          resolve(value);
        };
        const fail = (error: unknown) => {
          if (settled) return;
          settled = true;
          reject(error);
        };
        taskController.signal.addEventListener('abort', () => fail(taskController.signal.reason), { once: true });
        if (Number.isFinite(timeoutMs)) {
          cleanups.push(
            env.timers.after(timeoutMs, () => {
              timedOut = 'States.Timeout';
              fail(env.statesTimeout(`Task "${info.name}" timed out after ${describeMs(timeoutMs, timeoutSeconds)}`));
            }),
          );
        }

        if (pattern !== 'waitForTaskToken') {
          callIntegration(base, pattern, parameters, ctx, env.integrations).then(succeed, fail);
          return;
        }

        // Callback pattern: register the token before calling the integration, because the
        // integration (a Lambda, say) may send the callback before its own invoke returns.
        const taskToken = issuedToken ?? newTaskToken();
        ctx.taskToken = taskToken;
        let cancelHeartbeat = armHeartbeat();
        function armHeartbeat(): () => void {
          if (!Number.isFinite(heartbeatMs)) return () => undefined;
          return env.timers.after(heartbeatMs, () => {
            timedOut = 'States.HeartbeatTimeout';
            fail(new TaskFailure('States.HeartbeatTimeout', `Task "${info.name}" sent no heartbeat for ${describeMs(heartbeatMs, heartbeatSeconds)}`));
          });
        }
        cleanups.push(() => cancelHeartbeat());
        env.tokens.register({
          taskToken,
          executionArn: scope.executionArn,
          stateMachineArn: scope.stateMachineArn,
          stateName: info.name,
          resource: info.resource,
          parameters,
          issuedAt: env.now(),
          settle: (outcome) => (outcome.ok ? succeed(outcome.output) : fail(new TaskFailure(outcome.error, outcome.cause))),
          onHeartbeat: () => {
            cancelHeartbeat();
            cancelHeartbeat = armHeartbeat();
          },
        });
        cleanups.push(() => env.tokens.close(taskToken, closeReason()));
        callIntegration(base, 'request', parameters, ctx, env.integrations).then((submitted) => {
          if (settled) return;
          visit.record('TaskSubmitted', { taskSubmittedEventDetails: { ...described, output: stringify(submitted) } });
          activity.parked();
        }, fail);
      });

      if (isLambdaArn) visit.record('LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: stringify(output) } });
      else visit.record('TaskSucceeded', { taskSucceededEventDetails: { ...described, output: stringify(output) } });
      return output;
    } catch (error) {
      if (!scope.signal.aborted) recordFailure(error);
      throw error;
    } finally {
      for (const cleanup of cleanups) cleanup();
      scope.signal.removeEventListener('abort', forwardAbort);
      if (!taskController.signal.aborted) taskController.abort(fatal(new TaskFailure('States.TaskClosed', `task "${info.name}" has ended`)));
    }

    function closeReason(): string {
      if (scope.signal.aborted) return 'the execution was stopped';
      if (timedOut) return `the task timed out (${timedOut})`;
      return 'the task was already completed';
    }

    function recordFailure(error: unknown): void {
      const err = error as Error;
      const details = { error: err.name, cause: err.message };
      if (timedOut) {
        if (isLambdaArn) visit.record('LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: details });
        else visit.record('TaskTimedOut', { taskTimedOutEventDetails: { ...described, ...details } });
      } else if (isLambdaArn) {
        visit.record('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: details });
      } else {
        visit.record('TaskFailed', { taskFailedEventDetails: { ...described, ...details } });
      }
    }
  };
}

/** A Wait state, compiled into a Task on WAIT_RESOURCE. Real time unless overridden or scaled. */
export function createWaitHandler(info: WaitStateInfo, scope: ExecutionScope, env: TaskRunnerEnv): (envelope: JsonValue) => Promise<JsonValue> {
  return async (raw) => {
    scope.takeIssuedToken();
    const envelope = raw as Envelope;
    const override = scope.overrides.waitMs?.[info.name];
    let ms = 0;
    if (override !== undefined) {
      ms = override;
    } else {
      const seconds = envelope[ENVELOPE.waitSeconds] ?? info.seconds;
      const timestamp = envelope[ENVELOPE.waitTimestamp] ?? info.timestamp;
      if (seconds !== undefined && seconds !== null) {
        if (typeof seconds !== 'number' || seconds < 0) throw fatal(new TaskFailure('States.Runtime', `Wait "${info.name}": SecondsPath must point to a non-negative number`));
        ms = seconds * 1000 * env.timeScale;
      } else if (timestamp !== undefined && timestamp !== null) {
        const at = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
        if (Number.isNaN(at)) throw fatal(new TaskFailure('States.Runtime', `Wait "${info.name}": TimestampPath must point to an ISO-8601 timestamp`));
        ms = Math.max(0, at - env.now().getTime()) * env.timeScale;
      }
    }
    const activity = scope.track();
    activity.parked();
    try {
      await env.timers.sleep(ms, scope.signal);
    } finally {
      activity.end();
    }
    return envelope[ENVELOPE.waitInput] ?? null;
  };
}

function readSeconds(fromPath: JsonValue | undefined, fromDefinition: number | undefined, what: string): number | undefined {
  if (fromPath === undefined) return fromDefinition;
  if (typeof fromPath !== 'number' || !Number.isInteger(fromPath) || fromPath < 1) {
    throw fatal(new TaskFailure('States.Runtime', `${what} must point to a positive integer, got ${JSON.stringify(fromPath)}`));
  }
  return fromPath;
}

function describeMs(ms: number, seconds: number | undefined): string {
  return seconds === undefined || ms !== seconds * 1000 ? `${ms} ms` : `${seconds} s`;
}

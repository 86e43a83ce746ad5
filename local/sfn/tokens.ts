// Task tokens for the callback pattern (.waitForTaskToken).
//
// A token is issued when a Task's Parameters reference $$.Task.Token, registered as pending while
// the task waits, and closed when SendTaskSuccess/SendTaskFailure arrives, the task times out or
// the execution stops. The error codes follow Step Functions:
//  - a string that is not a token of this service's format   -> InvalidToken
//  - a well-formed token this service never issued           -> TaskDoesNotExist
//  - a token whose task is already closed (answered, timed out, execution stopped) -> TaskTimedOut
import { randomBytes } from 'node:crypto';
import { SfnApiError } from './errors';
import type { JsonValue } from './definition';

const TOKEN_PREFIX = 'KAIRRLOCAL1';
const TOKEN_PATTERN = /^KAIRRLOCAL1[A-Za-z0-9_-]{43}$/;
const MAX_CLOSED_TOKENS_REMEMBERED = 100_000;

export type CallbackOutcome = { ok: true; output: JsonValue } | { ok: false; error: string; cause: string };

export interface PendingTaskInfo {
  taskToken: string;
  executionArn: string;
  stateMachineArn: string;
  stateName: string;
  resource: string;
  /** The resolved Parameters the integration was called with (they contain the token). */
  parameters: unknown;
  issuedAt: Date;
}

interface PendingTask extends PendingTaskInfo {
  settle(outcome: CallbackOutcome): void;
  onHeartbeat(): void;
}

export function newTaskToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export class TaskTokenRegistry {
  private readonly pending = new Map<string, PendingTask>();
  private readonly closed = new Map<string, string>();
  private readonly listeners = new Set<(task: PendingTaskInfo) => void>();

  register(task: PendingTask): void {
    this.pending.set(task.taskToken, task);
    for (const listener of this.listeners) listener(publicView(task));
  }

  /** Closes a token so that later callbacks get TaskTimedOut. Idempotent. */
  close(taskToken: string, reason: string): void {
    this.pending.delete(taskToken);
    this.closed.set(taskToken, reason);
    if (this.closed.size > MAX_CLOSED_TOKENS_REMEMBERED) {
      const oldest = this.closed.keys().next().value;
      if (oldest !== undefined) this.closed.delete(oldest);
    }
  }

  succeed(taskToken: string, output: string): void {
    const task = this.lookup(taskToken);
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(output) as JsonValue;
    } catch {
      throw new SfnApiError('InvalidOutput', 'Invalid State Machine Output: the output is not valid JSON');
    }
    task.settle({ ok: true, output: parsed });
  }

  fail(taskToken: string, error: string | undefined, cause: string | undefined): void {
    const task = this.lookup(taskToken);
    // SendTaskFailure without an error name: Retry/Catch still see a task failure.
    task.settle({ ok: false, error: error ?? 'States.TaskFailed', cause: cause ?? '' });
  }

  heartbeat(taskToken: string): void {
    this.lookup(taskToken).onHeartbeat();
  }

  list(filter: { executionArn?: string; stateName?: string } = {}): PendingTaskInfo[] {
    return [...this.pending.values()].filter((task) => (!filter.executionArn || task.executionArn === filter.executionArn) && (!filter.stateName || task.stateName === filter.stateName)).map(publicView);
  }

  onRegistered(listener: (task: PendingTaskInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private lookup(taskToken: unknown): PendingTask {
    if (typeof taskToken !== 'string' || !TOKEN_PATTERN.test(taskToken)) {
      throw new SfnApiError('InvalidToken', 'Invalid Token: the task token is malformed');
    }
    const task = this.pending.get(taskToken);
    if (task) return task;
    const closedReason = this.closed.get(taskToken);
    if (closedReason) throw new SfnApiError('TaskTimedOut', `Task Timed Out: 'Provided task does not exist anymore' (${closedReason})`);
    throw new SfnApiError('TaskDoesNotExist', 'Task does not exist: no task was issued with this token');
  }
}

function publicView(task: PendingTask): PendingTaskInfo {
  const { settle: _settle, onHeartbeat: _onHeartbeat, ...info } = task;
  return info;
}

// Builds a GetExecutionHistory-shaped event list for one execution.
//
// Two sources feed it:
//  - the library's event log (state entered/exited/failed/retried, map iterations), which is
//    consumed asynchronously, a few microtasks behind the execution;
//  - the task runner, which records TaskScheduled/Started/Submitted/Succeeded/Failed/TimedOut
//    (or the LambdaFunction* equivalents) synchronously as they happen.
// The library enters a Task state and calls its handler in the same synchronous step, so each
// task "visit" is buffered until the consumer reaches the matching StateEntered (or StateRetried)
// event for that state name, then flushed in place. Within one branch the order is therefore
// exact; across concurrent Parallel branches or Map iterations it is the order the events were
// observed, which may interleave slightly differently from AWS.
import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';

type LibraryEvent = {
  type: string;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string };
  index?: number;
  Error?: string;
  Cause?: unknown;
};

type EventDetails = Omit<HistoryEvent, 'timestamp' | 'type' | 'id' | 'previousEventId'>;

interface PendingEvent {
  type: HistoryEventType;
  details: EventDetails;
  at: Date;
}

export class TaskVisit {
  private attached = false;
  private buffered: PendingEvent[] = [];

  constructor(
    private readonly history: ExecutionHistory,
    readonly stateName: string,
  ) {}

  record(type: HistoryEventType, details: EventDetails): void {
    if (this.attached) this.history.append(type, details);
    else this.buffered.push({ type, details, at: this.history.now() });
  }

  /** Called when the consumer reaches this visit's place in the library's event order. */
  attach(): void {
    this.attached = true;
    for (const event of this.buffered) this.history.append(event.type, event.details, event.at);
    this.buffered = [];
  }
}

export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  private readonly unattachedVisits = new Map<string, TaskVisit[]>();
  private readonly failedStates = new Set<string>();

  constructor(
    private readonly stateTypes: Map<string, string>,
    readonly now: () => Date,
  ) {}

  append(type: HistoryEventType, details: EventDetails, at: Date = this.now()): HistoryEvent {
    const previous = this.events[this.events.length - 1];
    const event: HistoryEvent = { timestamp: at, type, id: this.events.length + 1, previousEventId: previous ? previous.id : 0, ...details };
    this.events.push(event);
    return event;
  }

  beginTaskVisit(stateName: string): TaskVisit {
    const visit = new TaskVisit(this, stateName);
    const queue = this.unattachedVisits.get(stateName) ?? [];
    queue.push(visit);
    this.unattachedVisits.set(stateName, queue);
    return visit;
  }

  /** Maps one library event into zero or more history events. */
  consume(event: LibraryEvent): void {
    const state = event.state;
    switch (event.type) {
      case 'StateEntered': {
        if (!state) return;
        const type = this.originalType(state.name, state.type);
        const key = this.stateKey(state.name, event.index);
        this.failedStates.delete(key);
        this.append(`${type}StateEntered` as HistoryEventType, { stateEnteredEventDetails: { name: state.name, input: stringify(state.input) } });
        if (type === 'Parallel') this.append('ParallelStateStarted', {});
        if (type === 'Map') this.append('MapStateStarted', { mapStateStartedEventDetails: { length: Array.isArray(state.input) ? state.input.length : undefined } });
        if (type === 'Task') this.attachNextVisit(state.name);
        return;
      }
      case 'StateRetried':
        if (state && this.originalType(state.name, state.type) === 'Task') this.attachNextVisit(state.name);
        return;
      case 'StateFailed': {
        if (!state) return;
        const type = this.originalType(state.name, state.type);
        this.failedStates.add(this.stateKey(state.name, event.index));
        if (type === 'Parallel') this.append('ParallelStateFailed', {});
        if (type === 'Map') this.append('MapStateFailed', {});
        return;
      }
      case 'StateExited': {
        if (!state) return;
        const type = this.originalType(state.name, state.type);
        const failed = this.failedStates.has(this.stateKey(state.name, event.index));
        if (type === 'Parallel' && !failed) this.append('ParallelStateSucceeded', {});
        if (type === 'Map' && !failed) this.append('MapStateSucceeded', {});
        this.append(`${type}StateExited` as HistoryEventType, { stateExitedEventDetails: { name: state.name, output: stringify(state.output) } });
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const details = { name: event.parentState?.name, index: event.index };
        if (event.type === 'MapIterationStarted') this.append('MapIterationStarted', { mapIterationStartedEventDetails: details });
        else if (event.type === 'MapIterationSucceeded') this.append('MapIterationSucceeded', { mapIterationSucceededEventDetails: details });
        else this.append('MapIterationFailed', { mapIterationFailedEventDetails: details });
        return;
      }
      default:
        // Execution-level events are written by the execution itself, with the final status;
        // ParallelBranch* and StateCaught have no counterpart in the AWS history.
        return;
    }
  }

  /** Flushes visits whose StateEntered was never observed (only possible when the run failed). */
  flushUnattached(): void {
    for (const queue of this.unattachedVisits.values()) for (const visit of queue) visit.attach();
    this.unattachedVisits.clear();
  }

  private attachNextVisit(stateName: string): void {
    const queue = this.unattachedVisits.get(stateName);
    const visit = queue?.shift();
    if (queue && queue.length === 0) this.unattachedVisits.delete(stateName);
    visit?.attach();
  }

  private originalType(stateName: string, reportedType: string): string {
    return this.stateTypes.get(stateName) ?? reportedType;
  }

  private stateKey(stateName: string, index: number | undefined): string {
    return index === undefined ? stateName : `${stateName}#${index}`;
  }
}

export function stringify(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

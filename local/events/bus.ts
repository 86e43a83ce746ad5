// The local EventBridge: buses, rules, PutEvents and scheduled rules. Rules are validated and
// described in rules.ts; matched events go to their targets through delivery.ts (asynchronous,
// with retries and an in-memory dead-letter list).
import { randomUUID } from 'node:crypto';
import { TimerSet } from '../sfn/timers';
import { TargetDeliveries, isoSeconds } from './delivery';
import { EventsApiError } from './errors';
import { InvalidEventPatternError, matchesEventPattern, parseEventPattern, type EventPattern } from './pattern';
import { busNameOf, describeRule, ruleKey, ruleRecord, type RuleDescription, type RuleRecord } from './rules';
import { nextFireTime } from './schedule';
import type { DeadLetter, DeliverFn, DeliveryRecord, EventEnvelope, LocalEventRule, PutEventsRequestEntry, PutEventsResult, PutEventsResultEntry } from './types';

export { EventsApiError } from './errors';
export type { RuleDescription } from './rules';

export interface LocalEventBusOptions {
  region?: string;
  accountId?: string;
  rules?: LocalEventRule[];
  /** Custom buses that exist without rules ("default" and every rule's bus always exist). */
  eventBuses?: string[];
  deliver: DeliverFn;
  /**
   * Local retry policy. AWS retries for up to 24 h / 185 times with backoff; locally the default
   * is 2 retries after 100 ms and 200 ms. A target's retryPolicy.maximumRetryAttempts wins.
   */
  retry?: { maxRetries?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Called with every dead letter, e.g. to forward it to the target's DLQ queue. */
  onDeadLetter?: (letter: DeadLetter) => Promise<void> | void;
  /** Fire scheduled rules on their schedule while the bus runs (default true). */
  scheduler?: boolean;
  now?: () => Date;
  log?: (line: string) => void;
}

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

export class LocalEventBus {
  readonly region: string;
  readonly accountId: string;
  private readonly rules = new Map<string, RuleRecord>();
  private readonly buses = new Set<string>(['default']);
  private readonly timers = new TimerSet();
  private readonly stopController = new AbortController();
  private readonly deliveriesOut: TargetDeliveries;
  private schedulerRunning = false;
  private readonly now: () => Date;
  private readonly log: (line: string) => void;

  constructor(options: LocalEventBusOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    this.deliveriesOut = new TargetDeliveries({
      deliver: options.deliver,
      onDeadLetter: options.onDeadLetter,
      maxRetries: options.retry?.maxRetries ?? 2,
      baseDelayMs: options.retry?.baseDelayMs ?? 100,
      maxDelayMs: options.retry?.maxDelayMs ?? 5_000,
      timers: this.timers,
      signal: this.stopController.signal,
      now: this.now,
      log: this.log,
    });
    for (const bus of options.eventBuses ?? []) this.buses.add(bus);
    for (const rule of options.rules ?? []) this.putRule(rule);
    if (options.scheduler !== false) this.startScheduler();
  }

  // ---- rules --------------------------------------------------------------------------------

  /** Creates or replaces a rule (PutRule + PutTargets). Throws like the API for invalid input. */
  putRule(rule: LocalEventRule): void {
    const key = ruleKey(busNameOf(rule.eventBusName), rule.name);
    const previous = this.rules.get(key);
    const record: RuleRecord = ruleRecord(rule, { region: this.region, accountId: this.accountId, createdAt: previous?.createdAt ?? this.now() });
    previous?.cancelSchedule?.();
    this.buses.add(record.busName);
    this.rules.set(key, record);
    if (this.schedulerRunning) this.armSchedule(record);
  }

  removeRule(name: string, eventBusName?: string): void {
    const key = ruleKey(busNameOf(eventBusName), name);
    this.rules.get(key)?.cancelSchedule?.();
    this.rules.delete(key);
  }

  setRuleState(name: string, state: 'ENABLED' | 'DISABLED', eventBusName?: string): void {
    const record = this.requireRule(name, eventBusName);
    record.rule.state = state;
    record.cancelSchedule?.();
    if (this.schedulerRunning) this.armSchedule(record);
  }

  describeRule(name: string, eventBusName?: string): RuleDescription {
    return describeRule(this.requireRule(name, eventBusName));
  }

  listRules(filter: { eventBusName?: string; namePrefix?: string } = {}): RuleDescription[] {
    const busName = busNameOf(filter.eventBusName);
    return [...this.rules.values()].filter((record) => record.busName === busName && (!filter.namePrefix || record.rule.name.startsWith(filter.namePrefix))).map(describeRule);
  }

  testEventPattern(pattern: EventPattern | string, event: unknown): boolean {
    try {
      return matchesEventPattern(parseEventPattern(pattern), event);
    } catch (error) {
      if (error instanceof InvalidEventPatternError) throw new EventsApiError('InvalidEventPatternException', error.message);
      throw error;
    }
  }

  // ---- events -------------------------------------------------------------------------------

  /** PutEvents: per-entry results; matching is synchronous, delivery asynchronous. */
  putEvents(entries: PutEventsRequestEntry[]): PutEventsResult {
    if (this.stopController.signal.aborted) throw new EventsApiError('ValidationException', 'the local event bus has stopped');
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new EventsApiError('ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`);
    }
    if (Buffer.byteLength(JSON.stringify(entries)) > MAX_REQUEST_BYTES) {
      throw new EventsApiError('ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    const results = entries.map((entry) => this.putEvent(entry));
    return { FailedEntryCount: results.filter((result) => result.ErrorCode).length, Entries: results };
  }

  /** Fires a scheduled rule now, exactly as its schedule would. Returns the event sent. */
  runScheduleNow(ruleName: string, eventBusName?: string, at?: Date): EventEnvelope {
    const record = this.requireRule(ruleName, eventBusName);
    if (!record.schedule) throw new EventsApiError('ValidationException', `rule ${ruleName} has no ScheduleExpression`);
    // ---- accountability: `at` fires the event as the schedule would at that time (tests move time so) ----
    return this.fireSchedule(record, at ?? this.now());
    // ---- end accountability ----
  }

  /** Resolves when every delivery (including retries) has been delivered or dead-lettered. */
  idle(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.deliveriesOut.idle(options);
  }

  /** Deliveries not yet delivered or dead-lettered (running, or waiting for a retry). */
  get pendingDeliveries(): number {
    return this.deliveriesOut.pendingDeliveries;
  }

  get deliveries(): readonly DeliveryRecord[] {
    return this.deliveriesOut.deliveries;
  }

  get deadLetters(): readonly DeadLetter[] {
    return this.deliveriesOut.deadLetters;
  }

  startScheduler(): void {
    if (this.schedulerRunning) return;
    this.schedulerRunning = true;
    for (const record of this.rules.values()) this.armSchedule(record);
  }

  stopScheduler(): void {
    this.schedulerRunning = false;
    for (const record of this.rules.values()) record.cancelSchedule?.();
  }

  /**
   * Stops schedules and retries (events waiting for a retry are dead-lettered), aborts the
   * signal given to deliver(), and waits for deliver() calls already running to settle.
   */
  async stop(): Promise<void> {
    if (this.stopController.signal.aborted) return;
    this.stopScheduler();
    this.stopController.abort(new Error('the local event bus stopped'));
    await this.deliveriesOut.stop();
    this.timers.close();
  }

  // ---- internals ----------------------------------------------------------------------------

  private putEvent(entry: PutEventsRequestEntry): PutEventsResultEntry {
    const invalid = (field: string, reason: string): PutEventsResultEntry => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${field} is not valid. Reason: ${reason}`,
    });
    if (!entry.Source) return invalid('Source', 'Source is a required argument.');
    if (!entry.DetailType) return invalid('DetailType', 'DetailType is a required argument.');
    if (entry.Detail === undefined) return invalid('Detail', 'Detail is a required argument.');
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    if (entry.Source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    const busName = busNameOf(entry.EventBusName);
    if (!this.buses.has(busName)) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    const time = entry.Time === undefined ? this.now() : typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : new Date(entry.Time);
    if (Number.isNaN(time.getTime())) return invalid('Time', 'Time is not a valid timestamp.');

    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.accountId,
      time: isoSeconds(time),
      region: this.region,
      resources: entry.Resources ?? [],
      detail,
    };
    for (const record of this.rules.values()) {
      if (record.busName === busName && record.rule.state === 'ENABLED' && record.pattern && matchesEventPattern(record.pattern, event)) {
        this.deliveriesOut.dispatch(record, event);
      }
    }
    return { EventId: event.id };
  }

  private fireSchedule(record: RuleRecord, at: Date): EventEnvelope {
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.accountId,
      time: isoSeconds(at),
      region: this.region,
      resources: [record.arn],
      detail: {},
    };
    this.log(`events: schedule ${record.rule.name} fired`);
    this.deliveriesOut.dispatch(record, event);
    return event;
  }

  private armSchedule(record: RuleRecord): void {
    record.cancelSchedule?.();
    record.cancelSchedule = undefined;
    if (!record.schedule || record.rule.state !== 'ENABLED') return;
    const now = this.now();
    const next = nextFireTime(record.schedule, now, record.createdAt);
    if (!next) return;
    record.cancelSchedule = this.timers.after(next.getTime() - now.getTime(), () => {
      record.cancelSchedule = undefined;
      this.fireSchedule(record, next);
      if (this.schedulerRunning) this.armSchedule(record);
    });
  }

  private requireRule(name: string, eventBusName?: string): RuleRecord {
    const busName = busNameOf(eventBusName);
    const record = this.rules.get(ruleKey(busName, name));
    if (!record) throw new EventsApiError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${busName}.`);
    return record;
  }
}

export function createLocalEventBus(options: LocalEventBusOptions): LocalEventBus {
  return new LocalEventBus(options);
}

// The local EventBridge: buses, rules, PutEvents, scheduled rules, and asynchronous delivery to
// targets with retries and an in-memory dead-letter list.
import { randomUUID } from 'node:crypto';
import { TimerSet } from '../sfn/timers';
import { targetPayload } from './input';
import { InvalidEventPatternError, matchesEventPattern, parseEventPattern, type EventPattern } from './pattern';
import { nextFireTime, parseScheduleExpression, type Schedule } from './schedule';
import type {
  DeadLetter,
  DeliverFn,
  DeliveryRecord,
  EventEnvelope,
  LocalEventRule,
  LocalEventTarget,
  PutEventsRequestEntry,
  PutEventsResult,
  PutEventsResultEntry,
} from './types';

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

export class EventsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export interface RuleDescription {
  name: string;
  arn: string;
  eventBusName: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: LocalEventTarget[];
}

interface RuleRecord {
  rule: LocalEventRule;
  arn: string;
  busName: string;
  pattern?: EventPattern;
  schedule?: Schedule;
  createdAt: Date;
  cancelSchedule?: () => void;
}

interface DeliveryJob {
  record: RuleRecord;
  target: LocalEventTarget;
  event: EventEnvelope;
  payload: unknown;
  ingestedAt: number;
}

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400;

export class LocalEventBus {
  readonly region: string;
  readonly accountId: string;
  private readonly rules = new Map<string, RuleRecord>();
  private readonly buses = new Set<string>(['default']);
  private readonly timers = new TimerSet();
  private readonly stopController = new AbortController();
  private readonly delivered: DeliveryRecord[] = [];
  private readonly dead: DeadLetter[] = [];
  private readonly waitingToRetry = new Map<DeliveryJob, { attempts: number; error: unknown; cancel: () => void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private outstanding = 0;
  private schedulerRunning = false;
  private readonly now: () => Date;
  private readonly log: (line: string) => void;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: LocalEventBusOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    this.maxRetries = options.retry?.maxRetries ?? 2;
    this.baseDelayMs = options.retry?.baseDelayMs ?? 100;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 5_000;
    for (const bus of options.eventBuses ?? []) this.buses.add(bus);
    for (const rule of options.rules ?? []) this.putRule(rule);
    if (options.scheduler !== false) this.startScheduler();
  }

  // ---- rules --------------------------------------------------------------------------------

  /** Creates or replaces a rule (PutRule + PutTargets). Throws like the API for invalid input. */
  putRule(rule: LocalEventRule): void {
    const busName = busNameOf(rule.eventBusName);
    if (!RULE_NAME.test(rule.name)) throw new EventsApiError('ValidationException', `Rule name ${rule.name} is not valid`);
    if (!rule.eventPattern && !rule.scheduleExpression) throw new EventsApiError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
    if (rule.scheduleExpression && busName !== 'default') {
      throw new EventsApiError('ValidationException', 'ScheduleExpression is supported only on the default event bus.');
    }
    let pattern: EventPattern | undefined;
    let schedule: Schedule | undefined;
    try {
      pattern = rule.eventPattern === undefined ? undefined : parseEventPattern(rule.eventPattern);
      schedule = rule.scheduleExpression === undefined ? undefined : parseScheduleExpression(rule.scheduleExpression);
    } catch (error) {
      const code = error instanceof InvalidEventPatternError ? 'InvalidEventPatternException' : 'ValidationException';
      throw new EventsApiError(code, `rule ${rule.name}: ${(error as Error).message}`);
    }
    const key = ruleKey(busName, rule.name);
    const previous = this.rules.get(key);
    previous?.cancelSchedule?.();
    const record: RuleRecord = {
      rule: { ...rule, eventBusName: busName, state: rule.state ?? 'ENABLED', targets: rule.targets.map((target) => ({ ...target })) },
      arn: `arn:aws:events:${this.region}:${this.accountId}:rule/${busName === 'default' ? '' : `${busName}/`}${rule.name}`,
      busName,
      pattern,
      schedule,
      createdAt: previous?.createdAt ?? this.now(),
    };
    this.buses.add(busName);
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
    return describe(this.requireRule(name, eventBusName));
  }

  listRules(filter: { eventBusName?: string; namePrefix?: string } = {}): RuleDescription[] {
    const busName = busNameOf(filter.eventBusName);
    return [...this.rules.values()]
      .filter((record) => record.busName === busName && (!filter.namePrefix || record.rule.name.startsWith(filter.namePrefix)))
      .map(describe);
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
    if (this.outstanding === 0) return Promise.resolve();
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== done);
        reject(new Error(`event bus still has ${this.outstanding} deliveries outstanding after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(done);
    });
  }

  /** Deliveries not yet delivered or dead-lettered (running, or waiting for a retry). */
  get pendingDeliveries(): number {
    return this.outstanding;
  }

  get deliveries(): readonly DeliveryRecord[] {
    return this.delivered;
  }

  get deadLetters(): readonly DeadLetter[] {
    return this.dead;
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
    for (const [job, waiting] of [...this.waitingToRetry]) {
      waiting.cancel();
      this.waitingToRetry.delete(job);
      await this.deadLetter(job, new Error('the local event bus stopped before the retry'), waiting.attempts);
      this.finish();
    }
    await Promise.allSettled([...this.inFlight]);
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
        this.dispatch(record, event);
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
    this.dispatch(record, event);
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

  private dispatch(record: RuleRecord, event: EventEnvelope): void {
    const ingestedAt = this.now().getTime();
    for (const target of record.rule.targets) {
      this.outstanding++;
      let payload: unknown;
      try {
        payload = targetPayload(target, event, { ruleName: record.rule.name, ruleArn: record.arn, ingestionTime: isoSeconds(new Date(ingestedAt)) });
      } catch (error) {
        void this.deadLetter({ record, target, event, payload: undefined, ingestedAt }, error, 0).finally(() => this.finish());
        continue;
      }
      this.attempt({ record, target, event, payload, ingestedAt }, 1);
    }
  }

  private attempt(job: DeliveryJob, attempt: number): void {
    const info = {
      ruleName: job.record.rule.name,
      ruleArn: job.record.arn,
      eventBusName: job.record.busName,
      event: job.event,
      attempt,
      signal: this.stopController.signal,
    };
    // Deliver after PutEvents has answered, as EventBridge does.
    const running: Promise<void> = Promise.resolve()
      .then(() => this.options.deliver(job.target, job.payload, info))
      .then(
        () => {
          this.delivered.push({
            ruleName: job.record.rule.name,
            eventBusName: job.record.busName,
            targetId: job.target.id,
            targetArn: job.target.arn,
            eventId: job.event.id,
            payload: job.payload,
            attempts: attempt,
            deliveredAt: this.now(),
          });
          this.finish();
        },
        async (error: unknown) => {
          const retries = job.target.retryPolicy?.maximumRetryAttempts ?? this.maxRetries;
          const maxAgeMs = (job.target.retryPolicy?.maximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000;
          const young = this.now().getTime() - job.ingestedAt < maxAgeMs;
          if (!this.stopController.signal.aborted && attempt <= retries && young) {
            const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
            this.log(`events: delivery to ${job.target.id} failed (attempt ${attempt}), retrying in ${delay} ms`);
            const cancel = this.timers.after(delay, () => {
              this.waitingToRetry.delete(job);
              this.attempt(job, attempt + 1);
            });
            this.waitingToRetry.set(job, { attempts: attempt, error, cancel });
            return;
          }
          await this.deadLetter(job, error, attempt);
          this.finish();
        },
      )
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  private async deadLetter(job: DeliveryJob, error: unknown, attempts: number): Promise<void> {
    const letter: DeadLetter = {
      ruleName: job.record.rule.name,
      ruleArn: job.record.arn,
      eventBusName: job.record.busName,
      targetId: job.target.id,
      targetArn: job.target.arn,
      deadLetterArn: job.target.deadLetterConfig?.arn,
      event: job.event,
      payload: job.payload,
      error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) },
      attempts,
      failedAt: this.now(),
    };
    this.dead.push(letter);
    this.log(`events: dead-lettered event ${job.event.id} for target ${job.target.id} after ${attempts} attempt(s): ${letter.error.message}`);
    try {
      await this.options.onDeadLetter?.(letter);
    } catch (forwardError) {
      this.log(`events: onDeadLetter failed: ${(forwardError as Error).message}`);
    }
  }

  private finish(): void {
    this.outstanding--;
    if (this.outstanding === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
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

function describe(record: RuleRecord): RuleDescription {
  return {
    name: record.rule.name,
    arn: record.arn,
    eventBusName: record.busName,
    eventPattern: record.pattern ? JSON.stringify(record.pattern) : undefined,
    scheduleExpression: record.schedule?.expression,
    state: record.rule.state ?? 'ENABLED',
    description: record.rule.description,
    targets: record.rule.targets.map((target) => ({ ...target })),
  };
}

/** Accepts a bus name or ARN (arn:aws:events:region:account:event-bus/name). */
function busNameOf(nameOrArn: string | undefined): string {
  if (!nameOrArn) return 'default';
  const arn = /^arn:aws[\w-]*:events:[^:]*:\d{12}:event-bus\/(.+)$/.exec(nameOrArn);
  return arn ? arn[1] : nameOrArn;
}

function ruleKey(busName: string, ruleName: string): string {
  return `${busName}\u0000${ruleName}`;
}

/** EventBridge event times have no fractional seconds: 2017-12-22T18:43:48Z. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

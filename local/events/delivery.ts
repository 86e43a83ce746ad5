// Delivering matched events to rule targets, as EventBridge does: asynchronously, after PutEvents
// has answered; a failed delivery is retried with backoff (the target's retry policy, or the bus's
// local default) until it succeeds, runs out of retries or grows too old, and then dead-lettered.
import type { TimerSet } from '../sfn/timers';
import { targetPayload } from './input';
import type { RuleRecord } from './rules';
import type { DeadLetter, DeliverFn, DeliveryRecord, EventEnvelope, LocalEventTarget } from './types';

export interface DeliveryOptions {
  deliver: DeliverFn;
  onDeadLetter?: (letter: DeadLetter) => Promise<void> | void;
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timers: TimerSet;
  /** Aborted when the bus stops: no retry is scheduled after it. */
  signal: AbortSignal;
  now: () => Date;
  log: (line: string) => void;
}

interface DeliveryJob {
  record: RuleRecord;
  target: LocalEventTarget;
  event: EventEnvelope;
  payload: unknown;
  ingestedAt: number;
}

const DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400;

export class TargetDeliveries {
  private readonly delivered: DeliveryRecord[] = [];
  private readonly dead: DeadLetter[] = [];
  private readonly waitingToRetry = new Map<DeliveryJob, { attempts: number; error: unknown; cancel: () => void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private outstanding = 0;
  private readonly now: () => Date;
  private readonly log: (line: string) => void;
  private readonly timers: TimerSet;
  private readonly signal: AbortSignal;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: DeliveryOptions) {
    ({ now: this.now, log: this.log, timers: this.timers, signal: this.signal, maxRetries: this.maxRetries, baseDelayMs: this.baseDelayMs, maxDelayMs: this.maxDelayMs } = options);
  }

  /** Starts delivering one event to every target of the rule. */
  dispatch(record: RuleRecord, event: EventEnvelope): void {
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

  /** Dead-letters the events waiting for a retry, then waits for the deliveries already running. */
  async stop(): Promise<void> {
    for (const [job, waiting] of [...this.waitingToRetry]) {
      waiting.cancel();
      this.waitingToRetry.delete(job);
      await this.deadLetter(job, new Error('the local event bus stopped before the retry'), waiting.attempts);
      this.finish();
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private attempt(job: DeliveryJob, attempt: number): void {
    const info = {
      ruleName: job.record.rule.name,
      ruleArn: job.record.arn,
      eventBusName: job.record.busName,
      event: job.event,
      attempt,
      signal: this.signal,
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
          if (!this.signal.aborted && attempt <= retries && young) {
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
}

export /** EventBridge event times have no fractional seconds: 2017-12-22T18:43:48Z. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

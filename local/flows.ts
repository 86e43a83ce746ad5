// The template's state machines and event rules, running locally: the Step Functions service
// (local/sfn) and EventBridge (local/events), wired to the functions, DynamoDB Local and fauxqs
// the way the template connects them, plus a local-only admin endpoint that lets tests in other
// processes fire a schedule and wait until the runtime has settled. See docs/local-runtime-sfn.md.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { EventsApiError, startLocalEventBridge, type DeadLetter, type EventEnvelope, type LocalEventBridge, type LocalEventBus, type LocalEventTarget } from './events';
import { LambdaServiceError, startLocalSfn, TaskFailure, type LocalSfn, type LocalSfnTaskHandlers, type SqsSendMessageInput, type StateTimeOverrides } from './sfn';
import type { LambdaHost } from './lambda-host';
import { eventBusesOf, LOCAL_ACCOUNT, rulesOf, stateMachinesOf, type EventBusDef, type RuleDef, type StateMachineDef, type Template } from './template';

export interface LocalFlowsOptions {
  template: Template;
  dynamodbEndpoint: string;
  /** fauxqs: SNS and SQS. */
  fauxqsEndpoint: string;
  /** The local Lambda Invoke endpoint (aws-services.ts): rule targets invoke through it, asynchronously. */
  lambdaEndpoint: string;
  /** The function host. It is created after the flows, because its environment needs their endpoints. */
  lambdas: () => LambdaHost;
  /** Resolves when no asynchronous Lambda invocation (retries included) is in flight. */
  lambdasIdle: () => Promise<void>;
  schedules: 'auto' | 'manual';
  sfnTimeScale?: number;
  sfnTimeOverrides?: Record<string, StateTimeOverrides>;
  log: (line: string) => void;
}

/** The runtime's EventBridge: the bus, and the template's buses and rules. */
export interface LocalRuntimeEvents {
  /** Endpoint for EventBridgeClient({ endpoint }); functions get it as AWS_ENDPOINT_URL_EVENTBRIDGE. */
  url: string;
  bus: LocalEventBus;
  buses: EventBusDef[];
  rules: RuleDef[];
  /** A template rule by logical id or physical name; throws if there is none. */
  rule(logicalIdOrName: string): RuleDef;
  /** Fires a scheduled rule now, exactly as its schedule would; returns the event sent. */
  runScheduleNow(ruleLogicalIdOrName: string, at?: Date): EventEnvelope; // accountability: at
}

export interface SettleOptions {
  /** Reject after this long (default 30 000 ms). */
  timeoutMs?: number;
}

export interface LocalFlows {
  sfn: LocalSfn;
  events: LocalRuntimeEvents;
  stateMachines: StateMachineDef[];
  /** Base URL of the admin endpoint, ending in /_local. */
  adminUrl: string;
  /** Starts firing schedules (when schedules is 'auto'); call once the functions exist. */
  start(): void;
  /**
   * Resolves once event deliveries, asynchronous Lambda invocations and Step Functions work have
   * all settled: nothing is being delivered or retried, no async invocation is in flight, and every
   * RUNNING execution is parked (waiting for a callback, a Wait's timer or a child execution).
   */
  settle(options?: SettleOptions): Promise<void>;
  /** Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_SETTLE_MS = 30_000;
const SETTLE_POLL_MS = 10;
const LAMBDA_ARN = /^arn:aws[\w-]*:lambda:[^:]+:\d{12}:function:/;
const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:[^:]+:\d{12}:stateMachine:/;
const SQS_ARN = /^arn:aws[\w-]*:sqs:/;
const SNS_ARN = /^arn:aws[\w-]*:sns:/;

export async function startLocalFlows(opts: LocalFlowsOptions): Promise<LocalFlows> {
  const { template, log } = opts;
  const region = template.region;
  const machines = stateMachinesOf(template);
  const buses = eventBusesOf(template);
  const rules = rulesOf(template);
  const overrides = timeOverridesByArn(machines, opts.sfnTimeOverrides ?? {});
  const sqs = new FauxqsSqs(opts.fauxqsEndpoint);
  const sns = new SNSClient({ endpoint: opts.fauxqsEndpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const stops: (() => Promise<void>)[] = [async () => sns.destroy()];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => log(`flows: stop step failed: ${(e as Error).message}`));
  };

  try {
    let sfn: LocalSfn | undefined;
    const eventBridge: LocalEventBridge = await startLocalEventBridge({
      region,
      accountId: LOCAL_ACCOUNT,
      rules,
      eventBuses: buses.map((b) => b.name),
      // Fired only after start(), once the functions exist.
      scheduler: false,
      deliver: (target, payload) => deliver(target, payload),
      onDeadLetter: (letter) => forwardDeadLetter(letter),
      log,
    });
    stops.push(() => eventBridge.stop());
    const bus = eventBridge.bus;

    const taskHandlers: LocalSfnTaskHandlers = {
      invokeLambda: async (fn, payload) => {
        const host = opts.lambdas();
        if (!host.resolve(fn)) throw new LambdaServiceError('ResourceNotFoundException', `Function not found: ${fn}`);
        return host.invoke(fn, payload);
      },
      putEvents: async (entries) => bus.putEvents(entries),
      publishSns: async (input) => {
        try {
          const { MessageId, SequenceNumber } = await sns.send(new PublishCommand(input as PublishCommandInput));
          return { MessageId, SequenceNumber };
        } catch (e) {
          throw new TaskFailure(`SNS.${(e as Error).name}`, (e as Error).message);
        }
      },
      sendSqsMessage: async (input) => {
        try {
          return await sqs.sendMessage(input.QueueUrl, input);
        } catch (e) {
          throw new TaskFailure(`SQS.${(e as Error).name}`, (e as Error).message);
        }
      },
    };
    sfn = await startLocalSfn({
      region,
      accountId: LOCAL_ACCOUNT,
      taskHandlers,
      dynamoDb: { endpoint: opts.dynamodbEndpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
      // Real time unless a caller (a test) asks otherwise, explicitly.
      timeScale: opts.sfnTimeScale,
      stateMachines: machines.map((m) => ({ arn: m.arn, name: m.name, definition: m.definition, roleArn: m.roleArn, type: m.type, timeOverrides: overrides.get(m.arn) })),
      log,
    });
    stops.push(() => sfn!.stop());
    const localSfn = sfn;

    /**
     * Delivers one rule target, as EventBridge does: a Lambda function is invoked asynchronously
     * (its own async retries then apply, in aws-services.ts), so the bus retries only when the
     * invoke itself is refused; a state machine gets StartExecution; a queue or topic a message.
     */
    async function deliver(target: LocalEventTarget, payload: unknown): Promise<void> {
      const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
      if (LAMBDA_ARN.test(target.arn)) return invokeAsync(target.arn, JSON.stringify(payload ?? null));
      if (STATE_MACHINE_ARN.test(target.arn)) {
        if (!sfn) throw new Error('the local Step Functions service is not running yet');
        sfn.executions.start(target.arn, payload);
        return;
      }
      if (SQS_ARN.test(target.arn)) {
        await sqs.sendMessage(target.arn, { MessageBody: body, MessageGroupId: target.sqsParameters?.messageGroupId });
        return;
      }
      if (SNS_ARN.test(target.arn)) {
        await sns.send(new PublishCommand({ TopicArn: target.arn, Message: body }));
        return;
      }
      throw new Error(`target ${target.id} (${target.arn}) has no local delivery: Lambda functions, state machines, SQS queues and SNS topics do`);
    }

    async function invokeAsync(functionArn: string, payload: string): Promise<void> {
      const res = await fetch(`${opts.lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(functionArn)}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
        body: payload,
      });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`Lambda refused the asynchronous invoke of ${functionArn} (${res.status}): ${text}`);
    }

    /** AWS sends the event to the target's DLQ with the reason in message attributes. */
    async function forwardDeadLetter(letter: DeadLetter): Promise<void> {
      if (!letter.deadLetterArn) return;
      if (!SQS_ARN.test(letter.deadLetterArn)) throw new Error(`dead-letter target ${letter.deadLetterArn} is not an SQS queue`);
      const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
      await sqs.sendMessage(letter.deadLetterArn, {
        MessageBody: JSON.stringify(letter.event),
        MessageAttributes: {
          RULE_ARN: attribute(letter.ruleArn),
          TARGET_ARN: attribute(letter.targetArn),
          ERROR_CODE: attribute(letter.error.name),
          ERROR_MESSAGE: attribute(letter.error.message),
        },
      });
    }

    const ruleOf = (key: string): RuleDef => {
      const rule = rules.find((r) => r.logicalId === key || r.name === key || r.arn === key);
      if (!rule) throw new EventsApiError('ResourceNotFoundException', `No rule ${key} in the template (rules: ${rules.map((r) => r.logicalId).join(', ') || 'none'})`);
      return rule;
    };
    const events: LocalRuntimeEvents = {
      url: eventBridge.url,
      bus,
      buses,
      rules,
      rule: ruleOf,
      runScheduleNow: (key, at) => {
        const rule = ruleOf(key);
        return bus.runScheduleNow(rule.name, rule.eventBusName, at); // accountability: at
      },
    };

    let lambdasIdleProbe: Promise<boolean> | undefined;
    const lambdasIdleNow = async (): Promise<boolean> => {
      lambdasIdleProbe ??= opts.lambdasIdle().then(() => {
        lambdasIdleProbe = undefined;
        return true;
      });
      return Promise.race([lambdasIdleProbe, new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
    };
    const busyWork = async (): Promise<string[]> => {
      const busy: string[] = [];
      if (bus.pendingDeliveries > 0) busy.push(`${bus.pendingDeliveries} event deliveries pending`);
      if (!(await lambdasIdleNow())) busy.push('asynchronous Lambda invocations in flight');
      const active = localSfn.executions.active();
      if (active.length > 0) busy.push(`executions working: ${active.map((e) => e.executionArn).join(', ')}`);
      return busy;
    };
    const settle = async (options: SettleOptions = {}): Promise<void> => {
      const timeoutMs = options.timeoutMs ?? DEFAULT_SETTLE_MS;
      const deadline = Date.now() + timeoutMs;
      // Two quiet looks in a row, a poll apart: work handed on between components (a delivery
      // starting an execution, an execution calling a function) is never missed in between.
      let quietLooks = 0;
      for (;;) {
        const busy = await busyWork();
        quietLooks = busy.length === 0 ? quietLooks + 1 : 0;
        if (quietLooks === 2) return;
        if (Date.now() >= deadline) throw new Error(`the local runtime did not settle within ${timeoutMs} ms: ${busy.join('; ')}`);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
      }
    };

    const admin = await startAdminServer({ events, settle, log });
    stops.push(() => admin.close());

    let started = false;
    let stopping: Promise<void> | undefined;
    return {
      sfn: localSfn,
      events,
      stateMachines: machines,
      adminUrl: admin.url,
      start: () => {
        if (started) return;
        started = true;
        if (opts.schedules === 'auto') bus.startScheduler();
      },
      settle,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** Checks the test-only time options against the template, before anything is started. */
export function checkFlowTimeOptions(template: Template, options: { sfnTimeScale?: number; sfnTimeOverrides?: Record<string, StateTimeOverrides> }): void {
  const scale = options.sfnTimeScale;
  if (scale !== undefined && !(scale > 0 && Number.isFinite(scale))) throw new Error(`sfnTimeScale must be a positive number, got ${scale}`);
  timeOverridesByArn(stateMachinesOf(template), options.sfnTimeOverrides ?? {});
}

/** Time overrides by state machine ARN, from keys that are logical ids or names. Unknown keys are an error. */
function timeOverridesByArn(machines: StateMachineDef[], byKey: Record<string, StateTimeOverrides>): Map<string, StateTimeOverrides> {
  const out = new Map<string, StateTimeOverrides>();
  for (const [key, value] of Object.entries(byKey)) {
    const machine = machines.find((m) => m.logicalId === key || m.name === key);
    if (!machine) throw new Error(`sfnTimeOverrides: no state machine ${key} in the template (state machines: ${machines.map((m) => m.logicalId).join(', ') || 'none'})`);
    out.set(machine.arn, value);
  }
  return out;
}

// ---- SQS on fauxqs, over its JSON protocol (no SQS client is a dependency) ---------------------

class SqsError extends Error {
  constructor(code: string, message: string) {
    super(message);
    this.name = code;
  }
}

class FauxqsSqs {
  private readonly urls = new Map<string, string>();

  constructor(private readonly endpoint: string) {}

  /** queue: a queue URL (the template's or fauxqs's), ARN or name. */
  async sendMessage(queue: string, input: Omit<SqsSendMessageInput, 'QueueUrl'>): Promise<{ MessageId?: string; MD5OfMessageBody?: string; SequenceNumber?: string }> {
    const { QueueUrl: _ignored, ...rest } = input as SqsSendMessageInput;
    const QueueUrl = await this.urlOf(queue);
    return (await this.call('SendMessage', { ...rest, QueueUrl })) as { MessageId?: string; MD5OfMessageBody?: string; SequenceNumber?: string };
  }

  private async urlOf(queue: string): Promise<string> {
    const name = queue.startsWith('arn:') ? queue.slice(queue.lastIndexOf(':') + 1) : queue.slice(queue.lastIndexOf('/') + 1);
    let url = this.urls.get(name);
    if (!url) {
      url = String(((await this.call('GetQueueUrl', { QueueName: name })) as { QueueUrl: string }).QueueUrl);
      this.urls.set(name, url);
    }
    return url;
  }

  private async call(action: string, body: unknown): Promise<unknown> {
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
      body: JSON.stringify(body),
    });
    const out = (await res.json().catch(() => ({}))) as { __type?: string; message?: string };
    if (!res.ok)
      throw new SqsError(
        String(out.__type ?? 'InternalError')
          .split('#')
          .pop()!,
        out.message ?? `SQS ${action} failed (${res.status})`,
      );
    return out;
  }
}

// ---- the admin endpoint --------------------------------------------------------------------

/**
 * Local only (127.0.0.1), for tests that run in other processes:
 *   GET  /_local/schedules             the template's scheduled rules
 *   POST /_local/schedules/{rule}/run  fire one now (rule = logical id or name) -> 200 {ruleName, eventId, time}
 *                                      ?time=<ISO date-time>: as the schedule would fire at that time (accountability)
 *   GET  /_local/idle[?timeoutMs=N]    wait until the runtime has settled -> 200 {settled: true} | 504
 */
async function startAdminServer(deps: { events: LocalRuntimeEvents; settle: (o: SettleOptions) => Promise<void>; log: (line: string) => void }): Promise<{ url: string; close(): Promise<void> }> {
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    const run = /^\/_local\/schedules\/([^/]+)\/run$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/_local/schedules') {
      const schedules = deps.events.rules.filter((r) => r.scheduleExpression).map((r) => ({ logicalId: r.logicalId, name: r.name, scheduleExpression: r.scheduleExpression, state: r.state, targets: r.targets.map((t) => t.arn) }));
      return send(res, 200, { schedules });
    }
    if (req.method === 'POST' && run) {
      try {
        const key = decodeURIComponent(run[1]);
        const rule = deps.events.rule(key);
        // ---- accountability: ?time=<ISO date-time> fires the event as at that time ----
        const time = url.searchParams.get('time');
        const at = time === null ? undefined : new Date(time);
        if (at && Number.isNaN(at.getTime())) return send(res, 400, { error: 'ValidationException', message: `time "${time}" is not an ISO date-time` });
        // ---- end accountability ----
        const event = deps.events.runScheduleNow(key, at);
        return send(res, 200, { ruleName: rule.name, logicalId: rule.logicalId, eventId: event.id, time: event.time });
      } catch (e) {
        const status = e instanceof EventsApiError && e.code === 'ResourceNotFoundException' ? 404 : 400;
        return send(res, status, { error: (e as Error).name, message: (e as Error).message });
      }
    }
    if (req.method === 'GET' && url.pathname === '/_local/idle') {
      const timeoutMs = url.searchParams.has('timeoutMs') ? Number(url.searchParams.get('timeoutMs')) : undefined;
      if (timeoutMs !== undefined && !(timeoutMs > 0)) return send(res, 400, { error: 'ValidationException', message: 'timeoutMs must be a positive number' });
      try {
        await deps.settle({ timeoutMs });
        return send(res, 200, { settled: true });
      } catch (e) {
        return send(res, 504, { settled: false, message: (e as Error).message });
      }
    }
    send(res, 404, { error: 'NotFound', message: `${req.method} ${url.pathname} is not a local admin operation` });
  };
  const server: Server = createServer((req, res) => {
    req.resume();
    void handle(req, res).catch((e: unknown) => {
      deps.log(`admin: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) send(res, 500, { error: 'InternalError', message: 'internal error in the local admin endpoint' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/_local`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

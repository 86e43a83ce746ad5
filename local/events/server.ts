// The EventBridge JSON 1.1 endpoint (X-Amz-Target: AWSEvents.<Operation>) over a LocalEventBus,
// so handlers using @aws-sdk/client-eventbridge reach it unchanged (endpoint = url).
import { startAwsJsonServer } from '../sfn/aws-json-http';
import { createLocalEventBus, EventsApiError, type LocalEventBus, type LocalEventBusOptions, type RuleDescription } from './bus';
import type { PutEventsRequestEntry } from './types';

export interface LocalEventsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startLocalEventsServer(bus: LocalEventBus, options: { port?: number; host?: string; log?: (line: string) => void } = {}): Promise<LocalEventsServer> {
  const ruleArgs = (body: Record<string, unknown>) => [String(body.Name ?? ''), body.EventBusName as string | undefined] as const;
  return startAwsJsonServer({
    host: options.host,
    port: options.port,
    targetPrefix: 'AWSEvents',
    jsonVersion: '1.1',
    log: options.log,
    mapError: (error) => (error instanceof EventsApiError ? { status: error.statusCode, code: error.code, message: error.message } : undefined),
    operations: {
      PutEvents: (body) => bus.putEvents(body.Entries as PutEventsRequestEntry[]),
      TestEventPattern: (body) => {
        let event: unknown;
        try {
          event = JSON.parse(String(body.Event));
        } catch {
          throw new EventsApiError('InvalidEventPatternException', 'Event is not valid JSON.');
        }
        return { Result: bus.testEventPattern(String(body.EventPattern), event) };
      },
      ListRules: (body) => ({
        Rules: bus.listRules({ eventBusName: body.EventBusName as string | undefined, namePrefix: body.NamePrefix as string | undefined }).map(toApiRule),
      }),
      DescribeRule: (body) => toApiRule(bus.describeRule(...ruleArgs(body))),
      ListTargetsByRule: (body) => ({ Targets: bus.describeRule(String(body.Rule ?? ''), body.EventBusName as string | undefined).targets.map(toApiTarget) }),
      EnableRule: (body) => bus.setRuleState(ruleArgs(body)[0], 'ENABLED', ruleArgs(body)[1]),
      DisableRule: (body) => bus.setRuleState(ruleArgs(body)[0], 'DISABLED', ruleArgs(body)[1]),
    },
  });
}

function toApiRule(rule: RuleDescription) {
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventBusName: rule.eventBusName,
    EventPattern: rule.eventPattern,
    ScheduleExpression: rule.scheduleExpression,
    State: rule.state,
    Description: rule.description,
  };
}

function toApiTarget(target: RuleDescription['targets'][number]) {
  return {
    Id: target.id,
    Arn: target.arn,
    RoleArn: target.roleArn,
    Input: target.input,
    InputPath: target.inputPath,
    InputTransformer: target.inputTransformer && { InputPathsMap: target.inputTransformer.inputPathsMap, InputTemplate: target.inputTransformer.inputTemplate },
    RetryPolicy: target.retryPolicy && {
      MaximumRetryAttempts: target.retryPolicy.maximumRetryAttempts,
      MaximumEventAgeInSeconds: target.retryPolicy.maximumEventAgeInSeconds,
    },
    DeadLetterConfig: target.deadLetterConfig && { Arn: target.deadLetterConfig.arn },
  };
}

export interface LocalEventBridge {
  bus: LocalEventBus;
  url: string;
  port: number;
  /** Stops the bus (schedules, retries) and closes the endpoint. */
  stop(): Promise<void>;
}

/** createLocalEventBus + startLocalEventsServer in one call. */
export async function startLocalEventBridge(options: LocalEventBusOptions & { port?: number; host?: string }): Promise<LocalEventBridge> {
  const bus = createLocalEventBus(options);
  const server = await startLocalEventsServer(bus, { port: options.port, host: options.host, log: options.log });
  return {
    bus,
    url: server.url,
    port: server.port,
    stop: async () => {
      await bus.stop();
      await server.close();
    },
  };
}

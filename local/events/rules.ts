// Rules as the local bus keeps them: validated (name, pattern or schedule, schedules only on the
// default bus), with their ARN, and described as DescribeRule/ListRules answer.
import { EventsApiError } from './errors';
import { InvalidEventPatternError, parseEventPattern, type EventPattern } from './pattern';
import { parseScheduleExpression, type Schedule } from './schedule';
import type { LocalEventRule, LocalEventTarget } from './types';

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

export interface RuleRecord {
  rule: LocalEventRule;
  arn: string;
  busName: string;
  pattern?: EventPattern;
  schedule?: Schedule;
  createdAt: Date;
  cancelSchedule?: () => void;
}

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

/** A rule record from PutRule's input; throws like the API for invalid input. */
export function ruleRecord(rule: LocalEventRule, where: { region: string; accountId: string; createdAt: Date }): RuleRecord {
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
  return {
    rule: { ...rule, eventBusName: busName, state: rule.state ?? 'ENABLED', targets: rule.targets.map((target) => ({ ...target })) },
    arn: `arn:aws:events:${where.region}:${where.accountId}:rule/${busName === 'default' ? '' : `${busName}/`}${rule.name}`,
    busName,
    pattern,
    schedule,
    createdAt: where.createdAt,
  };
}

export function describeRule(record: RuleRecord): RuleDescription {
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

export /** Accepts a bus name or ARN (arn:aws:events:region:account:event-bus/name). */
function busNameOf(nameOrArn: string | undefined): string {
  if (!nameOrArn) return 'default';
  const arn = /^arn:aws[\w-]*:events:[^:]*:\d{12}:event-bus\/(.+)$/.exec(nameOrArn);
  return arn ? arn[1] : nameOrArn;
}

export function ruleKey(busName: string, ruleName: string): string {
  return `${busName}\u0000${ruleName}`;
}

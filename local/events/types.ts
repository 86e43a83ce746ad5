// Types of the local EventBridge: rules and targets as a CloudFormation AWS::Events::Rule
// describes them (camelCased), the event envelope targets receive, and delivery records.
import type { EventPattern } from './pattern';

export interface LocalEventTarget {
  id: string;
  arn: string;
  /** Constant JSON text delivered instead of the event. */
  input?: string;
  /** JSONPath into the event; the value found is delivered. */
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate: string };
  roleArn?: string;
  /** Retries after the first attempt (AWS allows 0-185) and the maximum event age. */
  retryPolicy?: { maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number };
  /** Recorded on the dead letter; the bus's onDeadLetter callback may forward it there. */
  deadLetterConfig?: { arn?: string };
  /** For FIFO queue targets: the message group. */
  sqsParameters?: { messageGroupId?: string };
}

export interface LocalEventRule {
  name: string;
  /** Default "default". */
  eventBusName?: string;
  eventPattern?: EventPattern | string;
  /** rate(...) or cron(...); only on the default bus, as in AWS. */
  scheduleExpression?: string;
  /** Default ENABLED. */
  state?: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: LocalEventTarget[];
}

export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface DeliveryInfo {
  ruleName: string;
  ruleArn: string;
  eventBusName: string;
  event: EventEnvelope;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the bus stops. */
  signal: AbortSignal;
}

/** Delivers one payload to one target. Reject (or throw) to have the bus retry. */
export type DeliverFn = (target: LocalEventTarget, payload: unknown, info: DeliveryInfo) => Promise<void> | void;

export interface DeliveryRecord {
  ruleName: string;
  eventBusName: string;
  targetId: string;
  targetArn: string;
  eventId: string;
  payload: unknown;
  attempts: number;
  deliveredAt: Date;
}

export interface DeadLetter {
  ruleName: string;
  ruleArn: string;
  eventBusName: string;
  targetId: string;
  targetArn: string;
  /** The target's deadLetterConfig.arn, if it has one. */
  deadLetterArn?: string;
  event: EventEnvelope;
  payload: unknown;
  error: { name: string; message: string };
  attempts: number;
  failedAt: Date;
}

/** PutEvents request entry (the SDK's shape; Time may arrive as a Date or epoch seconds). */
export interface PutEventsRequestEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: Date | number | string;
  TraceHeader?: string;
}

export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

// Local EventBridge: PutEvents -> rules -> targets, scheduled rules, and a JSON 1.1 endpoint.
// See docs/local-runtime-sfn.md.
export { createLocalEventBus, EventsApiError, LocalEventBus, type LocalEventBusOptions, type RuleDescription } from './bus';
export { evaluatePath, targetPayload } from './input';
export { InvalidEventPatternError, matchesEventPattern, parseEventPattern, type EventPattern } from './pattern';
export { InvalidScheduleExpressionError, nextFireTime, parseScheduleExpression, type Schedule } from './schedule';
export { startLocalEventBridge, startLocalEventsServer, type LocalEventBridge, type LocalEventsServer } from './server';
export type {
  DeadLetter,
  DeliverFn,
  DeliveryInfo,
  DeliveryRecord,
  EventEnvelope,
  LocalEventRule,
  LocalEventTarget,
  PutEventsRequestEntry,
  PutEventsResult,
  PutEventsResultEntry,
} from './types';

// The daily accountability job (an EventBridge schedule): reminders, holds and automatic returns
// due now; the idle scan; the public aggregates. Its clock is the scheduled event's `time`, so a
// run handed a later event acts as on that day (the tests move time this way, never by waiting).
import type { EventBridgeEvent, Context } from 'aws-lambda';
import { logger } from '../shared/log';
import { runTimers } from './timers';
import { idleScan } from './idle-scan';
import { refreshPublicStats } from './stats-job';
import { RECLAIM_ACTOR } from './reclaims';

export async function handler(event: Partial<EventBridgeEvent<string, unknown>>, context?: Context) {
  const t = event.time ? new Date(event.time) : new Date();
  if (Number.isNaN(t.getTime())) throw new Error(`the scheduled event's time "${event.time}" is not a date`);
  const requestId = `accountability-daily:${event.id ?? context?.awsRequestId ?? t.toISOString()}`;
  const timers = await runTimers(t, requestId);
  const idle = await idleScan(t, requestId);
  const stats = await refreshPublicStats({ actor: RECLAIM_ACTOR, requestId, now: t });
  const summary = { at: t.toISOString(), timers, idle: { ...idle, reads: idle.reads }, stats };
  logger.info('accountability daily run', summary);
  return summary;
}

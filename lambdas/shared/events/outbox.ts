// Publishing domain events reliably: an event is written to an outbox item in the SAME transaction
// as the state change (a side write of commit()), then published to EventBridge right after the
// commit and its outbox item removed. If publishing fails, the outbox relay (a scheduled function)
// publishes what is left. Consumers see each event at least once and de-duplicate by eventId.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_SOURCE, type DomainEvent } from '../../domain/events';
import { newId } from '../../domain/ids';
import { ddb, mainTable } from '../store/client';
import type { SideWrite } from '../store/write-path';
import { logger } from '../log';

let client: EventBridgeClient | undefined;
const eb = () => (client ??= new EventBridgeClient({ maxAttempts: 3 }));

export function busName(): string {
  const b = process.env.EVENT_BUS_NAME;
  if (!b) throw new Error('EVENT_BUS_NAME is not set: grant the function the bus with eventBus.bindPublisher()');
  return b;
}

export function domainEvent(type: DomainEvent['type'], detail: Record<string, unknown>, now = new Date()): DomainEvent {
  return { eventId: newId('evt'), type, time: now.toISOString(), detail };
}

const outboxKey = (e: DomainEvent) => ({ pk: `OUTBOX#${e.eventId}`, sk: 'OUTBOX' });

/** Side writes that put the events in the outbox inside the caller's transaction. */
export function outboxWrites(events: DomainEvent[]): SideWrite[] {
  return events.map((e) => ({ put: { ...outboxKey(e), gsi1pk: 'OUTBOX', gsi1sk: `${e.time}#${e.eventId}`, event: e } }));
}

/** Publishes events (after their commit) and clears their outbox items. Never throws: the relay retries. */
export async function publish(events: DomainEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 10) {
    const batch = events.slice(i, i + 10);
    try {
      const out = await eb().send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({ EventBusName: busName(), Source: EVENT_SOURCE, DetailType: e.type, Time: new Date(e.time), Detail: JSON.stringify({ ...e.detail, eventId: e.eventId }) })),
        }),
      );
      const failed = new Set((out.Entries ?? []).map((r, j) => (r.ErrorCode ? j : -1)).filter((j) => j >= 0));
      await Promise.all(batch.filter((_, j) => !failed.has(j)).map((e) => ddb().send(new DeleteCommand({ TableName: mainTable(), Key: outboxKey(e) }))));
      if (failed.size) logger.warn('some events were not accepted; the outbox relay will retry', { count: failed.size });
    } catch (e) {
      logger.warn('publishing events failed; the outbox relay will retry', { error: (e as Error).message, count: batch.length });
    }
  }
}

/** The relay: publishes outbox items older than `olderThanMs` (left by a failed publish). */
export async function relayOutbox(olderThanMs = 60_000): Promise<number> {
  const cutoff = new Date(Date.now() - olderThanMs).toISOString();
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(
      new QueryCommand({ TableName: mainTable(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p AND gsi1sk < :c', ExpressionAttributeValues: { ':p': 'OUTBOX', ':c': cutoff }, ExclusiveStartKey: start, Limit: 100 }),
    );
    const events = (out.Items ?? []).map((i) => i.event as DomainEvent);
    await publish(events);
    count += events.length;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}

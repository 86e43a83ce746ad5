// The daily job's first part: reminders and holds. It reads only the records whose next action
// has come (the sparse ACCT-TIMER index, ordered by that instant), so its cost follows what is due,
// not how many allocations exist. Each record is handled in its own transaction: reminders and the
// record; or, for a hold, the allocation too (through the ledger's write, so the hold and its audit
// event commit together and AllocationSuspended reaches the provisioning flow).
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { accountabilityGsi } from '../shared/store/keys';
import { domainEvent } from '../shared/events/outbox';
import { retryOnStale, type AuditContext } from '../shared/store/write-path';
import { allocationOf, commitLedger, getAllocationItem } from '../ledger';
import { logger } from '../shared/log';
import type { AccountabilityRecord } from '../domain/accountability/model';
import { dueActions, markReminded, nextActionAt } from '../domain/accountability/schedule';
import { holdWrite } from './holds';
import { applyAutomatic, RECLAIM_ACTOR } from './reclaims';
import { commitAccountability, readRecord, recordChange } from './store';

export interface TimerStats {
  due: number;
  reminders: number;
  holds: number;
  reclaims: number;
  failed: number;
}

async function* dueRecords(now: Date): AsyncGenerator<string> {
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(
      new QueryCommand({
        TableName: mainTable(),
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p AND gsi1sk <= :t',
        ExpressionAttributeValues: { ':p': accountabilityGsi.timers, ':t': `${now.toISOString()}#~` },
        ProjectionExpression: 'allocationId',
        ExclusiveStartKey: start,
      }),
    );
    for (const it of out.Items ?? []) yield String(it.allocationId);
    start = out.LastEvaluatedKey;
  } while (start);
}

/** One record's due actions at `now`. Idempotent: a second run at the same time finds nothing to do. */
export async function processRecord(allocationId: string, now: Date, requestId: string): Promise<{ reminders: number; hold: boolean; reclaim: string }> {
  const ctx: AuditContext = { actor: RECLAIM_ACTOR, requestId, now };
  const out = await retryOnStale(async () => {
    const got = await readRecord(allocationId);
    if (!got) return { reminders: 0, hold: false };
    const allocItem = await getAllocationItem(allocationId);
    const a = allocItem ? allocationOf(allocItem) : null;
    const rec = got.record;
    const actions = dueActions(rec, now, { allocationState: a?.state ?? 'closed' });
    let next: AccountabilityRecord = { ...markReminded(rec, actions), updatedAt: now.toISOString() };
    const reminders = actions.filter((x) => x.type === 'remind');
    const events = reminders.map((r) =>
      domainEvent(
        'ReportReminder',
        {
          allocationId,
          callId: rec.callId,
          reportId: r.type === 'remind' ? r.reportId : null,
          stage: r.type === 'remind' ? r.stage : null,
          dueDate: r.type === 'remind' ? r.dueDate : null,
          summary: r.explanation.summary,
          figures: r.explanation.figures,
        },
        now,
      ),
    );
    const hold = actions.find((x) => x.type === 'hold');
    if (hold && hold.type === 'hold' && a && allocItem) {
      const h = holdWrite(a, rec, hold.reportIds, hold.explanation, now);
      next = { ...next, hold: h.hold };
      const change = recordChange(got.item, next, nextActionAt(next, now), 'report.hold', { reportIds: hold.reportIds, reminders: reminders.length, ...hold.explanation.figures });
      await commitLedger({ ...ctx, reason: hold.explanation.summary }, { ...h.write, before: allocItem, events: [...(h.write.events ?? []), ...events], extraChanges: [change] });
      return { reminders: reminders.length, hold: true };
    }
    const timer = nextActionAt(next, now);
    if (!reminders.length && timer === (got.item.nextActionAt ?? null)) return { reminders: 0, hold: false };
    await commitAccountability(ctx, {
      changes: [recordChange(got.item, next, timer, reminders.length ? 'report.remind' : 'accountability.timer', { reminders: reminders.map((r) => (r.type === 'remind' ? `${r.reportId}:${r.stage}` : '')) })],
      events,
    });
    return { reminders: reminders.length, hold: false };
  });
  const after = await readRecord(allocationId);
  const reclaim = after ? await applyAutomatic(after.record, now, requestId) : 'skipped';
  return { ...out, reclaim };
}

/** Every record whose time has come, a few at a time. A record that fails is logged and retried tomorrow (its timer stays). */
export async function runTimers(now: Date, requestId: string, concurrency = 8): Promise<TimerStats> {
  const stats: TimerStats = { due: 0, reminders: 0, holds: 0, reclaims: 0, failed: 0 };
  const running = new Set<Promise<void>>();
  for await (const id of dueRecords(now)) {
    stats.due++;
    const p = processRecord(id, now, `${requestId}:${id}`)
      .then((r) => {
        stats.reminders += r.reminders;
        if (r.hold) stats.holds++;
        if (r.reclaim === 'applied') stats.reclaims++;
      })
      .catch((e: unknown) => {
        stats.failed++;
        logger.error('accountability timer failed', { allocationId: id, error: (e as Error).message });
      })
      .finally(() => running.delete(p));
    running.add(p);
    if (running.size >= concurrency) await Promise.race(running);
  }
  await Promise.all(running);
  return stats;
}

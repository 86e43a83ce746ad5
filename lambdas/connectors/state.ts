// Each site's connector state in the main table (keys: connectorKeys): the usage watermark, the
// last reconciler run that changed something, and the site's queue snapshot (keys.siteStatus). Every change is an audited commit (write-path.ts) on
// the subject "connector/<siteId>/<concern>", serialised by its audit chain (optimistic concurrency),
// except the queue snapshot: it is a hint to the recommender, replaced every collection run, that
// changes nothing anyone is owed (no credit, access or decision rests on it), so auditing it would
// fill the trail with a copy of the scheduler's queue every two minutes per site.
import { BatchGetCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { connectorKeys, keys, type ItemKey } from '../shared/store/keys';
import { commit, retryOnStale, type AuditContext, type Item } from '../shared/store/write-path';
import type { QueueState } from '../domain/recommendation';

async function read(key: ItemKey): Promise<Item | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: key, ConsistentRead: true }));
  return (out.Item as Item) ?? null;
}

/**
 * Read-modify-commit of one connector item. `next` returns the new attributes (without keys), or
 * null for "nothing to change"; it runs again on a lost race, on the item as it is then.
 */
async function update(
  key: ItemKey,
  subjectId: string,
  ctx: AuditContext,
  next: (prev: Record<string, unknown> | null) => { attrs: Record<string, unknown>; action: string; details?: Record<string, unknown> } | null,
): Promise<{ changed: boolean; item: Record<string, unknown> | null }> {
  return retryOnStale(async () => {
    const before = await read(key);
    const n = next(before);
    if (!n) return { changed: false, item: before };
    const after = { ...n.attrs, ...key } as Item;
    await commit(ctx, { changes: [{ subject: { type: 'connector', id: subjectId }, before, after, action: n.action, details: n.details }] });
    return { changed: true, item: after };
  });
}

export interface UsageWatermark {
  siteId: string;
  /** Jobs that ran at or after this instant have not all been collected yet (ISO 8601). */
  watermark: string;
  updatedAt: string;
  lastRun?: Record<string, unknown>;
}

export async function getWatermark(siteId: string): Promise<UsageWatermark | null> {
  const it = await read(connectorKeys.usageWatermark(siteId));
  return it ? (it as unknown as UsageWatermark) : null;
}

/**
 * Moves the watermark forward to `to`, never backwards: of two overlapping runs, the one that
 * started later wins, whichever finishes first.
 */
export async function advanceWatermark(siteId: string, to: Date, ctx: AuditContext, run: Record<string, unknown>): Promise<{ moved: boolean; watermark: string }> {
  const toIso = to.toISOString();
  const res = await update(connectorKeys.usageWatermark(siteId), `${siteId}/usage`, ctx, (prev) => {
    const from = prev?.watermark as string | undefined;
    if (from && from >= toIso) return null;
    return {
      attrs: { siteId, watermark: toIso, updatedAt: (ctx.now ?? new Date()).toISOString(), lastRun: run },
      action: 'connector.usage.watermark',
      details: { from: from ?? null, to: toIso, reports: run.reports ?? 0 },
    };
  });
  return { moved: res.changed, watermark: String(res.item?.watermark ?? toIso) };
}

/** Keeps the latest reconciler run that changed something (or failed), as an audited change. */
export async function recordReconcileRun(siteId: string, summary: Record<string, unknown>, ctx: AuditContext): Promise<void> {
  await update(connectorKeys.reconcileRun(siteId), `${siteId}/reconcile`, ctx, () => ({
    attrs: { siteId, ...summary, updatedAt: (ctx.now ?? new Date()).toISOString() },
    action: 'connector.reconcile',
    details: summary,
  }));
}

export async function lastReconcileRun(siteId: string): Promise<Record<string, unknown> | null> {
  return read(connectorKeys.reconcileRun(siteId));
}

/** A site's latest queue snapshot, as its connector records it: per resource key, what waits and for how long. */
export interface QueueSnapshot {
  queue: Record<string, QueueState>;
  updatedAt: string;
}

/** DynamoDB removes a snapshot a day after it was taken (the recommender ignores one older than 30 minutes anyway). */
const SNAPSHOT_TTL_SECONDS = 86_400;

/**
 * Replaces the site's snapshot, unless a newer one is there already (of two overlapping runs, the
 * later snapshot stays). Answers whether it was written. A plain conditional put: see the header.
 */
export async function writeQueueSnapshot(siteId: string, queue: Record<string, QueueState>, takenAt: Date, source: string): Promise<boolean> {
  try {
    await ddb().send(
      new PutCommand({
        TableName: mainTable(),
        Item: { ...keys.siteStatus(siteId), siteId, queue, updatedAt: takenAt.toISOString(), source, ttl: Math.floor(takenAt.getTime() / 1000) + SNAPSHOT_TTL_SECONDS },
        ConditionExpression: 'attribute_not_exists(pk) OR updatedAt < :t',
        ExpressionAttributeValues: { ':t': takenAt.toISOString() },
      }),
    );
    return true;
  } catch (e) {
    if ((e as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw e;
  }
}

/** The queue snapshots of those of the sites that have one, in one BatchGetItem (eventually consistent: a snapshot is a hint). */
export async function readQueueSnapshots(siteIds: string[]): Promise<QueueSnapshot[]> {
  const out = await ddb().send(new BatchGetCommand({ RequestItems: { [mainTable()]: { Keys: siteIds.map((s) => keys.siteStatus(s)) } } }));
  return (out.Responses?.[mainTable()] ?? []).map((it) => ({ queue: (it.queue ?? {}) as Record<string, QueueState>, updatedAt: String(it.updatedAt) }));
}

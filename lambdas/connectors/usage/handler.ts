// Scheduled per site (EventBridge rule input {"siteId": ...}, every policy.usageCollectionIntervalMinutes):
// usage collection. A failure (scheduler or ledger unreachable) fails the run: Lambda retries it,
// then dead-letters it; the watermark has not moved, so the next run covers the same jobs.
import type { Context } from 'aws-lambda';
// Each run also takes the site's queue snapshot for the recommender (queue.ts), beside the usage:
// its outcome is reported, and never fails the run.
import { collectUsage, type CollectResult } from './collect';
import { recordQueueSnapshot, type QueueSnapshotResult } from './queue';
import { asStepError } from '../step-errors';

export async function handler(event: { siteId?: string }, context?: Context): Promise<CollectResult & { queue: QueueSnapshotResult }> {
  if (!event?.siteId) throw new Error('usage collection needs {"siteId"} as its input');
  const [usage, queue] = await Promise.allSettled([collectUsage(event.siteId, { requestId: context?.awsRequestId }), recordQueueSnapshot(event.siteId)]);
  if (usage.status === 'rejected') throw asStepError(usage.reason);
  return { ...usage.value, queue: queue.status === 'fulfilled' ? queue.value : { written: false, reason: String((queue.reason as Error)?.message ?? queue.reason) } };
}

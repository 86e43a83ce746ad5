// Scheduled per site (EventBridge rule input {"siteId": ...}, every policy.usageCollectionIntervalMinutes):
// usage collection. A failure (scheduler or ledger unreachable) fails the run: Lambda retries it,
// then dead-letters it; the watermark has not moved, so the next run covers the same jobs.
import type { Context } from 'aws-lambda';
import { collectUsage, type CollectResult } from './collect';
import { asStepError } from '../step-errors';

export async function handler(event: { siteId?: string }, context?: Context): Promise<CollectResult> {
  if (!event?.siteId) throw new Error('usage collection needs {"siteId"} as its input');
  try {
    return await collectUsage(event.siteId, { requestId: context?.awsRequestId });
  } catch (e) {
    throw asStepError(e);
  }
}

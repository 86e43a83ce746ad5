// Scheduled per site (EventBridge rule input {"siteId": ...}): the reconciler. Returns its result;
// a run that cannot reach the scheduler fails, so EventBridge/Lambda retry it and then dead-letter it.
import type { Context } from 'aws-lambda';
import { reconcileSite, type ReconcileResult } from './reconcile';
import { asStepError } from '../step-errors';

export async function handler(event: { siteId?: string }, context?: Context): Promise<ReconcileResult> {
  if (!event?.siteId) throw new Error('the reconciler needs {"siteId"} as its input');
  try {
    return await reconcileSite(event.siteId, { requestId: context?.awsRequestId });
  } catch (e) {
    throw asStepError(e);
  }
}

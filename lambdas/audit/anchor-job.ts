// Scheduled: anchors the heads of the streams that moved since the last run (anchoring.ts).
import type { Context } from 'aws-lambda';
import { logger } from '../shared/log';
import { anchorBucket, s3 } from './clients';
import { anchorHeads } from './anchoring';

export async function handler(_event: unknown, context?: Context): Promise<{ outcome: string; key?: string; heads?: number }> {
  const days = Number(process.env.ANCHOR_RETENTION_DAYS);
  const r = await anchorHeads({ s3: s3(), bucket: anchorBucket(), requestId: context?.awsRequestId, retentionDays: Number.isSafeInteger(days) && days > 0 ? days : undefined });
  if (r.outcome === 'nothing-moved') {
    logger.info('audit anchor: nothing moved', r.scanned);
    return { outcome: r.outcome };
  }
  logger.info('audit anchor', { outcome: r.outcome, key: r.ref.key, heads: r.ref.heads, sha256: r.ref.sha256 });
  return { outcome: r.outcome, key: r.ref.key, heads: r.ref.heads };
}

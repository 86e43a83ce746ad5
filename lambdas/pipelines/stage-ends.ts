// What Plan does when a stage's job ended well, before it records the stage as succeeded: a
// registration's manifest becomes the version in the data hub; a transfer's result gives the bytes
// it moved, and its verified copy becomes a `verified` location of the version at the destination.
// Both read a small report the job wrote at its site (site-reports.ts); the bytes stay there.
import * as z from 'zod/mini';
import type { StageError, StageState } from '../domain/pipelines/state';
import { catalogueCopyPath } from '../domain/pipelines/storage';
import { logger } from '../shared/log';
import type { AuditContext } from '../shared/store/write-path';
import { recordVerifiedCopy } from '../datahub/index';
import { pipelinesConfig } from './config';
import { completeRegistration } from './registration';
import { readSiteReport } from './site-reports';
import { transferResultPath } from './stage-work';
import type { PipelineRecord } from './store';

export interface StageEnd {
  state: Extract<StageState, 'succeeded' | 'failed' | 'cancelled'>;
  error?: StageError;
  bytesMoved?: number;
}

/** The part of the transfer job's result (domain/pipelines/transfer-script.ts TransferResult) the flow uses. */
const TransferReport = z.object({ state: z.enum(['verified', 'mismatched', 'mover-failed']), moved: z.object({ files: z.number(), bytes: z.number() }) });

async function transferEnd(p: PipelineRecord, stageId: string, ctx: AuditContext): Promise<StageEnd> {
  const planned = p.plan.stages[stageId];
  const storage = pipelinesConfig().storage[planned.site];
  const moved = p.copies?.[stageId]?.outputs[0]?.version;
  let bytesMoved: number | undefined;
  try {
    const r = TransferReport.parse(JSON.parse(await readSiteReport(storage, planned.site, transferResultPath(storage, p.pipelineId, stageId))));
    bytesMoved = r.moved.bytes;
  } catch (e) {
    // the exit code already says the copy is verified; only the count stays at the site
    logger.warn("a transfer's result could not be read", { pipelineId: p.pipelineId, stage: stageId, error: (e as Error).message });
  }
  if (moved) await recordVerifiedCopy(moved.artifact, moved.version, planned.site, catalogueCopyPath(moved.artifact, moved.version), `pipeline.${p.pipelineId}.${stageId}`, ctx);
  return { state: 'succeeded', ...(bytesMoved !== undefined ? { bytesMoved } : {}) };
}

/**
 * The end to record for a stage whose job succeeded. Thrown errors (the store away) leave the
 * stage running, and the next Plan completes it: both steps are idempotent.
 */
export async function completeSucceeded(p: PipelineRecord, stageId: string, ctx: AuditContext): Promise<StageEnd> {
  const planned = p.plan.stages[stageId];
  if (planned.kind === 'job') return { state: 'succeeded' };
  const storage = pipelinesConfig().storage[planned.site];
  if (!storage) return { state: 'failed', error: { code: 'storage_not_configured', message: `${planned.site} has no pipelines storage configured` } };
  if (planned.kind === 'transfer') return transferEnd(p, stageId, ctx);
  const registered = p.registered?.[stageId];
  if (!registered) return { state: 'failed', error: { code: 'registration_missing', message: `stage "${stageId}" ran without a version picked for it` } };
  const end = await completeRegistration({
    pipelineId: p.pipelineId,
    pipelineName: p.name,
    stageId,
    site: planned.site,
    storage,
    registered,
    derivedFrom: planned.derivedFrom,
    registeredVersions: p.registered ?? {},
    ctx,
  });
  return end.ok ? { state: 'succeeded' } : { state: 'failed', error: end.error };
}

// The export worker: invoked asynchronously (InvocationType Event) by POST /v1/audit/exports with
// {exportId}. Runs the export into the export bucket and records the outcome on the export.
//   - a transient failure (throttling, a 5xx) puts the export back to queued and rethrows, so
//     Lambda's own retry runs it again (at most MAX_ATTEMPTS in all; then the DLQ keeps the event);
//   - any other failure is recorded on the export (state failed, with a reason) and not retried;
//   - a duplicate delivery finds the export running or finished and does nothing.
import type { Context } from 'aws-lambda';
import { ExportInputError } from '../domain/audit';
import type { AuditContext } from '../shared/store/write-path';
import { logger } from '../shared/log';
import { exportBucket, s3 } from './clients';
import { s3UploadSink } from './s3-sink';
import { ExportTimeoutError, runExport } from './export-run';
import { finishExport, MAX_ATTEMPTS, startExport, requeueExport, type ExportRecord } from './exports';
import { anchorsForExport, readCursor } from './anchoring';

export interface ExportWorkerEvent {
  exportId: string;
}

const CONTENT_TYPES: Record<string, string> = { jsonl: 'application/x-ndjson; charset=utf-8', csv: 'text/csv; charset=utf-8', json: 'application/json' };
const ANOMALIES_KEPT = 20;

function workerTimeoutMs(): number {
  const s = Number(process.env.WORKER_TIMEOUT_SECONDS ?? 900);
  return (Number.isFinite(s) && s > 0 ? s : 900) * 1000;
}

const TRANSIENT = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'SlowDown',
  'InternalError',
  'RequestTimeout',
  'TimeoutError',
  'TransactionConflictException',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

export function isTransient(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  return !!e && (TRANSIENT.has(e.name ?? '') || TRANSIENT.has(e.code ?? '') || !!e.$retryable || (e.$metadata?.httpStatusCode ?? 0) >= 500);
}

/** What the auditor is told about a failure: specific for the expected ones, generic otherwise. */
export function failureOf(err: unknown): { code: string; message: string } {
  if (err instanceof ExportTimeoutError) return { code: 'timed_out', message: `${err.message}; export a narrower time window, or one subject type at a time` };
  if (err instanceof ExportInputError) return { code: 'invalid_event', message: `the audit table holds an event the export cannot write: ${err.message}` };
  return { code: 'internal', message: "the export failed; the error is in the worker's log under this export id" };
}

export async function runExportJob(exportId: string, opts: { requestId: string; remainingMs?: () => number; now?: Date }): Promise<ExportRecord> {
  const ctx: AuditContext = { actor: { sub: 'system:audit-export', role: 'system' }, requestId: opts.requestId, now: opts.now };
  const start = await startExport(exportId, ctx, { staleAfterMs: workerTimeoutMs() });
  if (!start.started) {
    if (start.why === 'attempts' && start.record.state !== 'failed') {
      return finishExport(exportId, { state: 'failed', error: { code: 'attempts_exhausted', message: `the export did not finish in ${MAX_ATTEMPTS} attempts` } }, ctx);
    }
    logger.info('export not started', { exportId, why: start.why, state: start.record.state });
    return start.record;
  }
  const rec = start.record;
  const bucket = exportBucket();
  try {
    const cursor = await readCursor();
    const anchors = anchorsForExport(cursor?.cursor.recent ?? [], rec.from);
    const { manifest, anomalies } = await runExport({
      exportId: rec.exportId,
      format: rec.format,
      from: rec.from,
      to: rec.to,
      filters: rec.filters,
      anchors,
      open: (name) => s3UploadSink({ client: s3(), bucket, key: rec.prefix + name, contentType: CONTENT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream' }),
      remainingMs: opts.remainingMs,
      onProgress: (n) => logger.info('export progress', { exportId, records: n }),
      onPhase: (phase, ms, count) => logger.info('export phase', { exportId, phase, ms, count }),
    });
    if (anomalies.length) logger.warn('export holds chain anomalies', { exportId, count: anomalies.length });
    return await finishExport(
      exportId,
      {
        state: 'succeeded',
        totalRecords: manifest.totalRecords,
        totalBytes: manifest.totalBytes,
        streams: manifest.streams.length,
        manifestHash: manifest.manifestHash,
        files: manifest.files.map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256, records: f.records })),
        anchors,
        anomalies: anomalies.slice(0, ANOMALIES_KEPT).map((a) => ({ stream: a.stream, seq: a.seq, field: a.field, problem: a.problem })),
      },
      ctx,
    );
  } catch (err) {
    logger.error('export failed', { exportId, attempt: rec.attempts, error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
    if (isTransient(err) && rec.attempts < MAX_ATTEMPTS) {
      await requeueExport(exportId, err instanceof Error ? err.name : 'transient', ctx);
      throw err;
    }
    return finishExport(exportId, { state: 'failed', error: failureOf(err) }, ctx);
  }
}

export async function handler(event: ExportWorkerEvent, context?: Context): Promise<{ exportId: string; state: string } | { error: string }> {
  const exportId = (event as { exportId?: unknown })?.exportId;
  if (typeof exportId !== 'string' || !/^exp-[0-9a-z]{26}$/.test(exportId)) {
    // Nothing to retry: a malformed event would fail the same way every time.
    logger.error('export worker got an event without a valid exportId');
    return { error: 'no valid exportId' };
  }
  const rec = await runExportJob(exportId, { requestId: context?.awsRequestId ?? 'export-worker', remainingMs: context ? () => context.getRemainingTimeInMillis() : undefined });
  return { exportId, state: rec.state };
}

// Export records in the main table. An export is itself an audited subject (stream export/<id>):
// the auditor's request, the worker's start, and its result or failure are each an event in the
// same transaction as the change, like every other state change in KAIRR.
//   EXPORT#<id> / EXPORT        the record; gsi1 EXPORTS (gsi1sk = requestedAt#id) lists them
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../domain/audit';
import { NotFoundError } from '../domain/errors';
import { newId } from '../domain/ids';
import { ddb, mainTable } from '../shared/store/client';
import { PREFIX, type ItemKey } from '../shared/store/keys';
import { commit, retryOnStale, type AuditContext, type Item, type SideWrite } from '../shared/store/write-path';

export type ExportState = 'queued' | 'running' | 'succeeded' | 'failed';
export type ExportFormat = 'csv' | 'jsonl';

export interface ExportFiltersRecord {
  subjectType?: string;
  subjectId?: string;
}

export interface ExportFileRecord {
  name: string;
  bytes: number;
  sha256: string;
  records: number;
}

export interface ExportRecord {
  exportId: string;
  state: ExportState;
  format: ExportFormat;
  from: string;
  to: string;
  filters: ExportFiltersRecord | null;
  requestedBy: string;
  requestedAt: string;
  attempts: number;
  bucket: string;
  /** Folder of the export in the bucket, ending in "/". */
  prefix: string;
  startedAt?: string;
  finishedAt?: string;
  totalRecords?: number;
  totalBytes?: number;
  streams?: number;
  manifestHash?: string;
  files?: ExportFileRecord[];
  anchors?: { key: string; sha256: string; createdAt?: string }[];
  /** Chain anomalies exported as stored (the first few; the verifier lists them all). */
  anomalies?: { stream: string; seq: number; field: string; problem: string }[];
  error?: { code: string; message: string };
}

export const EXPORTS_GSI = 'EXPORTS';
/** How many times the worker may (re)start one export: Lambda retries a failed async invocation twice. */
export const MAX_ATTEMPTS = 3;

export const exportKey = (id: string): ItemKey => ({ pk: `${PREFIX.export}#${id}`, sk: PREFIX.export });
export const newExportId = () => newId('exp');

export function exportItem(r: ExportRecord): Item {
  return { ...r, ...exportKey(r.exportId), gsi1pk: EXPORTS_GSI, gsi1sk: `${r.requestedAt}#${r.exportId}` } as Item;
}

const OWN = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'auditSeq', 'auditHash']);
export function exportOf(item: Record<string, unknown>): ExportRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!OWN.has(k)) out[k] = v;
  return out as unknown as ExportRecord;
}

export async function readExport(id: string): Promise<{ record: ExportRecord; item: Item } | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: exportKey(id), ConsistentRead: true }));
  return out.Item ? { record: exportOf(out.Item), item: out.Item as Item } : null;
}

export async function getExport(id: string): Promise<ExportRecord> {
  const got = await readExport(id);
  if (!got) throw new NotFoundError('Export', id);
  return got.record;
}

export async function listExports(limit: number, startKey?: Record<string, unknown>): Promise<{ items: ExportRecord[]; nextKey?: Record<string, unknown> }> {
  const out = await ddb().send(
    new QueryCommand({ TableName: mainTable(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': EXPORTS_GSI }, ScanIndexForward: false, Limit: limit, ExclusiveStartKey: startKey }),
  );
  return { items: (out.Items ?? []).map(exportOf), nextKey: out.LastEvaluatedKey };
}

/** Creates the record (state queued), with the idempotency record's side writes, in one transaction. */
export async function createExport(r: ExportRecord, ctx: AuditContext, sideWrites: SideWrite[] = []): Promise<AuditEvent[]> {
  const after = exportItem(r);
  const { events } = await commit(ctx, {
    changes: [{ subject: { type: 'export', id: r.exportId }, before: null, after, action: 'audit.export.request', details: { format: r.format, from: r.from, to: r.to, filters: r.filters ?? null } }],
    sideWrites,
  });
  return events;
}

export type StartOutcome =
  | { started: true; record: ExportRecord }
  /** Finished, running in another invocation, or out of attempts (the record as it is). */
  | { started: false; record: ExportRecord; why: 'finished' | 'running' | 'attempts' };

/**
 * queued → running, attempts + 1. Also running → running when the earlier attempt started more
 * than `staleAfterMs` ago (longer than the worker may run: it was killed at its time limit and
 * Lambda retried it). Conditional on the record as read (its auditSeq), so when one invocation is
 * delivered twice only one of them starts the export.
 */
export async function startExport(id: string, ctx: AuditContext, opts: { staleAfterMs: number }): Promise<StartOutcome> {
  return retryOnStale(async () => {
    const got = await readExport(id);
    if (!got) throw new NotFoundError('Export', id);
    const r = got.record;
    const now = ctx.now ?? new Date();
    if (r.state === 'succeeded' || r.state === 'failed') return { started: false, record: r, why: 'finished' };
    if (r.state === 'running' && r.startedAt && now.getTime() - Date.parse(r.startedAt) < opts.staleAfterMs) return { started: false, record: r, why: 'running' };
    if (r.attempts >= MAX_ATTEMPTS) return { started: false, record: r, why: 'attempts' };
    const next: ExportRecord = { ...r, state: 'running', attempts: r.attempts + 1, startedAt: now.toISOString() };
    await commit(ctx, { changes: [{ subject: { type: 'export', id }, before: got.item, after: exportItem(next), action: 'audit.export.start', details: { attempt: next.attempts } }] });
    return { started: true, record: next };
  });
}

/** running → queued after a transient failure, so that Lambda's retry may start it again at once. */
export async function requeueExport(id: string, reason: string, ctx: AuditContext): Promise<void> {
  await retryOnStale(async () => {
    const got = await readExport(id);
    if (got?.record.state !== 'running') return;
    const next: ExportRecord = { ...got.record, state: 'queued' };
    await commit(ctx, { changes: [{ subject: { type: 'export', id }, before: got.item, after: exportItem(next), action: 'audit.export.retry', details: { attempt: got.record.attempts, reason } }] });
  });
}

/** running → succeeded (with what was written) or failed (with why); also queued → failed when the worker cannot be started. */
export async function finishExport(id: string, outcome: Pick<ExportRecord, 'state'> & Partial<ExportRecord>, ctx: AuditContext): Promise<ExportRecord> {
  return retryOnStale(async () => {
    const got = await readExport(id);
    if (!got) throw new NotFoundError('Export', id);
    const r = got.record;
    if (r.state === 'succeeded' || r.state === 'failed') return r;
    const next: ExportRecord = { ...r, ...outcome, finishedAt: (ctx.now ?? new Date()).toISOString() };
    const details =
      outcome.state === 'succeeded'
        ? // The manifest's digest covers every file's SHA-256; the list itself stays on the record.
          { totalRecords: next.totalRecords ?? 0, totalBytes: next.totalBytes ?? 0, files: next.files?.length ?? 0, manifestHash: next.manifestHash ?? null }
        : { error: next.error ?? null };
    await commit(ctx, { changes: [{ subject: { type: 'export', id }, before: got.item, after: exportItem(next), action: outcome.state === 'succeeded' ? 'audit.export.complete' : 'audit.export.fail', details }] });
    return next;
  });
}

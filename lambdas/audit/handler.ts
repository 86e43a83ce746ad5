// The auditor's API (api.ts): audit events, exports, anchors, and the reports.
import { createHandler } from '../shared/http/router';
import { withKairrRoles } from '../shared/identity/people'; // identity
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { idempotent } from '../shared/store/idempotency';
import type { AuditContext } from '../shared/store/write-path';
import { PayloadTooLargeError, UnavailableError, ValidationError } from '../domain/errors';
import { logger } from '../shared/log';
import { auditApi } from './api';
import { listEvents, toUtcMillis } from './events';
import { createExport, finishExport, getExport, listExports, newExportId, EXPORTS_GSI, type ExportFiltersRecord, type ExportRecord } from './exports';
import { readCursor } from './anchoring';
import { anchorBucket, exportBucket, urlTtlSeconds } from './clients';
import { downloadUrl, startExportWorker } from './delivery';
import { allocationReport, allocationReportCsv, fairnessReport, fairnessReportCsv } from './reports';
import { readAllocations, readAwardPlans, readFairnessInputs } from './report-sources';

export const MAX_EXPORT_SPAN_DAYS = 3660;
/** A Lambda proxy response is at most 6 MB; stay clear of it. */
const MAX_RESPONSE_CHARS = 5_500_000;

/** The export's API view; with download URLs when asked and it succeeded. */
export async function exportView(r: ExportRecord, withUrls: boolean) {
  const { bucket, prefix, files, ...rest } = r;
  const view: Record<string, unknown> = { ...rest, location: { bucket, prefix }, ...(files ? { files } : {}) };
  if (withUrls && r.state === 'succeeded') {
    const ttl = urlTtlSeconds();
    const sign = (name: string) => downloadUrl(bucket, prefix + name, ttl);
    view.files = await Promise.all((files ?? []).map(async (f) => ({ ...f, url: await sign(f.name) })));
    view.manifest = { name: 'manifest.json', url: await sign('manifest.json') };
    view.urlsExpireAt = new Date(Date.now() + ttl * 1000).toISOString();
  }
  return view;
}

/** ?format wins; otherwise Accept: text/csv (before any application/json in the list) asks for CSV. */
export function wantsCsv(format: 'json' | 'csv' | undefined, headers: Record<string, string>): boolean {
  if (format) return format === 'csv';
  const accept = (headers.accept ?? '').toLowerCase();
  const csv = accept.indexOf('text/csv');
  const json = accept.indexOf('application/json');
  return csv >= 0 && (json < 0 || csv < json);
}

function sized<T extends { text?: string; body?: unknown }>(r: T, filterHint: string): T {
  const size = r.text !== undefined ? r.text.length : JSON.stringify(r.body).length;
  if (size > MAX_RESPONSE_CHARS) throw new PayloadTooLargeError(`The report is larger than one response can hold; narrow it with ${filterHint}`, [{ path: 'query', problem: `narrow the report with ${filterHint}` }]);
  return r;
}

const CSV_TYPE = 'text/csv; charset=utf-8';
const stamp = () => new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
const definedOnly = (o: Record<string, string | undefined>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, string>;

export const handler = createHandler(
  auditApi,
  {
    async listAuditEvents({ query }) {
      if (query.subjectId !== undefined && query.subjectType === undefined) throw ValidationError.field('query.subjectType', 'is required with subjectId');
      if (query.subjectType !== undefined && query.subjectId === undefined) throw ValidationError.field('query.subjectId', 'is required with subjectType (to list a type of subject, filter by action or export by subjectType)');
      const page = await listEvents(
        { from: query.from, to: query.to, subject: query.subjectType ? { type: query.subjectType, id: query.subjectId! } : undefined, actor: query.actor, action: query.action },
        { limit: query.limit ?? 100, nextToken: query.nextToken },
      );
      return { body: page };
    },

    async createAuditExport({ caller, body, requestId, idempotencyKey }) {
      const from = toUtcMillis(body.from);
      const to = toUtcMillis(body.to);
      if (to <= from) throw ValidationError.field('to', 'must be after from');
      if (Date.parse(to) - Date.parse(from) > MAX_EXPORT_SPAN_DAYS * 86_400_000) throw ValidationError.field('to', `makes the window longer than ${MAX_EXPORT_SPAN_DAYS} days; export it in parts`);
      const f = body.filters ?? null;
      for (const k of ['actor', 'action'] as const) {
        if (f && f[k] !== undefined) throw ValidationError.field(`filters.${k}`, `cannot narrow an export: an export holds whole hash chains (docs/audit.md, section 4); filter by ${k} when reading the export, or with GET /v1/audit/events`);
      }
      if (f?.subjectId !== undefined && f.subjectType === undefined) throw ValidationError.field('filters.subjectType', 'is required with filters.subjectId');
      const filters: ExportFiltersRecord | null = f && (f.subjectType || f.subjectId) ? definedOnly({ subjectType: f.subjectType, subjectId: f.subjectId }) : null;

      const res = await idempotent({ operation: 'audit.export', callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        const exportId = newExportId();
        const rec: ExportRecord = {
          exportId,
          state: 'queued',
          format: body.format,
          from,
          to,
          filters,
          requestedBy: caller.sub,
          requestedAt: new Date().toISOString(),
          attempts: 0,
          bucket: exportBucket(),
          prefix: `exports/${exportId}/`,
        };
        const view = await exportView(rec, false);
        const ctx: AuditContext = { actor: { sub: caller.sub, role: 'auditor' }, requestId };
        await createExport(rec, ctx, record({ status: 202, body: view }));
        return { status: 202, body: view };
      });
      const exportId = (res.body as { exportId: string }).exportId;
      if (res.replayed) {
        // The same request again: answer with the export as it is now; start the worker again if the
        // first request may have died between its commit and the invocation (a duplicate start is
        // harmless: the worker starts an export only from queued).
        const current = await getExport(exportId);
        if (current.state === 'queued') await startExportWorker(exportId).catch((e) => logger.warn('export worker restart failed', { exportId, error: String(e) }));
        return { status: 202, body: await exportView(current, false), headers: { 'idempotent-replayed': 'true' } };
      }
      try {
        await startExportWorker(exportId);
      } catch (e) {
        logger.error('export worker invoke failed', { exportId, error: e instanceof Error ? { name: e.name, message: e.message } : String(e) });
        await finishExport(
          exportId,
          { state: 'failed', error: { code: 'worker_unavailable', message: 'the export worker could not be started; request the export again' } },
          { actor: { sub: 'system:audit-export', role: 'system' }, requestId },
        );
        throw new UnavailableError(`The export worker could not be started; export ${exportId} is marked failed. Try again.`);
      }
      return { status: 202, body: res.body };
    },

    async listAuditExports({ query }) {
      const page = await listExports(query.limit ?? 50, decodeToken(query.nextToken, EXPORTS_GSI));
      return { body: { items: await Promise.all(page.items.map((r) => exportView(r, false))), nextToken: encodeToken(page.nextKey, EXPORTS_GSI) } };
    },

    async getAuditExport({ params }) {
      return { body: await exportView(await getExport(params.exportId), true) };
    },

    async listAuditAnchors() {
      const got = await readCursor();
      const ttl = urlTtlSeconds();
      const bucket = anchorBucket();
      const items = await Promise.all(
        (got?.cursor.recent ?? []).map(async (a) => ({
          ...a,
          url: await downloadUrl(bucket, a.key, ttl, a.versionId),
        })),
      );
      return { body: { items, urlsExpireAt: new Date(Date.now() + ttl * 1000).toISOString() } };
    },

    async allocationsReport({ query, headers }) {
      const filters = definedOnly({ state: query.state, callId: query.callId, orgType: query.orgType, field: query.field, institution: query.institution });
      const report = allocationReport(await readAllocations(filters), filters, new Date().toISOString());
      if (wantsCsv(query.format, headers)) {
        const view = query.view ?? 'allocations';
        return sized({ text: allocationReportCsv(report, view), contentType: CSV_TYPE, headers: { 'content-disposition': `attachment; filename="kairr-allocations-${view}-${stamp()}.csv"` } }, 'state, callId, orgType, field or institution');
      }
      return sized({ body: report }, 'state, callId, orgType, field or institution');
    },

    async fairnessReport({ query, headers }) {
      const filters = definedOnly({ callId: query.callId });
      const inputs = await readFairnessInputs(filters);
      const calls = query.callId ? inputs.calls.filter((c) => c.id === query.callId) : inputs.calls;
      const proposals = query.callId ? inputs.proposals.filter((p) => p.callId === query.callId) : inputs.proposals;
      const plans = await readAwardPlans(calls.map((c) => c.id));
      const report = fairnessReport(calls, proposals, { filters, generatedAt: new Date().toISOString(), source: inputs.source, awardPlans: plans });
      if (wantsCsv(query.format, headers)) {
        return sized({ text: fairnessReportCsv(report), contentType: CSV_TYPE, headers: { 'content-disposition': `attachment; filename="kairr-fairness-${stamp()}.csv"` } }, 'callId');
      }
      return sized({ body: report }, 'callId');
    },
  },
  { caller: withKairrRoles },
); // identity: KAIRR's role assignments

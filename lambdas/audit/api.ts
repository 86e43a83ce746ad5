// The auditor's API: audit events, exports to S3 with presigned downloads, the anchors, and the
// allocation and fairness reports (JSON or CSV). Auditors read everything and write nothing but
// exports; researchers get none of it (test/e2e/audit-access.test.ts walks every route).
import * as z from 'zod/mini';
import { defineApi, type Role } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';

/** Who reads the audit trail and makes exports. */
export const AUDIT_ROLES: readonly Role[] = ['auditor'];
/** Who reads the reports: auditors, and admins who run the calls. */
export const REPORT_ROLES: readonly Role[] = ['auditor', 'admin'];

const Instant = z.iso.datetime({ offset: true });
const SUBJECT_TYPE = z.string().check(z.regex(/^[a-z][a-z0-9-]{0,63}$/));
/** Printable ASCII without "/" (a stream id is type/id and must stay printable ASCII, 0x21-0x7E). */
const SUBJECT_ID = z.string().check(z.regex(/^[\x21-\x2e\x30-\x7e]{1,190}$/));
const ACTOR_SUB = z.string().check(z.minLength(1), z.maxLength(256));
const ACTION = z.string().check(z.regex(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*(\.\*)?$/), z.maxLength(128));
const FORMAT = z.enum(['csv', 'jsonl']);
const EXPORT_ID = z.string().check(z.regex(/^exp-[0-9a-z]{26}$/));

export const AuditEventSchema = z.object({
  v: z.literal(1),
  stream: z.string(),
  seq: z.number(),
  prevHash: z.string(),
  eventId: z.string(),
  time: z.string(),
  actor: z.object({ sub: z.string(), role: z.string() }),
  action: z.string(),
  subject: z.object({ type: z.string(), id: z.string() }),
  requestId: z.string(),
  reason: z.nullable(z.string()),
  before: z.nullable(z.string()),
  after: z.nullable(z.string()),
  details: z.nullable(z.record(z.string(), z.unknown())),
  hash: z.string(),
});

export const EventsQuery = z.strictObject({
  from: z.optional(Instant),
  to: z.optional(Instant),
  subjectType: z.optional(SUBJECT_TYPE),
  subjectId: z.optional(SUBJECT_ID),
  actor: z.optional(ACTOR_SUB),
  action: z.optional(ACTION),
  limit: LimitQuery,
  nextToken: NextTokenQuery,
});

export const ExportFilters = z.strictObject({
  subjectType: z.optional(SUBJECT_TYPE),
  subjectId: z.optional(SUBJECT_ID),
  // Accepted by the schema only to be refused with a reason (handler): exports hold whole chains.
  actor: z.optional(z.unknown()),
  action: z.optional(z.unknown()),
});

export const CreateExportBody = z.strictObject({
  from: Instant,
  to: Instant,
  format: FORMAT,
  filters: z.optional(z.nullable(ExportFilters)),
});

const FileView = z.object({
  name: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  records: z.number(),
  url: z.optional(z.string()),
});

export const ExportView = z.object({
  exportId: z.string(),
  state: z.enum(['queued', 'running', 'succeeded', 'failed']),
  format: FORMAT,
  from: z.string(),
  to: z.string(),
  filters: z.nullable(z.record(z.string(), z.string())),
  requestedBy: z.string(),
  requestedAt: z.string(),
  startedAt: z.optional(z.string()),
  finishedAt: z.optional(z.string()),
  attempts: z.number(),
  location: z.object({ bucket: z.string(), prefix: z.string() }),
  totalRecords: z.optional(z.number()),
  totalBytes: z.optional(z.number()),
  streams: z.optional(z.number()),
  manifestHash: z.optional(z.string()),
  anchors: z.optional(z.array(z.object({ key: z.string(), sha256: z.string(), createdAt: z.optional(z.string()) }))),
  anomalies: z.optional(z.array(z.object({ stream: z.string(), seq: z.number(), field: z.string(), problem: z.string() }))),
  files: z.optional(z.array(FileView)),
  manifest: z.optional(z.object({ name: z.string(), url: z.string() })),
  urlsExpireAt: z.optional(z.string()),
  error: z.optional(z.object({ code: z.string(), message: z.string() })),
});

export const AnchorView = z.object({
  key: z.string(),
  versionId: z.optional(z.string()),
  sha256: z.string(),
  createdAt: z.string(),
  heads: z.number(),
  url: z.string(),
});

const ReportFormatQuery = z.optional(z.enum(['json', 'csv']));
const Credits = z.object({ awarded: z.number(), used: z.number(), remaining: z.number(), overLimit: z.number() });
const ResourceCredits = z.object({ resource: z.string(), awarded: z.number(), used: z.number(), remaining: z.number(), overLimit: z.number() });
const GroupTotals = z.object({ key: z.nullable(z.string()), allocations: z.number(), resources: z.array(ResourceCredits), totals: Credits });

export const AllocationReport = z.object({
  generatedAt: z.string(),
  filters: z.record(z.string(), z.string()),
  allocations: z.array(
    z.object({
      allocationId: z.string(),
      title: z.string(),
      state: z.string(),
      piSub: z.string(),
      institution: z.string(),
      orgType: z.string(),
      field: z.string(),
      callId: z.nullable(z.string()),
      proposalId: z.nullable(z.string()),
      tier: z.nullable(z.string()),
      startDate: z.string(),
      endDate: z.string(),
      resources: z.array(ResourceCredits),
      totals: Credits,
    }),
  ),
  totals: z.object({
    overall: GroupTotals,
    byOrgType: z.array(GroupTotals),
    byField: z.array(GroupTotals),
    byInstitution: z.array(GroupTotals),
    byCall: z.array(GroupTotals),
  }),
});

const FairnessGroup = z.object({
  key: z.nullable(z.string()),
  proposals: z.number(),
  pending: z.number(),
  decided: z.number(),
  approved: z.number(),
  rejected: z.number(),
  withdrawn: z.number(),
  acceptanceRate: z.nullable(z.number()),
  requested: z.record(z.string(), z.number()),
  awarded: z.record(z.string(), z.number()),
  requestedTotal: z.number(),
  awardedTotal: z.number(),
  floor: z.optional(z.nullable(z.number())),
  awardedShareOfCapacity: z.optional(z.record(z.string(), z.nullable(z.number()))),
});

export const FairnessReport = z.object({
  generatedAt: z.string(),
  filters: z.record(z.string(), z.string()),
  source: z.object({ proposals: z.string(), awardPlans: z.string() }),
  calls: z.array(
    z.object({
      callId: z.string(),
      title: z.string(),
      capacity: z.record(z.string(), z.number()),
      totals: FairnessGroup,
      byOrgType: z.array(FairnessGroup),
      byField: z.array(FairnessGroup),
      awardPlans: z.array(z.record(z.string(), z.unknown())),
    }),
  ),
  /** people: approved starter proposals reached through training, by the PI's org type. */
  starterAwardsThroughTraining: z.object({ total: z.number(), byOrgType: z.array(z.object({ key: z.nullable(z.string()), awards: z.number() })) }),
});

const CSV = ['text/csv'];

export const auditApi = defineApi({
  listAuditEvents: {
    method: 'GET',
    path: '/v1/audit/events',
    tag: 'audit',
    summary: 'Audit events, filtered by time range, subject, actor and action',
    description:
      'Time range: from (inclusive) and to (exclusive), ISO 8601. With a subject (subjectType and subjectId) the events come in seq order; otherwise in time order. ' +
      'Without a subject or actor, the range defaults to the 24 hours before `to` (default: now) and may span at most 366 days. ' +
      'action matches exactly, or by prefix when it ends in ".*" (ledger.*). A page may hold fewer than `limit` events while nextToken is present: keep going until it is absent.',
    auth: AUDIT_ROLES,
    query: EventsQuery,
    responses: { 200: { description: 'A page of events', schema: z.object({ items: z.array(AuditEventSchema), nextToken: z.optional(z.string()) }) }, ...ERROR_RESPONSES },
  },
  createAuditExport: {
    method: 'POST',
    path: '/v1/audit/exports',
    tag: 'audit',
    summary: 'Start an asynchronous export of audit events to S3 (CSV or JSONL, with manifest.json)',
    description:
      'Exports every event with from <= time < to, whole stream by stream (docs/audit.md: hash chains, manifest, verification with npx kairr-audit verify). ' +
      'filters may narrow it to one subject type, or one subject (subjectType and subjectId); filters by actor or action are refused because an export holds whole chains. ' +
      'The window may span at most 3660 days. Poll GET /v1/audit/exports/{exportId} for the state and the download URLs.',
    auth: AUDIT_ROLES,
    idempotent: true,
    body: CreateExportBody,
    responses: {
      202: { description: 'The export was accepted (state queued)', schema: ExportView },
      ...ERROR_RESPONSES,
      409: { description: 'The Idempotency-Key was used with another body', schema: ErrorSchema },
      503: { description: 'The export worker could not be started', schema: ErrorSchema },
    },
  },
  listAuditExports: {
    method: 'GET',
    path: '/v1/audit/exports',
    tag: 'audit',
    summary: 'Exports, newest first',
    auth: AUDIT_ROLES,
    query: z.strictObject({ limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of exports (without URLs)', schema: z.object({ items: z.array(ExportView), nextToken: z.optional(z.string()) }) }, ...ERROR_RESPONSES },
  },
  getAuditExport: {
    method: 'GET',
    path: '/v1/audit/exports/{exportId}',
    tag: 'audit',
    summary: "An export's state; once it succeeded, short-lived presigned download URLs for its files and manifest.json",
    auth: AUDIT_ROLES,
    params: z.strictObject({ exportId: EXPORT_ID }),
    responses: { 200: { description: 'The export', schema: ExportView }, ...ERROR_RESPONSES, 404: { description: 'No such export', schema: ErrorSchema } },
  },
  listAuditAnchors: {
    method: 'GET',
    path: '/v1/audit/anchors',
    tag: 'audit',
    summary: 'The latest anchors (chain heads locked in the Object Lock bucket), with short-lived download URLs',
    description: 'Pass them to npx kairr-audit verify --anchor. Older anchors stay in the bucket under anchors/YYYY/MM/DD/ for the configured retention.',
    auth: AUDIT_ROLES,
    responses: { 200: { description: 'Newest first', schema: z.object({ items: z.array(AnchorView), urlsExpireAt: z.string() }) }, ...ERROR_RESPONSES },
  },
  allocationsReport: {
    method: 'GET',
    path: '/v1/reports/allocations',
    tag: 'reports',
    summary: 'Allocation records: credits awarded, used and remaining per resource, per allocation and by org type, field, institution and call',
    description:
      'JSON, or CSV with ?format=csv or Accept: text/csv. CSV views: view=allocations (one row per allocation and resource; the default), byOrgType, byField, byInstitution, byCall. ' +
      'Credits are decimals with up to three places. CSV text cells that a spreadsheet would run as a formula are prefixed with an apostrophe.',
    auth: REPORT_ROLES,
    query: z.strictObject({
      format: ReportFormatQuery,
      view: z.optional(z.enum(['allocations', 'byOrgType', 'byField', 'byInstitution', 'byCall'])),
      state: z.optional(z.string().check(z.regex(/^[a-z-]{2,40}$/))),
      callId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
      orgType: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
      field: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
      institution: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    }),
    responses: { 200: { description: 'The report', schema: AllocationReport, contentTypes: CSV }, ...ERROR_RESPONSES, 413: { description: 'Too large for one response: narrow it with filters', schema: ErrorSchema } },
  },
  fairnessReport: {
    method: 'GET',
    path: '/v1/reports/fairness',
    tag: 'reports',
    summary: 'Fairness: requested and awarded credits and acceptance rates by org type and field, per call',
    description:
      'acceptanceRate = approved / decided (approved + rejected), null when nothing is decided. Requested credits count every submitted proposal (not drafts); awarded credits count approvals. ' +
      "Per org type, the call's fairness floor and the awarded share of capacity per resource. JSON, or CSV with ?format=csv or Accept: text/csv (one row per call, dimension, group and resource).",
    auth: REPORT_ROLES,
    query: z.strictObject({ format: ReportFormatQuery, callId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))) }),
    responses: { 200: { description: 'The report', schema: FairnessReport, contentTypes: CSV }, ...ERROR_RESPONSES, 413: { description: 'Too large for one response: narrow it with callId', schema: ErrorSchema } },
  },
});

// Accountability routes: a call's policy; an allocation's obligations, reports and their review,
// tranches, the PI's plan, reclaim proposals, listing preferences; and the public record (no token).
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES, NextTokenQuery } from '../shared/http/schemas';
import { AccountabilityPolicySchema } from '../domain/accountability/policy';
import { OUTCOME_KINDS, TRAINEE_LEVELS } from '../domain/accountability/outcomes';
import { REPORT_LANGUAGES } from '../domain/accountability/reports';

const ID = z.string().check(z.regex(/^[a-z]+-[0-9a-z]{26}$/));
const REPORT_ID = z.string().check(z.regex(/^(month-\d{1,3}|final)$/));
const RESOURCE_KEY = z.string().check(z.regex(/^[a-z][a-z0-9-]{1,30}\/[a-z][a-z0-9-]{1,30}$/));
const CATALOGUE_ID = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/));
const text = (min: number, max: number) => z.string().check(z.trim(), z.minLength(min), z.maxLength(max));
const Year = z.int().check(z.minimum(1900), z.maximum(2100));
const Reason = text(3, 2000);

const AllocationParams = z.strictObject({ id: ID });
const ReportParams = z.strictObject({ id: ID, reportId: REPORT_ID });
const CallParams = z.strictObject({ callId: ID });

export const OutcomeSchema = z.discriminatedUnion('kind', [
  // the DOI's shape is checked by the domain, which names it (malformed_doi)
  z.strictObject({ kind: z.literal('publication'), doi: text(1, 300), title: text(1, 500), venue: text(1, 300), year: Year }),
  z.strictObject({ kind: z.literal('dataset'), catalogueId: CATALOGUE_ID, title: z.optional(text(1, 500)) }),
  z.strictObject({ kind: z.literal('model'), catalogueId: CATALOGUE_ID, title: z.optional(text(1, 500)) }),
  z.strictObject({ kind: z.literal('software'), name: text(1, 200), url: z.optional(z.url()), license: z.optional(text(1, 100)) }),
  z.strictObject({ kind: z.literal('patent'), number: text(1, 100), title: text(1, 500), office: z.optional(text(2, 100)) }),
  z.strictObject({ kind: z.literal('startup'), name: text(1, 200), foundedYear: Year }),
  z.strictObject({ kind: z.literal('people-trained'), count: z.int().check(z.minimum(1), z.maximum(100_000)), level: z.enum(TRAINEE_LEVELS) }),
]);

export const ReportBodySchema = z.strictObject({
  language: z.enum(REPORT_LANGUAGES),
  progress: text(1, 200_000),
  problems: z.optional(text(0, 50_000)),
  nextPlan: z.optional(text(0, 50_000)),
  outcomes: z._default(z.array(OutcomeSchema).check(z.maxLength(500)), []),
  // a file uploaded through the data hub's upload path, named as the hub names it; the handler
  // checks it exists, is the PI's (or an artifact they steward) and its bytes were verified
  attachments: z.optional(
    z
      .array(
        z.strictObject({
          artifactId: z.string().check(z.regex(/^(ds|model)-[0-9a-z]{26}$/)),
          version: z.string().check(z.minLength(1), z.maxLength(20)),
          uploadId: z.string().check(z.regex(/^upl-[0-9a-z]{26}$/)),
          name: text(1, 200),
          pages: z.int().check(z.minimum(1), z.maximum(500)),
        }),
      )
      .check(z.maxLength(20)),
  ),
});

const Explanation = z.object({ summary: z.string(), figures: z.record(z.string(), z.unknown()) });
const Json = z.record(z.string(), z.unknown());
const ReportView = z.object({
  reportId: z.string(),
  kind: z.enum(['progress', 'final']),
  periodStart: z.string(),
  periodEnd: z.string(),
  opensOn: z.string(),
  dueDate: z.string(),
  status: z.string(),
  overdue: z.boolean(),
  holdsOn: z.nullable(z.string()),
  version: z.number(),
});
const ReclaimView = z.object({ reclaimId: z.string(), allocationId: z.string(), state: z.string(), mode: z.string(), proposed: z.record(z.string(), z.number()), explanation: Explanation, proposedAt: z.string() });
const ListingView = z.object({ allocationId: z.string(), showPi: z.boolean(), unlisted: z.nullable(Json), listed: z.boolean() });
const AwardView = z.object({
  allocationId: z.string(),
  callId: z.nullable(z.string()),
  title: z.string(),
  abstract: z.string(),
  field: z.string(),
  organisation: z.string(),
  orgType: z.string(),
  region: z.string(),
  startDate: z.string(),
  endDate: z.string(),
  state: z.string(),
  credits: z.object({ awarded: z.number(), used: z.number(), committed: z.number() }),
  outcomes: z.record(z.string(), z.number()),
});
const Format = z.optional(z.enum(['json', 'csv']));
const PublicLimit = z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)));
const Filter = z.optional(z.string().check(z.minLength(1), z.maxLength(100)));

const STAFF = ['chair', 'admin', 'auditor'] as const;
const READERS = ['researcher', ...STAFF] as const;
const DECIDERS = ['chair', 'admin'] as const;

export const accountabilityApi = defineApi({
  setCallPolicy: {
    method: 'PUT',
    path: '/v1/calls/{callId}/accountability',
    tag: 'accountability',
    auth: ['admin'],
    params: CallParams,
    body: AccountabilityPolicySchema,
    summary: "An admin sets what the call's awards owe: report schedule and limits, reminders, grace period, tranches, idle rule",
    description: "Applies to allocations awarded from now on (each keeps the copy in force at its award); the idle rule of the current policy applies to all of the call's allocations.",
    responses: { 200: { description: 'The policy in force', schema: Json }, ...ERROR_RESPONSES, 404: { description: 'No such call', schema: ErrorSchema } },
  },
  getCallPolicy: {
    method: 'GET',
    path: '/v1/calls/{callId}/accountability',
    tag: 'accountability',
    auth: 'any',
    params: CallParams,
    summary: "The call's accountability policy",
    responses: { 200: { description: 'The policy', schema: Json }, ...ERROR_RESPONSES, 404: { description: 'The call sets none', schema: ErrorSchema } },
  },
  getAccountability: {
    method: 'GET',
    path: '/v1/allocations/{id}/accountability',
    tag: 'accountability',
    auth: [...READERS, 'site-operator'],
    params: AllocationParams,
    summary: "An allocation's obligations: reports with due dates and reminders, tranches, any hold, the idle rule's findings and reclaim proposals",
    responses: { 200: { description: 'The record', schema: Json }, ...ERROR_RESPONSES, 404: { description: 'No such allocation, or it has no obligations', schema: ErrorSchema } },
  },
  submitReport: {
    method: 'POST',
    path: '/v1/allocations/{id}/reports/{reportId}',
    tag: 'accountability',
    auth: ['researcher'],
    params: ReportParams,
    body: ReportBodySchema,
    idempotent: true,
    summary: "The PI submits a report: progress (Korean or English), problems, the next period's plan, outcomes, attachments",
    responses: {
      201: { description: 'The report, submitted', schema: ReportView },
      ...ERROR_RESPONSES,
      409: { description: 'Already accepted, or under review', schema: ErrorSchema },
      422: { description: 'report_period_not_open, report_over_limit, report_incomplete', schema: ErrorSchema },
    },
  },
  getReport: {
    method: 'GET',
    path: '/v1/allocations/{id}/reports/{reportId}',
    tag: 'accountability',
    auth: [...READERS, 'site-operator'],
    params: ReportParams,
    summary: 'A report: its obligation, latest version and versions',
    responses: { 200: { description: 'The report', schema: ReportView }, ...ERROR_RESPONSES },
  },
  reviewReport: {
    method: 'POST',
    path: '/v1/allocations/{id}/reports/{reportId}/review',
    tag: 'accountability',
    auth: DECIDERS,
    params: ReportParams,
    body: z.strictObject({ decision: z.enum(['accept', 'return']), comments: text(3, 10_000) }),
    summary: 'The chair or staff accepts a report (releasing any tranche it unlocks, lifting a hold) or returns it with comments',
    responses: {
      200: { description: 'The review', schema: z.object({ report: ReportView, releasedTranches: z.array(z.string()), holdLifted: z.boolean() }) },
      ...ERROR_RESPONSES,
      409: { description: 'Not submitted, or already accepted', schema: ErrorSchema },
    },
  },
  releaseTranche: {
    method: 'POST',
    path: '/v1/allocations/{id}/tranches/{trancheId}/release',
    tag: 'accountability',
    auth: DECIDERS,
    params: z.strictObject({ id: ID, trancheId: z.string().check(z.regex(/^t\d{1,2}$/)) }),
    body: z.strictObject({ reason: Reason }),
    summary: "The chair or an admin releases a tranche by hand (a ledger entry; the scheduler's limit follows)",
    responses: { 200: { description: 'Released', schema: Json }, ...ERROR_RESPONSES, 409: { description: 'tranche_already_released', schema: ErrorSchema } },
  },
  setPlan: {
    method: 'PUT',
    path: '/v1/allocations/{id}/plan',
    tag: 'accountability',
    auth: ['researcher'],
    params: AllocationParams,
    body: z.strictObject({ points: z.array(z.strictObject({ date: z.iso.date(), share: z.number().check(z.minimum(0), z.maximum(1)) })).check(z.minLength(1), z.maxLength(60)), reason: Reason }),
    summary: "The PI's burn plan (share of the credits used by each date), which the idle rule then follows instead of the even plan",
    responses: { 200: { description: 'The plan', schema: Json }, ...ERROR_RESPONSES },
  },
  answerReclaim: {
    method: 'POST',
    path: '/v1/allocations/{id}/reclaims/{reclaimId}/answer',
    tag: 'accountability',
    auth: ['researcher'],
    params: z.strictObject({ id: ID, reclaimId: ID }),
    body: z.strictObject({ reason: text(3, 4000) }),
    summary: 'The PI answers a proposal to return credits (e.g. a large run is planned next month); the chair sees it',
    responses: { 200: { description: 'The proposal', schema: ReclaimView }, ...ERROR_RESPONSES, 409: { description: 'Closed', schema: ErrorSchema } },
  },
  decideReclaim: {
    method: 'POST',
    path: '/v1/allocations/{id}/reclaims/{reclaimId}/decision',
    tag: 'accountability',
    auth: DECIDERS,
    params: z.strictObject({ id: ID, reclaimId: ID }),
    body: z.strictObject({ decision: z.enum(['confirm', 'reject']), credits: z.optional(z.record(RESOURCE_KEY, z.number().check(z.positive(), z.maximum(1e9)))), comment: Reason }),
    summary: 'The chair confirms a return (credits back to the call) or rejects it',
    responses: {
      200: { description: 'The proposal', schema: ReclaimView },
      ...ERROR_RESPONSES,
      409: { description: 'Closed', schema: ErrorSchema },
      422: { description: 'reclaim_exceeds_unused, reclaim_of_held_credits', schema: ErrorSchema },
    },
  },
  getListing: {
    method: 'GET',
    path: '/v1/allocations/{id}/listing',
    tag: 'accountability',
    auth: READERS,
    params: AllocationParams,
    summary: "The award's public listing preferences",
    responses: { 200: { description: 'Preferences', schema: ListingView }, ...ERROR_RESPONSES },
  },
  setListing: {
    method: 'PUT',
    path: '/v1/allocations/{id}/listing',
    tag: 'accountability',
    auth: ['researcher'],
    params: AllocationParams,
    body: z.strictObject({ showPi: z.boolean(), unlisted: z.optional(z.nullable(z.strictObject({ reason: text(10, 2000) }))) }),
    summary: 'The PI opts in to be named, and may ask (with a reason) that the award stay unlisted',
    responses: { 200: { description: 'Preferences', schema: ListingView }, ...ERROR_RESPONSES },
  },
  decideUnlisting: {
    method: 'POST',
    path: '/v1/allocations/{id}/listing/decision',
    tag: 'accountability',
    auth: ['chair'],
    params: AllocationParams,
    body: z.strictObject({ accept: z.boolean(), comment: Reason }),
    summary: 'The chair accepts or rejects a request to stay unlisted',
    responses: { 200: { description: 'Preferences', schema: ListingView }, ...ERROR_RESPONSES, 409: { description: 'No request, or decided', schema: ErrorSchema } },
  },
  listPublicAwards: {
    method: 'GET',
    path: '/v1/public/awards',
    tag: 'public',
    auth: 'public',
    query: z.strictObject({ callId: z.optional(ID), field: Filter, orgType: Filter, region: Filter, limit: PublicLimit, nextToken: NextTokenQuery, format: Format }),
    summary: 'The public record: awarded projects, newest first, without personal data (JSON or CSV)',
    description: 'No token. Cacheable (Cache-Control, ETag) and throttled per route. CSV pages carry the next page in a Link header.',
    responses: { 200: { description: 'A page of awards', schema: z.object({ items: z.array(AwardView), nextToken: z.optional(z.string()) }), contentTypes: ['text/csv'] }, 400: ERROR_RESPONSES[400] },
  },
  getPublicAward: {
    method: 'GET',
    path: '/v1/public/awards/{allocationId}',
    tag: 'public',
    auth: 'public',
    params: z.strictObject({ allocationId: ID }),
    summary: 'One awarded project with its outcomes',
    responses: { 200: { description: 'The award', schema: AwardView }, 400: ERROR_RESPONSES[400], 404: { description: 'No such listed award', schema: ErrorSchema } },
  },
  getPublicStats: {
    method: 'GET',
    path: '/v1/public/stats',
    tag: 'public',
    auth: 'public',
    query: z.strictObject({ callId: z.optional(ID), format: Format }),
    summary: 'Fairness figures: awards, credits and success rates by org type, region and field, per call and over time; top-10 share and Gini over organisations',
    responses: { 200: { description: 'The figures (recomputed daily)', schema: Json, contentTypes: ['text/csv'] }, 400: ERROR_RESPONSES[400], 404: { description: 'Not computed yet', schema: ErrorSchema } },
  },
});

export { OUTCOME_KINDS };

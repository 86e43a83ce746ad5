// Allocations, their ledger and usage, lifecycle requests, and usage ingestion from the sites.
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { ALLOCATION_STATES, ENTRY_KINDS } from '../domain/ledger/model';
import { LedgerIngestResponseSchema, UsageReportSchema } from './contract';

const ID = z.string().check(z.regex(/^[a-z]+-[0-9a-z]{26}$/));
const AllocationParams = z.strictObject({ id: z.string().check(z.minLength(1), z.maxLength(64)) });
const RESOURCE_KEY = z.string().check(z.regex(/^[a-z][a-z0-9-]{1,30}\/[a-z][a-z0-9-]{1,30}$/));
const Credits = z.number().check(z.positive(), z.maximum(1e9));
// ---- site accounts ----
/**
 * A scheduler user name in a request. Never accepted (logins are site accounts, which only the site
 * creates): the field is declared so that an attempt is refused with a named 400 and audited,
 * rather than dropped by the schema.
 */
const REFUSED_USERNAME = z.optional(z.string().check(z.maxLength(256)));
// ---- end site accounts ----

const ResourceBalance = z.object({
  resource: z.string(),
  awarded: z.number(),
  balance: z.number(),
  used: z.number(),
  overLimit: z.number(),
  exhausted: z.boolean(),
  creditsPerGpuHour: z.nullable(z.number()),
  gpuHoursLeft: z.nullable(z.number()),
});

export const AllocationView = z.object({
  id: z.string(),
  state: z.enum(ALLOCATION_STATES),
  stateReason: z.optional(z.string()),
  title: z.string(),
  piSub: z.string(),
  institution: z.string(),
  orgType: z.string(),
  orgId: z.optional(z.string()), // identity
  field: z.string(),
  proposalId: z.nullable(z.string()),
  callId: z.nullable(z.string()),
  tier: z.nullable(z.string()),
  startDate: z.string(),
  endDate: z.string(),
  members: z.array(z.object({ sub: z.string(), role: z.string(), addedAt: z.string() })),
  balances: z.array(ResourceBalance),
  schedulerAccounts: z.record(z.string(), z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const EntryView = z.object({
  entryId: z.string(),
  kind: z.enum(ENTRY_KINDS),
  resource: z.string(),
  credits: z.number(),
  overLimit: z.boolean(),
  time: z.string(),
  actor: z.object({ sub: z.string(), role: z.string() }),
  reason: z.nullable(z.string()),
  ref: z.nullable(z.string()),
  jobs: z.optional(z.array(z.object({ siteId: z.string(), cluster: z.string(), jobId: z.string(), credits: z.number(), totalCredits: z.number() }))),
  counterpart: z.optional(z.string()),
});

const RequestBody = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('supplement'), resource: RESOURCE_KEY, credits: Credits, justification: z.string().check(z.minLength(10), z.maxLength(4000)) }),
  z.strictObject({ type: z.literal('extension'), endDate: z.iso.date(), justification: z.string().check(z.minLength(10), z.maxLength(4000)) }),
  z.strictObject({ type: z.literal('exchange'), from: RESOURCE_KEY, to: RESOURCE_KEY, credits: Credits, justification: z.optional(z.string().check(z.maxLength(4000))) }),
  z.strictObject({ type: z.literal('renewal'), endDate: z.iso.date(), credits: z.record(RESOURCE_KEY, Credits), justification: z.string().check(z.minLength(10), z.maxLength(4000)) }),
]);

export const RequestView = z.object({
  requestId: z.string(),
  allocationId: z.string(),
  type: z.string(),
  state: z.enum(['approved', 'pending', 'rejected']),
  automatic: z.boolean(),
  body: z.record(z.string(), z.unknown()),
  requestedBy: z.string(),
  requestedAt: z.string(),
  decidedBy: z.optional(z.string()),
  decidedAt: z.optional(z.string()),
  reason: z.optional(z.string()),
  resultAllocationId: z.optional(z.string()),
});

const STAFF = ['chair', 'admin', 'auditor'] as const;
/** Every /v1/allocations/{id} route: the handler answers 404 for an allocation that does not exist or that the caller may not see. */
const NO_ALLOCATION = { 404: { description: 'No such allocation (or not yours)', schema: ErrorSchema } };

const ORG_TYPES = ['university', 'research-institute', 'sme', 'startup', 'enterprise', 'public-agency'] as const;

export const ledgerApi = defineApi({
  createAllocation: {
    method: 'POST',
    path: '/v1/allocations',
    tag: 'allocations',
    summary: 'An admin creates an allocation directly (outside a call: migrations, agreements), with a reason',
    description: 'Allocations normally come from the approval flow. This is the audited administrative path, as ColdFront and Waldur offer.',
    auth: ['admin'],
    idempotent: true,
    body: z.strictObject({
      title: z.string().check(z.minLength(3), z.maxLength(200)),
      piSub: z.string().check(z.minLength(1), z.maxLength(128)),
      /** Refused: the PI's logins are site accounts. */
      piUsername: REFUSED_USERNAME,
      institution: z.string().check(z.minLength(2), z.maxLength(200)),
      orgType: z.enum(ORG_TYPES),
      field: z.string().check(z.minLength(2), z.maxLength(100)),
      startDate: z.iso.date(),
      endDate: z.iso.date(),
      /** identity: the PI's organisation in the registry (its chairs are then conflicted on the allocation's requests). */
      orgId: z.optional(z.string().check(z.regex(/^[a-z][a-z0-9-]{1,40}$/))),
      credits: z.record(RESOURCE_KEY, Credits),
      members: z.optional(z.array(z.strictObject({ sub: z.string().check(z.minLength(1), z.maxLength(128)), username: REFUSED_USERNAME })).check(z.maxLength(100))),
      reason: z.string().check(z.minLength(3), z.maxLength(2000)),
    }),
    responses: { 201: { description: 'The new allocation (pending provisioning)', schema: AllocationView }, ...ERROR_RESPONSES },
  },
  listAllocations: {
    method: 'GET',
    path: '/v1/allocations',
    tag: 'allocations',
    summary: 'Allocations: a researcher sees the ones they belong to; staff see all, with filters',
    auth: ['researcher', ...STAFF, 'site-operator'],
    query: z.strictObject({ state: z.optional(z.enum(ALLOCATION_STATES)), piSub: z.optional(z.string()), callId: z.optional(z.string()), limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of allocations', schema: z.object({ items: z.array(AllocationView), nextToken: z.optional(z.string()) }) }, ...ERROR_RESPONSES },
  },
  getAllocation: {
    method: 'GET',
    path: '/v1/allocations/{id}',
    tag: 'allocations',
    summary: 'One allocation: balances per resource, state, dates, members, proposal and call',
    auth: ['researcher', ...STAFF, 'site-operator'],
    params: AllocationParams,
    responses: { 200: { description: 'The allocation', schema: AllocationView }, ...ERROR_RESPONSES, ...NO_ALLOCATION },
  },
  addMember: {
    method: 'POST',
    path: '/v1/allocations/{id}/members',
    tag: 'allocations',
    summary: 'The PI adds a member (their logins at the sites are site accounts, created by the sites)',
    description: "A `username` is refused (400 `scheduler_user_not_selectable`, audited): the member's login at each site is the site account the site confirms (GET /v1/sites/{siteId}/accounts/{sub}).",
    auth: ['researcher', 'admin'],
    params: AllocationParams,
    body: z.strictObject({ sub: z.string().check(z.minLength(1), z.maxLength(128)), username: REFUSED_USERNAME }),
    responses: {
      200: { description: 'The allocation after the change', schema: AllocationView },
      ...ERROR_RESPONSES,
      ...NO_ALLOCATION,
      409: { description: 'Already a member', schema: ErrorSchema },
      422: { description: 'The allocation has policy.maxMembersPerAllocation members already', schema: ErrorSchema },
    },
  },
  removeMember: {
    method: 'DELETE',
    path: '/v1/allocations/{id}/members/{sub}',
    tag: 'allocations',
    summary: 'The PI removes a member',
    auth: ['researcher', 'admin'],
    params: z.strictObject({ id: z.string().check(z.minLength(1), z.maxLength(64)), sub: z.string().check(z.minLength(1), z.maxLength(128)) }),
    responses: { 200: { description: 'The allocation after the change', schema: AllocationView }, ...ERROR_RESPONSES, ...NO_ALLOCATION },
  },
  getLedger: {
    method: 'GET',
    path: '/v1/allocations/{id}/ledger',
    tag: 'allocations',
    summary: "The allocation's ledger entries, oldest first",
    auth: ['researcher', ...STAFF, 'site-operator'],
    params: AllocationParams,
    query: z.strictObject({ limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of entries', schema: z.object({ items: z.array(EntryView), nextToken: z.optional(z.string()) }) }, ...ERROR_RESPONSES, ...NO_ALLOCATION },
  },
  getUsage: {
    method: 'GET',
    path: '/v1/allocations/{id}/usage',
    tag: 'allocations',
    summary: 'Daily burn-down per resource, and the projected exhaustion date at the recent burn rate',
    auth: ['researcher', ...STAFF, 'site-operator'],
    params: AllocationParams,
    query: z.strictObject({ windowDays: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(90))) }),
    responses: {
      200: {
        description: 'Burn-down series',
        schema: z.object({
          allocationId: z.string(),
          resources: z.array(
            z.object({
              resource: z.string(),
              balance: z.number(),
              days: z.array(z.object({ date: z.string(), used: z.number(), balance: z.number() })),
              burnPerDay: z.number(),
              projectedExhaustion: z.nullable(z.string()),
            }),
          ),
        }),
      },
      ...ERROR_RESPONSES,
      ...NO_ALLOCATION,
    },
  },
  consistency: {
    method: 'GET',
    path: '/v1/allocations/{id}/consistency',
    tag: 'allocations',
    summary: 'Proves on demand that balances equal the sum of their entries, and job charges the sum of their lines',
    auth: ['admin', 'auditor'],
    params: AllocationParams,
    responses: { 200: { description: 'The check', schema: z.object({ allocationId: z.string(), ok: z.boolean(), entries: z.number(), problems: z.array(z.record(z.string(), z.unknown())) }) }, ...ERROR_RESPONSES, ...NO_ALLOCATION },
  },
  createRequest: {
    method: 'POST',
    path: '/v1/allocations/{id}/requests',
    tag: 'allocations',
    summary: 'Supplement, extension, exchange or renewal; small ones are approved automatically (per config)',
    auth: ['researcher'],
    params: AllocationParams,
    body: RequestBody,
    idempotent: true,
    responses: { 201: { description: 'The request, approved or pending', schema: RequestView }, ...ERROR_RESPONSES, ...NO_ALLOCATION, 422: { description: 'A rule refuses it', schema: ErrorSchema } },
  },
  listRequests: {
    method: 'GET',
    path: '/v1/allocations/{id}/requests',
    tag: 'allocations',
    summary: "The allocation's lifecycle requests",
    auth: ['researcher', ...STAFF],
    params: AllocationParams,
    responses: { 200: { description: 'Requests, newest first', schema: z.object({ items: z.array(RequestView) }) }, ...ERROR_RESPONSES, ...NO_ALLOCATION },
  },
  decideRequest: {
    method: 'POST',
    path: '/v1/allocations/{id}/requests/{requestId}/decision',
    tag: 'allocations',
    summary: 'The chair approves or rejects a pending request, with a reason',
    auth: ['chair'],
    params: z.strictObject({ id: z.string().check(z.minLength(1), z.maxLength(64)), requestId: z.string().check(z.minLength(1), z.maxLength(64)) }),
    body: z.strictObject({ decision: z.enum(['approve', 'reject']), reason: z.string().check(z.minLength(3), z.maxLength(2000)) }),
    responses: { 200: { description: 'The decided request', schema: RequestView }, ...ERROR_RESPONSES, ...NO_ALLOCATION, 409: { description: 'Not pending', schema: ErrorSchema } },
  },
  adjust: {
    method: 'POST',
    path: '/v1/allocations/{id}/adjustments',
    tag: 'allocations',
    summary: 'An admin corrects credits (signed) or refunds usage, with a reason',
    description: 'With an Idempotency-Key, a retry returns the first answer and adds nothing; the same key with another body is refused (409).',
    auth: ['admin'],
    idempotent: true,
    params: AllocationParams,
    body: z.strictObject({ kind: z.enum(['adjustment', 'refund']), resource: RESOURCE_KEY, credits: z.number().check(z.minimum(-1e9), z.maximum(1e9)), reason: z.string().check(z.minLength(3), z.maxLength(2000)) }),
    responses: { 200: { description: 'The allocation after the change', schema: AllocationView }, ...ERROR_RESPONSES, ...NO_ALLOCATION },
  },
  ingestUsage: {
    method: 'POST',
    path: '/v1/sites/{siteId}/usage',
    tag: 'sites',
    summary: "A site's batch of job usage reports (at most 500); a result per report",
    description: 'Idempotent per job (site, cluster, job id): a job reported again is charged only the difference. Also invoked directly (Lambda) by the connectors.',
    auth: ['site-operator'],
    params: z.strictObject({ siteId: z.string().check(z.minLength(1), z.maxLength(64)) }),
    body: z.strictObject({ records: z.array(UsageReportSchema).check(z.minLength(1), z.maxLength(500)) }),
    responses: {
      200: {
        description: 'One result per report, in order',
        schema: LedgerIngestResponseSchema,
      },
      ...ERROR_RESPONSES,
    },
  },
  // ---- parked usage: refused reports are kept, listed and replayed (ledger/parked.ts) ----
  listParkedUsage: {
    method: 'GET',
    path: '/v1/sites/{siteId}/usage/parked',
    tag: 'sites',
    summary: "A site's usage reports the ledger refused, with why: kept until replayed (an alarm fires when any are parked)",
    auth: ['site-operator', 'admin', 'auditor'],
    params: z.strictObject({ siteId: z.string().check(z.minLength(1), z.maxLength(64)) }),
    query: z.strictObject({ state: z.optional(z.enum(['parked', 'resolved'])), limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of parked reports', schema: z.object({ items: z.array(z.record(z.string(), z.unknown())), nextToken: z.optional(z.string()) }) }, ...ERROR_RESPONSES },
  },
  replayParkedUsage: {
    method: 'POST',
    path: '/v1/sites/{siteId}/usage/parked/replay',
    tag: 'sites',
    summary: 'Sends parked reports through ingestion again (all parked ones, at most 500, or the named jobs); those now charged are resolved',
    auth: ['site-operator', 'admin'],
    params: z.strictObject({ siteId: z.string().check(z.minLength(1), z.maxLength(64)) }),
    body: z.strictObject({ jobs: z.optional(z.array(z.strictObject({ cluster: z.string().check(z.minLength(1), z.maxLength(64)), jobId: z.string().check(z.minLength(1), z.maxLength(64)) })).check(z.minLength(1), z.maxLength(500))) }),
    responses: {
      200: { description: 'What was replayed, resolved and is still refused', schema: z.object({ replayed: z.number(), resolved: z.array(z.record(z.string(), z.unknown())), stillRefused: z.array(z.record(z.string(), z.unknown())) }) },
      ...ERROR_RESPONSES,
    },
  },
  // ---- end parked usage ----
});

export { ID };

// Allocations API, usage ingestion (API, and direct invocation by the connectors' role).
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createHandler } from '../shared/http/router';
import { withKairrRoles } from '../shared/identity/people'; // identity
import { orgIdsOf, readOrg } from '../shared/identity/orgs'; // identity
import { gsi } from '../shared/store/keys';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { idempotent } from '../shared/store/idempotency';
import { hasRole, type Caller } from '../shared/http/caller';
import type { AuditContext } from '../shared/store/write-path';
import { ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import type { Allocation } from '../domain/ledger/model';
import { ledgerApi } from './api';
import { allocationOf, getAllocation, getAllocationItem, listByScope, listEntries, listForMember, listScope } from './store';
import { addCredits, addMember, consistency, createAllocation, removeMember } from './service';
import { runtimeConfig } from '../shared/config';
import { findResource, parseResourceKey } from '../domain/catalogue';
import { toMc } from '../domain/ledger/money';
import { newId } from '../domain/ids';
import { createRequest, decideRequest, getRequest, listRequests, type RequestBody } from './requests';
import { ingestUsage, type IngestResult } from './ingest';
import { allocationView, burnDown, canSee, entryView } from './views';
import { keys } from '../shared/store/keys';
import type { UsageReport } from '../domain/ledger/validate-usage';
import { refuseChosenSchedulerUser } from '../shared/store/refusals';
import { assertMemberCap } from './limits';
import { listParked, replayParked } from './parked';
import { isConnectorUsageEvent, LedgerIngestEventSchema, type LedgerIngestEvent, type LedgerIngestResponse } from './contract';
import { parseEvent } from '../shared/validation';

function ctxOf(caller: Caller, requestId: string, role: string, reason?: string | null): AuditContext {
  return { actor: { sub: caller.sub, role }, requestId, reason: reason ?? null };
}

/** The role a caller acts in for an action allowed to `allowed` (the first they hold). */
function actingRole(caller: Caller, ...allowed: string[]): string {
  return allowed.find((r) => caller.roles.includes(r as never)) ?? caller.roles[0] ?? 'unknown';
}

async function visible(id: string, caller: Caller): Promise<Allocation> {
  const item = await getAllocationItem(id);
  const a = item ? allocationOf(item) : undefined;
  // Someone else's allocation is answered like a missing one: its existence is not disclosed.
  if (!a || !canSee(caller, a)) throw new NotFoundError('Allocation', id);
  return a;
}

function requirePi(caller: Caller, a: Allocation): void {
  if (hasRole(caller, 'admin')) return;
  if (a.piSub !== caller.sub) throw new ForbiddenError("Only the allocation's PI can do this");
}

function summarise(results: IngestResult[]): Record<string, number> {
  const s: Record<string, number> = {};
  for (const r of results) s[r.status] = (s[r.status] ?? 0) + 1;
  return s;
}

const api = createHandler(
  ledgerApi,
  {
    async createAllocation({ caller, body, requestId, idempotencyKey }) {
      const sites = runtimeConfig().sites;
      for (const k of Object.keys(body.credits)) {
        const rk = parseResourceKey(k);
        if (!rk || !findResource(sites, rk.siteId, rk.resourceId)) throw ValidationError.field(`credits.${k}`, 'is not a resource');
      }
      if (!Object.keys(body.credits).length) throw ValidationError.field('credits', 'must name at least one resource');
      if (body.endDate <= body.startDate) throw ValidationError.field('endDate', 'must be after startDate');
      if (body.orgId && !(await readOrg(body.orgId))) throw ValidationError.field('orgId', `is not an organisation in the registry (${body.orgId})`); // identity
      // ---- site accounts: logins come from the sites, never from a request ----
      await refuseChosenSchedulerUser(ctxOf(caller, requestId, 'admin'), 'POST /v1/allocations', [
        { path: 'piUsername', value: body.piUsername },
        ...(body.members ?? []).map((m, i) => ({ path: `members[${i}].username`, value: m.username })),
      ]);
      assertMemberCap(1 + (body.members ?? []).filter((m) => m.sub !== body.piSub).length, 'members');
      // ---- end site accounts ----
      const res = await idempotent({ operation: 'allocation.create', callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        const id = newId('alloc');
        let view: unknown;
        await createAllocation(
          {
            id,
            title: body.title,
            piSub: body.piSub,
            institution: body.institution,
            orgType: body.orgType,
            ...(body.orgId ? { orgId: body.orgId } : {}), // identity
            field: body.field,
            proposalId: null,
            callId: null,
            tier: null,
            startDate: body.startDate,
            endDate: body.endDate,
            members: (body.members ?? []).map((m) => ({ sub: m.sub, role: 'member' as const })),
            awardsMc: Object.fromEntries(Object.entries(body.credits).map(([k, v]) => [k, toMc(v)])),
          },
          ctxOf(caller, requestId, 'admin', body.reason),
          { sideWrites: [], onBuilt: (a) => ((view = allocationView(a)), record({ status: 201, body: view })) },
        );
        return { status: 201, body: view };
      });
      const headers: Record<string, string> = res.replayed ? { 'idempotent-replayed': 'true' } : {};
      return { status: res.status, body: res.body, headers };
    },

    async listAllocations({ caller, query }) {
      const limit = query.limit ?? 50;
      const staff = hasRole(caller, 'admin', 'auditor', 'chair', 'site-operator');
      if (!staff) {
        const scope = gsi.memberOf(caller.sub);
        const page = await listForMember(caller.sub, { limit, startKey: decodeToken(query.nextToken, scope) });
        const items = page.items.filter((a) => (!query.state || a.state === query.state) && (!query.callId || a.callId === query.callId));
        return { body: { items: items.map((a) => allocationView(a)), nextToken: encodeToken(page.nextKey, scope) } };
      }
      const scope = listScope(query.state);
      const page = await listByScope({ state: query.state, piSub: query.piSub, callId: query.callId, limit, startKey: decodeToken(query.nextToken, scope) });
      const items = page.items.filter((a) => canSee(caller, a));
      return { body: { items: items.map((a) => allocationView(a)), nextToken: encodeToken(page.nextKey, scope) } };
    },

    async getAllocation({ caller, params }) {
      return { body: allocationView(await visible(params.id, caller)) };
    },

    async addMember({ caller, params, body, requestId }) {
      requirePi(caller, await visible(params.id, caller));
      const ctx = ctxOf(caller, requestId, actingRole(caller, 'researcher', 'admin'));
      await refuseChosenSchedulerUser(ctx, 'POST /v1/allocations/{id}/members', [{ path: 'username', value: body.username }], { type: 'allocation', id: params.id });
      const a = await addMember(params.id, { sub: body.sub }, ctx);
      return { body: allocationView(a) };
    },

    async removeMember({ caller, params, requestId }) {
      requirePi(caller, await visible(params.id, caller));
      const a = await removeMember(params.id, params.sub, ctxOf(caller, requestId, actingRole(caller, 'researcher', 'admin')));
      return { body: allocationView(a) };
    },

    async getLedger({ caller, params, query }) {
      await visible(params.id, caller);
      const scope = keys.allocation(params.id).pk;
      const page = await listEntries(params.id, { limit: query.limit ?? 100, startKey: decodeToken(query.nextToken, scope) });
      return { body: { items: page.items.map(entryView), nextToken: encodeToken(page.nextKey, scope) } };
    },

    async getUsage({ caller, params, query }) {
      const a = await visible(params.id, caller);
      const { items } = await listEntries(params.id, { limit: 1000, all: true });
      return { body: { allocationId: a.id, resources: burnDown(a, items, new Date(), query.windowDays ?? 7) } };
    },

    async consistency({ params }) {
      await getAllocation(params.id);
      return { body: await consistency(params.id) };
    },

    async createRequest({ caller, params, body, requestId, idempotencyKey }) {
      const a = await visible(params.id, caller);
      requirePi(caller, a);
      const res = await idempotent({ operation: `alloc-request:${params.id}`, callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        const r = await createRequest(params.id, body as RequestBody, ctxOf(caller, requestId, 'researcher', 'justification' in body ? body.justification : null), record);
        return { status: 201, body: r };
      });
      const headers: Record<string, string> = res.replayed ? { 'idempotent-replayed': 'true' } : {};
      return { status: res.status, body: res.body, headers };
    },

    async listRequests({ caller, params }) {
      await visible(params.id, caller);
      return { body: { items: await listRequests(params.id) } };
    },

    async decideRequest({ caller, params, body, requestId }) {
      const a = await getAllocation(params.id).then((x) => x.allocation);
      if (a.piSub === caller.sub || a.members.some((m) => m.sub === caller.sub)) throw new ForbiddenError('A chair cannot decide on a request for an allocation they belong to');
      // ---- identity: the chair's organisations (registry ids) against the PI's ----
      if (a.orgId && (await orgIdsOf(caller)).has(a.orgId)) throw new ForbiddenError(`A chair cannot decide on a request for an allocation of their own organisation (${a.orgId})`);
      // ---- end identity ----
      await getRequest(params.id, params.requestId);
      return { body: await decideRequest(params.id, params.requestId, body.decision, ctxOf(caller, requestId, 'chair', body.reason)) };
    },

    async adjust({ caller, params, body, requestId, idempotencyKey }) {
      // a retried adjustment (same Idempotency-Key) must not add its credits twice
      const res = await idempotent({ operation: `alloc-adjust:${params.id}`, callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        let view: unknown;
        await addCredits(params.id, body.kind, body.resource, body.credits, ctxOf(caller, requestId, 'admin', body.reason), undefined, (a) => record({ status: 200, body: (view = allocationView(a)) }));
        return { status: 200, body: view };
      });
      const headers: Record<string, string> = res.replayed ? { 'idempotent-replayed': 'true' } : {};
      return { status: res.status, body: res.body, headers };
    },

    // ---- parked usage ----
    async listParkedUsage({ caller, params, query }) {
      if (!hasRole(caller, 'admin', 'auditor') && !caller.siteIds.includes(params.siteId)) throw new ForbiddenError(`You operate ${caller.siteIds.join(', ') || 'no site'}, not ${params.siteId}`);
      const scope = `PARKED#${params.siteId}`;
      const page = await listParked(params.siteId, { state: query.state, limit: query.limit ?? 100, startKey: decodeToken(query.nextToken, scope) });
      return { body: { items: page.items, nextToken: encodeToken(page.nextKey, scope) } };
    },

    async replayParkedUsage({ caller, params, body, requestId }) {
      if (!hasRole(caller, 'admin') && !caller.siteIds.includes(params.siteId)) throw new ForbiddenError(`You operate ${caller.siteIds.join(', ') || 'no site'}, not ${params.siteId}`);
      return { body: await replayParked(params.siteId, body.jobs, ctxOf(caller, requestId, actingRole(caller, 'site-operator', 'admin'), 'replay of parked usage'), ingestUsage) };
    },
    // ---- end parked usage ----

    async ingestUsage({ caller, params, body, requestId }) {
      if (!caller.siteIds.includes(params.siteId)) throw new ForbiddenError(`You operate ${caller.siteIds.join(', ') || 'no site'}, not ${params.siteId}`);
      const { results } = await ingestUsage(params.siteId, body.records as UsageReport[], ctxOf(caller, requestId, 'site-operator'));
      return { body: { results, summary: summarise(results) } };
    },
  },
  { caller: withKairrRoles },
); // identity: KAIRR's role assignments

/**
 * Direct invocation by the connectors (their IAM role is the only principal allowed to invoke). An
 * event that claims to be theirs is parsed against the shared contract first: a malformed one is
 * refused whole (MalformedEventError), before anything is read or written.
 */
export async function handler(event: APIGatewayProxyEvent | LedgerIngestEvent, context?: Context) {
  if (isConnectorUsageEvent(event)) {
    const e = parseEvent(LedgerIngestEventSchema, event, 'the connector usage event');
    const requestId = e.requestId ?? context?.awsRequestId ?? 'connector';
    const { results } = await ingestUsage(e.siteId, e.records, { actor: { sub: `system:connector-${e.siteId}`, role: 'system' }, requestId });
    const answer: LedgerIngestResponse = { results, summary: summarise(results) };
    return answer;
  }
  return api(event as APIGatewayProxyEvent, context);
}

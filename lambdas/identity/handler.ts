// The organisation registry, the people KAIRR keeps records of, and the caller (GET /v1/me):
// thin adapters from the route specs to the services. Registration numbers are shown to staff only.
import { createHandler } from '../shared/http/router';
import { hasRole, type Caller } from '../shared/http/caller';
import { idempotent } from '../shared/store/idempotency';
import type { AuditContext } from '../shared/store/write-path';
import { withKairrRoles } from '../shared/identity/people';
import { affiliationOf, readOrg } from '../shared/identity/orgs';
import { NotFoundError } from '../domain/errors';
import type { Org } from '../domain/identity/affiliation';
import { identityApi } from './api';
import { createOrg, listOrgs, updateOrg, verifyOrg } from './orgs';
import { getPerson, link, listPeople, setAffiliation, setRoles, unlink } from './people';

const ctxOf = (caller: Caller, requestId: string, reason?: string | null): AuditContext => ({ actor: { sub: caller.sub, role: 'admin' }, requestId, reason: reason ?? null });

function orgView(o: Org, caller: Caller) {
  const { registrationNumber, createdBy: _c, ...rest } = o;
  return { ...rest, ...(registrationNumber && hasRole(caller, 'admin', 'chair', 'auditor') ? { registrationNumber } : {}) };
}

export const handler = createHandler(
  identityApi,
  {
    async me({ caller }) {
      const affiliation = await affiliationOf(caller);
      return {
        body: {
          sub: caller.sub,
          ...(caller.issuer ? { issuer: caller.issuer } : {}),
          ...(caller.via ? { via: caller.via } : {}),
          roles: caller.roles,
          siteIds: caller.siteIds,
          username: caller.username,
          email: caller.email,
          name: caller.name,
          affiliation,
        },
      };
    },

    async listOrgs({ caller, query }) {
      const page = await listOrgs({ verified: query.verified === undefined ? undefined : query.verified === 'true', limit: query.limit ?? 50, nextToken: query.nextToken });
      return { body: { items: page.items.map((o) => orgView(o, caller)), nextToken: page.nextToken } };
    },

    async createOrg({ caller, body, requestId, idempotencyKey }) {
      const res = await idempotent({ operation: 'org.create', callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        let view: unknown;
        await createOrg(body, ctxOf(caller, requestId, body.reason), (o) => ((view = orgView(o, caller)), record({ status: 201, body: view })));
        return { status: 201, body: view };
      });
      return { status: res.status, body: res.body, headers: (res.replayed ? { 'idempotent-replayed': 'true' } : {}) as Record<string, string> };
    },

    async getOrg({ caller, params }) {
      const org = await readOrg(params.orgId);
      if (!org) throw new NotFoundError('Organisation', params.orgId);
      return { body: orgView(org, caller) };
    },

    async updateOrg({ caller, params, body, requestId }) {
      return { body: orgView(await updateOrg(params.orgId, body, ctxOf(caller, requestId, body.reason)), caller) };
    },

    async verifyOrg({ caller, params, body, requestId }) {
      return { body: orgView(await verifyOrg(params.orgId, body.verified, ctxOf(caller, requestId, body.reason)), caller) };
    },

    async listPeople({ query }) {
      return { body: await listPeople(query.limit ?? 50, query.nextToken) };
    },

    async getPerson({ params }) {
      return { body: await getPerson(params.sub) };
    },

    async setRoles({ caller, params, body, requestId }) {
      return { body: await setRoles(params.sub, body.roles, ctxOf(caller, requestId, body.reason)) };
    },

    async setAffiliation({ caller, params, body, requestId }) {
      return { body: await setAffiliation(params.sub, body.orgId, ctxOf(caller, requestId, body.reason)) };
    },

    async linkSubject({ caller, params, body, requestId }) {
      return { status: 201, body: await link(params.sub, body.subject, ctxOf(caller, requestId, body.reason)) };
    },

    async unlinkSubject({ caller, params, requestId }) {
      return { body: await unlink(params.sub, params.subject, ctxOf(caller, requestId)) };
    },
  },
  { caller: withKairrRoles },
);

// Jobs API: dispatch, list, status, cancel (lambdas/jobs/api.ts); the sites' connector status
// (lambdas/connectors/api.ts) and site accounts (lambdas/connectors/site-accounts/api.ts), served
// by the same function: it already reaches the schedulers and runs jobs as those accounts.
// Thin: the work is in service.ts, dispatch.ts, connectors/status.ts and connectors/site-accounts/.
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createHandler } from '../shared/http/router';
import { withKairrRoles } from '../shared/identity/people'; // identity
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { connectorKeys, siteAccountGsi } from '../shared/store/keys';
import { NotFoundError } from '../domain/errors';
import { jobsApi } from './api';
import { cancelJob, getJob, listJobs } from './service';
import { dispatch } from './dispatch';
import { wireCatalogueReads } from './catalogue';
import { connectorsApi, siteStatus, siteAccountsApi, assertMayRead, confirmSiteAccount, disableSiteAccount, migrateSiteAccounts, getSiteAccountItem, listSiteAccounts, siteAccountOf, siteOf } from '../connectors';

// the data hub's reads for declared inputs and outputs (catalogue.ts says why they are wired here)
wireCatalogueReads();

const api = createHandler(
  { ...jobsApi, ...connectorsApi, ...siteAccountsApi },
  {
    async siteStatus({ caller, params }) {
      return { body: await siteStatus(caller, params.siteId) };
    },

    async dispatchJob({ caller, params, body, idempotencyKey, requestId }) {
      const out = await dispatch({ caller, allocationId: params.id, body, idempotencyKey, requestId });
      const headers: Record<string, string> = out.replayed ? { 'idempotent-replayed': 'true' } : {};
      return { status: out.status, body: out.body, headers };
    },

    async listJobs({ caller, params, query }) {
      const scope = connectorKeys.jobPrefix(params.id).pk;
      const page = await listJobs(caller, params.id, query.limit ?? 50, decodeToken(query.nextToken, scope));
      return { body: { items: page.items, nextToken: encodeToken(page.nextKey, scope) } };
    },

    async getJob({ caller, params, requestId }) {
      return { body: await getJob(caller, params.id, params.jobId, requestId) };
    },

    async cancelJob({ caller, params, requestId }) {
      return { body: await cancelJob(caller, params.id, params.jobId, requestId) };
    },

    // ---- site accounts ----
    async listSiteAccounts({ caller, params, query }) {
      siteOf(params.siteId, 'siteId');
      assertMayRead(caller, params.siteId);
      const scope = siteAccountGsi.ofSite(params.siteId);
      const page = await listSiteAccounts(params.siteId, { state: query.state, limit: query.limit ?? 100, startKey: decodeToken(query.nextToken, scope) });
      return { body: { items: page.items, nextToken: encodeToken(page.nextKey, scope) } };
    },

    async getSiteAccount({ caller, params }) {
      siteOf(params.siteId, 'siteId');
      assertMayRead(caller, params.siteId, params.sub);
      const item = await getSiteAccountItem(params.siteId, params.sub);
      if (!item) throw new NotFoundError('Site account', `${params.siteId}/${params.sub}`);
      return { body: siteAccountOf(item) };
    },

    async confirmSiteAccount({ caller, params, body, requestId }) {
      const out = await confirmSiteAccount({ kind: 'operator', caller }, { siteId: params.siteId, sub: params.sub, username: body.username, requestId, route: 'PUT /v1/sites/{siteId}/accounts/{sub}' });
      return { body: out.account };
    },

    async disableSiteAccount({ caller, params, body, requestId }) {
      return { body: await disableSiteAccount({ kind: 'operator', caller }, { siteId: params.siteId, sub: params.sub, reason: body.reason, requestId }) };
    },

    async migrateSiteAccounts({ caller, params, body, requestId }) {
      return { body: await migrateSiteAccounts({ kind: 'operator', caller }, params.siteId, { dryRun: body.dryRun, requestId }) };
    },
    // ---- end site accounts ----
  },
  { caller: withKairrRoles },
); // identity: KAIRR's role assignments

/**
 * A site's connector confirming an account it created (where the site's accounts.connectorMayConfirm
 * allows it), by direct invocation. No principal is granted this invocation in the stack yet: it is
 * the entry a site's own agent uses once a site wants it (docs/security.md).
 */
interface ConnectorAccountEvent {
  source: 'kairr.connector';
  action: 'confirmSiteAccount';
  siteId: string;
  sub: string;
  username: string;
  requestId?: string;
}

function isConnectorEvent(e: unknown): e is ConnectorAccountEvent {
  return !!e && typeof e === 'object' && (e as { source?: string }).source === 'kairr.connector' && (e as { action?: string }).action === 'confirmSiteAccount';
}

export async function handler(event: APIGatewayProxyEvent | ConnectorAccountEvent, context?: Context) {
  if (isConnectorEvent(event)) {
    const out = await confirmSiteAccount(
      { kind: 'connector', siteId: event.siteId },
      { siteId: event.siteId, sub: event.sub, username: event.username, requestId: event.requestId ?? context?.awsRequestId ?? 'connector', route: 'invoke confirmSiteAccount' },
    );
    return out.account;
  }
  return api(event as APIGatewayProxyEvent, context);
}

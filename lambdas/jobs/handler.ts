// Jobs API: dispatch, list, status, cancel (lambdas/jobs/api.ts); and the sites' connector status
// (lambdas/connectors/api.ts), served by the same function: it already reaches the schedulers.
// Thin: the work is in service.ts and connectors/status.ts.
import { createHandler } from '../shared/http/router';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { connectorKeys } from '../shared/store/keys';
import { jobsApi } from './api';
import { cancelJob, getJob, listJobs } from './service';
import { dispatch } from './dispatch';
import { connectorsApi } from '../connectors/api';
import { siteStatus } from '../connectors/status';

export const handler = createHandler({ ...jobsApi, ...connectorsApi }, {
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
});

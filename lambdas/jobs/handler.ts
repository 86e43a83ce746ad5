// Jobs API: dispatch, list, status, cancel (lambdas/jobs/api.ts). Thin: the work is in service.ts.
import { createHandler } from '../shared/http/router';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { connectorKeys } from '../shared/store/keys';
import { jobsApi } from './api';
import { cancelJob, dispatch, getJob, listJobs } from './service';

export const handler = createHandler(jobsApi, {
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

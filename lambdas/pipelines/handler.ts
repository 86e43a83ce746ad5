// The pipelines' API function: every route of lambdas/pipelines/api.ts. Thin: the router parses
// and authorises, the service acts.
import { createHandler } from '../shared/http/router';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import type { PipelineSpec } from '../domain/pipelines/spec';
import { pipelinesApi } from './api';
import { cancelPipeline, createPipeline, getPipeline, listOwnOrAll, listScope, retryPipeline } from './service';

type Id = { id: string };

export const handler = createHandler(pipelinesApi, {
  createPipeline: async ({ caller, body, idempotencyKey, requestId }) => {
    const r = await createPipeline(caller!, body as PipelineSpec, idempotencyKey, requestId);
    return { status: r.replayed ? 200 : r.status, body: r.body, headers: (r.replayed ? { 'idempotent-replayed': 'true' } : {}) as Record<string, string> };
  },
  listPipelines: async ({ caller, query }) => {
    const q = query as { limit?: number; nextToken?: string };
    const scope = listScope(caller!);
    const page = await listOwnOrAll(caller!, q.limit ?? 50, decodeToken(q.nextToken, scope));
    return { body: { items: page.items, ...(page.nextKey ? { nextToken: encodeToken(page.nextKey, scope) } : {}) } };
  },
  getPipeline: async ({ caller, params }) => ({ body: await getPipeline(caller!, (params as Id).id) }),
  cancelPipeline: async ({ caller, params, requestId }) => ({ body: await cancelPipeline(caller!, (params as Id).id, requestId) }),
  retryPipeline: async ({ caller, params, requestId }) => ({ body: await retryPipeline(caller!, (params as Id).id, requestId) }),
});

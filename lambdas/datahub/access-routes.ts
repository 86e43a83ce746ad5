// The access committee's routes (api.ts accessRoutes): thin, as the rest of handler.ts. Views drop
// nothing secret: the flow's task token is never part of an application (application-items.ts).
import { ForbiddenError, NotFoundError } from '../domain/errors';
import { findSite } from '../domain/catalogue';
import { gateOf, type Application, type ApplicationState } from '../domain/datahub/application';
import type { Request, Result } from '../shared/http/router';
import type { RouteSpec } from '../shared/http/spec';
import { runtimeConfig } from '../shared/config';
import { idempotent } from '../shared/store/idempotency';
import { createApplication, decideApplication, getApplication, listDatasetApplications, listMyApplications, withdrawApplication, type Target } from './applications';
import { canExportSite, sitePermitExport } from './permit-export';
import { listPermits, permitView, revokePermit } from './permits';
import { actorOf, viewerOf } from './viewer';

type Handler = (req: Request<RouteSpec>) => Promise<Result>;

const ctxOf = (req: Request<RouteSpec>) => ({ actor: actorOf(req.caller, ['researcher', 'admin', 'curator']), requestId: req.requestId });
// Datasets and models take applications alike: a restricted model is gated (Hugging Face's term).
const KINDS: Record<string, Target['kind']> = { datasets: 'dataset', models: 'model' };
const targetOf = (req: Request<RouteSpec>): Target => {
  const p = req.params as { kind: string; id: string };
  const kind = Object.hasOwn(KINDS, p.kind) ? KINDS[p.kind] : undefined;
  if (!kind) throw new NotFoundError('Route', `/v1/${p.kind}/${p.id}/access-applications`);
  return { kind, id: p.id };
};
/** An application as the API shows it: with its `gate`, derived from the state (never stored). */
const view = (app: Application) => ({ ...app, gate: gateOf(app.state) });
const viewPage = (p: { items: Application[]; nextToken?: string }) => ({ ...p, items: p.items.map(view) });
const page = (req: Request<RouteSpec>) => {
  const q = req.query as { limit?: number; nextToken?: string };
  return { limit: q.limit ?? 50, nextToken: q.nextToken };
};

export function accessHandlers(): Record<string, Handler> {
  return {
    createAccessApplication: async (req) => {
      const target = targetOf(req);
      // The operation keeps its dataset name for models too: artifact ids are unique across kinds.
      const res = await idempotent({ operation: `dataset.access-application:${target.id}`, callerSub: req.caller.sub, key: req.idempotencyKey, request: req.body }, async (record) => {
        let shown: unknown;
        await createApplication(target, req.body as never, req.caller, ctxOf(req), (app) => ((shown = view(app)), record({ status: 201, body: shown })));
        return { status: 201, body: shown };
      });
      if (!res.replayed) return { status: res.status, body: res.body };
      // A retry answers the application as it is now, not as first stored: after a flow that did not
      // start, the stored 201 says submitted while the application is in error (apply again).
      const now = await getApplication((res.body as { applicationId: string }).applicationId, viewerOf(req.caller));
      return { status: res.status, body: view(now), headers: { 'idempotent-replayed': 'true' } };
    },
    listAccessApplications: async (req) => ({ body: viewPage(await listDatasetApplications(targetOf(req), viewerOf(req.caller), { ...page(req), state: (req.query as { state?: ApplicationState }).state })) }),
    listMyAccessApplications: async (req) => ({ body: viewPage(await listMyApplications(viewerOf(req.caller), page(req))) }),
    getAccessApplication: async (req) => ({ body: view(await getApplication((req.params as { applicationId: string }).applicationId, viewerOf(req.caller))) }),
    decideAccessApplication: async (req) => ({ body: view(await decideApplication((req.params as { applicationId: string }).applicationId, req.body as never, viewerOf(req.caller), ctxOf(req))) }),
    withdrawAccessApplication: async (req) => ({ body: view(await withdrawApplication((req.params as { applicationId: string }).applicationId, viewerOf(req.caller), ctxOf(req))) }),
    listPermits: async (req) => ({ body: await listPermits(viewerOf(req.caller), { ...page(req), datasetId: (req.query as { datasetId?: string }).datasetId }, new Date()) }),
    revokePermit: async (req) => {
      const p = await revokePermit((req.params as { permitId: string }).permitId, (req.body as { reason: string }).reason, viewerOf(req.caller), ctxOf(req));
      return { body: permitView(p, new Date()) };
    },
    sitePermitExport: async (req) => {
      const siteId = (req.params as { siteId: string }).siteId;
      if (!findSite(runtimeConfig().sites, siteId)) throw new NotFoundError('Site', siteId);
      if (!canExportSite(req.caller, siteId)) throw new ForbiddenError("A site's permit export is for that site's operators and admins");
      return { body: await sitePermitExport(siteId, new Date()) };
    },
  };
}

// The data hub's API function: every route of lambdas/datahub/api.ts, for datasets and models.
// Thin: parse (the router), call the service, shape the view.
import { createHandler, type Request, type Result } from '../shared/http/router';
import type { Caller } from '../shared/http/caller';
import type { RouteSpec } from '../shared/http/spec';
import { idempotent } from '../shared/store/idempotency';
import type { AuditContext } from '../shared/store/write-path';
import { NotFoundError } from '../domain/errors';
import { canEdit, type Viewer } from '../domain/datahub/access';
import { DCAT_AP_CONTEXT, DCAT_AP_CONTEXT_NAME } from '../domain/datahub/render/dcat-context';
import type { Artifact, ArtifactKind, Version } from '../domain/datahub/model';
import { datahubApi, type SearchQuery } from './api';
import { createArtifact, deleteAlias, getArtifact, putAlias, updateArtifact } from './artifacts';
import { addSiteLocation, downloadLink, listLocations } from './locations';
import { deletePage, listManifest, putPage } from './manifest';
import { NotAcceptableError, negotiate, render, type Format } from './metadata';
import { search } from './search';
import { versionLineage, type LineageDirection } from './lineage';
import { completeUpload, createUpload, downloadUrl, resumeUpload, type UploadOut } from './uploads';
import { aliasesOf, createVersion, getVersion, listCuration, listVersions, transition, updateVersion } from './versions';
import { actorOf, viewerOf } from './viewer';
import { accessHandlers } from './access-routes';
import { verificationHandlers } from './verification-handlers';
import { baseUrl } from './metadata';

type Handler = (req: Request<RouteSpec>) => Promise<Result>;

const ctxOf = (c: Caller, requestId: string): AuditContext => ({ actor: actorOf(c), requestId });
const replay = (r: boolean): Record<string, string> => (r ? { 'idempotent-replayed': 'true' } : {});

function versionView(a: Artifact, v: Version, viewer: Viewer) {
  const staff = canEdit(a, viewer) || viewer.roles.some((r) => r === 'curator' || r === 'auditor');
  const { createdBy: _c, submittedBy: _s, publishedBy: _p, deprecatedBy: _d, ...rest } = v;
  return { ...(staff ? v : rest), aliases: aliasesOf(a, v.version) };
}

function uploadView(u: UploadOut | (Omit<UploadOut, 'parts'> & { parts: UploadOut['parts'] })) {
  const { key: _k, s3UploadId: _u, createdBy: _c, artifactId: _a, version: _v, mediaType: _m, createdAt: _ca, updatedAt: _ua, ...rest } = u;
  return rest;
}

function searchView(kind: ArtifactKind, page: Awaited<ReturnType<typeof search>>) {
  const items = page.hits.map((h) => {
    const { artifactId, ...rest } = h;
    const hit = { id: artifactId, ...rest };
    return kind === 'model' ? { ...hit, modelId: artifactId, tags: h.tags ?? [], createdAt: h.publishedAt, gated: h.accessLevel !== 'public' } : hit;
  });
  return { items, total: page.total, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}

async function metadata(kind: ArtifactKind, req: Request<RouteSpec>, viewer: Viewer, landing: boolean): Promise<Result> {
  const p = req.params as { id: string; version: string };
  const { artifact, version } = await getVersion(kind, p.id, p.version, viewer);
  const format = negotiate(kind, (req.query as { format?: Format }).format, req.headers.accept);
  if (!format) {
    // No rendering asked for: the version itself, as JSON, unless the caller accepts no JSON at all.
    const accept = req.headers.accept;
    if (landing && (!accept || /json|\*\/\*/.test(accept))) return { body: versionView(artifact, version, viewer) };
    throw new NotAcceptableError(`Ask for a format (${kind === 'dataset' ? 'croissant, datacite, dcat' : 'card, datacite'}) with ?format= or the Accept header`);
  }
  const r = await render(artifact, version, format, req.headers);
  return r.text !== undefined ? { text: r.text, contentType: r.contentType } : { body: r.body, headers: { 'content-type': r.contentType } };
}

function searchResult(kind: ArtifactKind, req: Request<RouteSpec>, page: Awaited<ReturnType<typeof search>>, path: string): Result {
  const view = searchView(kind, page);
  const headers: Record<string, string> = {};
  if (page.nextToken) headers.link = `<${baseUrl(req.headers)}${path}?nextToken=${encodeURIComponent(page.nextToken)}>; rel="next"`;
  return { body: view, headers };
}

/** The {kind} path segment: "datasets" or "models"; any other word under /v1 is no route at all. */
function kindOf(req: Request<RouteSpec>): ArtifactKind {
  const k = (req.params as { kind: string }).kind;
  if (k === 'datasets') return 'dataset';
  if (k === 'models') return 'model';
  throw new NotFoundError('Route', `/v1/${k}`);
}

/** Each route's implementation with the kind it serves. */
const byKind =
  (fn: (kind: ArtifactKind, req: Request<RouteSpec>) => Promise<Result>): Handler =>
  (req) =>
    fn(kindOf(req), req);

function routes(): Record<string, Handler> {
  return {
    createArtifact: byKind(async (kind, { caller, body, idempotencyKey, requestId }) => {
      const res = await idempotent({ operation: `${kind}.create`, callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        let view: unknown;
        await createArtifact(kind, body as never, ctxOf(caller, requestId), (a) => ((view = a), record({ status: 201, body: a })));
        return { status: 201, body: view };
      });
      return { status: res.status, body: res.body, headers: replay(res.replayed) };
    }),
    searchArtifacts: byKind(async (kind, req) => searchResult(kind, req, await search(kind, req.query as SearchQuery, viewerOf(req.caller)), `/v1/${kind}s`)),
    getArtifact: byKind(async (kind, { caller, params }) => ({ body: await getArtifact(kind, (params as { id: string }).id, viewerOf(caller)) })),
    updateArtifact: byKind(async (kind, { caller, params, body, requestId }) => ({ body: await updateArtifact(kind, (params as { id: string }).id, body as never, viewerOf(caller), ctxOf(caller, requestId)) })),
    createArtifactVersion: byKind(async (kind, { caller, params, body, idempotencyKey, requestId }) => {
      const id = (params as { id: string }).id;
      const res = await idempotent({ operation: `${kind}.version:${id}`, callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        let view: unknown;
        await createVersion(kind, id, body as never, viewerOf(caller), ctxOf(caller, requestId), (v) => ((view = { ...v, aliases: [] }), record({ status: 201, body: view })));
        return { status: 201, body: view };
      });
      return { status: res.status, body: res.body, headers: replay(res.replayed) };
    }),
    listArtifactVersions: byKind(async (kind, { caller, params, query }) => {
      const q = query as { limit?: number; nextToken?: string };
      return { body: await listVersions(kind, (params as { id: string }).id, viewerOf(caller), q.limit ?? 50, q.nextToken) };
    }),
    getArtifactVersion: byKind(async (kind, req) => metadata(kind, req, viewerOf(req.caller), true)),
    getArtifactVersionLineage: byKind(async (kind, { caller, params, query }) => {
      const p = params as { id: string; version: string };
      const q = query as { direction?: LineageDirection; depth?: number };
      return { body: await versionLineage(kind, p.id, p.version, viewerOf(caller), q.direction ?? 'both', q.depth ?? 3) };
    }),
    updateArtifactVersion: byKind(async (kind, { caller, params, body, requestId }) => {
      const p = params as { id: string; version: string };
      const v = await updateVersion(kind, p.id, p.version, body as never, viewerOf(caller), ctxOf(caller, requestId));
      return { body: { ...v, aliases: [] } };
    }),
    putArtifactManifestPage: byKind(async (kind, { caller, params, body, requestId }) => {
      const p = params as { id: string; version: string; page: string };
      return { body: { ...(await putPage(kind, p.id, p.version, Number(p.page), body as never, viewerOf(caller), ctxOf(caller, requestId))), aliases: [] } };
    }),
    deleteArtifactManifestPage: byKind(async (kind, { caller, params, requestId }) => {
      const p = params as { id: string; version: string; page: string };
      return { body: { ...(await deletePage(kind, p.id, p.version, Number(p.page), viewerOf(caller), ctxOf(caller, requestId))), aliases: [] } };
    }),
    getArtifactManifest: byKind(async (kind, { caller, params, query }) => {
      const p = params as { id: string; version: string };
      const q = query as { limit?: number; nextToken?: string };
      return { body: await listManifest(kind, p.id, p.version, viewerOf(caller), q.limit ?? 500, q.nextToken) };
    }),
    transitionArtifactVersion: byKind(async (kind, { caller, params, body, requestId }) => {
      const p = params as { id: string; version: string };
      const v = await transition(kind, p.id, p.version, body as never, viewerOf(caller), ctxOf(caller, requestId));
      return { body: { ...v, aliases: [] } };
    }),
    listArtifactLocations: byKind(async (kind, { caller, params, requestId }) => {
      const p = params as { id: string; version: string };
      return { body: { items: await listLocations(kind, p.id, p.version, viewerOf(caller), ctxOf(caller, requestId)) } };
    }),
    addArtifactLocation: byKind(async (kind, { caller, params, body, requestId }) => {
      const p = params as { id: string; version: string };
      return { status: 201, body: await addSiteLocation(kind, p.id, p.version, body as never, viewerOf(caller), ctxOf(caller, requestId)) };
    }),
    putArtifactAlias: byKind(async (kind, { caller, params, body, requestId }) => {
      const p = params as { id: string; alias: string };
      return { body: await putAlias(kind, p.id, p.alias, (body as { version: string }).version, viewerOf(caller), ctxOf(caller, requestId)) };
    }),
    deleteArtifactAlias: byKind(async (kind, { caller, params, requestId }) => {
      const p = params as { id: string; alias: string };
      return { body: await deleteAlias(kind, p.id, p.alias, viewerOf(caller), ctxOf(caller, requestId)) };
    }),
    createArtifactUpload: byKind(async (kind, { caller, params, body, requestId }) => {
      const p = params as { id: string; version: string };
      return { status: 201, body: uploadView(await createUpload(kind, p.id, p.version, body as never, viewerOf(caller), ctxOf(caller, requestId))) };
    }),
    resumeArtifactUpload: byKind(async (kind, { caller, params }) => {
      const p = params as { id: string; version: string; uploadId: string };
      return { body: uploadView(await resumeUpload(kind, p.id, p.version, p.uploadId, viewerOf(caller))) };
    }),
    completeArtifactUpload: byKind(async (kind, { caller, params, body, requestId }) => {
      const p = params as { id: string; version: string; uploadId: string };
      const u = await completeUpload(kind, p.id, p.version, p.uploadId, (body as { etags: string[] }).etags, viewerOf(caller), ctxOf(caller, requestId));
      return { body: uploadView({ ...u, parts: u.parts }) };
    }),
    getArtifactFile: byKind(async (kind, { caller, params, requestId }) => {
      const p = params as { id: string; version: string; path: string };
      const viewer = viewerOf(caller);
      const { artifact, version } = await getVersion(kind, p.id, p.version, viewer);
      const path = decodeURIComponent(p.path);
      const url = await downloadLink(artifact, version, path, viewer, caller ? ctxOf(caller, requestId) : undefined, () => downloadUrl(p.id, version.version, path));
      return { status: 302, headers: { location: url } };
    }),
    getPublicArtifacts: byKind(async (kind, req) => searchResult(kind, req, await search(kind, req.query as SearchQuery, viewerOf(undefined)), `/v1/public/${kind}s`)),
    getPublicArtifact: byKind(async (kind, { params }) => ({ body: await getArtifact(kind, (params as { id: string }).id, viewerOf(undefined)) })),
    getPublicArtifactVersion: byKind(async (kind, req) => metadata(kind, req, viewerOf(undefined), true)),
    getPublicArtifactManifest: byKind(async (kind, { params, query }) => {
      const p = params as { id: string; version: string };
      const q = query as { limit?: number; nextToken?: string };
      return { body: await listManifest(kind, p.id, p.version, viewerOf(undefined), q.limit ?? 500, q.nextToken) };
    }),
  };
}

export const handler = createHandler(datahubApi, {
  ...routes(),
  ...accessHandlers(),
  ...verificationHandlers,
  getContext: async ({ params }: Request<RouteSpec>) => {
    if ((params as { name: string }).name !== DCAT_AP_CONTEXT_NAME) throw new NotFoundError('Context', (params as { name: string }).name);
    return { body: DCAT_AP_CONTEXT, headers: { 'content-type': 'application/ld+json', 'cache-control': 'public, max-age=86400' } };
  },
  listCuration: async ({ query }: Request<RouteSpec>) => {
    const q = query as { limit?: number; nextToken?: string };
    return { body: await listCuration(q.limit ?? 50, q.nextToken) };
  },
} as never);

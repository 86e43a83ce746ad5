// The data hub's routes: one set for datasets (/v1/datasets/...) and models (/v1/models/...), the
// public read routes under /v1/public (no token: public artifacts only), the contexts KAIRR serves,
// and the curators' queue.
import * as z from 'zod/mini';
import { defineApi, type RouteSpec } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { ACCESS_LEVELS } from '../domain/datahub/model';
import {
  AddLocationBody,
  AliasBody,
  ArtifactView,
  CompleteUploadBody,
  CreateArtifactBody,
  CreateUploadBody,
  CreateVersionBody,
  CurationItem,
  FileView,
  LocationView,
  ManifestPageBody,
  SearchPage,
  TransitionBody,
  UpdateArtifactBody,
  UpdateVersionBody,
  UploadView,
  VersionView,
  ARTIFACT_ID,
} from './schemas';
import { accessRoutes } from './access-api';
import { verificationRoutes } from './verification-api';

const Id = z.string().check(z.regex(ARTIFACT_ID));
const Ver = z.string().check(z.maxLength(20));
/** "datasets" or "models" (checked by the handler, so another word under /v1 is a 404, not a 400). */
const Kind = z.string().check(z.maxLength(64));
const KindParams = z.strictObject({ kind: Kind });
const ArtifactParams = z.strictObject({ kind: Kind, id: Id });
const VersionParams = z.strictObject({ kind: Kind, id: Id, version: Ver });
const PageParams = z.strictObject({ kind: Kind, id: Id, version: Ver, page: z.string().check(z.regex(/^\d{1,4}$/)) });
const AliasParams = z.strictObject({ kind: Kind, id: Id, alias: z.string().check(z.maxLength(40)) });
const UploadParams = z.strictObject({ kind: Kind, id: Id, version: Ver, uploadId: z.string().check(z.regex(/^upl-[0-9a-z]{26}$/)) });
const FileParams = z.strictObject({ kind: Kind, id: Id, version: Ver, path: z.string().check(z.minLength(1), z.maxLength(4096)) });

export const SearchQuery = z.strictObject({
  /** Free text, Korean and/or English; every word must match. */
  q: z.optional(z.string().check(z.maxLength(200))),
  /** The Hub's name for q. */
  search: z.optional(z.string().check(z.maxLength(200))),
  field: z.optional(z.string().check(z.maxLength(8))),
  licence: z.optional(z.string().check(z.maxLength(96))),
  access: z.optional(z.enum(ACCESS_LEVELS)),
  /** A site that holds a verified copy. */
  site: z.optional(z.string().check(z.maxLength(32))),
  /** A media type of the files, e.g. text/csv. */
  format: z.optional(z.string().check(z.maxLength(256))),
  minBytes: z.optional(z.coerce.number().check(z.int(), z.minimum(0))),
  maxBytes: z.optional(z.coerce.number().check(z.int(), z.minimum(0))),
  /** The owner: a person's subject or an organisation's id. */
  author: z.optional(z.string().check(z.maxLength(128))),
  tag: z.optional(z.string().check(z.maxLength(96))),
  task: z.optional(z.string().check(z.maxLength(64))),
  library: z.optional(z.string().check(z.maxLength(96))),
  language: z.optional(z.string().check(z.maxLength(16))),
  /** The Hub's filter: comma-separated; each value matches a tag, a task or a library. */
  filter: z.optional(z.string().check(z.maxLength(400))),
  /** relevance (with q, the default) or published (newest first; the Hub's createdAt). */
  sort: z.optional(z.enum(['relevance', 'published', 'createdAt'])),
  direction: z.optional(z.enum(['asc', 'desc', '1', '-1'])),
  includeDeprecated: z.optional(z.enum(['true', 'false'])),
  limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100))),
  nextToken: NextTokenQuery,
});
export type SearchQuery = z.infer<typeof SearchQuery>;

export const METADATA_FORMATS = ['croissant', 'datacite', 'dcat', 'card'] as const;
const MetadataQuery = z.strictObject({ format: z.optional(z.enum(METADATA_FORMATS)) });
export type MetadataQuery = z.infer<typeof MetadataQuery>;
const MANIFEST_QUERY = z.strictObject({ limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000))), nextToken: NextTokenQuery });

const NOT_FOUND = { description: 'No such artifact or version (or not visible to the caller)', schema: ErrorSchema };
const UNKNOWN_KIND = { description: 'No such route: {kind} is datasets or models', schema: ErrorSchema };
const CONFLICT = { description: 'The version is not in a state that allows this (e.g. published versions never change)', schema: ErrorSchema };
const RULE = { description: 'A rule refuses it (e.g. an upload whose checksum does not match)', schema: ErrorSchema };
const CREATORS = ['researcher', 'admin'] as const;
const ANY = 'any' as const;
const LineageQuery = z.strictObject({
  direction: z.optional(z.enum(['up', 'down', 'both'])),
  depth: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(10))),
});
const LineageNodeView = z.object({
  id: z.string(),
  kind: z.enum(['job', 'dataset']),
  level: z.number(),
  direction: z.enum(['start', 'up', 'down']),
  namespace: z.optional(z.string()),
  name: z.optional(z.string()),
  site: z.optional(z.string()),
  version: z.optional(z.object({ artifact: z.string(), version: z.string() })),
  hidden: z.optional(z.literal(true)),
});
const LineageView = z.object({
  artifactId: z.string(),
  version: z.string(),
  direction: z.string(),
  depth: z.number(),
  nodes: z.array(LineageNodeView),
  edges: z.array(z.object({ from: z.string(), to: z.string() })),
  cost: z.array(z.object({ direction: z.string(), level: z.number(), frontier: z.number(), requests: z.number(), roundTrips: z.number() })),
});
const Page = (item: z.ZodMiniType) => z.object({ items: z.array(item), nextToken: z.optional(z.string()) });
const METADATA_TYPES = ['application/ld+json', 'application/vnd.datacite.datacite+json', 'text/markdown'];

/**
 * One set of routes for both kinds: {kind} is "datasets" or "models". (Two literal sets would add
 * some 75 API Gateway resources and methods, and the stack is near CloudFormation's 500.)
 */
function artifactRoutes() {
  const base = '/v1/{kind}';
  const pub = '/v1/public/{kind}';
  const tag = 'datahub';
  // Any word in place of {kind} reaches these routes, and the handler answers 404 for one that is not a kind.
  const r = (x: Omit<RouteSpec, 'tag'>): RouteSpec => ({ ...x, tag, responses: x.path.includes('{kind}') ? { ...x.responses, 404: x.responses[404] ?? UNKNOWN_KIND } : x.responses });
  const v = `${base}/{id}/versions/{version}`;
  return {
    createArtifact: r({
      method: 'POST',
      path: base,
      summary: 'Register a dataset or a model (its stewards then add versions)',
      auth: CREATORS,
      params: KindParams,
      body: CreateArtifactBody,
      idempotent: true,
      responses: { 201: { description: 'Created', schema: ArtifactView }, 200: { description: 'A retry (same Idempotency-Key)', schema: ArtifactView }, ...ERROR_RESPONSES },
    }),
    searchArtifacts: r({
      method: 'GET',
      path: base,
      summary: 'Search datasets or models in Korean and English, with filters (models: shaped like the Hub, search, author, filter, sort, direction, limit)',
      description: 'Published artifacts the caller may see; every word of q must match (Korean by character bigrams, so compounds and particles match); filters AND together. Pages carry nextToken (and a Link header, as the Hub does).',
      auth: ANY,
      params: KindParams,
      query: SearchQuery,
      responses: { 200: { description: 'A page of hits', schema: SearchPage }, ...ERROR_RESPONSES },
    }),
    getArtifact: r({
      method: 'GET',
      path: `${base}/{id}`,
      summary: 'A dataset or model: its core metadata and aliases',
      auth: ANY,
      params: ArtifactParams,
      responses: { 200: { description: 'The artifact', schema: ArtifactView }, ...ERROR_RESPONSES, 404: NOT_FOUND },
    }),
    updateArtifact: r({
      method: 'PATCH',
      path: `${base}/{id}`,
      summary: "A steward edits the artifact's core metadata (published versions keep their own licence)",
      auth: CREATORS,
      params: ArtifactParams,
      body: UpdateArtifactBody,
      responses: { 200: { description: 'The artifact', schema: ArtifactView }, ...ERROR_RESPONSES, 404: NOT_FOUND },
    }),
    createArtifactVersion: r({
      method: 'POST',
      path: `${base}/{id}/versions`,
      summary: 'A steward starts a draft version',
      auth: CREATORS,
      params: ArtifactParams,
      body: CreateVersionBody,
      idempotent: true,
      responses: { 201: { description: 'The draft', schema: VersionView }, 200: { description: 'A retry', schema: VersionView }, ...ERROR_RESPONSES, 404: NOT_FOUND, 409: { description: 'The version exists', schema: ErrorSchema } },
    }),
    listArtifactVersions: r({
      method: 'GET',
      path: `${base}/{id}/versions`,
      summary: 'Versions the caller may see, newest first',
      auth: ANY,
      params: ArtifactParams,
      query: z.strictObject({ limit: LimitQuery, nextToken: NextTokenQuery }),
      responses: { 200: { description: 'A page of versions', schema: Page(VersionView) }, ...ERROR_RESPONSES, 404: NOT_FOUND },
    }),
    getArtifactVersion: r({
      method: 'GET',
      path: v,
      summary: 'One version (an alias such as "production" or "latest" names one too), or its rendering',
      description: 'With ?format= (or an Accept header naming one): datasets render as Croissant 1.1, DataCite 4.x or DCAT-AP 3.0.1; models as the Hugging Face model card (README.md) or DataCite 4.x.',
      auth: ANY,
      params: VersionParams,
      query: MetadataQuery,
      responses: {
        200: { description: 'The version, or its rendering', schema: VersionView, contentTypes: METADATA_TYPES },
        ...ERROR_RESPONSES,
        404: NOT_FOUND,
        406: { description: 'No rendering in an accepted media type', schema: ErrorSchema },
      },
    }),
    getArtifactVersionLineage: r({
      method: 'GET',
      path: `${v}/lineage`,
      summary: "A version's lineage: what it was made from and what was made from it, by which jobs at which sites",
      description:
        'From the OpenLineage run events of pipeline stages and jobs: ancestors (up), descendants (down) or both, to depth edges (a version, the job that read it and what that job wrote are two levels apart). Copies at every site are one version. A catalogue version the caller may not read is an opaque hidden node.',
      auth: ANY,
      params: VersionParams,
      query: LineageQuery,
      responses: { 200: { description: 'The lineage', schema: LineageView }, ...ERROR_RESPONSES, 404: NOT_FOUND },
    }),
    updateArtifactVersion: r({
      method: 'PATCH',
      path: v,
      summary: 'A steward edits a draft: changelog, derivedFrom, model card',
      auth: CREATORS,
      params: VersionParams,
      body: UpdateVersionBody,
      responses: { 200: { description: 'The version', schema: VersionView }, ...ERROR_RESPONSES, 404: NOT_FOUND, 409: CONFLICT },
    }),
    putArtifactManifestPage: r({
      method: 'PUT',
      path: `${v}/manifest/pages/{page}`,
      summary: 'A steward registers one page of the manifest (at most 1,000 files; 200,000 per version)',
      description: 'Pages are numbered from 1. Re-sending the same page is a no-op; a different page under the same number must be deleted first. A path already in another page is refused.',
      auth: CREATORS,
      params: PageParams,
      body: ManifestPageBody,
      responses: { 200: { description: 'The version with its totals', schema: VersionView }, ...ERROR_RESPONSES, 404: NOT_FOUND, 409: CONFLICT, 413: { description: 'Over the manifest limit', schema: ErrorSchema } },
    }),
    deleteArtifactManifestPage: r({
      method: 'DELETE',
      path: `${v}/manifest/pages/{page}`,
      summary: 'A steward removes a page of a draft',
      auth: CREATORS,
      params: PageParams,
      responses: { 200: { description: 'The version', schema: VersionView }, ...ERROR_RESPONSES, 404: NOT_FOUND, 409: CONFLICT },
    }),
    getArtifactManifest: r({
      method: 'GET',
      path: `${v}/manifest`,
      summary: "The version's files, in path order",
      auth: ANY,
      params: VersionParams,
      query: MANIFEST_QUERY,
      responses: { 200: { description: 'A page of files', schema: Page(FileView) }, ...ERROR_RESPONSES, 404: NOT_FOUND },
    }),
    transitionArtifactVersion: r({
      method: 'POST',
      path: `${v}/transitions`,
      summary: 'Lifecycle: submit (steward), publish or return (curator), deprecate naming a successor',
      description:
        'draft -> curation-review -> published -> deprecated; a curator may return a version in review to draft with a note. A curator never curates an artifact they steward. Submitting checks every hub upload against the manifest.',
      auth: ['researcher', 'curator', 'admin'],
      params: VersionParams,
      body: TransitionBody,
      responses: { 200: { description: 'The version after the transition', schema: VersionView }, ...ERROR_RESPONSES, 404: NOT_FOUND, 409: CONFLICT, 422: RULE },
    }),
    listArtifactLocations: r({
      method: 'GET',
      path: `${v}/locations`,
      summary: 'Where copies of the version are (only for callers permitted to use the data)',
      auth: ANY,
      params: VersionParams,
      responses: { 200: { description: 'The locations', schema: z.object({ items: z.array(LocationView) }) }, ...ERROR_RESPONSES, 404: NOT_FOUND },
    }),
    addArtifactLocation: r({
      method: 'POST',
      path: `${v}/locations`,
      summary: "A steward registers a copy under a site's storage root (pending until verified at the site)",
      auth: CREATORS,
      params: VersionParams,
      body: AddLocationBody,
      responses: { 201: { description: 'The location', schema: LocationView }, ...ERROR_RESPONSES, 404: NOT_FOUND, 409: { description: 'That copy is registered already', schema: ErrorSchema } },
    }),
    putArtifactAlias: r({
      method: 'PUT',
      path: `${base}/{id}/aliases/{alias}`,
      summary: 'A steward points an alias (e.g. production) at a published version, atomically and audited',
      auth: CREATORS,
      params: AliasParams,
      body: AliasBody,
      responses: { 200: { description: 'The artifact', schema: ArtifactView }, ...ERROR_RESPONSES, 404: NOT_FOUND, 422: RULE },
    }),
    deleteArtifactAlias: r({
      method: 'DELETE',
      path: `${base}/{id}/aliases/{alias}`,
      summary: 'A steward removes an alias',
      auth: CREATORS,
      params: AliasParams,
      responses: { 200: { description: 'The artifact', schema: ArtifactView }, ...ERROR_RESPONSES, 404: NOT_FOUND },
    }),
    createArtifactUpload: r({
      method: 'POST',
      path: `${v}/uploads`,
      summary: "A steward uploads a manifest file into the hub's storage: presigned URLs with a SHA-256 per part",
      auth: CREATORS,
      params: VersionParams,
      body: CreateUploadBody,
      responses: { 201: { description: 'Where to PUT each part, and the headers to send', schema: UploadView }, ...ERROR_RESPONSES, 404: NOT_FOUND, 409: CONFLICT, 413: { description: 'Larger than hub uploads take', schema: ErrorSchema } },
    }),
    resumeArtifactUpload: r({
      method: 'GET',
      path: `${v}/uploads/{uploadId}`,
      summary: 'Resumes an open upload: the parts S3 already holds (with their ETags), and fresh presigned URLs for the others',
      description:
        'For an upload interrupted midway (or whose URLs expired): each part is either uploaded (S3 holds it, at the declared size and SHA-256; its ETag is what completing needs) or comes with a new URL and the headers to send. expiresAt is when the new URLs expire. Nothing changes on the server. An upload that is verified or failed, whose file the manifest now states differently, or whose multipart upload S3 no longer holds (incomplete ones are aborted after two days) answers 409: start a new one.',
      auth: CREATORS,
      params: UploadParams,
      responses: {
        200: { description: 'The upload: parts held, and URLs for the rest', schema: UploadView },
        ...ERROR_RESPONSES,
        404: { description: 'No such upload, artifact or version (or not visible to the caller)', schema: ErrorSchema },
        409: { description: 'The upload cannot be resumed (verified, failed, stale against the manifest, or gone from S3), or the version no longer changes', schema: ErrorSchema },
      },
    }),
    completeArtifactUpload: r({
      method: 'POST',
      path: `${v}/uploads/{uploadId}`,
      summary: 'Completes an upload and checks each part and the file against their SHA-256',
      auth: CREATORS,
      params: UploadParams,
      body: CompleteUploadBody,
      responses: { 200: { description: 'The upload, verified', schema: UploadView }, ...ERROR_RESPONSES, 404: NOT_FOUND, 422: RULE },
    }),
    getArtifactFile: r({
      method: 'GET',
      path: `${v}/files/{path+}`,
      summary: "Downloads a file from the hub's copy (a short-lived redirect), for callers permitted to use the data",
      auth: ANY,
      params: FileParams,
      responses: { 302: { description: 'Redirect to the file' }, ...ERROR_RESPONSES, 404: NOT_FOUND, 409: { description: 'The hub holds no verified copy', schema: ErrorSchema } },
    }),
    getPublicArtifacts: r({
      method: 'GET',
      path: pub,
      summary: 'Search public datasets or models without a token',
      auth: 'public',
      params: KindParams,
      query: SearchQuery,
      responses: { 200: { description: 'A page of hits', schema: SearchPage }, 400: ERROR_RESPONSES[400] },
    }),
    getPublicArtifact: r({
      method: 'GET',
      path: `${pub}/{id}`,
      summary: 'A public dataset or model, without a token',
      auth: 'public',
      params: ArtifactParams,
      responses: { 200: { description: 'The artifact', schema: ArtifactView }, 404: NOT_FOUND },
    }),
    getPublicArtifactVersion: r({
      method: 'GET',
      path: `${pub}/{id}/versions/{version}`,
      summary: "A public version's landing document; its renderings by format or content negotiation",
      auth: 'public',
      params: VersionParams,
      query: MetadataQuery,
      responses: {
        200: { description: 'The version, or its rendering', schema: z.record(z.string(), z.unknown()), contentTypes: METADATA_TYPES },
        404: NOT_FOUND,
        406: { description: 'No rendering in an accepted media type', schema: ErrorSchema },
      },
    }),
    getPublicArtifactManifest: r({
      method: 'GET',
      path: `${pub}/{id}/versions/{version}/manifest`,
      summary: "A public version's files",
      auth: 'public',
      params: VersionParams,
      query: MANIFEST_QUERY,
      responses: { 200: { description: 'A page of files', schema: Page(FileView) }, 404: NOT_FOUND },
    }),
  } as Record<string, RouteSpec>;
}

export const datahubApi = defineApi({
  ...artifactRoutes(),
  ...accessRoutes(),
  ...verificationRoutes,
  getContext: {
    method: 'GET',
    path: '/v1/public/contexts/{name}',
    tag: 'datahub',
    summary: 'JSON-LD contexts KAIRR serves for its renderings (DCAT-AP 3.0.1, repaired for JSON-LD 1.1)',
    auth: 'public',
    params: z.strictObject({ name: z.string().check(z.maxLength(64)) }),
    responses: { 200: { description: 'The context', schema: z.record(z.string(), z.unknown()) }, 404: { description: 'No such context', schema: ErrorSchema } },
  },
  listCuration: {
    method: 'GET',
    path: '/v1/datahub/curation',
    tag: 'datahub',
    summary: 'Versions waiting for a curator, oldest first',
    auth: ['curator', 'admin', 'auditor'],
    query: z.strictObject({ limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of versions in curation review', schema: Page(CurationItem) }, ...ERROR_RESPONSES },
  },
});

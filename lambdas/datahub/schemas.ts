// The data hub's request bodies and response views (strict zod/mini; types derived from them).
// Shapes only: what a value means (an SPDX expression, a safe path, a field of science) is checked
// by the domain, which names each bad field the same way.
import * as z from 'zod/mini';
import { ACCESS_LEVELS, ARTIFACT_KINDS, LOCATION_STATES, VERSION_STATES } from '../domain/datahub/model';
import { ApplicationSchema, DECISIONS, GATES } from '../domain/datahub/application';

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const SUB = z.string().check(z.minLength(1), z.maxLength(128));
export const ARTIFACT_ID = /^(ds|model)-[0-9a-z]{26}$/;
const ArtifactIdString = z.string().check(z.regex(ARTIFACT_ID));
const VersionString = z.string().check(z.regex(/^\d{1,6}\.\d{1,6}\.\d{1,6}$/));

export const BilingualSchema = (max: number) => z.strictObject({ ko: z.optional(text(max)), en: z.optional(text(max)) });

export const VersionRefSchema = z.strictObject({ artifactId: ArtifactIdString, version: VersionString });

export const ModelCardSchema = z.strictObject({
  language: z._default(z.array(z.string().check(z.maxLength(16))).check(z.maxLength(50)), []),
  library_name: z.optional(z.string().check(z.maxLength(96))),
  pipeline_tag: z.optional(z.string().check(z.maxLength(64))),
  tags: z._default(z.array(z.string().check(z.maxLength(96))).check(z.maxLength(50)), []),
  base_model: z._default(z.array(z.string().check(z.maxLength(200))).check(z.maxLength(20)), []),
  base_model_relation: z.optional(z.string().check(z.maxLength(32))),
  datasets: z._default(z.array(z.string().check(z.maxLength(200))).check(z.maxLength(50)), []),
  metrics: z._default(z.array(z.string().check(z.maxLength(96))).check(z.maxLength(50)), []),
  body: z.optional(z.string().check(z.maxLength(50_000))),
});

export const OwnerBody = z.union([z.strictObject({ type: z.literal('person') }), z.strictObject({ type: z.literal('organisation'), orgId: z.string().check(z.maxLength(64)) })]);

export const CreateArtifactBody = z.strictObject({
  name: BilingualSchema(300),
  description: BilingualSchema(10_000),
  keywords: z._default(z.array(text(64)).check(z.maxLength(30)), []),
  /** OECD FORD code, e.g. "1.2" (computer and information sciences). */
  fieldOfScience: z.string().check(z.maxLength(8)),
  /** An SPDX licence expression, e.g. "CC-BY-4.0" or "MIT OR Apache-2.0". */
  licence: z.string().check(z.maxLength(512)),
  accessLevel: z.enum(ACCESS_LEVELS),
  /** Defaults to the caller as a person; an organisation is named by its registry id. */
  owner: z.optional(OwnerBody),
  /** More stewards besides the caller (OIDC subjects). */
  stewards: z._default(z.array(SUB).check(z.maxLength(20)), []),
  /** The data access committee for restricted data (subjects); without it the stewards decide. */
  committee: z.optional(z.array(SUB).check(z.maxLength(20))),
  /** The terms applicants accept; without it the hub's default terms. */
  termsText: z.optional(text(20_000)),
});
export type CreateArtifactBody = z.infer<typeof CreateArtifactBody>;

export const UpdateArtifactBody = z.strictObject({
  name: z.optional(BilingualSchema(300)),
  description: z.optional(BilingualSchema(10_000)),
  keywords: z.optional(z.array(text(64)).check(z.maxLength(30))),
  fieldOfScience: z.optional(z.string().check(z.maxLength(8))),
  licence: z.optional(z.string().check(z.maxLength(512))),
  accessLevel: z.optional(z.enum(ACCESS_LEVELS)),
  stewards: z.optional(z.array(SUB).check(z.minLength(1), z.maxLength(21))),
  committee: z.optional(z.array(SUB).check(z.maxLength(20))),
  termsText: z.optional(text(20_000)),
  reason: z.optional(text(500)),
});
export type UpdateArtifactBody = z.infer<typeof UpdateArtifactBody>;

export const CreateVersionBody = z.strictObject({
  version: z.string().check(z.maxLength(20)),
  changelog: z._default(z.string().check(z.maxLength(10_000)), ''),
  derivedFrom: z._default(z.array(VersionRefSchema).check(z.maxLength(50)), []),
  modelCard: z.optional(ModelCardSchema),
});
export type CreateVersionBody = z.infer<typeof CreateVersionBody>;

export const UpdateVersionBody = z.strictObject({
  changelog: z.optional(z.string().check(z.maxLength(10_000))),
  derivedFrom: z.optional(z.array(VersionRefSchema).check(z.maxLength(50))),
  modelCard: z.optional(ModelCardSchema),
});
export type UpdateVersionBody = z.infer<typeof UpdateVersionBody>;

export const ManifestPageBody = z.strictObject({
  files: z.array(z.strictObject({ path: z.string().check(z.maxLength(4096)), bytes: z.number(), sha256: z.string().check(z.maxLength(128)), mediaType: z.string().check(z.maxLength(256)) })).check(z.maxLength(1_000)),
});
export type ManifestPageBody = z.infer<typeof ManifestPageBody>;

export const TRANSITIONS = ['submit', 'publish', 'return', 'deprecate'] as const;
export const TransitionBody = z.strictObject({
  action: z.enum(TRANSITIONS),
  /** return: required, what to change; publish: optional. */
  note: z.optional(text(2_000)),
  /** deprecate: required. */
  reason: z.optional(text(2_000)),
  /** deprecate: required, a published version of this or another artifact. */
  successor: z.optional(VersionRefSchema),
});
export type TransitionBody = z.infer<typeof TransitionBody>;

export const AddLocationBody = z.strictObject({
  siteId: z.string().check(z.maxLength(32)),
  /** A storage root of the site, as datahub.siteStorage names it in the stage config. */
  root: z.string().check(z.maxLength(64)),
  /** The version's directory under that root, relative. */
  path: z.string().check(z.maxLength(1024)),
});

export const AliasBody = z.strictObject({ version: VersionString });

export const CreateUploadBody = z.strictObject({
  /** A file of the version's manifest. */
  path: z.string().check(z.maxLength(4096)),
  /** How the client cut the file: each part's size and SHA-256 (one part: a single PUT). */
  parts: z.array(z.strictObject({ bytes: z.number(), sha256: z.string().check(z.maxLength(128)) })).check(z.minLength(1), z.maxLength(10_000)),
});
export type CreateUploadBody = z.infer<typeof CreateUploadBody>;

export const CompleteUploadBody = z.strictObject({
  /** Multipart uploads: the ETag S3 answered for each part, in part order. */
  etags: z._default(z.array(z.string().check(z.maxLength(256))).check(z.maxLength(10_000)), []),
});

// ---- views --------------------------------------------------------------------------------------

const Bilingual = z.object({ ko: z.optional(z.string()), en: z.optional(z.string()) });

export const ArtifactView = z.object({
  id: z.string(),
  kind: z.enum(ARTIFACT_KINDS),
  owner: z.object({ type: z.enum(['person', 'organisation']), sub: z.optional(z.string()), orgId: z.optional(z.string()) }),
  stewards: z.optional(z.array(z.string())),
  name: Bilingual,
  description: Bilingual,
  keywords: z.array(z.string()),
  fieldOfScience: z.string(),
  licence: z.string(),
  accessLevel: z.enum(ACCESS_LEVELS),
  aliases: z.record(z.string(), z.string()),
  latestVersion: z.optional(z.string()),
  publishedVersions: z.array(z.string()),
  sites: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  searchIndex: z.optional(z.enum(['current', 'pending', 'none'])),
  committee: z.optional(z.array(z.string())),
  termsText: z.optional(z.string()),
});

export const VersionView = z.object({
  artifactId: z.string(),
  kind: z.enum(ARTIFACT_KINDS),
  version: z.string(),
  state: z.enum(VERSION_STATES),
  changelog: z.string(),
  derivedFrom: z.array(z.object({ artifactId: z.string(), version: z.string() })),
  files: z.number(),
  bytes: z.number(),
  formats: z.array(z.string()),
  pages: z.record(z.string(), z.object({ files: z.number(), bytes: z.number(), digest: z.string() })),
  licence: z.optional(z.string()),
  modelCard: z.optional(z.record(z.string(), z.unknown())),
  createdAt: z.string(),
  submittedAt: z.optional(z.string()),
  curationNote: z.optional(z.string()),
  publishedAt: z.optional(z.string()),
  deprecatedAt: z.optional(z.string()),
  deprecationReason: z.optional(z.string()),
  successor: z.optional(z.object({ artifactId: z.string(), version: z.string() })),
  aliases: z.optional(z.array(z.string())),
});

export const LocationView = z.object({
  locationId: z.string(),
  kind: z.enum(['hub', 'site']),
  siteId: z.optional(z.string()),
  root: z.optional(z.string()),
  path: z.string(),
  /** The absolute path at the site (root path + path), for site copies. */
  sitePath: z.optional(z.string()),
  state: z.enum(LOCATION_STATES),
  reason: z.optional(z.string()),
  lastVerifiedAt: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const FileView = z.object({ path: z.string(), bytes: z.number(), sha256: z.string(), mediaType: z.string() });

export const SearchHit = z.object({
  id: z.string(),
  kind: z.enum(ARTIFACT_KINDS),
  name: Bilingual,
  description: Bilingual,
  licence: z.string(),
  accessLevel: z.enum(ACCESS_LEVELS),
  fieldOfScience: z.string(),
  author: z.string(),
  latestVersion: z.string(),
  status: z.enum(['current', 'deprecated']),
  bytes: z.number(),
  files: z.number(),
  formats: z.array(z.string()),
  sites: z.array(z.string()),
  keywords: z.array(z.string()),
  publishedAt: z.string(),
  lastModified: z.string(),
  score: z.optional(z.number()),
  // The Hub's field names for models (GET /api/models)
  modelId: z.optional(z.string()),
  tags: z.optional(z.array(z.string())),
  pipeline_tag: z.optional(z.string()),
  library_name: z.optional(z.string()),
  createdAt: z.optional(z.string()),
  gated: z.optional(z.boolean()),
});

export const SearchPage = z.object({
  items: z.array(SearchHit),
  /** Documents that match (exact unless a size range left edge cases unchecked: then at most this many). */
  total: z.number(),
  nextToken: z.optional(z.string()),
});

export const UploadView = z.object({
  uploadId: z.string(),
  path: z.string(),
  mode: z.enum(['single', 'multipart']),
  state: z.enum(['open', 'verified', 'failed']),
  bytes: z.number(),
  sha256: z.string(),
  parts: z.array(
    z.object({
      partNumber: z.number(),
      bytes: z.number(),
      sha256: z.string(),
      url: z.optional(z.string()),
      headers: z.optional(z.record(z.string(), z.string())),
      /** Resuming (GET …/uploads/{uploadId}): whether S3 holds this part already, and its ETag if so. */
      uploaded: z.optional(z.boolean()),
      etag: z.optional(z.string()),
    }),
  ),
  /** When the URLs in this answer expire. */
  expiresAt: z.optional(z.string()),
  reason: z.optional(z.string()),
});

export const CurationItem = z.object({ artifactId: z.string(), kind: z.enum(ARTIFACT_KINDS), version: z.string(), submittedAt: z.string(), submittedBy: z.string() });

// ---- access applications and permits (applications.ts, permits.ts) ----
const IsoTime = z.string().check(z.minLength(10), z.maxLength(40));
export const CreateApplicationBody = z.strictObject({
  purpose: text(5_000),
  /** The allocation the work runs under; the applicant and every named user must be its members. */
  allocationId: z.string().check(z.minLength(1), z.maxLength(64)),
  /** Other people who will use the data (the applicant is always one). */
  users: z._default(z.array(SUB).check(z.maxLength(50)), []),
  /** Versions applied for; empty = every published version. */
  versions: z._default(z.array(VersionString).check(z.maxLength(50)), []),
  /** Defaults to now. */
  start: z.optional(IsoTime),
  end: IsoTime,
  /**
   * The site where the data is processed: it must hold a verified copy. Required for a dataset; a
   * model may omit it, and its permit then covers the hub's verified copy only (applications.ts).
   */
  siteId: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
  /** The dataset's terms (its termsText, or the default) are accepted; their digest and the time are recorded. */
  acceptTerms: z.boolean(),
});
export type CreateApplicationBody = z.infer<typeof CreateApplicationBody>;

export const DecideApplicationBody = z.strictObject({ decision: z.enum(DECISIONS), comment: text(5_000) });
export const RevokePermitBody = z.strictObject({ reason: text(2_000) });

// The domain's application as the routes answer it, with its gate (derived, never stored); the
// flow's execution ARN is internal. One shape, so the view cannot drift from what is stored.
export const ApplicationView = z.extend(z.omit(ApplicationSchema, { executionArn: true }), {
  /** The state in Hugging Face's gated-access terms (domain/datahub/application.ts gateOf). */
  gate: z.enum(GATES),
});

export const PermitView = z.object({
  id: z.string(),
  applicationId: z.string(),
  datasets: z.array(z.string()),
  versions: z.array(z.string()),
  users: z.array(z.string()),
  sites: z.array(z.string()),
  start: z.string(),
  end: z.string(),
  state: z.enum(['active', 'pending', 'expired', 'revoked']),
  grantedAt: z.string(),
  grantedBy: z.string(),
  revokedAt: z.optional(z.string()),
  revokedBy: z.optional(z.string()),
  revokeReason: z.optional(z.string()),
});

export const PermitExportView = z.object({
  site: z.string(),
  generatedAt: z.string(),
  rows: z.array(z.object({ site: z.string(), account: z.string(), path: z.string(), from: z.string(), to: z.string(), permitId: z.string(), datasetId: z.string() })),
  /** Permitted users with no active account at the site (no row to apply). */
  usersWithoutAccount: z.number(),
});
// ---- end access ----

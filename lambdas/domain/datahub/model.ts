// The data hub's catalogue: datasets and models share one core (the artifact) and differ in their
// version metadata (a model version carries a Hugging Face model card). Plain TypeScript, no AWS:
// the store maps these to items, the renderers to Croissant, DataCite and DCAT-AP.

export const ARTIFACT_KINDS = ['dataset', 'model'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** public: anyone, metadata even without a token; registered: any signed-in user; restricted: a permit. */
export const ACCESS_LEVELS = ['public', 'registered', 'restricted'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

export const VERSION_STATES = ['draft', 'curation-review', 'published', 'deprecated'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

export const LOCATION_STATES = ['pending', 'verified', 'failed', 'removed'] as const;
export type LocationState = (typeof LOCATION_STATES)[number];

/** Text in Korean and English; at least one of the two is present. */
export interface Bilingual {
  ko?: string;
  en?: string;
}

/** A person (OIDC subject) or an organisation of the registry (resolveOrg). */
export type Owner = { type: 'person'; sub: string } | { type: 'organisation'; orgId: string };

export interface VersionRef {
  artifactId: string;
  version: string;
}

export interface Artifact {
  id: string;
  kind: ArtifactKind;
  owner: Owner;
  /** Subjects who may change the artifact and its versions (the creator is one). */
  stewards: string[];
  name: Bilingual;
  description: Bilingual;
  keywords: string[];
  /** OECD Fields of Research and Development code, e.g. "1.2" (fields.ts). */
  fieldOfScience: string;
  /** A validated SPDX licence expression, in canonical case (licence.ts). */
  licence: string;
  accessLevel: AccessLevel;
  /** alias → version; moved atomically with the artifact's audit chain. */
  aliases: Record<string, string>;
  /** The highest published (not deprecated) version, when there is one. */
  latestVersion?: string;
  /** Versions that were ever published (for "has it been public?"). */
  publishedVersions: string[];
  /** Sites holding a verified copy of any published version (search filter "site"). */
  sites: string[];
  /** The data access committee (subjects) for restricted data; absent = the stewards decide (application.ts). */
  committee?: string[];
  /** The terms an applicant accepts; absent = DEFAULT_TERMS_TEXT (application.ts). */
  termsText?: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface ManifestFile {
  /** Relative path inside the version, "/"-separated, NFC. */
  path: string;
  bytes: number;
  /** 64 lower-case hex digits. */
  sha256: string;
  mediaType: string;
}

/** What a committed manifest page holds (its files live in items of their own). */
export interface ManifestPage {
  files: number;
  bytes: number;
  /** SHA-256 of the page's canonical JSON: a re-PUT of the same page is recognised. */
  digest: string;
}

export const BASE_MODEL_RELATIONS = ['finetune', 'adapter', 'quantized', 'merge'] as const;
export type BaseModelRelation = (typeof BASE_MODEL_RELATIONS)[number];

/** Hugging Face model-card metadata (the YAML front matter of README.md). */
export interface ModelCard {
  language: string[];
  library_name?: string;
  pipeline_tag?: string;
  tags: string[];
  base_model: string[];
  base_model_relation?: BaseModelRelation;
  datasets: string[];
  metrics: string[];
  /** Free Markdown shown under the front matter. */
  body?: string;
}

export interface Version {
  artifactId: string;
  kind: ArtifactKind;
  /** MAJOR.MINOR.PATCH, as Croissant recommends. */
  version: string;
  state: VersionState;
  changelog: string;
  /** DataCite IsDerivedFrom: other dataset or model versions. */
  derivedFrom: VersionRef[];
  files: number;
  bytes: number;
  /** Distinct media types of the files (at most 50 kept). */
  formats: string[];
  pages: Record<string, ManifestPage>;
  modelCard?: ModelCard;
  /** The artifact's licence when the version was published: a published version keeps it. */
  licence?: string;
  createdAt: string;
  createdBy: string;
  submittedAt?: string;
  submittedBy?: string;
  curationNote?: string;
  publishedAt?: string;
  publishedBy?: string;
  deprecatedAt?: string;
  deprecatedBy?: string;
  deprecationReason?: string;
  successor?: VersionRef;
  /** Registered from files at a site by a pipeline stage (`pipeline.<pipelineId>.<stageId>`): a retried registration finds it and registers nothing twice. */
  registeredBy?: string;
}

export interface Location {
  artifactId: string;
  version: string;
  /** "hub" for the hub's S3 copy; "<siteId>.<root>" for a copy under a site's storage root. */
  locationId: string;
  kind: 'hub' | 'site';
  siteId?: string;
  /** The storage root's name in the stage config (datahub.siteStorage). */
  root?: string;
  /** Under the root (site) or the hub bucket's version prefix (hub); relative, "/"-separated. */
  path: string;
  state: LocationState;
  reason?: string;
  lastVerifiedAt?: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** Version labels: MAJOR.MINOR.PATCH with numbers below 1,000,000 (they sort padded in keys). */
export const VERSION_LABEL = /^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$/;

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** A version label padded so that key order is version order (1.10.0 after 1.9.0). */
export function paddedVersion(v: string): string {
  return v
    .split('.')
    .map((n) => n.padStart(6, '0'))
    .join('.');
}

export const ALIAS_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** Names KAIRR computes itself; an alias may not take them. */
export const RESERVED_ALIASES = ['latest'] as const;

export function displayName(b: Bilingual, prefer: 'en' | 'ko' = 'en'): string {
  return (prefer === 'en' ? (b.en ?? b.ko) : (b.ko ?? b.en)) ?? '';
}

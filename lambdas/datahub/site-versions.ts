// Versions registered from files at a site by a pipeline (docs/pipelines.md, "Registrations"), and
// the copies a pipeline's transfer verified. The manifest was made at the site by the registration
// job; the hub records it, with the site's copy as a `verified` location, in one transaction: the
// version (draft, its pages committed), the location, their audit events. The file items are
// written first; until the version commits they belong to no committed page and are invisible.
// Idempotent: a version remembers the stage that registered it (`registeredBy`), so a retried step
// or stage finds its version and registers nothing twice.
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { canEdit } from '../domain/datahub/access';
import { MANIFEST_LIMITS, mergeFormats, pageSummary, totals, validatePage, type Problem } from '../domain/datahub/manifest';
import { VERSION_LABEL, type Location, type ManifestFile, type ManifestPage, type Version, type VersionRef } from '../domain/datahub/model';
import { datahubKeys } from '../shared/store/keys';
import type { AuditContext } from '../shared/store/write-path';
import { batchWrite } from './manifest';
import { copiesChanged } from './copies';
import { artifactOf, commitDatahub, getItem, locationItem, locationOf, queryAllPrefix, readVersion, SUBJECT, versionChange } from './store';

const readAnyArtifact = async (id: string) => {
  const item = await getItem(datahubKeys.artifact(id));
  return item ? artifactOf(item) : null;
};

/** The storage root pipelines use at every site (their `pipelines.storage.<site>.root`), as a location's root name. */
export const PIPELINES_ROOT = 'pipelines';

export interface SiteVersionInput {
  artifactId: string;
  version: string;
  /** The stage that registers it (`pipeline.<pipelineId>.<stageId>`). */
  registeredBy: string;
  changelog: string;
  derivedFrom: VersionRef[];
  files: ManifestFile[];
  siteId: string;
  /** The version's folder, relative to the site's pipelines storage root. */
  path: string;
}

const siteLocation = (artifactId: string, version: string, siteId: string, path: string, by: string, now: string): Location => ({
  artifactId,
  version,
  locationId: `${siteId}.${PIPELINES_ROOT}`,
  kind: 'site',
  siteId,
  root: PIPELINES_ROOT,
  path,
  state: 'verified',
  lastVerifiedAt: now,
  createdAt: now,
  createdBy: by,
  updatedAt: now,
});

function pagesOf(files: ManifestFile[]): { pages: Record<string, ManifestPage>; byPage: ManifestFile[][] } {
  const byPage: ManifestFile[][] = [];
  for (let i = 0; i < files.length; i += MANIFEST_LIMITS.maxFilesPerPage) byPage.push(files.slice(i, i + MANIFEST_LIMITS.maxFilesPerPage));
  return { pages: Object.fromEntries(byPage.map((f, i) => [String(i + 1), pageSummary(f)])), byPage };
}

/**
 * Registers a new draft version from a manifest made at a site, as the pipeline's owner (ctx.actor),
 * who must steward the artifact. Answers the version and whether this call created it.
 */
export async function registerSiteVersion(input: SiteVersionInput, ctx: AuditContext): Promise<{ version: Version; created: boolean }> {
  const a = await readAnyArtifact(input.artifactId);
  if (!a) throw new NotFoundError('Artifact', input.artifactId);
  if (!canEdit(a, { sub: ctx.actor.sub, roles: [ctx.actor.role] })) throw new ForbiddenError(`Only a steward of ${a.id} adds versions to it`);
  const existing = await readVersion(input.artifactId, input.version);
  if (existing) {
    if (existing.version.registeredBy !== input.registeredBy) throw new ConflictError(`Version ${input.version} of ${input.artifactId} exists, made by someone else`, [{ path: 'version', problem: 'exists already' }], 'version_exists');
    return { version: existing.version, created: false };
  }
  const problems: Problem[] = [];
  if (!VERSION_LABEL.test(input.version)) problems.push({ path: 'version', problem: 'must be MAJOR.MINOR.PATCH, e.g. 1.0.0' });
  if (input.files.length > MANIFEST_LIMITS.maxFiles) problems.push({ path: 'files', problem: `must list at most ${MANIFEST_LIMITS.maxFiles} files` });
  const { pages, byPage } = pagesOf(input.files);
  byPage.forEach((f, i) => problems.push(...validatePage(f, `pages[${i + 1}].files`).problems));
  if (problems.length) throw new ValidationError(problems.slice(0, 50), `The manifest made at ${input.siteId} is invalid: ${problems[0].path} ${problems[0].problem}`);

  const stats = { requests: 0, consumedWcu: 0, readUnits: 0 };
  await batchWrite(
    byPage.flatMap((files, i) => files.map((f) => ({ ...datahubKeys.manifestFile(input.artifactId, input.version, f.path), ...f, page: i + 1 }))),
    stats,
  );
  const now = (ctx.now ?? new Date()).toISOString();
  const t = totals(pages);
  const v: Version = {
    artifactId: a.id,
    kind: a.kind,
    version: input.version,
    state: 'draft',
    changelog: input.changelog,
    derivedFrom: input.derivedFrom,
    files: t.files,
    bytes: t.bytes,
    formats: mergeFormats([], input.files),
    pages,
    createdAt: now,
    createdBy: ctx.actor.sub,
    registeredBy: input.registeredBy,
  };
  const l = siteLocation(a.id, input.version, input.siteId, input.path, ctx.actor.sub, now);
  try {
    await commitDatahub(ctx, {
      changes: [
        versionChange(null, v, `${a.kind}.version.register-from-site`, { version: v.version, registeredBy: input.registeredBy, files: t.files, bytes: t.bytes, siteId: input.siteId }),
        { subject: SUBJECT.location(l), before: null, after: locationItem(l), action: `${a.kind}.location.verified`, details: { siteId: l.siteId, root: l.root, path: l.path, by: input.registeredBy } },
      ],
    });
  } catch (e) {
    if ((e as { code?: string }).code !== 'stale_write') throw e;
    // a concurrent retry of the same step committed first: its version is this one
    const raced = await readVersion(input.artifactId, input.version);
    if (raced?.version.registeredBy === input.registeredBy) return { version: raced.version, created: false };
    throw new ConflictError(`Version ${input.version} of ${input.artifactId} exists, made by someone else`, [{ path: 'version', problem: 'exists already' }], 'version_exists');
  }
  await copiesChanged(a.id, a.kind);
  return { version: v, created: true };
}

/**
 * A copy a pipeline's transfer verified at a site (every file's SHA-256 checked there against the
 * manifest): recorded `verified`, or re-verified when the location is known already.
 */
export async function recordVerifiedCopy(artifactId: string, version: string, siteId: string, path: string, by: string, ctx: AuditContext): Promise<Location> {
  const key = datahubKeys.location(artifactId, version, `${siteId}.${PIPELINES_ROOT}`);
  const before = await getItem(key);
  const now = (ctx.now ?? new Date()).toISOString();
  const prior = before ? locationOf(before) : undefined;
  const l: Location = prior ? { ...prior, path, state: 'verified', lastVerifiedAt: now, updatedAt: now } : siteLocation(artifactId, version, siteId, path, ctx.actor.sub, now);
  if (prior && 'reason' in l) delete l.reason;
  const kind = (await readAnyArtifact(artifactId))?.kind ?? 'dataset';
  await commitDatahub(ctx, { changes: [{ subject: SUBJECT.location(l), before, after: locationItem(l), action: `${kind}.location.verified`, details: { siteId, root: PIPELINES_ROOT, path, by } }] });
  await copiesChanged(artifactId, kind);
  return l;
}

/** The labels of an artifact's versions (any state), to pick the next one. */
export async function versionLabels(artifactId: string): Promise<string[]> {
  const { pk, skPrefix } = datahubKeys.versionPrefix(artifactId);
  return (await queryAllPrefix(pk, skPrefix)).map((it) => String(it.version));
}

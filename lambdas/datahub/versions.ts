// Versions: drafts, edits of drafts, and the lifecycle transitions. Publishing commits the version
// and the artifact together (one transaction, two audit events), then re-indexes the artifact.
import { ConflictError, ForbiddenError, NotFoundError, RuleViolationError, ValidationError } from '../domain/errors';
import { canEdit, canReadArtifact, canReadVersion, type Viewer } from '../domain/datahub/access';
import { applyTransition, assertMutable, authorizeTransition, type Transition } from '../domain/datahub/lifecycle';
import { compareVersions, VERSION_LABEL, type Artifact, type ArtifactKind, type ModelCard, type Version, type VersionRef } from '../domain/datahub/model';
import { modelCardProblems } from '../domain/datahub/model-card';
import type { Problem } from '../domain/datahub/manifest';
import { retryOnStale, type AuditContext, type SideWrite } from '../shared/store/write-path';
import { datahubGsi, datahubKeys } from '../shared/store/keys';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { artifactChange, commitDatahub, queryIndex, queryPrefix, readArtifact, readArtifactAndVersion, readVersion, versionChange, versionOf, docNoOf } from './store';
import { reindexQuietly, resolveVersionName } from './artifacts';
import { nextDocNo, markPending } from './search-index';
import { checkManifestForSubmit } from './manifest';
import type { CreateVersionBody, TransitionBody, UpdateVersionBody } from './schemas';

const label = (k: ArtifactKind) => (k === 'dataset' ? 'Dataset' : 'Model');

function cardOf(kind: ArtifactKind, raw: CreateVersionBody['modelCard'], problems: Problem[]): ModelCard | undefined {
  if (!raw) return undefined;
  if (kind !== 'model') {
    problems.push({ path: 'modelCard', problem: 'is for models only' });
    return undefined;
  }
  const card = raw as ModelCard;
  problems.push(...modelCardProblems(card));
  return card;
}

async function derivedProblems(refs: VersionRef[], self: VersionRef): Promise<Problem[]> {
  const out: Problem[] = [];
  await Promise.all(
    refs.map(async (r, i) => {
      if (r.artifactId === self.artifactId && r.version === self.version) {
        out.push({ path: `derivedFrom[${i}]`, problem: 'names the version itself' });
        return;
      }
      const v = await readVersion(r.artifactId, r.version);
      if (!v || (v.version.state !== 'published' && v.version.state !== 'deprecated')) out.push({ path: `derivedFrom[${i}]`, problem: 'is not a published version in the catalogue' });
    }),
  );
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

const fail = (problems: Problem[]) => {
  if (problems.length) throw new ValidationError(problems, `The request is invalid: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`);
};

function forbidUnlessSteward(a: Artifact, viewer: Viewer, what: string): void {
  if (!canEdit(a, viewer)) throw canReadArtifact(a, viewer) ? new ForbiddenError(`Only a steward of the artifact (or an admin) ${what}`) : new NotFoundError(label(a.kind), a.id);
}

export async function createVersion(kind: ArtifactKind, id: string, body: CreateVersionBody, viewer: Viewer, ctx: AuditContext, sideWrites: (v: Version) => SideWrite[] = () => []): Promise<Version> {
  const problems: Problem[] = [];
  if (!VERSION_LABEL.test(body.version)) problems.push({ path: 'version', problem: 'must be MAJOR.MINOR.PATCH, e.g. 1.0.0' });
  const card = cardOf(kind, body.modelCard, problems);
  problems.push(...(await derivedProblems(body.derivedFrom, { artifactId: id, version: body.version })));
  fail(problems);
  const { artifact: a } = await readArtifact(kind, id);
  forbidUnlessSteward(a, viewer, 'adds versions');
  const now = (ctx.now ?? new Date()).toISOString();
  const v: Version = {
    artifactId: id,
    kind,
    version: body.version,
    state: 'draft',
    changelog: body.changelog,
    derivedFrom: body.derivedFrom,
    files: 0,
    bytes: 0,
    formats: [],
    pages: {},
    ...(card ? { modelCard: card } : {}),
    createdAt: now,
    createdBy: ctx.actor.sub,
  };
  try {
    await commitDatahub(ctx, { changes: [versionChange(null, v, `${kind}.version.create`, { version: v.version })], sideWrites: sideWrites(v) });
  } catch (e) {
    if ((e as { code?: string }).code === 'stale_write') throw new ConflictError(`Version ${body.version} of ${id} exists`, [{ path: 'version', problem: 'exists already' }], 'version_exists');
    throw e;
  }
  return v;
}

export async function updateVersion(kind: ArtifactKind, id: string, version: string, body: UpdateVersionBody, viewer: Viewer, ctx: AuditContext): Promise<Version> {
  const problems: Problem[] = [];
  const card = cardOf(kind, body.modelCard, problems);
  if (body.derivedFrom) problems.push(...(await derivedProblems(body.derivedFrom, { artifactId: id, version })));
  fail(problems);
  return retryOnStale(async () => {
    const { artifact: a, version: v, versionItem } = await readArtifactAndVersion(kind, id, version);
    if (!v || !versionItem || !canReadVersion(a, v.state, viewer)) throw new NotFoundError('Version', `${id}@${version}`);
    forbidUnlessSteward(a, viewer, 'edits a version');
    assertMutable(v);
    const next: Version = { ...v, ...(body.changelog !== undefined ? { changelog: body.changelog } : {}), ...(body.derivedFrom ? { derivedFrom: body.derivedFrom } : {}), ...(card ? { modelCard: card } : {}) };
    await commitDatahub(ctx, { changes: [versionChange(versionItem, next, `${kind}.version.update`, { fields: Object.keys(body) })] });
    return next;
  });
}

export async function getVersion(kind: ArtifactKind, id: string, name: string, viewer: Viewer): Promise<{ artifact: Artifact; version: Version }> {
  const { artifact: a } = await readArtifact(kind, id);
  if (!canReadArtifact(a, viewer)) throw new NotFoundError(label(kind), id);
  const ver = resolveVersionName(a, name);
  const v = await readVersion(id, ver);
  if (!v || !canReadVersion(a, v.version.state, viewer)) throw new NotFoundError('Version', `${id}@${name}`);
  return { artifact: a, version: v.version };
}

export const aliasesOf = (a: Artifact, version: string) => [
  ...Object.entries(a.aliases)
    .filter(([, v]) => v === version)
    .map(([k]) => k),
  ...(a.latestVersion === version ? ['latest'] : []),
];

export async function listVersions(kind: ArtifactKind, id: string, viewer: Viewer, limit: number, nextToken: string | undefined): Promise<{ items: (Version & { aliases: string[] })[]; nextToken?: string }> {
  const { artifact: a } = await readArtifact(kind, id);
  if (!canReadArtifact(a, viewer)) throw new NotFoundError(label(kind), id);
  const { pk, skPrefix } = datahubKeys.versionPrefix(id);
  const page = await queryPrefix(pk, skPrefix, { limit, startKey: decodeToken(nextToken, pk), forward: false });
  const items = page.items
    .map(versionOf)
    .filter((v) => canReadVersion(a, v.state, viewer))
    .map((v) => ({ ...v, aliases: aliasesOf(a, v.version) }));
  return { items, nextToken: encodeToken(page.nextKey, pk) };
}

function transitionOf(body: TransitionBody): Transition {
  switch (body.action) {
    case 'submit':
      return { action: 'submit' };
    case 'publish':
      return { action: 'publish', note: body.note };
    case 'return':
      if (!body.note) throw ValidationError.field('note', 'is required to return a version: tell the stewards what to change');
      return { action: 'return', note: body.note };
    case 'deprecate': {
      const problems: Problem[] = [];
      if (!body.reason) problems.push({ path: 'reason', problem: 'is required to deprecate a version' });
      if (!body.successor) problems.push({ path: 'successor', problem: 'is required: name the version that replaces it' });
      fail(problems);
      return { action: 'deprecate', reason: body.reason!, successor: body.successor! };
    }
  }
}

/** The highest published (not deprecated) version once `changed` has its new state. */
function latestAfter(changed: Version, others: Version[]): string | undefined {
  const all = [...others.filter((o) => o.version !== changed.version), changed].filter((v) => v.state === 'published').map((v) => v.version);
  return all.sort(compareVersions).pop();
}

export async function transition(kind: ArtifactKind, id: string, version: string, body: TransitionBody, viewer: Viewer, ctx: AuditContext): Promise<Version> {
  const t = transitionOf(body);
  const out = await retryOnStale(async () => {
    const { artifact: a, artifactItem, version: v, versionItem } = await readArtifactAndVersion(kind, id, version);
    if (!v || !versionItem || !canReadVersion(a, v.state, viewer)) throw new NotFoundError('Version', `${id}@${version}`);
    authorizeTransition(a, t, viewer);
    const now = ctx.now ?? new Date();
    if (t.action === 'submit' && v.state === 'draft') await checkManifestForSubmit(a, v, ctx);
    if (t.action === 'deprecate') {
      const s = await readVersion(t.successor.artifactId, t.successor.version);
      if (s?.version.state !== 'published') throw new RuleViolationError('The successor must be a published version', [{ path: 'successor', problem: 'is not a published version in the catalogue' }], 'successor_not_published');
    }
    let next = applyTransition(v, t, ctx.actor.sub, now);
    const details = { version: v.version, from: v.state, to: next.state, ...(t.action === 'deprecate' ? { successor: t.successor } : {}) };
    if (t.action !== 'publish' && t.action !== 'deprecate') {
      await commitDatahub(ctx, { changes: [versionChange(versionItem, next, `${kind}.version.${t.action}`, details)] });
      return { next, indexed: false };
    }
    // Publishing or deprecating changes what the artifact shows: commit both, audited together.
    if (t.action === 'publish') next = { ...next, licence: a.licence };
    const others = (await queryPrefix(datahubKeys.versionPrefix(id).pk, 'VER#')).items.map(versionOf);
    const published = t.action === 'publish' ? [...new Set([...a.publishedVersions, v.version])] : a.publishedVersions;
    const docNo = docNoOf(artifactItem) ?? (t.action === 'publish' ? await nextDocNo(kind) : undefined);
    const aliases = t.action === 'deprecate' ? Object.fromEntries(Object.entries(a.aliases).filter(([, x]) => x !== v.version)) : a.aliases;
    const nextA: Artifact = { ...a, publishedVersions: published, latestVersion: latestAfter(next, others), aliases, updatedAt: now.toISOString() };
    if (!nextA.latestVersion) delete nextA.latestVersion;
    await commitDatahub(ctx, {
      changes: [
        versionChange(versionItem, next, `${kind}.version.${t.action}`, details),
        artifactChange(
          artifactItem,
          nextA,
          `${kind}.${t.action === 'publish' ? 'version-published' : 'version-deprecated'}`,
          { version: v.version, latestVersion: nextA.latestVersion ?? null, ...(Object.keys(aliases).length !== Object.keys(a.aliases).length ? { aliasesRemoved: Object.keys(a.aliases).filter((k) => !(k in aliases)) } : {}) },
          docNo,
        ),
      ],
    });
    return { next, indexed: true };
  });
  if (out.indexed) {
    await markPending(id).catch(() => undefined);
    await reindexQuietly(id);
  }
  return out.next;
}

export async function listCuration(limit: number, nextToken: string | undefined) {
  const pk = datahubGsi.versionsInState('curation-review');
  const page = await queryIndex('gsi2', pk, { limit, startKey: decodeToken(nextToken, pk) });
  const items = page.items.map(versionOf).map((v) => ({ artifactId: v.artifactId, kind: v.kind, version: v.version, submittedAt: v.submittedAt ?? v.createdAt, submittedBy: v.submittedBy ?? v.createdBy }));
  return { items, nextToken: encodeToken(page.nextKey, pk) };
}

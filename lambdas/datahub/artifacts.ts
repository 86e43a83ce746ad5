// Artifacts: create, read, edit, aliases. Each change is one audited commit of the artifact (plus
// its steward index items); a published artifact is re-indexed for search after the commit.
import { ForbiddenError, NotFoundError, RuleViolationError, ValidationError } from '../domain/errors';
import { newId } from '../domain/ids';
import { canEdit, canReadArtifact, type Viewer } from '../domain/datahub/access';
import { fieldOfScience } from '../domain/datahub/fields';
import { parseLicence } from '../domain/datahub/licence';
import { ALIAS_NAME, RESERVED_ALIASES, VERSION_LABEL, type Artifact, type ArtifactKind, type Owner } from '../domain/datahub/model';
import type { Problem } from '../domain/datahub/manifest';
import { retryOnStale, type AuditContext, type SideWrite } from '../shared/store/write-path';
import { datahubKeys } from '../shared/store/keys';
import { resolveOrg } from './orgs';
import { artifactChange, commitDatahub, readArtifact, readVersion, stewardItem } from './store';
import { indexStateOf, reindex } from './search-index';
import type { CreateArtifactBody, UpdateArtifactBody } from './schemas';

const ID_PREFIX: Record<ArtifactKind, string> = { dataset: 'ds', model: 'model' };

export function bilingualProblems(b: { ko?: string; en?: string } | undefined, path: string): Problem[] {
  if (b && !b.ko && !b.en) return [{ path, problem: 'needs a Korean (ko) or an English (en) text, or both' }];
  return [];
}

function coreProblems(body: Partial<CreateArtifactBody>): { problems: Problem[]; licence?: string } {
  const problems: Problem[] = [...bilingualProblems(body.name, 'name'), ...bilingualProblems(body.description, 'description')];
  if (body.fieldOfScience !== undefined && !fieldOfScience(body.fieldOfScience)) problems.push({ path: 'fieldOfScience', problem: 'must be an OECD field of science code such as "1.2" (computer and information sciences)' });
  let licence: string | undefined;
  if (body.licence !== undefined) {
    const l = parseLicence(body.licence);
    if (l.ok) licence = l.expression;
    else problems.push({ path: 'licence', problem: l.problem });
  }
  return { problems, licence };
}

const fail = (problems: Problem[]) => {
  if (problems.length) throw new ValidationError(problems, `The request is invalid: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`);
};

export async function createArtifact(kind: ArtifactKind, body: CreateArtifactBody, ctx: AuditContext, sideWrites: (a: Artifact) => SideWrite[] = () => []): Promise<Artifact> {
  const { problems, licence } = coreProblems(body);
  let owner: Owner = { type: 'person', sub: ctx.actor.sub };
  if (body.owner?.type === 'organisation') {
    const org = await resolveOrg(body.owner.orgId);
    if (org.ok) owner = { type: 'organisation', orgId: org.orgId };
    else problems.push({ path: 'owner.orgId', problem: org.problem });
  }
  fail(problems);
  const now = (ctx.now ?? new Date()).toISOString();
  const stewards = [...new Set([ctx.actor.sub, ...body.stewards])];
  const a: Artifact = {
    id: newId(ID_PREFIX[kind]),
    kind,
    owner,
    stewards,
    name: body.name,
    description: body.description,
    keywords: [...new Set(body.keywords)],
    fieldOfScience: body.fieldOfScience,
    licence: licence!,
    accessLevel: body.accessLevel,
    aliases: {},
    publishedVersions: [],
    sites: [],
    // ---- access: the committee and the terms (applications.ts) ----
    ...(body.committee?.length ? { committee: [...new Set(body.committee)] } : {}),
    ...(body.termsText ? { termsText: body.termsText } : {}),
    createdAt: now,
    createdBy: ctx.actor.sub,
    updatedAt: now,
  };
  await commitDatahub(ctx, {
    changes: [artifactChange(null, a, `${kind}.create`, { accessLevel: a.accessLevel, licence: a.licence, owner })],
    sideWrites: [...stewards.map((s) => ({ put: stewardItem(a, s) })), ...sideWrites(a)],
  });
  return a;
}

export async function getArtifact(kind: ArtifactKind, id: string, viewer: Viewer): Promise<Artifact & { searchIndex?: 'current' | 'pending' | 'none' }> {
  const { artifact } = await readArtifact(kind, id);
  if (!canReadArtifact(artifact, viewer)) throw new NotFoundError(kind === 'dataset' ? 'Dataset' : 'Model', id);
  if (!canEdit(artifact, viewer) && !viewer.roles.includes('curator') && !viewer.roles.includes('auditor')) {
    const { stewards: _s, ...rest } = artifact;
    return rest as Artifact;
  }
  return { ...artifact, searchIndex: await indexStateOf(id) };
}

/** Re-indexes after a committed change; a failure leaves the INDEX item behind (state pending), never the change. */
export async function reindexQuietly(id: string): Promise<void> {
  try {
    await reindex(id);
  } catch {
    // The audited change stands; the artifact shows searchIndex "pending" until a reindex succeeds.
  }
}

export async function updateArtifact(kind: ArtifactKind, id: string, body: UpdateArtifactBody, viewer: Viewer, ctx: AuditContext): Promise<Artifact> {
  const { problems, licence } = coreProblems(body);
  if (body.stewards && !body.stewards.length) problems.push({ path: 'stewards', problem: 'must keep at least one steward' });
  fail(problems);
  const out = await retryOnStale(async () => {
    const { artifact: a, item } = await readArtifact(kind, id);
    if (!canEdit(a, viewer)) throw canReadArtifact(a, viewer) ? new ForbiddenError('Only a steward of the artifact (or an admin) edits it') : new NotFoundError(kind === 'dataset' ? 'Dataset' : 'Model', id);
    const next: Artifact = {
      ...a,
      ...(body.name ? { name: body.name } : {}),
      ...(body.description ? { description: body.description } : {}),
      ...(body.keywords ? { keywords: [...new Set(body.keywords)] } : {}),
      ...(body.fieldOfScience ? { fieldOfScience: body.fieldOfScience } : {}),
      ...(licence ? { licence } : {}),
      ...(body.accessLevel ? { accessLevel: body.accessLevel } : {}),
      ...(body.stewards ? { stewards: [...new Set(body.stewards)] } : {}),
      ...(body.committee ? { committee: [...new Set(body.committee)] } : {}),
      ...(body.termsText ? { termsText: body.termsText } : {}),
      updatedAt: (ctx.now ?? new Date()).toISOString(),
    };
    const removed = a.stewards.filter((s) => !next.stewards.includes(s));
    const added = next.stewards.filter((s) => !a.stewards.includes(s));
    await commitDatahub(
      { ...ctx, reason: body.reason ?? ctx.reason },
      {
        changes: [
          artifactChange(item, next, `${kind}.update`, {
            fields: Object.keys(body).filter((k) => k !== 'reason'),
            ...(body.accessLevel && body.accessLevel !== a.accessLevel ? { accessLevel: { from: a.accessLevel, to: body.accessLevel } } : {}),
          }),
        ],
        sideWrites: [...added.map((s) => ({ put: stewardItem(next, s) })), ...removed.map((s) => ({ delete: datahubKeys.steward(a.id, s) }))],
      },
    );
    return next;
  });
  if (out.publishedVersions.length) await reindexQuietly(id);
  return out;
}

/** Resolves a version label, an alias or "latest" to a version label. */
export function resolveVersionName(a: Artifact, name: string): string {
  if (VERSION_LABEL.test(name)) return name;
  if (name === 'latest') {
    if (!a.latestVersion) throw new NotFoundError('Version', `${a.id}@latest`);
    return a.latestVersion;
  }
  const v = a.aliases[name];
  if (!v) throw new NotFoundError('Version', `${a.id}@${name}`);
  return v;
}

export async function putAlias(kind: ArtifactKind, id: string, alias: string, version: string, viewer: Viewer, ctx: AuditContext): Promise<Artifact> {
  if (!ALIAS_NAME.test(alias)) throw ValidationError.field('params.alias', 'must be lower-case letters, digits and dashes, starting with a letter (at most 32)');
  if ((RESERVED_ALIASES as readonly string[]).includes(alias)) throw ValidationError.field('params.alias', `"${alias}" is computed by KAIRR and cannot be set`);
  return retryOnStale(async () => {
    const { artifact: a, item } = await readArtifact(kind, id);
    if (!canEdit(a, viewer)) throw canReadArtifact(a, viewer) ? new ForbiddenError('Only a steward of the artifact (or an admin) moves its aliases') : new NotFoundError(kind === 'dataset' ? 'Dataset' : 'Model', id);
    const v = await readVersion(id, version);
    if (!v) throw new NotFoundError('Version', `${id}@${version}`);
    if (v.version.state !== 'published')
      throw new RuleViolationError(`An alias points at a published version; ${version} is ${v.version.state}`, [{ path: 'version', problem: `is ${v.version.state}, not published` }], 'alias_target_not_published');
    const from = a.aliases[alias];
    if (from === version) return a;
    const next: Artifact = { ...a, aliases: { ...a.aliases, [alias]: version }, updatedAt: (ctx.now ?? new Date()).toISOString() };
    await commitDatahub(ctx, { changes: [artifactChange(item, next, `${kind}.alias.move`, { alias, from: from ?? null, to: version })] });
    return next;
  });
}

export async function deleteAlias(kind: ArtifactKind, id: string, alias: string, viewer: Viewer, ctx: AuditContext): Promise<Artifact> {
  return retryOnStale(async () => {
    const { artifact: a, item } = await readArtifact(kind, id);
    if (!canEdit(a, viewer)) throw canReadArtifact(a, viewer) ? new ForbiddenError('Only a steward of the artifact (or an admin) removes its aliases') : new NotFoundError(kind === 'dataset' ? 'Dataset' : 'Model', id);
    if (!(alias in a.aliases)) throw new NotFoundError('Alias', `${id}:${alias}`);
    const { [alias]: from, ...rest } = a.aliases;
    const next: Artifact = { ...a, aliases: rest, updatedAt: (ctx.now ?? new Date()).toISOString() };
    await commitDatahub(ctx, { changes: [artifactChange(item, next, `${kind}.alias.delete`, { alias, from })] });
    return next;
  });
}

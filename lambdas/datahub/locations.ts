// Locations: where physical copies of a version are. The hub's own copy ("hub") is created when
// a version's uploads are all verified; a copy at a site is registered by a steward as a path under
// one of the site's storage roots (stage config datahub.siteStorage) and stays pending until it is
// verified at the site (a verification job: a later wave, docs/datahub.md). Shown only to callers
// permitted to use the data (access.ts canSeeLocations).
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { canEdit, canReadVersion, canSeeLocations, type Viewer } from '../domain/datahub/access';
import { pathProblem } from '../domain/datahub/manifest';
import type { Artifact, ArtifactKind, Location, Version } from '../domain/datahub/model';
import { findSite } from '../domain/catalogue';
import { runtimeConfig } from '../shared/config';
import { datahubKeys } from '../shared/store/keys';
import type { AuditContext } from '../shared/store/write-path';
import { datahubConfig } from './config';
import { commitDatahub, locationItem, locationOf, queryAllPrefix, readArtifactAndVersion, SUBJECT } from './store';
import { permitsOf } from './permits';
import { auditRead } from './read-audit';

export interface LocationOut extends Location {
  sitePath?: string;
}

export function withSitePath(l: Location): LocationOut {
  if (l.kind !== 'site') return l;
  const root = datahubConfig().siteStorage[l.siteId!]?.roots.find((r) => r.name === l.root);
  return root ? { ...l, sitePath: `${root.path.replace(/\/$/, '')}/${l.path}` } : l;
}

/**
 * The version's copies the viewer may see. Restricted data: stewards and staff see all of them; a
 * permit holder sees the hub's copy and the copies at the sites the permit names (permits.ts);
 * anyone else is refused. Each read of restricted locations is audited (read-audit.ts).
 */
export async function listLocations(kind: ArtifactKind, id: string, version: string, viewer: Viewer, ctx?: AuditContext): Promise<LocationOut[]> {
  const cur = await readArtifactAndVersion(kind, id, version);
  const v = cur.version;
  if (!v || !canReadVersion(cur.artifact, v.state, viewer)) throw new NotFoundError('Version', `${id}@${version}`);
  const restricted = cur.artifact.accessLevel === 'restricted';
  const privileged = canSeeLocations(cur.artifact, v.state, viewer, false);
  const now = ctx?.now ?? new Date();
  // a permit holder's sites (the hub's copy is theirs under a permit at any site)
  const permits = restricted && !privileged ? await permitsOf(viewer.sub, now, id) : [];
  const sites = [...new Set(permits.flatMap((p) => p.sites))];
  if (!canSeeLocations(cur.artifact, v.state, viewer, sites.length > 0))
    throw new ForbiddenError(restricted ? 'The locations of restricted data are shown to holders of a data access permit' : 'Locations are shown to signed-in users once the version is published');
  const { pk, skPrefix } = datahubKeys.locationPrefix(id, version);
  const all = (await queryAllPrefix(pk, skPrefix)).map(locationOf).map(withSitePath);
  const shown = restricted && !privileged ? all.filter((l) => l.kind !== 'site' || sites.includes(l.siteId!)) : all;
  if (restricted && ctx) {
    const permit = permits[0];
    await auditRead(id, { what: 'locations', version: v.version, sites: [...new Set(shown.flatMap((l) => (l.siteId ? [l.siteId] : [])))], ...(permit ? { permitId: permit.id } : {}) }, ctx);
  }
  return shown;
}

export async function addSiteLocation(kind: ArtifactKind, id: string, version: string, body: { siteId: string; root: string; path: string }, viewer: Viewer, ctx: AuditContext): Promise<LocationOut> {
  const problems: { path: string; problem: string }[] = [];
  if (!findSite(runtimeConfig().sites, body.siteId)) problems.push({ path: 'siteId', problem: 'is not a site of this KAIRR' });
  else {
    const roots = datahubConfig().siteStorage[body.siteId]?.roots ?? [];
    if (!roots.length) problems.push({ path: 'siteId', problem: 'has no storage roots for the data hub (stage config datahub.siteStorage)' });
    else if (!roots.some((r) => r.name === body.root)) problems.push({ path: 'root', problem: `must be one of the site's storage roots: ${roots.map((r) => r.name).join(', ')}` });
  }
  const pp = pathProblem(body.path);
  if (pp) problems.push({ path: 'path', problem: pp });
  if (problems.length) throw new ValidationError(problems);
  const cur = await readArtifactAndVersion(kind, id, version);
  if (!cur.version || !canReadVersion(cur.artifact, cur.version.state, viewer)) throw new NotFoundError('Version', `${id}@${version}`);
  if (!canEdit(cur.artifact, viewer)) throw new ForbiddenError('Only a steward of the artifact (or an admin) registers its copies');
  const now = (ctx.now ?? new Date()).toISOString();
  const l: Location = { artifactId: id, version, locationId: `${body.siteId}.${body.root}`, kind: 'site', siteId: body.siteId, root: body.root, path: body.path, state: 'pending', createdAt: now, createdBy: ctx.actor.sub, updatedAt: now };
  try {
    await commitDatahub(ctx, { changes: [{ subject: SUBJECT.location(l), before: null, after: locationItem(l), action: `${kind}.location.register`, details: { siteId: l.siteId, root: l.root, path: l.path } }] });
  } catch (e) {
    if ((e as { code?: string }).code === 'stale_write')
      throw new ConflictError(`A copy under ${body.siteId}/${body.root} is registered already`, [{ path: 'root', problem: 'already holds a registered copy of this version' }], 'location_exists');
    throw e;
  }
  return withSitePath(l);
}

/**
 * A download link for a file of the hub's copy, if the viewer may use the data: as for locations,
 * and for restricted data a permit in force at any site (the hub's copy is fetched from wherever
 * the holder works). Refused as 404, as before permits, so the answer never says the file exists.
 * Each download of restricted data is audited once its link is made (a refused or failed one is not
 * a read).
 */
export async function downloadLink(artifact: Artifact, version: Version, path: string, viewer: Viewer, ctx: AuditContext | undefined, link: () => Promise<string>): Promise<string> {
  const privileged = canSeeLocations(artifact, version.state, viewer, false);
  const now = ctx?.now ?? new Date();
  const permit = !privileged && artifact.accessLevel === 'restricted' ? (await permitsOf(viewer.sub, now, artifact.id))[0] : undefined;
  if (!canSeeLocations(artifact, version.state, viewer, !!permit)) throw new NotFoundError('File', `${artifact.id}@${version.version}/${path}`);
  const url = await link();
  if (artifact.accessLevel === 'restricted' && ctx) await auditRead(artifact.id, { what: 'download', version: version.version, path, ...(permit ? { permitId: permit.id } : {}) }, ctx);
  return url;
}

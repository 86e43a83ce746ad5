// Who may see and change what in the hub. One place, pure, so the handlers, the search and the
// renderers agree. Roles arrive from verified token claims only (the authorizer's context).
//
//   metadata of a published version   public: anyone (even without a token); registered and
//                                     restricted: any signed-in user (restricted data is found,
//                                     then applied for); stewards, curators, admins, auditors
//   drafts and versions in curation   the artifact's stewards, curators, admins, auditors
//   locations and downloads           public/registered: any signed-in user; restricted: the
//                                     stewards and staff, and (later wave) holders of a permit
//   changes                           stewards (and admins) edit; curators publish or return a
//                                     version they do not steward; auditors only read
import type { AccessLevel, Artifact, VersionState } from './model';

export interface Viewer {
  /** Undefined for an anonymous caller (a public route without a token). */
  sub?: string;
  roles: readonly string[];
}

export const ANONYMOUS: Viewer = { roles: [] };

const has = (v: Viewer, ...roles: string[]) => roles.some((r) => v.roles.includes(r));
const staff = (v: Viewer) => has(v, 'curator', 'admin', 'auditor');

export function isSteward(a: Pick<Artifact, 'stewards'>, v: Viewer): boolean {
  return !!v.sub && a.stewards.includes(v.sub);
}

/** Access levels whose published metadata this viewer may read (the search's visibility sets). */
export function visibleLevels(v: Viewer): AccessLevel[] {
  return v.sub ? ['public', 'registered', 'restricted'] : ['public'];
}

/** May the viewer read this artifact's core metadata? Unpublished artifacts are for their stewards and staff. */
export function canReadArtifact(a: Pick<Artifact, 'stewards' | 'accessLevel' | 'publishedVersions'>, v: Viewer): boolean {
  if (isSteward(a, v) || staff(v)) return true;
  if (a.publishedVersions.length === 0) return false;
  return visibleLevels(v).includes(a.accessLevel);
}

export function canReadVersion(a: Pick<Artifact, 'stewards' | 'accessLevel' | 'publishedVersions'>, state: VersionState, v: Viewer): boolean {
  if (isSteward(a, v) || staff(v)) return true;
  if (state !== 'published' && state !== 'deprecated') return false;
  return visibleLevels(v).includes(a.accessLevel);
}

/**
 * Locations (and download links) of a published version. `permitted` is whether the viewer holds a
 * permit for a restricted dataset: always false until access applications land (docs/datahub.md).
 */
export function canSeeLocations(a: Pick<Artifact, 'stewards' | 'accessLevel'>, state: VersionState, v: Viewer, permitted = false): boolean {
  if (isSteward(a, v) || staff(v)) return true;
  if (!v.sub || (state !== 'published' && state !== 'deprecated')) return false;
  if (a.accessLevel === 'restricted') return permitted;
  return true;
}

export function canEdit(a: Pick<Artifact, 'stewards'>, v: Viewer): boolean {
  return isSteward(a, v) || has(v, 'admin');
}

/** Curators decide on versions they do not steward (four eyes); admins are not curators by default. */
export function canCurate(a: Pick<Artifact, 'stewards'>, v: Viewer): boolean {
  return has(v, 'curator') && !isSteward(a, v);
}

// The data hub's face: what other capabilities may use (docs/adding-a-capability.md). Pipelines
// read an artifact, a version and its copies to validate what a stage reads and registers; the
// recommender reads where a catalogue dataset lives.
import { canEdit, type Viewer } from '../domain/datahub/access';
import type { Artifact, Location, Version } from '../domain/datahub/model';
import { datahubKeys } from '../shared/store/keys';
import { getItem, locationOf, queryAllPrefix, readAnyArtifact, readVersion, uploadOf } from './store';

export type { Artifact, Location, Version };
export { canEdit as canEditArtifact, canReadVersion } from '../domain/datahub/access';
export { readAnyArtifact, readDatasetSite } from './store';
export { readPermitsOf } from './permits';
export type { Permit } from '../domain/datahub/permit';
export { recordVerifiedCopy, registerSiteVersion, versionLabels, type SiteVersionInput } from './site-versions';
// site-copy verification: a job-end watcher settles the verifications running at its site
export { settleVerificationsAt } from './verification';

/** A version and its physical copies, or null when the artifact or the version does not exist. */
export async function readVersionWithLocations(id: string, version: string): Promise<{ artifact: Artifact; version: Version; locations: Location[] } | null> {
  const [artifact, v] = await Promise.all([readAnyArtifact(id), readVersion(id, version)]);
  if (!artifact || !v) return null;
  const { pk, skPrefix } = datahubKeys.locationPrefix(id, version);
  return { artifact, version: v.version, locations: (await queryAllPrefix(pk, skPrefix)).map(locationOf) };
}

/** A version's files (path, bytes, SHA-256) in path order: the committed pages only. Null when there is no such version. */
export async function readManifest(id: string, version: string): Promise<{ path: string; bytes: number; sha256: string }[] | null> {
  const v = await readVersion(id, version);
  if (!v) return null;
  const { pk, skPrefix } = datahubKeys.manifestPrefix(id, version);
  return (await queryAllPrefix(pk, skPrefix)).filter((it) => v.version.pages[String(it.page)]).map((it) => ({ path: String(it.path), bytes: Number(it.bytes), sha256: String(it.sha256) }));
}

export type HubFile = { artifactId: string; version: string; uploadId: string; path: string; bytes: number; sha256: string };

/**
 * A file uploaded through the hub's upload path, as another capability may cite it (a report's
 * attachment): `not_found` unless the upload exists and the viewer made it or stewards its
 * artifact (so the answer never tells a stranger that someone else's upload exists);
 * `not_verified` while its bytes have not been checked against their SHA-256.
 */
export async function readHubUpload(artifactId: string, version: string, uploadId: string, viewer: Viewer): Promise<HubFile | 'not_found' | 'not_verified'> {
  const [artifact, item] = await Promise.all([readAnyArtifact(artifactId), getItem(datahubKeys.upload(artifactId, version, uploadId))]);
  if (!artifact || !item) return 'not_found';
  const u = uploadOf(item);
  if (u.createdBy !== viewer.sub && !canEdit(artifact, viewer)) return 'not_found';
  if (u.state !== 'verified') return 'not_verified';
  return { artifactId, version, uploadId, path: u.path, bytes: u.bytes, sha256: u.sha256 };
}

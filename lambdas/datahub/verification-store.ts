// The verification items (keys: shared/store/keys.ts "datahub", DHVERIFY#…) and the recommender's
// placement record of a dataset (keys.dataset), which is derived from the verified locations.
// A verification is an audited subject (dh-verification/<id>): its start and its end are commits,
// and its end commits together with the location (and, for a draft adopting the job's manifest,
// the version), so a verification is never recorded without what it found.
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Problem } from '../domain/datahub/manifest';
import type { ArtifactKind, Location, Version } from '../domain/datahub/model';
import type { VerificationCode, VerificationState } from '../domain/datahub/verification';
import { ddb, mainTable } from '../shared/store/client';
import { datahubGsi, datahubKeys, keys } from '../shared/store/keys';
import type { Item } from '../shared/store/write-path';
import { getItem, locationOf, queryAllPrefix, queryIndex, versionOf } from './store';

export interface Verification {
  verificationId: string;
  artifactId: string;
  kind: ArtifactKind;
  version: string;
  locationId: string;
  siteId: string;
  /** The copy's folder, absolute at the site. */
  sitePath: string;
  allocationId: string;
  resource: string;
  /** The steward (or admin) who asked: the job runs as their site account, under their allocation. */
  requestedBy: string;
  /** compare: against the version's manifest; adopt: a draft without files takes what the job found. */
  mode: 'compare' | 'adopt';
  state: VerificationState;
  /** KAIRR's dispatch id of the job, and the scheduler's. */
  jobId: string;
  schedulerJobId?: string;
  /** Where the job writes its report, absolute at the site. */
  reportPath: string;
  code?: VerificationCode;
  reason?: string;
  problems?: Problem[];
  problemCount?: number;
  files?: number;
  bytes?: number;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
}

export const VERIFICATION_SUBJECT = (verificationId: string) => ({ type: 'dh-verification', id: verificationId });

export function verificationItem(v: Verification): Item {
  const running = v.state === 'running' ? { gsi2pk: datahubGsi.verificationsRunningAt(v.siteId), gsi2sk: `${v.createdAt}#${v.verificationId}` } : {};
  return { ...v, ...datahubKeys.verification(v.artifactId, v.version, v.locationId, v.verificationId), ...running } as Item;
}

/** The verifications still running at a site, oldest first (one page: a site runs few at a time). */
export async function runningAt(siteId: string, limit = 100): Promise<{ v: Verification; item: Item }[]> {
  const page = await queryIndex('gsi2', datahubGsi.verificationsRunningAt(siteId), { limit });
  // the index is eventually consistent: read each item itself before acting on it
  const items = await Promise.all(page.items.map((it) => getItem({ pk: String(it.pk), sk: String(it.sk) })));
  return items.flatMap((item) => (item && item.state === 'running' ? [{ v: verificationOf(item), item }] : []));
}

const OWN = new Set(['pk', 'sk', 'gsi2pk', 'gsi2sk', 'auditSeq', 'auditHash']);
export function verificationOf(item: Record<string, unknown>): Verification {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !OWN.has(k))) as unknown as Verification;
}

export async function readVerification(id: string, version: string, locationId: string, verificationId: string): Promise<{ v: Verification; item: Item } | null> {
  const item = await getItem(datahubKeys.verification(id, version, locationId, verificationId));
  return item ? { v: verificationOf(item), item } : null;
}

/** The location's verifications, oldest first by id (ids are unique, not ordered; callers sort by createdAt). */
export async function verificationsOf(id: string, version: string, locationId: string): Promise<Verification[]> {
  const { pk, skPrefix } = datahubKeys.verificationPrefix(id, version, locationId);
  return (await queryAllPrefix(pk, skPrefix)).map(verificationOf);
}

/** Where a dataset has verified copies at sites: the record the recommender reads (readDatasetSite). */
export interface DatasetPlacement {
  datasetId: string;
  /** The site the recommender uses: a site holding the newest version that has a verified copy (first by id when several do). */
  siteId: string;
  version: string;
  bytes: number;
  sizeGB: number;
  sites: { siteId: string; version: string; bytes: number; lastVerifiedAt?: string }[];
  updatedAt: string;
}

/** The placement from a dataset's locations and versions (in key order: oldest first), or null without a verified site copy. */
export function placementOf(datasetId: string, locations: readonly Location[], versions: readonly Version[], now: string): DatasetPlacement | null {
  const bytesOf = new Map(versions.map((v) => [v.version, v.bytes]));
  const order = new Map(versions.map((v, i) => [v.version, i]));
  const verified = locations.filter((l) => l.kind === 'site' && l.state === 'verified' && l.siteId && order.has(l.version));
  if (!verified.length) return null;
  const sites = verified.map((l) => ({ siteId: l.siteId!, version: l.version, bytes: bytesOf.get(l.version) ?? 0, ...(l.lastVerifiedAt ? { lastVerifiedAt: l.lastVerifiedAt } : {}) }));
  sites.sort((a, b) => order.get(b.version)! - order.get(a.version)! || a.siteId.localeCompare(b.siteId));
  const top = sites[0];
  return { datasetId, siteId: top.siteId, version: top.version, bytes: top.bytes, sizeGB: top.bytes / 1e9, sites, updatedAt: now };
}

/**
 * Recomputes keys.dataset from what is stored now. A derived item outside the audited write path
 * (like the search index): the audit trail has the location changes it follows from, and running
 * it again after any change (or a failure between the commit and this write) gives the same item.
 */
export async function refreshDatasetPlacement(datasetId: string, now = new Date()): Promise<DatasetPlacement | null> {
  const [locs, vers] = [datahubKeys.allLocationsPrefix(datasetId), datahubKeys.versionPrefix(datasetId)];
  const [locations, versions] = await Promise.all([queryAllPrefix(locs.pk, locs.skPrefix), queryAllPrefix(vers.pk, vers.skPrefix)]);
  const p = placementOf(datasetId, locations.map(locationOf), versions.map(versionOf), now.toISOString());
  if (p) await ddb().send(new PutCommand({ TableName: mainTable(), Item: { ...keys.dataset(datasetId), ...p } }));
  else await ddb().send(new DeleteCommand({ TableName: mainTable(), Key: keys.dataset(datasetId) }));
  return p;
}

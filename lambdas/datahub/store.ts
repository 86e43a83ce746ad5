// The data hub's items in the main table (keys: shared/store/keys.ts "datahub"). Artifacts,
// versions, locations and uploads are audited subjects: every change goes through commit(), and
// a subject's auditSeq serialises its writers. Manifest files, steward index items and the search
// index are derived items written beside them (see manifest.ts and search-index.ts for how each
// stays consistent without a transaction of thousands of items).
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { datahubGsi, datahubKeys, keys, type ItemKey } from '../shared/store/keys';
import { commit, type AuditContext, type Change, type Item, type WriteSet } from '../shared/store/write-path';
import { NotFoundError } from '../domain/errors';
import type { Artifact, ArtifactKind, Location, Version } from '../domain/datahub/model';

const OWN = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'auditSeq', 'auditHash', 'docNo']);

function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!OWN.has(k)) out[k] = v;
  return out as T;
}

export interface Upload {
  uploadId: string;
  artifactId: string;
  version: string;
  path: string;
  bytes: number;
  sha256: string;
  mediaType: string;
  mode: 'single' | 'multipart';
  /** S3's multipart upload id (multipart only). */
  s3UploadId?: string;
  key: string;
  parts: { partNumber: number; bytes: number; sha256: string }[];
  state: 'open' | 'verified' | 'failed';
  reason?: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  expiresAt: string;
}

// ---- mappers -------------------------------------------------------------------------------------

export const SUBJECT = {
  artifact: (id: string) => ({ type: 'dh-artifact', id }),
  version: (id: string, version: string) => ({ type: 'dh-version', id: `${id}@${version}` }),
  location: (l: Pick<Location, 'artifactId' | 'version' | 'locationId'>) => ({ type: 'dh-location', id: `${l.artifactId}@${l.version}#${l.locationId}` }),
  upload: (uploadId: string) => ({ type: 'dh-upload', id: uploadId }),
};

export function artifactItem(a: Artifact, docNo?: number): Item {
  return { ...a, ...datahubKeys.artifact(a.id), ...(docNo !== undefined ? { docNo } : {}) } as Item;
}
export const artifactOf = (item: Record<string, unknown>) => strip<Artifact>(item);

/** An artifact (a dataset or a model: whichever the id names), or null. */
export async function readAnyArtifact(id: string): Promise<Artifact | null> {
  const item = await getItem(datahubKeys.artifact(id));
  return item ? artifactOf(item) : null;
}
export const docNoOf = (item: Record<string, unknown>) => (typeof item.docNo === 'number' ? item.docNo : undefined);

export function versionItem(v: Version): Item {
  const inReview = v.state === 'curation-review';
  return {
    ...v,
    ...datahubKeys.version(v.artifactId, v.version),
    ...(inReview ? { gsi2pk: datahubGsi.versionsInState('curation-review'), gsi2sk: `${v.submittedAt}#${v.artifactId}#${v.version}` } : {}),
  } as Item;
}
export const versionOf = (item: Record<string, unknown>) => strip<Version>(item);

export function locationItem(l: Location): Item {
  return { ...l, ...datahubKeys.location(l.artifactId, l.version, l.locationId) } as Item;
}
export const locationOf = (item: Record<string, unknown>) => strip<Location>(item);

export function uploadItem(u: Upload): Item {
  return { ...u, ...datahubKeys.upload(u.artifactId, u.version, u.uploadId) } as Item;
}
export const uploadOf = (item: Record<string, unknown>) => strip<Upload>(item);

export function stewardItem(a: Pick<Artifact, 'id' | 'kind' | 'createdAt'>, sub: string): Item {
  return { ...datahubKeys.steward(a.id, sub), gsi1pk: datahubGsi.stewardOf(sub), gsi1sk: `${a.createdAt}#${a.id}`, artifactId: a.id, kind: a.kind };
}

export const artifactChange = (before: Item | null, after: Artifact, action: string, details?: Record<string, unknown>, docNo?: number): Change => ({
  subject: SUBJECT.artifact(after.id),
  before,
  after: artifactItem(after, docNo ?? (before ? docNoOf(before) : undefined)),
  action,
  details,
});
export const versionChange = (before: Item | null, after: Version, action: string, details?: Record<string, unknown>): Change => ({
  subject: SUBJECT.version(after.artifactId, after.version),
  before,
  after: versionItem(after),
  action,
  details,
});

// ---- reads ---------------------------------------------------------------------------------------

export async function getItem(key: ItemKey, consistent = true): Promise<Item | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: key, ConsistentRead: consistent }));
  return (out.Item as Item) ?? null;
}

/**
 * The site a catalogue dataset lives at (keys.dataset: the recommender's data locality), or null
 * when the catalogue does not place it. Eventually consistent, as a placement is a hint.
 */
export async function readDatasetSite(datasetId: string): Promise<string | null> {
  const item = await getItem(keys.dataset(datasetId), false);
  return item?.siteId ? String(item.siteId) : null;
}

export async function readArtifact(kind: ArtifactKind, id: string): Promise<{ artifact: Artifact; item: Item }> {
  const item = await getItem(datahubKeys.artifact(id));
  if (!item || item.kind !== kind) throw new NotFoundError(kind === 'dataset' ? 'Dataset' : 'Model', id);
  return { artifact: artifactOf(item), item };
}

export async function readVersion(id: string, version: string): Promise<{ version: Version; item: Item } | null> {
  const item = await getItem(datahubKeys.version(id, version));
  return item ? { version: versionOf(item), item } : null;
}

/** The artifact and one of its versions in one round trip. */
export async function readArtifactAndVersion(kind: ArtifactKind, id: string, version: string): Promise<{ artifact: Artifact; artifactItem: Item; version?: Version; versionItem?: Item }> {
  const keys = [datahubKeys.artifact(id), datahubKeys.version(id, version)];
  const out = await ddb().send(new BatchGetCommand({ RequestItems: { [mainTable()]: { Keys: keys, ConsistentRead: true } } }));
  const items = (out.Responses?.[mainTable()] ?? []) as Item[];
  const a = items.find((i) => i.sk === 'ART');
  if (!a || a.kind !== kind) throw new NotFoundError(kind === 'dataset' ? 'Dataset' : 'Model', id);
  const v = items.find((i) => i.sk !== 'ART');
  return { artifact: artifactOf(a), artifactItem: a, ...(v ? { version: versionOf(v), versionItem: v } : {}) };
}

export interface QueryPage {
  items: Item[];
  nextKey?: Record<string, unknown>;
}

export async function queryPrefix(pk: string, skPrefix: string, opts: { limit?: number; startKey?: Record<string, unknown>; forward?: boolean; consistent?: boolean } = {}): Promise<QueryPage> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix },
      ExclusiveStartKey: opts.startKey,
      Limit: opts.limit,
      ScanIndexForward: opts.forward ?? true,
      ConsistentRead: opts.consistent ?? true,
    }),
  );
  return { items: (out.Items ?? []) as Item[], nextKey: out.LastEvaluatedKey };
}

export async function queryAllPrefix(pk: string, skPrefix: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await queryPrefix(pk, skPrefix, { startKey });
    items.push(...page.items);
    startKey = page.nextKey;
  } while (startKey);
  return items;
}

export async function queryIndex(index: 'gsi1' | 'gsi2', pk: string, opts: { limit: number; startKey?: Record<string, unknown>; skPrefix?: string; skFrom?: string; forward?: boolean }): Promise<QueryPage> {
  const cond = opts.skPrefix ? ` AND begins_with(${index}sk, :p)` : opts.skFrom ? ` AND ${index}sk >= :p` : '';
  const p = opts.skPrefix ?? opts.skFrom;
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      IndexName: index,
      KeyConditionExpression: `${index}pk = :pk${cond}`,
      ExpressionAttributeValues: { ':pk': pk, ...(p ? { ':p': p } : {}) },
      ExclusiveStartKey: opts.startKey,
      Limit: opts.limit,
      ScanIndexForward: opts.forward ?? true,
    }),
  );
  return { items: (out.Items ?? []) as Item[], nextKey: out.LastEvaluatedKey };
}

export async function commitDatahub(ctx: AuditContext, set: WriteSet) {
  return commit(ctx, set);
}

// The search index in DynamoDB (docs/datahub.md, "Search"). Each published artifact has a document
// number (per kind, from a counter). For every term and filter key there are posting items, one
// per chunk of CHUNK document numbers, holding two number sets: d (documents with the term) and s
// (documents with it in a name, keyword or tag). A summary item per document holds what a hit
// shows. Posting updates are ADD/DELETE on number sets: atomic, idempotent, and safe to replay,
// so indexing after an audited change needs no transaction: the artifact's INDEX item records the
// entry that is applied, and reindex() computes and applies the difference, as often as needed.
import { BatchWriteCommand, UpdateCommand, type BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { datahubKeys } from '../shared/store/keys';
import { entryDiff, indexEntry, ownerKey, statusKey, type IndexEntry, type PostingOp } from '../domain/datahub/search/terms';
import { parseLicence } from '../domain/datahub/licence';
import { compareVersions, type Artifact, type ArtifactKind, type Version } from '../domain/datahub/model';
import { artifactOf, docNoOf, getItem, locationOf, queryAllPrefix, readVersion } from './store';

export const CHUNK = 1_000;
export const chunkOf = (docNo: number) => Math.floor(docNo / CHUNK);

export interface SearchDoc {
  artifactId: string;
  kind: ArtifactKind;
  name: Artifact['name'];
  description: Artifact['description'];
  licence: string;
  accessLevel: Artifact['accessLevel'];
  fieldOfScience: string;
  author: string;
  latestVersion: string;
  status: 'current' | 'deprecated';
  bytes: number;
  files: number;
  formats: string[];
  sites: string[];
  keywords: string[];
  tags?: string[];
  pipeline_tag?: string;
  library_name?: string;
  publishedAt: string;
  lastModified: string;
}

const SNIPPET = 300;
const snippet = (b: Artifact['description']) => ({ ...(b.ko ? { ko: b.ko.slice(0, SNIPPET) } : {}), ...(b.en ? { en: b.en.slice(0, SNIPPET) } : {}) });

/** The version an artifact is found by: its latest published, or its latest deprecated one. */
export function indexedVersionOf(a: Artifact): string | undefined {
  return a.latestVersion ?? [...a.publishedVersions].sort(compareVersions).pop();
}

export function entryAndDoc(a: Artifact, v: Version): { entry: IndexEntry; doc: SearchDoc } {
  const licence = v.licence ?? a.licence;
  const lic = parseLicence(licence);
  const status = a.latestVersion ? 'current' : 'deprecated';
  const entry = indexEntry({ artifact: a, licenceIds: lic.ok ? lic.ids : [], formats: v.formats, bytes: v.bytes, card: v.modelCard });
  entry.filters = [...entry.filters, statusKey(status)].sort();
  const doc: SearchDoc = {
    artifactId: a.id,
    kind: a.kind,
    name: a.name,
    description: snippet(a.description),
    licence,
    accessLevel: a.accessLevel,
    fieldOfScience: a.fieldOfScience,
    author: ownerKey(a.owner),
    latestVersion: v.version,
    status,
    bytes: v.bytes,
    files: v.files,
    formats: v.formats,
    sites: a.sites,
    keywords: a.keywords,
    ...(v.modelCard ? { tags: v.modelCard.tags, pipeline_tag: v.modelCard.pipeline_tag, library_name: v.modelCard.library_name } : {}),
    publishedAt: v.publishedAt ?? v.createdAt,
    lastModified: a.updatedAt,
  };
  return { entry, doc };
}

export interface IndexStats {
  requests: number;
  consumedWcu: number;
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** Applies posting updates for one document: one UpdateItem per term (ADD/DELETE on its number sets). */
export async function applyOps(kind: ArtifactKind, docNo: number, ops: readonly PostingOp[], stats: IndexStats = { requests: 0, consumedWcu: 0 }): Promise<IndexStats> {
  const chunk = chunkOf(docNo);
  await pool(ops, 16, async (op) => {
    const add: string[] = [];
    const del: string[] = [];
    (op.d === 'add' ? add : op.d === 'delete' ? del : []).push('d :n');
    (op.s === 'add' ? add : op.s === 'delete' ? del : []).push('s :n');
    const expr = [add.length ? `ADD ${add.join(', ')}` : '', del.length ? `DELETE ${del.join(', ')}` : ''].filter(Boolean).join(' ');
    const out = await ddb().send(new UpdateCommand({ TableName: mainTable(), Key: datahubKeys.posting(kind, op.term, chunk), UpdateExpression: expr, ExpressionAttributeValues: { ':n': new Set([docNo]) }, ReturnConsumedCapacity: 'TOTAL' }));
    stats.requests++;
    stats.consumedWcu += out.ConsumedCapacity?.CapacityUnits ?? 0;
  });
  return stats;
}

/** Takes the next document number of a kind (a counter; gaps after a failed publish are harmless). */
export async function nextDocNo(kind: ArtifactKind): Promise<number> {
  const out = await ddb().send(new UpdateCommand({ TableName: mainTable(), Key: datahubKeys.docCounter(kind), UpdateExpression: 'ADD seq :one', ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'UPDATED_NEW' }));
  return Number(out.Attributes?.seq);
}

interface IndexStateItem {
  entry?: IndexEntry;
  state: 'current' | 'pending';
  docNo: number;
}

/**
 * Brings an artifact's postings and summary in line with its current state (published or not).
 * Safe to run again after a failure, or concurrently with itself: every step is idempotent and
 * the INDEX item is written last.
 */
export async function reindex(artifactId: string): Promise<{ state: 'current' | 'none'; stats: IndexStats }> {
  const stats: IndexStats = { requests: 0, consumedWcu: 0 };
  const aItem = await getItem(datahubKeys.artifact(artifactId));
  if (!aItem) return { state: 'none', stats };
  const a = artifactOf(aItem);
  const docNo = docNoOf(aItem);
  const stateItem = (await getItem(datahubKeys.indexState(artifactId))) as (IndexStateItem & Record<string, unknown>) | null;
  if (docNo === undefined) return { state: 'none', stats };
  const ver = indexedVersionOf(a);
  const read = ver ? await readVersion(a.id, ver) : null;
  const next = read && ver ? entryAndDoc({ ...a, sites: await verifiedSitesOf(a.id, ver) }, read.version) : undefined;
  await applyOps(a.kind, docNo, entryDiff(stateItem?.entry, next?.entry), stats);
  const writes: NonNullable<BatchWriteCommandInput['RequestItems']>[string] = [
    next ? { PutRequest: { Item: { ...datahubKeys.searchDoc(a.kind, docNo), ...next.doc } } } : { DeleteRequest: { Key: datahubKeys.searchDoc(a.kind, docNo) } },
    { PutRequest: { Item: { ...datahubKeys.indexState(a.id), docNo, state: 'current', ...(next ? { entry: next.entry } : {}), indexedAt: new Date().toISOString() } } },
  ];
  await ddb().send(new BatchWriteCommand({ RequestItems: { [mainTable()]: writes } }));
  stats.requests++;
  return { state: next ? 'current' : 'none', stats };
}

/**
 * The sites holding a verified copy of the version an artifact is found by: what the `site` filter
 * and the summary's `sites` say. Read from the locations themselves (one Query), so every change of
 * a copy's state followed by a reindex (copies.ts) keeps the filter true.
 */
async function verifiedSitesOf(id: string, version: string): Promise<string[]> {
  const p = datahubKeys.locationPrefix(id, version);
  const locs = (await queryAllPrefix(p.pk, p.skPrefix)).map(locationOf);
  return [...new Set(locs.filter((l) => l.kind === 'site' && l.state === 'verified' && l.siteId).map((l) => l.siteId!))].sort();
}

/** Marks an artifact's index as behind (a change committed, its reindex not yet run through). */
export async function markPending(artifactId: string): Promise<void> {
  await ddb().send(new UpdateCommand({ TableName: mainTable(), Key: datahubKeys.indexState(artifactId), UpdateExpression: 'SET #s = :p', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':p': 'pending' } }));
}

export async function indexStateOf(artifactId: string): Promise<'current' | 'pending' | 'none'> {
  const it = await getItem(datahubKeys.indexState(artifactId), false);
  return it ? ((it.state as 'current' | 'pending') ?? 'pending') : 'none';
}

// ---- bulk build (rebuilds, and the benchmark's 10,000 datasets) ---------------------------------

/** Builds whole posting and summary items for many documents at once, written with BatchWriteItem. */
export function bulkItems(kind: ArtifactKind, docs: { docNo: number; entry: IndexEntry; doc: SearchDoc }[]): Record<string, unknown>[] {
  const postings = new Map<string, { d: Set<number>; s: Set<number> }>();
  for (const { docNo, entry } of docs) {
    const chunk = chunkOf(docNo);
    const add = (term: string, strong: boolean) => {
      const k = `${term}\u0000${chunk}`;
      const p = postings.get(k) ?? { d: new Set<number>(), s: new Set<number>() };
      p.d.add(docNo);
      if (strong) p.s.add(docNo);
      postings.set(k, p);
    };
    for (const [t, strong] of Object.entries(entry.terms)) add(t, strong);
    for (const f of entry.filters) add(f, false);
  }
  const items: Record<string, unknown>[] = [];
  for (const [k, p] of postings) {
    const [term, chunk] = k.split('\u0000');
    items.push({ ...datahubKeys.posting(kind, term, Number(chunk)), d: p.d, ...(p.s.size ? { s: p.s } : {}) });
  }
  for (const { docNo, doc } of docs) items.push({ ...datahubKeys.searchDoc(kind, docNo), ...doc });
  return items;
}

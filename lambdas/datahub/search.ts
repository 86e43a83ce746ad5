// Search execution: at most three waves of DynamoDB requests (each wave's requests run in
// parallel). Wave 1 reads the posting items of every term and filter key (one Query per key, all
// of its chunks); the domain intersects, scores and orders; wave 2 reads the page's summaries
// (BatchGetItem) and the exact sizes of edge-bucket candidates; wave 3 only when a size range
// dropped candidates from the page and more remain (docs/datahub.md, "Search").
import { createHash } from 'node:crypto';
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { datahubKeys } from '../shared/store/keys';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { ValidationError } from '../domain/errors';
import { visibleLevels, type Viewer } from '../domain/datahub/access';
import { fieldOfScience } from '../domain/datahub/fields';
import { evaluate, inRange, planKeys, sizePlan, type Postings, type Ranked, type SearchPlan } from '../domain/datahub/search/evaluate';
import { filterKey, statusKey } from '../domain/datahub/search/terms';
import { queryTerms } from '../domain/datahub/search/tokenize';
import type { ArtifactKind } from '../domain/datahub/model';
import type { SearchQuery } from './api';
import type { SearchDoc } from './search-index';

export interface SearchStats {
  /** Sequential waves of DynamoDB requests. */
  roundTrips: number;
  requests: number;
  readUnits: number;
  /** Bytes of items DynamoDB returned (their JSON size: an estimate of what the reads cost). */
  bytes: number;
}

export interface SearchResult {
  hits: (SearchDoc & { score?: number })[];
  total: number;
  nextToken?: string;
  stats: SearchStats;
}

const MAX_TERMS = 16;

export function planOf(q: SearchQuery, viewer: Viewer): SearchPlan {
  const text = q.q ?? q.search ?? '';
  const terms = queryTerms(text);
  if (terms.length > MAX_TERMS) throw ValidationError.field('query.q', `has ${terms.length} search terms; at most ${MAX_TERMS}`);
  const levels = visibleLevels(viewer).filter((l) => !q.access || l === q.access);
  const groups: string[][] = [levels.map(filterKey.access), q.includeDeprecated === 'true' ? [statusKey('current'), statusKey('deprecated')] : [statusKey('current')]];
  if (q.field) {
    if (!fieldOfScience(q.field)) throw ValidationError.field('query.field', 'is not a field of science code (e.g. 1.2)');
    groups.push([filterKey.field(q.field)]);
  }
  if (q.licence) groups.push([filterKey.licence(q.licence)]);
  if (q.site) groups.push([filterKey.site(q.site)]);
  if (q.format) groups.push([filterKey.format(q.format)]);
  if (q.author) groups.push([filterKey.author(q.author)]);
  if (q.tag) groups.push([filterKey.tag(q.tag)]);
  if (q.task) groups.push([filterKey.task(q.task)]);
  if (q.library) groups.push([filterKey.library(q.library)]);
  if (q.language) groups.push([filterKey.language(q.language)]);
  for (const f of (q.filter ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean))
    groups.push([filterKey.tag(f), filterKey.task(f), filterKey.library(f)]);
  if (q.minBytes !== undefined && q.maxBytes !== undefined && q.minBytes > q.maxBytes) throw ValidationError.field('query.minBytes', 'must not be above maxBytes');
  const range = q.minBytes !== undefined || q.maxBytes !== undefined ? { min: q.minBytes, max: q.maxBytes } : undefined;
  const sort = q.sort === 'published' || q.sort === 'createdAt' || (!q.sort && terms.length === 0) ? 'published' : 'relevance';
  const direction = q.direction === 'asc' || q.direction === '1' ? 'asc' : 'desc';
  return { terms, groups, ...(range ? { size: { ...sizePlan(range), range } } : {}), sort, direction };
}

async function readPostings(kind: ArtifactKind, key: string, stats: SearchStats): Promise<Postings> {
  const p: Postings = { d: new Set(), s: new Set() };
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(
      new QueryCommand({ TableName: mainTable(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': datahubKeys.postingPartition(kind, key) }, ExclusiveStartKey: start, ReturnConsumedCapacity: 'TOTAL' }),
    );
    stats.requests++;
    stats.readUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
    for (const it of out.Items ?? []) {
      stats.bytes += approxBytes(it);
      for (const d of (it.d as Set<number> | undefined) ?? []) p.d.add(Number(d));
      for (const d of (it.s as Set<number> | undefined) ?? []) p.s.add(Number(d));
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return p;
}

function approxBytes(item: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(item, (_k, v) => (v instanceof Set ? [...v] : v)));
}

async function readDocs(kind: ArtifactKind, docNos: number[], stats: SearchStats): Promise<Map<number, SearchDoc>> {
  const out = new Map<number, SearchDoc>();
  const batches: number[][] = [];
  for (let i = 0; i < docNos.length; i += 100) batches.push(docNos.slice(i, i + 100));
  await Promise.all(
    batches.map(async (batch) => {
      let keys: Record<string, unknown>[] | undefined = batch.map((d) => ({ ...datahubKeys.searchDoc(kind, d) }));
      while (keys?.length) {
        const res = await ddb().send(new BatchGetCommand({ RequestItems: { [mainTable()]: { Keys: keys } }, ReturnConsumedCapacity: 'TOTAL' }));
        stats.requests++;
        stats.readUnits += (res.ConsumedCapacity ?? []).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
        for (const it of (res.Responses?.[mainTable()] ?? []) as Record<string, unknown>[]) {
          stats.bytes += approxBytes(it);
          const docNo = Number(String(it.pk).split('#').pop());
          const { pk: _pk, sk: _sk, ...doc } = it;
          out.set(docNo, doc as unknown as SearchDoc);
        }
        keys = res.UnprocessedKeys?.[mainTable()]?.Keys as Record<string, unknown>[] | undefined;
      }
    }),
  );
  return out;
}

const scopeOf = (kind: ArtifactKind, q: SearchQuery, viewer: Viewer) => {
  const { nextToken: _t, limit: _l, ...rest } = q;
  const h = createHash('sha256')
    .update(JSON.stringify([kind, rest, visibleLevels(viewer)]))
    .digest('base64url')
    .slice(0, 16);
  return `dhsearch#${h}`;
};

export async function search(kind: ArtifactKind, q: SearchQuery, viewer: Viewer): Promise<SearchResult> {
  const plan = planOf(q, viewer);
  const limit = q.limit ?? 20;
  const scope = scopeOf(kind, q, viewer);
  const start = decodeToken(q.nextToken, scope);
  let offset = start ? Number(start.o) : 0;
  const stats: SearchStats = { roundTrips: 0, requests: 0, readUnits: 0, bytes: 0 };

  const keys = planKeys(plan);
  stats.roundTrips++;
  const lists = await Promise.all(keys.map((k) => readPostings(kind, k, stats)));
  const postings = new Map(keys.map((k, i) => [k, lists[i]]));
  const ranked = evaluate(plan, postings);

  const hits: (SearchDoc & { score?: number })[] = [];
  let dropped = 0;
  const range = plan.size?.range;
  // Read the page's summaries; edge-bucket candidates are checked exactly as they come.
  while (hits.length < limit && offset < ranked.length && stats.roundTrips < 3) {
    const want: Ranked[] = [];
    let certain = 0;
    for (let i = offset; i < ranked.length && certain < limit - hits.length; i++) {
      want.push(ranked[i]);
      if (!ranked[i].uncertain) certain++;
    }
    stats.roundTrips++;
    const docs = await readDocs(
      kind,
      want.map((r) => r.doc),
      stats,
    );
    for (const r of want) {
      offset++;
      const d = docs.get(r.doc);
      if (!d || (r.uncertain && range && !inRange(d.bytes, range))) {
        dropped++;
        continue;
      }
      hits.push(plan.sort === 'relevance' ? { ...d, score: r.score } : d);
      if (hits.length === limit) break;
    }
  }
  return {
    hits,
    total: ranked.length - dropped,
    nextToken: offset < ranked.length ? encodeToken({ o: offset }, scope) : undefined,
    stats,
  };
}

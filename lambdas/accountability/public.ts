// The public record, read without a token. A page is one Query of the listed awards (newest first;
// one call's by its own index partition) and one BatchGetItem of their allocations for the live
// credits: two DynamoDB round trips whatever the number of awards. Filters on field, org type or
// region are applied by DynamoDB to the page it reads; a page that filtered out much is topped up
// by at most a few more reads, then answered with a nextToken. Nothing personal is read into a view.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { accountabilityGsi, accountabilityKeys, keys } from '../shared/store/keys';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { allocationOf } from '../ledger';
import { batchGet } from '../shared/store/batch-get';
import { NotFoundError } from '../domain/errors';
import { awardView, type AwardFacts, type AwardView, type PublicStats } from '../domain/accountability/public-record';
import type { Outcome } from '../domain/accountability/outcomes';
import { getItem, isListedRecord, listingOf, outcomesOf, readListing, type ListingRecord } from './store';

export interface AwardQuery {
  callId?: string;
  field?: string;
  orgType?: string;
  region?: string;
  limit: number;
  nextToken?: string;
}

/** DynamoDB round trips the last page took (bench/accountability.ts reads it). */
export const publicMetrics = { roundTrips: 0 };

const MAX_QUERIES = 5;

export function factsOf(l: ListingRecord, a: ReturnType<typeof allocationOf> | undefined): AwardFacts {
  const resources = Object.fromEntries(Object.entries(a?.resources ?? {}).map(([r, x]) => [r, { awardedMc: x.awardedMc, usedMc: x.usedMc + (x.overLimitMc ?? 0) }]));
  return {
    allocationId: l.allocationId,
    callId: l.callId,
    title: l.title,
    abstract: l.abstract,
    field: l.field,
    organisation: l.organisation,
    orgType: l.orgType,
    region: l.region,
    startDate: l.startDate,
    endDate: l.endDate,
    state: a?.state ?? 'unknown',
    resources,
    committedMc: l.committedMc,
    outcomes: l.outcomes,
    listing: l.listing,
  };
}

export async function listAwards(q: AwardQuery): Promise<{ items: AwardView[]; nextToken?: string }> {
  const [index, pk] = q.callId ? ['gsi2', accountabilityGsi.publicAwardsOfCall(q.callId)] : ['gsi1', accountabilityGsi.publicAwards];
  const filters: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':p': pk };
  for (const k of ['field', 'orgType', 'region'] as const) {
    if (q[k] === undefined) continue;
    filters.push(`#${k} = :${k}`);
    names[`#${k}`] = k;
    values[`:${k}`] = q[k];
  }
  const listings: ListingRecord[] = [];
  let start = decodeToken(q.nextToken, pk);
  let trips = 0;
  do {
    const out = await ddb().send(
      new QueryCommand({
        TableName: mainTable(),
        IndexName: index,
        KeyConditionExpression: `${index}pk = :p`,
        ExpressionAttributeValues: values,
        ...(filters.length ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names } : {}),
        ScanIndexForward: false,
        Limit: q.limit - listings.length,
        ExclusiveStartKey: start,
      }),
    );
    trips++;
    listings.push(...(out.Items ?? []).map(listingOf));
    start = out.LastEvaluatedKey;
  } while (start && listings.length < q.limit && trips < MAX_QUERIES);
  const allocs = listings.length ? await batchGet(listings.map((l) => keys.allocation(l.allocationId))) : new Map();
  if (listings.length) trips++;
  publicMetrics.roundTrips = trips;
  const items = listings.filter(isListedRecord).map((l) => {
    const k = keys.allocation(l.allocationId);
    const it = allocs.get(`${k.pk}|${k.sk}`);
    return awardView(factsOf(l, it ? allocationOf(it) : undefined));
  });
  return { items, nextToken: encodeToken(start, pk) };
}

/** What an outcome shows publicly: identifiers and titles, never people. */
function publicOutcome(o: Outcome) {
  const { allocationId: _a, purpose, reportId: _r, recordedAt, outcomeId: _id, ...rest } = o;
  return { ...rest, purpose, recordedAt: recordedAt.slice(0, 10) };
}

export async function getAward(allocationId: string) {
  const got = await readListing(allocationId);
  if (!got || !isListedRecord(got.listing)) throw new NotFoundError('Award', allocationId);
  const [allocItem, outcomes] = await Promise.all([getItem(keys.allocation(allocationId), false), outcomesOf(allocationId)]);
  return { ...awardView(factsOf(got.listing, allocItem ? allocationOf(allocItem) : undefined)), outcomeList: outcomes.filter((o) => o.kind !== 'people-trained').map(publicOutcome) };
}

export interface StoredStats {
  generatedAt: string;
  stats: PublicStats;
  digest: string;
}

export async function readStats(callId: string | null): Promise<StoredStats> {
  const it = await getItem(accountabilityKeys.publicStats(callId), false);
  if (!it) throw new NotFoundError('Public figures', callId ?? 'all calls');
  return { generatedAt: String(it.generatedAt), stats: it.stats as PublicStats, digest: String(it.digest) };
}

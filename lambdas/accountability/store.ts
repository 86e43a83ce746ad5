// The accountability items in DynamoDB (keys: accountabilityKeys in shared/store/keys.ts). Every
// change goes through the audited write path: the record, the public listing, a reclaim proposal
// and a call's policy are subjects with their own audit chains; report versions and outcomes are
// immutable puts recorded by digest in the record's event. Events go out through the outbox.
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { accountabilityGsi, accountabilityKeys, connectorKeys, type ItemKey } from '../shared/store/keys';
import { commit, type AuditContext, type Change, type ImmutablePut, type Item, type SideWrite } from '../shared/store/write-path';
import { outboxWrites, publish } from '../shared/events/outbox';
import type { DomainEvent } from '../domain/events';
import type { Mc } from '../domain/ledger/money';
import type { AccountabilityPolicy } from '../domain/accountability/policy';
import type { AccountabilityRecord, ReclaimProposal } from '../domain/accountability/model';
import type { Listing } from '../domain/accountability/public-record';
import type { OutcomeCounts, Outcome } from '../domain/accountability/outcomes';
import type { ReportBody, ReportMeasure } from '../domain/accountability/reports';

const OWN = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'auditSeq', 'auditHash']);
function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!OWN.has(k)) out[k] = v;
  return out as T;
}

// ---- shapes -----------------------------------------------------------------------------------

export interface CallPolicy {
  callId: string;
  policy: AccountabilityPolicy;
  setBy: string;
  setAt: string;
}

/** What the public record knows of an award (besides the live credits, read from the allocation). */
export interface ListingRecord {
  allocationId: string;
  callId: string | null;
  proposalId: string | null;
  title: string;
  abstract: string;
  field: string;
  organisation: string;
  /** As the organisation directory resolved them (org-directory.ts). */
  orgType: string;
  region: string;
  startDate: string;
  endDate: string;
  committedMc: Mc;
  outcomes: OutcomeCounts;
  listing: Listing;
  createdAt: string;
  updatedAt: string;
}

export interface ReportVersion {
  allocationId: string;
  reportId: string;
  version: number;
  body: ReportBody;
  measure: ReportMeasure;
  submittedBy: string;
  submittedAt: string;
}

// ---- item mappers -------------------------------------------------------------------------------

/** Whether the idle rule must look at the record every day (it is not enough to look at the allocation). */
export const watched = (r: AccountabilityRecord) => !!(r.plan || r.idle.behindSince || r.idle.warnedAt || r.idle.openReclaimId);

/** The record with its sparse index keys: the timer (when something is due) and the idle rule's watch. */
export function recordItem(r: AccountabilityRecord, nextActionAt: string | null): Item {
  return {
    ...r,
    ...accountabilityKeys.record(r.allocationId),
    ...(nextActionAt ? { nextActionAt, gsi1pk: accountabilityGsi.timers, gsi1sk: `${nextActionAt}#${r.allocationId}` } : {}),
    ...(watched(r) ? { gsi2pk: accountabilityGsi.watch, gsi2sk: r.allocationId } : {}),
  } as Item;
}
export const recordOf = (item: Record<string, unknown>) => {
  const { nextActionAt: _n, ...rest } = strip<AccountabilityRecord & { nextActionAt?: string }>(item);
  return rest as AccountabilityRecord;
};

export const isListedRecord = (l: ListingRecord) => !l.listing.unlisted || l.listing.unlisted.state === 'rejected';

export function listingItem(l: ListingRecord): Item {
  const sk = `${l.startDate}#${l.allocationId}`;
  return {
    ...l,
    ...accountabilityKeys.listing(l.allocationId),
    ...(isListedRecord(l) ? { gsi1pk: accountabilityGsi.publicAwards, gsi1sk: sk, ...(l.callId ? { gsi2pk: accountabilityGsi.publicAwardsOfCall(l.callId), gsi2sk: sk } : {}) } : { gsi1pk: accountabilityGsi.unlistedAwards, gsi1sk: sk }),
  } as Item;
}
export const listingOf = (item: Record<string, unknown>) => strip<ListingRecord>(item);

export const reclaimItem = (r: ReclaimProposal): Item => ({ ...r, ...accountabilityKeys.reclaim(r.allocationId, r.reclaimId) }) as Item;
export const reclaimOf = (item: Record<string, unknown>) => strip<ReclaimProposal>(item);
export const policyItem = (p: CallPolicy): Item => ({ ...p, ...accountabilityKeys.callPolicy(p.callId), gsi1pk: accountabilityGsi.policies, gsi1sk: p.callId }) as Item;
export const policyOf = (item: Record<string, unknown>) => strip<CallPolicy>(item);
export const reportVersionItem = (v: ReportVersion): Item => ({ ...v, ...accountabilityKeys.reportVersion(v.allocationId, v.reportId, v.version) }) as Item;
export const reportVersionOf = (item: Record<string, unknown>) => strip<ReportVersion>(item);
export const outcomeItem = (o: Outcome): Item => ({ ...o, ...accountabilityKeys.outcome(o.allocationId, o.outcomeId) }) as Item;
export const outcomeOf = (item: Record<string, unknown>) => strip<Outcome>(item);

// ---- reads --------------------------------------------------------------------------------------

export async function getItem(key: ItemKey, consistent = true): Promise<Item | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: key, ConsistentRead: consistent }));
  return (out.Item as Item) ?? null;
}

export async function readRecord(allocationId: string): Promise<{ record: AccountabilityRecord; item: Item } | null> {
  const item = await getItem(accountabilityKeys.record(allocationId));
  return item ? { record: recordOf(item), item } : null;
}

export async function readListing(allocationId: string): Promise<{ listing: ListingRecord; item: Item } | null> {
  const item = await getItem(accountabilityKeys.listing(allocationId));
  return item ? { listing: listingOf(item), item } : null;
}

export async function readPolicy(callId: string): Promise<{ policy: CallPolicy; item: Item } | null> {
  const item = await getItem(accountabilityKeys.callPolicy(callId));
  return item ? { policy: policyOf(item), item } : null;
}

export async function readReclaim(allocationId: string, reclaimId: string): Promise<{ reclaim: ReclaimProposal; item: Item } | null> {
  const item = await getItem(accountabilityKeys.reclaim(allocationId, reclaimId));
  return item ? { reclaim: reclaimOf(item), item } : null;
}

export async function queryPrefix(pk: string, skPrefix: string, opts: { limit?: number; forward?: boolean } = {}): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(
      new QueryCommand({
        TableName: mainTable(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix },
        ExclusiveStartKey: start,
        ConsistentRead: true,
        ScanIndexForward: opts.forward ?? true,
        ...(opts.limit ? { Limit: opts.limit } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as Item[]));
    start = opts.limit && items.length >= opts.limit ? undefined : out.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function reportVersions(allocationId: string, reportId: string): Promise<ReportVersion[]> {
  const { pk, skPrefix } = accountabilityKeys.reportVersionPrefix(allocationId, reportId);
  return (await queryPrefix(pk, skPrefix)).map(reportVersionOf);
}

export async function outcomesOf(allocationId: string): Promise<Outcome[]> {
  const { pk, skPrefix } = accountabilityKeys.outcomePrefix(allocationId);
  return (await queryPrefix(pk, skPrefix)).map(outcomeOf);
}

export async function reclaimsOf(allocationId: string): Promise<ReclaimProposal[]> {
  const { pk, skPrefix } = accountabilityKeys.reclaimPrefix(allocationId);
  return (await queryPrefix(pk, skPrefix)).map(reclaimOf);
}

/**
 * Credits held for the allocation's jobs that may still run: each job dispatched and not finished
 * holds its estimate (GPUs x nodes x time limit at its rate). Conservative: what a running job has
 * already been charged is counted in both its hold and the used credits. The one place to point at
 * the ledger's own dispatch holds when they land.
 */
export async function heldForRunningJobsMc(allocationId: string): Promise<Record<string, Mc>> {
  const { pk, skPrefix } = connectorKeys.jobPrefix(allocationId);
  const held: Record<string, Mc> = {};
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(
      new QueryCommand({
        TableName: mainTable(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        FilterExpression: '(#s = :submitting OR #s = :submitted) AND (attribute_not_exists(phase) OR phase <> :finished)',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix, ':submitting': 'submitting', ':submitted': 'submitted', ':finished': 'finished' },
        ProjectionExpression: 'resourceKey, estimatedCredits',
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const j of out.Items ?? []) held[String(j.resourceKey)] = (held[String(j.resourceKey)] ?? 0) + Math.round(Number(j.estimatedCredits) * 1000);
    start = out.LastEvaluatedKey;
  } while (start);
  return held;
}

// ---- changes ------------------------------------------------------------------------------------

export const subject = {
  record: (allocationId: string) => ({ type: 'accountability', id: allocationId }),
  listing: (allocationId: string) => ({ type: 'public-listing', id: allocationId }),
  reclaim: (r: { allocationId: string; reclaimId: string }) => ({ type: 'reclaim', id: `${r.allocationId}.${r.reclaimId}` }),
  policy: (callId: string) => ({ type: 'call-accountability', id: callId }),
};

export function recordChange(before: Item | null, after: AccountabilityRecord, nextActionAt: string | null, action: string, details?: Record<string, unknown>): Change {
  return { subject: subject.record(after.allocationId), before, after: recordItem(after, nextActionAt), action, details };
}
export function listingChange(before: Item | null, after: ListingRecord, action: string, details?: Record<string, unknown>): Change {
  return { subject: subject.listing(after.allocationId), before, after: listingItem(after), action, details };
}
export function reclaimChange(before: Item | null, after: ReclaimProposal, action: string, details?: Record<string, unknown>): Change {
  return { subject: subject.reclaim(after), before, after: reclaimItem(after), action, details: { state: after.state, ...(details ?? {}) } };
}
export function policyChange(before: Item | null, after: CallPolicy, action: string): Change {
  return { subject: subject.policy(after.callId), before, after: policyItem(after), action };
}

export interface AccountabilityWrite {
  changes: Change[];
  puts?: ImmutablePut[];
  sideWrites?: SideWrite[];
  events?: DomainEvent[];
}

/** One audited transaction, then the events. */
export async function commitAccountability(ctx: AuditContext, w: AccountabilityWrite): Promise<void> {
  await commit(ctx, { changes: w.changes, puts: w.puts, sideWrites: [...(w.sideWrites ?? []), ...outboxWrites(w.events ?? [])] });
  if (w.events?.length) await publish(w.events);
}

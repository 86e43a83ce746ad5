// Allocations and the ledger in DynamoDB. Every change goes through the audited write path:
// the allocation item (a subject with its own audit chain), its new immutable ledger entries
// (recorded by digest in the allocation's event), and derived items (job charges, member index,
// outbox) in one transaction. Concurrent writers of one allocation are serialised by its auditSeq.
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { batchGet } from '../shared/store/batch-get';
import { gsi, keys, PREFIX, type ItemKey } from '../shared/store/keys';
import { commit, retryOnStale, StaleWriteError, type AuditContext, type Change, type Item, type SideWrite } from '../shared/store/write-path';
import { outboxWrites, publish } from '../shared/events/outbox';
import type { DomainEvent } from '../domain/events';
import type { Allocation, JobUsageState, LedgerEntry } from '../domain/ledger/model';
import { newId } from '../domain/ids';
import { NotFoundError } from '../domain/errors';

export function allocationItem(a: Allocation, prev?: Item | null): Item {
  return {
    ...(prev ?? {}),
    ...a,
    ...keys.allocation(a.id),
    gsi1pk: gsi.allAllocations,
    gsi1sk: `${a.createdAt}#${a.id}`,
    gsi2pk: gsi.allocationsInState(a.state),
    gsi2sk: `${a.endDate}#${a.id}`,
  } as Item;
}

const ALLOC_ATTRS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'auditSeq', 'auditHash'];

export function allocationOf(item: Record<string, unknown>): Allocation {
  const a: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!ALLOC_ATTRS.includes(k)) a[k] = v;
  return a as unknown as Allocation;
}

export function entryItem(e: LedgerEntry): Item {
  return { ...keys.ledgerEntry(e.allocationId, e.entryId), ...e } as Item;
}

export function entryOf(item: Record<string, unknown>): LedgerEntry {
  const { pk: _pk, sk: _sk, ...e } = item;
  return e as unknown as LedgerEntry;
}

export function jobItem(j: JobUsageState): Item {
  return { ...keys.jobUsage(j.siteId, j.cluster, j.jobId), ...j } as Item;
}

export async function getAllocationItem(id: string, consistent = true): Promise<Item | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: keys.allocation(id), ConsistentRead: consistent }));
  return (out.Item as Item) ?? null;
}

export async function getAllocation(id: string): Promise<{ allocation: Allocation; item: Item }> {
  const item = await getAllocationItem(id);
  if (!item) throw new NotFoundError('Allocation', id);
  return { allocation: allocationOf(item), item };
}

export { batchGet };

export interface LedgerWrite {
  before: Item | null;
  after: Allocation;
  entries: LedgerEntry[];
  action: string;
  details?: Record<string, unknown>;
  sideWrites?: SideWrite[];
  events?: DomainEvent[];
  /** Other subjects changed in the same transaction (e.g. the request that caused this). */
  extraChanges?: Change[];
}

/** The audit seq an allocation item gets from the commit that changes it (write-path.ts numbers them). */
export function allocSeqAfter(before: Item | null | undefined): number {
  return Number(before?.auditSeq ?? 0) + 1;
}

/** Write capacity consumed by ledger commits in this process (read by bench/ledger.ts). */
export const ledgerMetrics = { consumedWcu: 0, pricedWcu: 0, commits: 0 };

/**
 * Commits allocation changes (one or several allocations) with their entries, side writes and
 * outbox events in ONE transaction; then publishes the events.
 */
export async function commitLedger(ctx: AuditContext, w: LedgerWrite | LedgerWrite[]): Promise<{ consumedWcu: number }> {
  const writes = Array.isArray(w) ? w : [w];
  const changes: Change[] = [];
  const puts: { item: Item; recordedBy: number }[] = [];
  const sideWrites: SideWrite[] = [];
  const events: DomainEvent[] = [];
  for (const x of writes) {
    const summary = x.entries.map((e) => ({ kind: e.kind, resource: e.resource, amountMc: e.amountMc, ...(e.overLimit ? { overLimit: true } : {}), ...(e.jobs ? { jobs: e.jobs.length } : {}) }));
    const index = changes.length;
    changes.push({
      subject: { type: 'allocation', id: x.after.id },
      before: x.before,
      after: allocationItem(x.after, x.before),
      action: x.action,
      details: { ...(x.details ?? {}), ...(summary.length ? { entries: summary } : {}) },
    });
    // each entry carries the allocation's seq it was written with: the ledger as of one version of
    // the item is its entries up to that seq, whatever is being written meanwhile (consistency)
    const allocSeq = allocSeqAfter(x.before);
    puts.push(...x.entries.map((e) => ({ item: entryItem({ ...e, allocSeq }), recordedBy: index })));
    sideWrites.push(...(x.sideWrites ?? []), ...outboxWrites(x.events ?? []));
    events.push(...(x.events ?? []));
  }
  for (const x of writes) changes.push(...(x.extraChanges ?? []));
  const res = await commit(ctx, { changes, puts, sideWrites });
  ledgerMetrics.consumedWcu += res.consumedWcu;
  ledgerMetrics.pricedWcu += res.pricedWcu;
  ledgerMetrics.commits += 1;
  if (events.length) await publish(events);
  return { consumedWcu: res.consumedWcu };
}

/**
 * Read-modify-commit on one allocation, retried when another writer wins the race. `apply` gets
 * the current allocation and returns the write (or null for "nothing to do").
 */
export async function mutateAllocation<T extends LedgerWrite | null>(id: string, ctx: AuditContext, apply: (a: Allocation, item: Item) => Promise<T> | T): Promise<T> {
  let hint: Item | undefined;
  return retryOnStale(
    async () => {
      const item = hint ?? (await getAllocationItem(id));
      hint = undefined;
      if (!item) throw new NotFoundError('Allocation', id);
      const w = await apply(allocationOf(item), item);
      if (!w) return w;
      try {
        await commitLedger(ctx, { ...w, before: item });
      } catch (e) {
        if (e instanceof StaleWriteError && e.current && e.current.pk === item.pk) hint = e.current;
        throw e;
      }
      return w;
    },
    { attempts: 50 },
  );
}

/**
 * Read-modify-commit on several allocations in one transaction (packed usage). `apply` gets the
 * current allocations (in the order of `ids`) and returns a write per allocation that changes.
 */
export async function mutateAllocations(
  ids: string[],
  ctx: AuditContext,
  apply: (allocs: Allocation[], prefetched: Map<string, Item>) => Promise<Omit<LedgerWrite, 'before'>[]>,
  /** Other items `apply` needs, read in the same round trip as the allocations (and again on a retry). */
  prefetch: ItemKey[] = [],
): Promise<void> {
  await retryOnStale(
    async () => {
      const got = await batchGet([...ids.map((id) => keys.allocation(id)), ...prefetch]);
      const items = ids.map((id) => got.get(`${keys.allocation(id).pk}|${keys.allocation(id).sk}`));
      const missing = ids.filter((_, i) => !items[i]);
      if (missing.length) throw new NotFoundError('Allocation', missing[0]);
      const writes = await apply(
        items.map((it) => allocationOf(it!)),
        got,
      );
      if (!writes.length) return;
      const byId = new Map(items.map((it) => [String(it!.id), it!]));
      await commitLedger(
        ctx,
        writes.map((w) => ({ ...w, before: byId.get(w.after.id)! })),
      );
    },
    { attempts: 50 },
  );
}

export function memberIndexWrites(a: Allocation, prev: Allocation | null): SideWrite[] {
  const before = new Set((prev?.members ?? []).map((m) => m.sub));
  const after = new Set(a.members.map((m) => m.sub));
  const writes: SideWrite[] = [];
  for (const m of a.members) if (!before.has(m.sub)) writes.push({ put: { ...keys.allocationMember(a.id, m.sub), gsi1pk: gsi.memberOf(m.sub), gsi1sk: `${a.createdAt}#${a.id}`, allocationId: a.id, role: m.role } });
  for (const sub of before) if (!after.has(sub)) writes.push({ delete: keys.allocationMember(a.id, sub) });
  return writes;
}

export interface Page<T> {
  items: T[];
  nextKey?: Record<string, unknown>;
}

export async function listEntries(allocationId: string, opts: { limit: number; startKey?: Record<string, unknown>; all?: boolean }): Promise<Page<LedgerEntry>> {
  const { pk, skPrefix } = keys.ledgerPrefix(allocationId);
  const items: LedgerEntry[] = [];
  let start = opts.startKey;
  do {
    const out = await ddb().send(
      new QueryCommand({
        TableName: mainTable(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix },
        ExclusiveStartKey: start,
        Limit: opts.all ? 1000 : opts.limit,
        ConsistentRead: true,
      }),
    );
    items.push(...(out.Items ?? []).map(entryOf));
    start = out.LastEvaluatedKey;
  } while (opts.all && start);
  return { items, nextKey: start };
}

/** A member's allocations, newest first: their member index items (gsi1), then the allocations in one BatchGetItem. */
export async function listForMember(sub: string, opts: { limit: number; startKey?: Record<string, unknown> }): Promise<Page<Allocation>> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': gsi.memberOf(sub) },
      ScanIndexForward: false,
      Limit: opts.limit,
      ExclusiveStartKey: opts.startKey,
    }),
  );
  const ids = (out.Items ?? []).map((i) => String(i.allocationId));
  const got = await batchGet(ids.map((id) => keys.allocation(id)));
  const items = ids
    .map((id) => got.get(`${keys.allocation(id).pk}|${keys.allocation(id).sk}`))
    .filter((x): x is Item => !!x)
    .map(allocationOf);
  return { items, nextKey: out.LastEvaluatedKey };
}

/** The partition a staff listing pages through: allocations in one state (gsi2), or all of them (gsi1). */
export function listScope(state?: Allocation['state']): string {
  return state ? gsi.allocationsInState(state) : gsi.allAllocations;
}

/**
 * Allocations newest first, all of them or those in one state, optionally of one PI or call
 * (filtered on the server: a page may hold fewer than `limit`, and still have a next page).
 */
export async function listByScope(opts: { state?: Allocation['state']; piSub?: string; callId?: string; limit: number; startKey?: Record<string, unknown> }): Promise<Page<Allocation>> {
  const [index, pkName] = opts.state ? ['gsi2', 'gsi2pk'] : ['gsi1', 'gsi1pk'];
  const filters: string[] = [];
  const values: Record<string, unknown> = { ':p': listScope(opts.state) };
  if (opts.piSub) filters.push('piSub = :pi'), (values[':pi'] = opts.piSub);
  if (opts.callId) filters.push('callId = :c'), (values[':c'] = opts.callId);
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      IndexName: index,
      KeyConditionExpression: `${pkName} = :p`,
      ExpressionAttributeValues: values,
      FilterExpression: filters.length ? filters.join(' AND ') : undefined,
      ScanIndexForward: false,
      Limit: opts.limit,
      ExclusiveStartKey: opts.startKey,
    }),
  );
  return { items: (out.Items ?? []).map(allocationOf), nextKey: out.LastEvaluatedKey };
}

export async function jobsOfAllocation(allocationId: string, entries: LedgerEntry[]): Promise<JobUsageState[]> {
  const keysList = new Map<string, ItemKey>();
  for (const e of entries) for (const j of e.jobs ?? []) keysList.set(`${j.siteId}#${j.cluster}#${j.jobId}`, keys.jobUsage(j.siteId, j.cluster, j.jobId));
  const got = await batchGet([...keysList.values()]);
  return [...got.values()].map((i) => i as unknown as JobUsageState).filter((j) => j.allocationId === allocationId);
}

export const newEntryId = () => newId('le');
export { PREFIX };

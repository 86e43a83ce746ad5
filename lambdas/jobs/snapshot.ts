// What a dispatch reads before it records anything, in ONE round trip (BatchGetItem): the
// allocation, the caller's site account at the site, and the resource's hold counter.
//
// A warm execution environment may reuse a snapshot for a few seconds (KAIRR_DISPATCH_SNAPSHOT_MS,
// default 5000; 0 turns it off). That is safe because nothing is ACCEPTED on a snapshot's word:
// every fact a dispatch relies on is a condition of its one transaction (the allocation is active,
// its balance is at least what was read, the account is the one recorded, the caller is still a
// member, their site account is still active with this login, the holds leave room). And nothing
// is REFUSED on a cached snapshot's word: a refusal is decided on a fresh read only (dispatch.ts).
import { keys, trustKeys } from '../shared/store/keys';
import type { Item } from '../shared/store/write-path';
import { allocationOf } from '../ledger';
import { batchGet } from '../shared/store/batch-get';
import type { Allocation } from '../domain/ledger/model';
import type { SiteAccount } from '../domain/site-accounts';
import { siteAccountOf } from '../connectors';

export interface Snapshot {
  allocation?: Allocation;
  siteAccount?: SiteAccount;
  /** Credits (mc) the resource's jobs in flight hold (0 when the counter does not exist). */
  heldMc: number;
  fresh: boolean;
}

const cache = new Map<string, { at: number; snap: Snapshot }>();
const MAX_ENTRIES = 1000;

function ttlMs(): number {
  const v = Number(process.env.KAIRR_DISPATCH_SNAPSHOT_MS ?? 5000);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/** The resource key a request names, before the request is validated (an unknown one just reads nothing). */
export function requestedResourceKey(site: string, resource: string): string {
  return resource.includes('/') ? resource : `${site}/${resource}`;
}

export async function readSnapshot(q: { allocationId: string; sub: string; siteId: string; resourceKey: string }, fresh: boolean): Promise<Snapshot> {
  const id = `${q.allocationId}|${q.sub}|${q.siteId}|${q.resourceKey}`;
  const ttl = ttlMs();
  if (!fresh && ttl > 0) {
    const hit = cache.get(id);
    if (hit && Date.now() - hit.at < ttl) return { ...hit.snap, fresh: false };
  }
  const k = { a: keys.allocation(q.allocationId), s: trustKeys.siteAccount(q.siteId, q.sub), h: trustKeys.dispatchHold(q.allocationId, q.resourceKey) };
  const got = await batchGet([k.a, k.s, k.h]);
  const at = (x: { pk: string; sk: string }): Item | undefined => got.get(`${x.pk}|${x.sk}`);
  const a = at(k.a);
  const s = at(k.s);
  const snap: Snapshot = { allocation: a ? allocationOf(a) : undefined, siteAccount: s ? siteAccountOf(s) : undefined, heldMc: Number(at(k.h)?.heldMc ?? 0), fresh: true };
  if (ttl > 0) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(id, { at: Date.now(), snap });
  }
  return snap;
}

/** For tests: forget every snapshot. */
export function clearSnapshots(): void {
  cache.clear();
}

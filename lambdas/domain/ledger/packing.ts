// Packing usage reports into ledger transactions (pure: no clock, no store). DynamoDB takes at most
// 100 items in a transaction, and every item counts: a pack one item over is refused whole. So
// reports are grouped by who reported them (one actor per transaction: its audit events name one
// reporter) and by allocation; an allocation's group is cut into chunks that fit, and the n-th
// chunk of an allocation goes to wave n. A wave's packs touch distinct allocations, so they commit
// in parallel without racing each other; waves commit in order, so an allocation's reports are
// applied in the order they came.

/** DynamoDB's limit on the items of one TransactWriteItems. */
export const ITEMS_PER_TXN = 100;

/** What the packer needs to know of a report. */
export interface PackInput {
  /** Who reported (role|sub): one actor per pack. */
  actor: string;
  allocationId: string;
  /** The resource key the report charges (its entries are per resource). */
  resource: string;
  /** The job has a dispatch hold to release in the same transaction (jobs/holds.ts). */
  held: boolean;
}

/**
 * Items one allocation's group needs in a transaction: the allocation, its audit event and the
 * AllocationExhausted outbox item it may emit (3), up to 2 entries per resource (in and over the
 * limit), its jobs' charge items, and for jobs with a dispatch hold the hold item and, per
 * resource, the hold counter.
 */
export function itemsFor(group: readonly Pick<PackInput, 'resource' | 'held'>[]): number {
  const resources = new Set(group.map((p) => p.resource)).size;
  const held = group.filter((p) => p.held);
  const heldResources = new Set(held.map((p) => p.resource)).size;
  return 3 + 2 * resources + group.length + held.length + heldResources;
}

/** Cuts one allocation's reports, in order, into the longest runs that fit a transaction. */
function chunksOf<T>(group: T[], view: (t: T) => PackInput, limit: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < group.length; ) {
    let j = i + 1; // a chunk holds at least one report (one report needs at most 8 items)
    while (j < group.length && itemsFor(group.slice(i, j + 1).map(view)) <= limit) j++;
    out.push(group.slice(i, j));
    i = j;
  }
  return out;
}

/**
 * Packs reports into waves of transactions: waves[w][p] is the p-th pack of wave w, a list of the
 * reports it commits. Within a wave no allocation appears in two packs; an allocation's reports keep
 * their relative order across waves and within a pack; no pack needs more than `limit` items.
 */
export function packUsage<T>(reports: readonly T[], view: (t: T) => PackInput, limit = ITEMS_PER_TXN): T[][][] {
  const byActor = new Map<string, T[]>();
  for (const r of reports) {
    const k = view(r).actor;
    const list = byActor.get(k);
    if (list) list.push(r);
    else byActor.set(k, [r]);
  }
  const waves: T[][][] = [];
  for (const list of byActor.values()) {
    // each actor's waves follow the previous actor's: two actors reporting on one allocation never
    // share a wave (their packs would race on the allocation's item)
    const base = waves.length;
    const groups = new Map<string, T[]>();
    for (const r of list) {
      const k = view(r).allocationId;
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    const chunksByWave: T[][][] = [];
    for (const g of groups.values()) chunksOf(g, view, limit).forEach((c, w) => (chunksByWave[w] ??= []).push(c));
    chunksByWave.forEach((chunks, w) => {
      // largest chunks first, each into the open pack or a new one: fewer, fuller transactions
      const sorted = [...chunks].sort((a, b) => b.length - a.length);
      const packs: T[][] = [];
      let cur: T[] = [];
      let size = 0;
      for (const c of sorted) {
        const n = itemsFor(c.map(view));
        if (size + n > limit && cur.length) {
          packs.push(cur);
          cur = [];
          size = 0;
        }
        cur.push(...c);
        size += n;
      }
      if (cur.length) packs.push(cur);
      (waves[base + w] ??= []).push(...packs);
    });
  }
  return waves;
}

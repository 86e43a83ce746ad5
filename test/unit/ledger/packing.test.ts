// Packing usage into transactions (domain/ledger/packing.ts), pure: every pack fits DynamoDB's 100
// items counting every item (the outbox item of a pack that crosses the exhaustion floor included),
// one actor per pack, an allocation at most once per wave, and each allocation's reports in order.
import { ITEMS_PER_TXN, itemsFor, packUsage, type PackInput } from '../../../lambdas/domain/ledger/packing';

interface R extends PackInput {
  seq: number;
}

let seq = 0;
const r = (allocationId: string, extra: Partial<PackInput> = {}): R => ({ actor: 'system|system:connector-spc', allocationId, resource: 'spc/h200', held: false, ...extra, seq: seq++ });
const view = (x: R) => x;

/** Every invariant, for any packing. */
function assertPacked(input: R[], waves: R[][][]) {
  const packs = waves.flat();
  // nothing lost, nothing twice
  expect(
    packs
      .flat()
      .map((x) => x.seq)
      .sort((a, b) => a - b),
  ).toEqual(input.map((x) => x.seq).sort((a, b) => a - b));
  for (const p of packs) {
    expect(p.length).toBeGreaterThan(0);
    const byAlloc = new Map<string, R[]>();
    for (const x of p) byAlloc.set(x.allocationId, [...(byAlloc.get(x.allocationId) ?? []), x]);
    // the pack's items: each allocation's group counted with its allocation, event, outbox item and entries
    expect([...byAlloc.values()].reduce((n, g) => n + itemsFor(g), 0)).toBeLessThanOrEqual(ITEMS_PER_TXN);
    expect(new Set(p.map((x) => x.actor)).size).toBe(1);
  }
  for (const wave of waves) {
    const seen = wave.flatMap((p) => [...new Set(p.map((x) => x.allocationId))]);
    expect(new Set(seen).size).toBe(seen.length);
  }
  // an allocation's reports, read wave by wave and pack by pack, come in the order they arrived
  const order = new Map<string, number[]>();
  for (const x of waves.flat(2)) order.set(x.allocationId, [...(order.get(x.allocationId) ?? []), x.seq]);
  for (const [id, seqs] of order) expect({ id, seqs }).toEqual({ id, seqs: input.filter((x) => x.allocationId === id).map((x) => x.seq) });
}

describe('itemsFor', () => {
  test('counts the allocation, its event and outbox item, two entries per resource, the jobs, holds and hold counters', () => {
    expect(itemsFor([{ resource: 'spc/h200', held: false }])).toBe(3 + 2 + 1);
    expect(
      itemsFor([
        { resource: 'spc/h200', held: true },
        { resource: 'spc/b200', held: false },
      ]),
    ).toBe(3 + 4 + 2 + 1 + 1);
    // 95 jobs on one resource fill a transaction exactly; 96 would be the 101st item
    expect(itemsFor(Array.from({ length: 95 }, () => ({ resource: 'spc/h200', held: false })))).toBe(100);
    expect(itemsFor(Array.from({ length: 96 }, () => ({ resource: 'spc/h200', held: false })))).toBe(101);
  });
});

describe('packUsage', () => {
  test('a batch spread over many allocations becomes a few full packs, not one per allocation', () => {
    const input = Array.from({ length: 500 }, (_, i) => r(`alloc-${i % 40}`, { resource: i % 3 ? 'spc/h200' : 'spc/b200' }));
    const waves = packUsage(input, view);
    assertPacked(input, waves);
    expect(waves).toHaveLength(1);
    expect(waves[0].length).toBeLessThanOrEqual(8); // 40 groups of 12–13 reports on 2 resources: 19–20 items each
  });

  test('one allocation with more than a pack holds is cut into chunks, one per wave, in order', () => {
    const input = Array.from({ length: 250 }, () => r('alloc-big'));
    const waves = packUsage(input, view);
    assertPacked(input, waves);
    expect(waves.map((w) => w.map((p) => p.length))).toEqual([[95], [95], [60]]);
  });

  test('a pack at the exhaustion floor keeps room for the AllocationExhausted outbox item', () => {
    // 95 jobs fit with the outbox item counted; the 96th goes to the next wave rather than making 101 items
    const input = Array.from({ length: 96 }, () => r('alloc-floor'));
    const waves = packUsage(input, view);
    assertPacked(input, waves);
    expect(waves.map((w) => w.map((p) => p.length))).toEqual([[95], [1]]);
    expect(itemsFor(waves[0][0])).toBe(ITEMS_PER_TXN);
  });

  test('held jobs count their hold and the hold counter', () => {
    const input = Array.from({ length: 60 }, () => r('alloc-held', { held: true }));
    const waves = packUsage(input, view);
    assertPacked(input, waves);
    // 3 + 2 + n jobs + n holds + 1 counter <= 100: 47 per pack
    expect(waves.map((w) => w.map((p) => p.length))).toEqual([[47], [13]]);
  });

  test('reports of two actors never share a pack, nor a wave on the same allocation', () => {
    const input = Array.from({ length: 40 }, (_, i) => r(`alloc-${i % 4}`, { actor: i % 2 ? 'site-operator|op-spc' : 'system|system:connector-spc' }));
    const waves = packUsage(input, view);
    assertPacked(input, waves);
    expect(waves.length).toBe(2);
  });

  test('small groups merge into one pack while they fit; the next group opens another', () => {
    // groups of 90, 5 and 5 jobs: 95 + 8 + 8 items: the big one alone, the two small ones together
    const input = [...Array.from({ length: 90 }, () => r('alloc-a')), ...Array.from({ length: 5 }, () => r('alloc-b')), ...Array.from({ length: 5 }, () => r('alloc-c'))];
    const waves = packUsage(input, view);
    assertPacked(input, waves);
    expect(waves[0].map((p) => [...new Set(p.map((x) => x.allocationId))])).toEqual([['alloc-a'], ['alloc-b', 'alloc-c']]);
  });

  test('nothing to pack is no wave', () => {
    expect(packUsage([], view)).toEqual([]);
  });
});

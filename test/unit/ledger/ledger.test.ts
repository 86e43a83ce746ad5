// The ledger against DynamoDB Local: exact balances under concurrency, idempotent usage, and
// rejections that write nothing.
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ingestUsage } from '../../../lambdas/ledger/ingest';
import { consistency, addCredits, exchangeCredits, expireDue } from '../../../lambdas/ledger/service';
import { getAllocation, listEntries } from '../../../lambdas/ledger/store';
import type { UsageReport } from '../../../lambdas/domain/ledger/validate-usage';
import { chargeMc } from '../../../lambdas/domain/ledger/money';
import { ledgerFixture, newAllocation, system, type LedgerFixture } from './support';

let fx: LedgerFixture;
beforeAll(async () => {
  fx = await ledgerFixture();
});
afterAll(async () => {
  await fx.stop();
});

// A small deterministic PRNG so every run exercises the same "random" sizes.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const H200_RATE_AT_2026_10 = 0.9; // config/local.json: 1.0 from 2026-01-01, 0.9 from 2026-09-01

function report(jobId: string, allocationId: string, gpus: number, seconds: number, extra: Partial<UsageReport> = {}): UsageReport {
  const start = '2026-10-01T00:00:00.000Z';
  return { cluster: 'spc', jobId, allocationId, resource: 'h200', user: 'alice', gpus, start, end: new Date(Date.parse(start) + seconds * 1000).toISOString(), elapsedSeconds: seconds, ...extra };
}

describe('concurrent debits', () => {
  it('200 concurrent debits of random sizes leave the balance exact and never below the overdraft; exactly the ones that did not fit are over the limit', async () => {
    const alloc = await newAllocation({ 'spc/h200': 100 });
    const rand = rng(42);
    const debits = Array.from({ length: 200 }, (_, i) => report(`conc-${i}`, alloc.id, 1 + Math.floor(rand() * 4), 60 + Math.floor(rand() * 3000)));
    // Four independent module instances stand for four Lambda execution environments writing at once.
    const instances = Array.from({ length: 4 }, () => {
      let mod!: typeof import('../../../lambdas/ledger/ingest');
      jest.isolateModules(() => {
        mod = require('../../../lambdas/ledger/ingest');
        require('../../../lambdas/shared/store/client').setDdb(fx.tables.doc);
      });
      return mod;
    });
    const results = await Promise.all(debits.map((d, i) => instances[i % 4].ingestUsage('spc', [d], system(`debit-${i}`)).then((r) => r.results[0])));

    expect(results.every((r) => r.status === 'accepted')).toBe(true);
    const { allocation } = await getAllocation(alloc.id);
    const acct = allocation.resources['spc/h200'];
    const charges = debits.map((d) => chargeMc(d.gpus, d.elapsedSeconds, H200_RATE_AT_2026_10));
    const fitted = results.map((r, i) => (r.overLimit ? 0 : charges[i])).reduce((a, b) => a + b, 0);
    const over = results.map((r, i) => (r.overLimit ? charges[i] : 0)).reduce((a, b) => a + b, 0);
    expect(acct.balanceMc).toBe(100_000 - fitted);
    expect(acct.balanceMc).toBeGreaterThanOrEqual(0); // overdraft 0 in config/local.json
    expect(acct.overLimitMc).toBe(over);
    expect(over).toBeGreaterThan(0); // the sizes were chosen so that not everything fits
    // Each over-limit debit was bigger than what was left when it was decided (balances only shrink).
    results.forEach((r, i) => {
      if (r.overLimit) expect(charges[i]).toBeGreaterThan(acct.balanceMc);
    });
    expect(acct.exhausted).toBe(true);
    expect((await consistency(alloc.id)).problems).toEqual([]);
    await fx.bus.bus.idle();
    expect(fx.published.filter((e) => e.type === 'AllocationExhausted' && e.detail.allocationId === alloc.id)).toHaveLength(1);
  });
});

describe('idempotent usage', () => {
  it('ingesting 10,000 records twice, shuffled, with duplicates and corrections, leaves every total exact', async () => {
    const allocs = await Promise.all(Array.from({ length: 20 }, () => newAllocation({ 'spc/h200': 1_000_000, 'spc/b200': 1_000_000 })));
    const rand = rng(7);
    const base: UsageReport[] = Array.from({ length: 10_000 }, (_, i) => report(`idem-${i}`, allocs[i % allocs.length].id, 1 + (Math.floor(rand() * 8) % 4), 30 + Math.floor(rand() * 7200), { resource: i % 3 === 0 ? 'b200' : 'h200' }));
    // Corrections: 1,500 jobs get a later, different final figure (some up, some down).
    const corrected = new Map<number, UsageReport>();
    for (let n = 0; n < 1500; n++) {
      const i = Math.floor(rand() * base.length);
      const b = base[i];
      const secs = Math.max(1, b.elapsedSeconds + Math.floor((rand() - 0.5) * 1200));
      corrected.set(i, { ...b, elapsedSeconds: secs, end: new Date(Date.parse(b.start) + secs * 1000).toISOString() });
    }
    const shuffle = <T>(xs: T[]) => {
      const a = [...xs];
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    };
    const ingestAll = async (list: UsageReport[]) => {
      const statuses: Record<string, number> = {};
      for (let i = 0; i < list.length; i += 500) {
        const { results } = await ingestUsage('spc', list.slice(i, i + 500), system(`batch-${i}`));
        for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      }
      return statuses;
    };
    // Round 1: everything once, plus 1,000 in-batch duplicates.
    const dupes = Array.from({ length: 1000 }, () => base[Math.floor(rand() * base.length)]);
    const first = await ingestAll(shuffle([...base, ...dupes]));
    expect(first.rejected ?? 0).toBe(0);
    expect(first.failed ?? 0).toBe(0);
    // Round 2: everything again, with the corrected figures replacing the originals.
    const second = await ingestAll(shuffle(base.map((b, i) => corrected.get(i) ?? b)));
    expect(second.failed ?? 0).toBe(0);
    expect(second.corrected).toBeGreaterThan(0);
    expect(second.duplicate).toBeGreaterThan(8000);
    // Round 3: the same again: nothing changes.
    const third = await ingestAll(shuffle(base.map((b, i) => corrected.get(i) ?? b)));
    expect(third).toEqual({ duplicate: 10_000 });

    // Every allocation is charged exactly the final figure of each of its jobs.
    const finalCharge = new Map<string, Record<string, number>>();
    base.forEach((b, i) => {
      const f = corrected.get(i) ?? b;
      const rate = f.resource === 'b200' ? 1.8 : H200_RATE_AT_2026_10;
      const per = finalCharge.get(f.allocationId!) ?? {};
      const key = `spc/${f.resource}`;
      per[key] = (per[key] ?? 0) + chargeMc(f.gpus, f.elapsedSeconds, rate);
      finalCharge.set(f.allocationId!, per);
    });
    for (const a of allocs) {
      const { allocation } = await getAllocation(a.id);
      for (const [key, used] of Object.entries(finalCharge.get(a.id) ?? {})) {
        expect({ a: a.id, key, used: allocation.resources[key].usedMc }).toEqual({ a: a.id, key, used });
        expect(allocation.resources[key].balanceMc).toBe(1_000_000_000 - used);
      }
      expect((await consistency(a.id)).problems).toEqual([]);
    }
  });
});

describe('bad usage reports', () => {
  it('rejects each bad report with its named reason and writes nothing for it', async () => {
    const alloc = await newAllocation({ 'spc/h200': 10 });
    const now = Date.now();
    const future = new Date(now + 3600_000).toISOString();
    const bad: [string, UsageReport][] = [
      ['unknown_allocation', report('bad-1', 'alloc-does-not-exist', 1, 60)],
      ['unknown_resource', report('bad-2', alloc.id, 1, 60, { resource: 'tpu-v5' })],
      ['resource_not_in_allocation', report('bad-3', alloc.id, 1, 60, { resource: 'b200' })],
      ['negative_value', report('bad-4', alloc.id, -1, 60)],
      ['negative_value', report('bad-5', alloc.id, 1, -5)],
      ['absurd_value', report('bad-6', alloc.id, 10_000, 60)],
      ['absurd_value', report('bad-7', alloc.id, 1, 90_000, { end: '2026-10-01T00:01:00.000Z' })],
      ['end_before_start', report('bad-8', alloc.id, 1, 0, { end: '2026-09-30T00:00:00.000Z' })],
      ['start_in_future', report('bad-9', alloc.id, 1, 0, { start: future, end: future })],
      ['wrong_cluster', report('bad-10', alloc.id, 1, 60, { cluster: 'kisti6' })],
    ];
    const good = report('good-1', alloc.id, 1, 3600);
    const { results } = await ingestUsage('spc', [...bad.map(([, r]) => r), good], system('bad-batch'));
    bad.forEach(([code], i) => expect({ i, status: results[i].status, code: results[i].reason?.code }).toEqual({ i, status: 'rejected', code }));
    for (const r of results.slice(0, bad.length)) expect(r.reason).toMatchObject({ path: expect.any(String), problem: expect.any(String) });
    expect(results[bad.length]).toMatchObject({ status: 'accepted', deltaCredits: 0.9 });

    // Only the good report reached the store.
    const jobs = await fx.tables.doc.send(new ScanCommand({ TableName: fx.tables.names.main, FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': 'USAGE#spc#spc#bad-' } }));
    expect(jobs.Items).toEqual([]);
    const { items } = await listEntries(alloc.id, { limit: 100, all: true });
    expect(items.map((e) => [e.kind, e.amountMc])).toEqual([
      ['award', 10_000],
      ['usage', -900],
    ]);
  });
});

describe('credits', () => {
  it('supplements revive an exhausted resource; exchanges move credits; expiry forfeits the rest', async () => {
    const alloc = await newAllocation({ 'spc/h200': 1, 'kisti6/gh200': 5 });
    await ingestUsage('spc', [report('ex-1', alloc.id, 2, 3600)], system()); // 1.8 credits > 1: over the limit
    let a = (await getAllocation(alloc.id)).allocation;
    expect(a.resources['spc/h200']).toMatchObject({ balanceMc: 1000, overLimitMc: 1800, exhausted: true });
    expect(a.state).toBe('pending-provisioning');

    a = await addCredits(alloc.id, 'supplement', 'spc/h200', 3, system());
    expect(a.resources['spc/h200']).toMatchObject({ balanceMc: 4000, awardedMc: 4000, exhausted: false });
    a = await exchangeCredits(alloc.id, 'kisti6/gh200', 'spc/h200', 2.5, system());
    expect(a.resources['kisti6/gh200'].balanceMc).toBe(2500);
    expect(a.resources['spc/h200'].balanceMc).toBe(6500);
    await expect(exchangeCredits(alloc.id, 'kisti6/gh200', 'spc/h200', 99, system())).rejects.toMatchObject({ status: 422 });

    const expired = await expireDue({ ...system('expiry'), now: new Date('2028-01-01T00:00:00Z') });
    expect(expired).toContain(alloc.id);
    a = (await getAllocation(alloc.id)).allocation;
    expect(a.state).toBe('expired');
    expect(Object.values(a.resources).map((r) => r.balanceMc)).toEqual([0, 0]);
    expect(await expireDue({ ...system('expiry-again'), now: new Date('2028-01-02T00:00:00Z') })).not.toContain(alloc.id);
    const { items } = await listEntries(alloc.id, { limit: 100, all: true });
    expect(
      items
        .filter((e) => e.kind === 'expiry')
        .map((e) => [e.resource, e.amountMc])
        .sort(),
    ).toEqual([
      ['kisti6/gh200', -2500],
      ['spc/h200', -6500],
    ]);
    expect((await consistency(alloc.id)).problems).toEqual([]);
    // Every change is in the allocation's audit chain.
    const evs = await fx.tables.doc.send(new QueryCommand({ TableName: fx.tables.names.audit, KeyConditionExpression: 'pk = :s', ExpressionAttributeValues: { ':s': `allocation/${alloc.id}` } }));
    expect((evs.Items ?? []).map((e) => e.action)).toEqual(['allocation.award', 'ledger.usage', 'ledger.supplement', 'ledger.exchange', 'allocation.expire']);
  });
});

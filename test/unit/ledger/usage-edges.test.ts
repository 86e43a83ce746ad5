// Nothing lost at the edges of usage, against DynamoDB Local: a full pack that crosses the floor
// commits (its AllocationExhausted outbox item is counted); refused usage is parked, listed,
// replayed and alarmed on; a correction naming another resource is refused; an admin adjustment
// retried with its Idempotency-Key adds nothing; the consistency check stays true while writers run.
import { ingestUsage } from '../../../lambdas/ledger/ingest';
import { itemsFor } from '../../../lambdas/domain/ledger/packing';
import { consistency } from '../../../lambdas/ledger/service';
import { getAllocation, listEntries } from '../../../lambdas/ledger/store';
import { listParked } from '../../../lambdas/ledger/parked';
import { recordProvisioned } from '../../../lambdas/connectors/allocation-writes';
import { handler as ledgerHandler } from '../../../lambdas/ledger/handler';
import { ledgerApi } from '../../../lambdas/ledger/api';
import type { UsageReport } from '../../../lambdas/domain/ledger/validate-usage';
import { apiOf, auditEvents, person } from '../../support/invoke';
import { ledgerFixture, newAllocation, system, type LedgerFixture } from './support';

let fx: LedgerFixture;
beforeAll(async () => {
  fx = await ledgerFixture();
});
afterAll(async () => {
  await fx.stop();
});

const api = apiOf(ledgerApi, ledgerHandler as never);
const admin = person('admin-1', ['admin']);
const spcOp = person('op-spc', ['site-operator'], ['spc']);
let n = 0;
const job = () => `edge-${Date.now().toString(36)}-${++n}`;

function report(allocationId: string | undefined, gpus: number, seconds: number, extra: Partial<UsageReport> = {}): UsageReport {
  const start = '2026-10-01T00:00:00.000Z';
  return { cluster: 'spc', jobId: job(), ...(allocationId ? { allocationId } : {}), resource: 'h200', user: 'alice', gpus, start, end: new Date(Date.parse(start) + seconds * 1000).toISOString(), elapsedSeconds: seconds, ...extra };
}

describe('the pack that crosses the floor', () => {
  test("counts the AllocationExhausted outbox item: a pack is never more than DynamoDB's 100 items", () => {
    const pack = (jobs: number) => Array.from({ length: jobs }, () => ({ resource: 'spc/h200', held: false }));
    // allocation + event + outbox item, in-balance and over-limit entries, the jobs
    expect(itemsFor(pack(95))).toBe(100);
    expect(itemsFor(pack(96))).toBe(101);
  });

  test('a batch that fills a whole pack and takes the balance below the floor is charged in full, none failed', async () => {
    // 96 jobs of 1 GPU-hour at 0.9: the first ones fit in 20 credits, the rest go over the limit
    const a = await newAllocation({ 'spc/h200': 20 });
    const batch = Array.from({ length: 96 }, () => report(a.id, 1, 3600));

    const { results } = await ingestUsage('spc', batch, system('full-pack'));

    expect(results.filter((r) => r.status === 'failed')).toEqual([]);
    expect(results.every((r) => r.status === 'accepted')).toBe(true);
    const after = (await getAllocation(a.id)).allocation;
    expect(after.resources['spc/h200'].exhausted).toBe(true);
    expect(after.resources['spc/h200'].usedMc + after.resources['spc/h200'].overLimitMc).toBe(96 * 900);
    await fx.bus.bus.idle({ timeoutMs: 10_000 });
    expect(fx.published.filter((e) => e.type === 'AllocationExhausted' && e.detail.allocationId === a.id)).toHaveLength(1);
    expect((await consistency(a.id)).ok).toBe(true);
  });
});

describe('refused usage is parked, never dropped', () => {
  test('a report of an account KAIRR does not know yet is parked (audited, metric emitted), listed, and charged once replayed after the account is recorded', async () => {
    const a = await newAllocation({ 'spc/h200': 100 });
    const account = `k-edge-${Date.now().toString(36)}`;
    const r = { ...report(undefined, 2, 1800), account };
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    let first, second;
    try {
      first = await ingestUsage('spc', [r], system('collector-1'));
      second = await ingestUsage('spc', [r], system('collector-2')); // the collector's overlap reads it again
    } finally {
      spy.mockRestore();
    }
    const listed = await api(spcOp, 'GET', '/v1/sites/spc/usage/parked?state=parked');
    const otherSite = await api(person('op-k6', ['site-operator'], ['kisti6']), 'GET', '/v1/sites/spc/usage/parked');

    await recordProvisioned(a.id, [{ resourceKey: 'spc/h200', siteId: 'spc', account }], system('provisioned'));
    const replay = await api(spcOp, 'POST', '/v1/sites/spc/usage/parked/replay', { jobs: [{ cluster: 'spc', jobId: r.jobId }] });
    const again = await api(spcOp, 'POST', '/v1/sites/spc/usage/parked/replay', { jobs: [{ cluster: 'spc', jobId: r.jobId }] });

    expect(first.results[0]).toMatchObject({ status: 'rejected', reason: { code: 'unknown_allocation' } });
    expect(second.results[0].status).toBe('rejected');
    const metrics = lines.map((l) => JSON.parse(l)).filter((m) => m._aws && m.ParkedUsageReports);
    expect(metrics).toEqual([expect.objectContaining({ ParkedUsageReports: 1, Site: 'spc', Stage: 'local' })]);
    expect((await auditEvents('usage.parked')).filter((e) => e.details.jobId === r.jobId)).toHaveLength(1);
    expect(listed.body.items.filter((p: { jobId: string }) => p.jobId === r.jobId)).toEqual([expect.objectContaining({ state: 'parked', reason: expect.objectContaining({ code: 'unknown_allocation' }), report: r })]);
    expect(otherSite.status).toBe(403);
    expect(replay).toMatchObject({ status: 200, body: { replayed: 1, resolved: [{ jobId: r.jobId, status: 'accepted' }], stillRefused: [] } });
    expect(again.body).toMatchObject({ replayed: 0 });
    expect((await getAllocation(a.id)).allocation.resources['spc/h200'].usedMc).toBe(900); // 2 GPUs × 0.5 h × 0.9, once
    expect((await listParked('spc', { state: 'parked', limit: 200 })).items.some((p) => p.jobId === r.jobId)).toBe(false);
  });

  test('a correction naming another resource than the job was charged on is refused (and parked); nothing moves', async () => {
    const a = await newAllocation({ 'spc/h200': 100, 'spc/b200': 100 });
    const r = report(a.id, 1, 3600);
    await ingestUsage('spc', [r], system('first'));

    const moved = await ingestUsage('spc', [{ ...r, resource: 'b200', elapsedSeconds: 1800, end: new Date(Date.parse(r.start) + 1800_000).toISOString() }], system('correction'));

    expect(moved.results[0]).toMatchObject({ status: 'rejected', reason: { code: 'resource_mismatch', path: 'resource' } });
    const after = (await getAllocation(a.id)).allocation.resources;
    expect(after['spc/h200'].usedMc).toBe(900);
    expect(after['spc/b200'].usedMc).toBe(0);
    expect((await listParked('spc', { limit: 200 })).items.some((p) => p.jobId === r.jobId && p.reason.code === 'resource_mismatch')).toBe(true);
    expect((await consistency(a.id)).ok).toBe(true);
  });
});

describe('admin adjustments', () => {
  test('a retry with the same Idempotency-Key returns the first answer and adds nothing; another body with it is refused', async () => {
    const a = await newAllocation({ 'spc/h200': 100 });
    const body = { kind: 'adjustment', resource: 'spc/h200', credits: 25, reason: 'migration correction' };
    const key = { 'Idempotency-Key': `adj-${a.id}` };

    const first = await api(admin, 'POST', `/v1/allocations/${a.id}/adjustments`, body, key);
    const retry = await api(admin, 'POST', `/v1/allocations/${a.id}/adjustments`, body, key);
    const other = await api(admin, 'POST', `/v1/allocations/${a.id}/adjustments`, { ...body, credits: 30 }, key);

    expect(first.status).toBe(200);
    expect(retry).toMatchObject({ status: 200, headers: { 'idempotent-replayed': 'true' } });
    expect(other).toMatchObject({ status: 409, body: { error: { code: 'idempotency_key_reused' } } });
    const { items } = await listEntries(a.id, { limit: 100, all: true });
    expect(items.filter((e) => e.kind === 'adjustment')).toHaveLength(1);
    expect((await getAllocation(a.id)).allocation.resources['spc/h200'].balanceMc).toBe(125_000);
  });
});

describe('consistency while writers run', () => {
  test('is never ok:false for a consistent allocation that is being charged at the same time', async () => {
    const a = await newAllocation({ 'spc/h200': 10_000 });
    let writing = true;
    const writers = Array.from({ length: 3 }, async (_, w) => {
      let k = 0;
      while (writing)
        await ingestUsage(
          'spc',
          Array.from({ length: 5 }, () => report(a.id, 1, 60 + ((w + k++) % 7))),
          system(`writer-${w}`),
        );
    });
    const checks: { ok: boolean; problems: unknown[] }[] = [];
    try {
      // enough checks to overlap many commits (each check reads the item, then the entries and jobs)
      for (let i = 0; i < 25; i++) checks.push(await consistency(a.id));
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    const entries = (await listEntries(a.id, { limit: 1000, all: true })).items.length;

    expect(entries).toBeGreaterThan(20); // the writers really wrote while the checks ran
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect((await consistency(a.id)).ok).toBe(true);
  });
});

// Charging across a rate change (docs/domain.md: usage is charged at the rate in force when the
// job started). config/local.json: spc/h200 costs 1.0 credits per GPU-hour from 2026-01-01 and
// 0.9 from 2026-09-01. A job that starts before the new rate and ends after it is charged wholly
// at the old rate, however often it is reported (running, then final); one that starts after the
// change pays the new rate.
import { ingestUsage } from '../../../lambdas/ledger/ingest';
import { consistency } from '../../../lambdas/ledger/service';
import { getAllocation, listEntries } from '../../../lambdas/ledger/store';
import type { UsageReport } from '../../../lambdas/domain/ledger/validate-usage';
import { ledgerFixture, newAllocation, system, type LedgerFixture } from './support';

let fx: LedgerFixture;
beforeAll(async () => {
  fx = await ledgerFixture();
});
afterAll(async () => {
  await fx.stop();
});

const HOUR = 3600;
function job(jobId: string, allocationId: string, start: string, seconds: number, final: boolean): UsageReport {
  return { cluster: 'spc', jobId, allocationId, resource: 'h200', user: 'alice', gpus: 2, start, end: final ? new Date(Date.parse(start) + seconds * 1000).toISOString() : null, elapsedSeconds: seconds };
}

const usedMc = async (id: string) => {
  const { items } = await listEntries(id, { limit: 100, all: true });
  return -items.filter((e) => e.kind === 'usage').reduce((sum, e) => sum + e.amountMc, 0);
};

test('a job from 22:00 the day before the new rate to 02:00 after it is charged 8 GPU-hours at the old rate', async () => {
  const a = await newAllocation({ 'spc/h200': 100 });
  const start = '2026-08-31T22:00:00.000Z';

  await ingestUsage('spc', [job('rc-1', a.id, start, 1.5 * HOUR, false)], system('running')); // reported while running, before the change
  await ingestUsage('spc', [job('rc-1', a.id, start, 4 * HOUR, true)], system('final')); // final, after it

  // 2 GPUs × 4 h × 1.0 = 8 credits; at the new rate it would be 7.2, prorated 7.6.
  expect(await usedMc(a.id)).toBe(8_000);
  expect((await getAllocation(a.id)).allocation.resources['spc/h200'].balanceMc).toBe(92_000);
  expect((await consistency(a.id)).problems).toEqual([]);
});

test('the same job starting just after the change is charged at the new rate', async () => {
  const a = await newAllocation({ 'spc/h200': 100 });

  await ingestUsage('spc', [job('rc-2', a.id, '2026-09-01T00:00:00.000Z', 4 * HOUR, true)], system('final'));

  expect(await usedMc(a.id)).toBe(7_200);
});

// Usage collection against the real clusters: a job dispatched through KAIRR is read back from
// slurmdbd, handed to the ledger (its handler, in-process) and charged exactly once, however often
// collection runs, also when runs overlap; the watermark moves only after the ledger accepted
// everything, and never backwards.
import { chargeMc } from '../../lambdas/domain/ledger/money';
import { collectUsage } from '../../lambdas/connectors/usage/collect';
import { useLedgerIngest, type LedgerIngestResponse } from '../../lambdas/connectors/usage/ledger-client';
import { handler as ledgerHandler } from '../../lambdas/ledger/handler';
import { advanceWatermark, getWatermark } from '../../lambdas/connectors/state';
import { consistency } from '../../lambdas/ledger/service';
import { getAllocation, listEntries } from '../../lambdas/ledger/store';
import { driverFor, LONG_JOB, SHORT_JOB, waitFor } from './support/clusters';
import { BOB, KISTI6_OPERATOR, startHarness, type Harness } from './support/kairr';

jest.setTimeout(10 * 60_000);

let h: Harness;
let allocationId: string;
const jobsPath = () => `/v1/allocations/${allocationId}/jobs`;

beforeAll(async () => {
  h = await startHarness();
  const a = await h.award({ 'kisti6/gh200': 20, 'spc/h200': 20 }, { members: [BOB] });
  allocationId = a.id;
  const active = await h.settled(a.id);
  if (active.state !== 'active') throw new Error(`allocation did not become active: ${active.state} ${active.stateReason ?? ''}`);
});
afterAll(async () => {
  await h?.stop();
});

/** Ledger lines (per job) of this allocation's usage entries for one scheduler job (job ids are per cluster). */
async function chargesOf(siteId: string, jobId: string): Promise<number[]> {
  const { items } = await listEntries(allocationId, { limit: 1000, all: true });
  return items.filter((e) => e.kind === 'usage').flatMap((e) => (e.jobs ?? []).filter((j) => j.siteId === siteId && j.jobId === jobId).map((j) => j.deltaMc));
}

describe('a finished job', () => {
  let job: { jobId: string; schedulerJobId: string };
  let expectedMc: number;

  beforeAll(async () => {
    const res = await h.api('POST', jobsPath(), BOB, { body: { site: 'kisti6', resource: 'gh200', script: SHORT_JOB, gpus: 2, timeLimit: 2 } });
    if (res.status !== 201) throw new Error(`dispatch failed: ${JSON.stringify(res.body)}`);
    job = res.body;
    // slurmdbd has the job's end (what collection reads)
    const record = await waitFor(
      `job ${job.schedulerJobId} finished in accounting`,
      async () => (await driverFor(h.clusters.kisti6).listJobs({ since: new Date(Date.now() - 600_000) })).find((r) => r.jobId === job.schedulerJobId),
      (r) => !!r?.end,
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expectedMc = chargeMc(2, record!.elapsedSeconds, res.body.creditsPerGpuHour);
  });

  test('is charged once, at gres/gpu × elapsed at the rate, when collection runs', async () => {
    const before = (await getAllocation(allocationId)).allocation.resources['kisti6/gh200'];

    const run = await collectUsage('kisti6');

    const after = (await getAllocation(allocationId)).allocation.resources['kisti6/gh200'];
    expect(run.summary.failed ?? 0).toBe(0);
    expect(run.watermark.moved).toBe(true);
    expect(expectedMc).toBeGreaterThan(0);
    expect(await chargesOf('kisti6', job.schedulerJobId)).toEqual([expectedMc]);
    expect(after.usedMc - before.usedMc).toBe(expectedMc);
    expect(after.balanceMc).toBe(before.balanceMc - expectedMc);
  });

  test('running collection again, and three runs at once, charge nothing more', async () => {
    const before = (await getAllocation(allocationId)).allocation.resources['kisti6/gh200'];

    const again = await collectUsage('kisti6');
    const overlapping = await Promise.all([collectUsage('kisti6'), collectUsage('kisti6'), collectUsage('kisti6')]);

    const after = (await getAllocation(allocationId)).allocation.resources['kisti6/gh200'];
    expect(again.summary.duplicate).toBeGreaterThanOrEqual(1);
    expect(again.summary.accepted ?? 0).toBe(0);
    for (const r of overlapping) expect(r.summary.failed ?? 0).toBe(0);
    expect(after).toEqual(before);
    expect(await chargesOf('kisti6', job.schedulerJobId)).toEqual([expectedMc]);
    expect((await consistency(allocationId)).ok).toBe(true);
  });

  test("the site's status shows its scheduler and the watermark, to its own operators only", async () => {
    const current = (await getWatermark('kisti6'))!;

    const mine = await h.api('GET', '/v1/sites/kisti6/status', KISTI6_OPERATOR);
    const other = await h.api('GET', '/v1/sites/spc/status', KISTI6_OPERATOR);
    const member = await h.api('GET', '/v1/sites/kisti6/status', BOB);

    expect(mine).toMatchObject({
      status: 200,
      body: {
        siteId: 'kisti6',
        scheduler: { ok: true, controller: 'up', accounting: 'up', apiVersion: expect.stringMatching(/^v0\.0\.4/) },
        usage: { watermark: current.watermark, lastRun: expect.objectContaining({ reports: expect.any(Number) }) },
      },
    });
    expect(other.status).toBe(403);
    expect(member.status).toBe(403);
  });

  test('the watermark never moves backwards', async () => {
    const current = (await getWatermark('kisti6'))!;

    const older = await advanceWatermark('kisti6', new Date(Date.parse(current.watermark) - 3_600_000), { actor: { sub: 'test', role: 'system' }, requestId: 'test' }, {});

    expect(older).toEqual({ moved: false, watermark: current.watermark });
    expect((await getWatermark('kisti6'))!.watermark).toBe(current.watermark);
  });

  test('when the ledger could not record a report, the watermark stays where it was', async () => {
    const before = (await getWatermark('kisti6'))!.watermark;
    useLedgerIngest(async (event) => {
      const res = (await ledgerHandler(event)) as LedgerIngestResponse;
      return { ...res, results: res.results.map((r, i) => (i === 0 ? { ...r, status: 'failed' as const } : r)) };
    });
    let held;
    try {
      held = await collectUsage('kisti6');
    } finally {
      useLedgerIngest((event) => ledgerHandler(event) as Promise<LedgerIngestResponse>);
    }

    expect(held.summary.failed).toBe(1);
    expect(held.watermark).toMatchObject({ moved: false, held: expect.stringMatching(/not recorded/) });
    expect((await getWatermark('kisti6'))!.watermark).toBe(before);
  });
});

test('a running job is charged as it runs and corrected to its final use, in total once', async () => {
  const res = await h.api('POST', jobsPath(), BOB, { body: { site: 'spc', resource: 'h200', script: LONG_JOB, gpus: 1, timeLimit: 5 } });
  const schedulerJobId: string = res.body.schedulerJobId;
  await waitFor(
    'the job to run',
    async () => (await h.api('GET', `${jobsPath()}/${res.body.jobId}`, BOB)).body,
    (j) => j.state === 'running',
    { timeoutMs: 60_000 },
  );
  // slurmdbd knows it runs, and it has run for a few seconds
  await waitFor(
    'a few seconds of use in accounting',
    async () => (await driverFor(h.clusters.spc).listJobs({ since: new Date(Date.now() - 600_000) })).find((r) => r.jobId === schedulerJobId),
    (r) => (r?.elapsedSeconds ?? 0) >= 3,
    { timeoutMs: 60_000 },
  );

  const whileRunning = await collectUsage('spc');
  const partial = await chargesOf('spc', schedulerJobId);
  await h.api('DELETE', `${jobsPath()}/${res.body.jobId}`, BOB);
  const final = await waitFor(
    'the final record in accounting',
    async () => (await driverFor(h.clusters.spc).listJobs({ since: new Date(Date.now() - 600_000) })).find((r) => r.jobId === schedulerJobId),
    (r) => !!r?.end,
    { timeoutMs: 60_000 },
  );
  await collectUsage('spc');
  await collectUsage('spc');

  const charges = await chargesOf('spc', schedulerJobId);
  expect(whileRunning.summary.failed ?? 0).toBe(0);
  expect(partial.length).toBe(1);
  expect(partial[0]).toBeGreaterThan(0);
  expect(charges.reduce((a, b) => a + b, 0)).toBe(chargeMc(1, final!.elapsedSeconds, res.body.creditsPerGpuHour));
  expect((await consistency(allocationId)).ok).toBe(true);
});

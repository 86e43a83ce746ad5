// Accountability over HTTP against the local runtime (the bundles that ship, the deployed approval
// and provisioning flows, the real kisti6 cluster): a starter award under a two-tranche policy is
// provisioned with its first half; the daily schedule, fired as at a later day, reminds and then
// holds it, and the connectors block it so dispatch is refused by name; accepting the report lifts
// the hold and releases the second half; the public record lists it without a token and without
// personal data, and its figures match the ledger.
import { as, runSchedule, settle, target } from './support/client';
import { checkAgainstCatalogue } from '../support/response-check';
import { addDays, addMonths } from '../../lambdas/domain/accountability/dates';
import { sacctmgrAssocs, loadClusters, waitFor, type LocalCluster } from '../slurm/support/clusters';
import { slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { callBody, createCall, createProposal, identity, proposalBody, stateOf, suiteTarget, until, type Client } from './approval-support';

jest.setTimeout(10 * 60_000);

const clusters: Record<string, LocalCluster> = Object.fromEntries(loadClusters().map((c) => [c.siteId, c]));
const POLICY = {
  progressReports: { atMonths: [1, 3], wordLimit: 500 },
  finalReport: { withinDaysAfterEnd: 30, pageLimit: 3 },
  reminders: { daysBefore: 7 },
  graceDays: 14,
  resubmitDays: 14,
  wordsPerPage: 500,
  tranches: [
    { share: 0.5, releaseOn: 'start' },
    { share: 0.5, releaseOn: 'report-accepted' },
  ],
  idle: { threshold: 0.2, windowDays: 30, graceDays: 14, reclaimShare: 0.5, mode: 'chair', responseDays: 7, minimumCredits: 1 },
};

function dailyRule(): string {
  const id = Object.keys(target().rules ?? {}).find((k) => /^AccountabilityDailySchedule[0-9A-F]{8}$/.test(k));
  if (!id) throw new Error(`no accountability daily rule in the runtime (rules: ${Object.keys(target().rules ?? {}).join(', ')})`);
  return id;
}

let pi: Client;
beforeAll(async () => {
  if (!target().local) throw new Error('this suite fires the daily schedule at chosen times, which only the local runtime allows');
  pi = await identity(suiteTarget(), 'acct-alice', ['researcher'], { preferred_username: 'alice' });
});

test('award → provisioned half → reminded, held at the scheduler → report accepted: unheld, second half → public record', async () => {
  const t = suiteTarget();
  const call = await createCall(await identity(t, 'acct-admin', ['admin']), callBody([], { capacity: { 'kisti6/gh200': 50 } }));
  const admin = await identity(t, 'acct-admin2', ['admin']);
  const chair = await identity(t, 'acct-chair', ['chair']);
  expect((await admin.call('PUT', `/v1/calls/${call.id}/accountability`, POLICY)).status).toBe(200);
  const p = await createProposal(
    pi,
    proposalBody(call.id, {
      credits: { 'kisti6/gh200': 2 },
      workload: { purpose: 'fine-tuning', modelParameters: 1e9, precision: 'bf16', dataset: { sizeGB: 10, location: { siteId: 'kisti6' } }, memoryPerGpuGB: 40, interconnect: 'none', trainingTokens: 1e9 },
    }),
  );
  expect((await pi.post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
  const approved = await stateOf(pi, p.id, 'approved', 120_000);
  const id = approved.allocationId;
  const alloc = () => pi.get(`/v1/allocations/${id}`).then((r) => r.body);
  const active = await until('the allocation to be provisioned', async () => ((await alloc()).state === 'active' ? alloc() : undefined), 180_000);
  expect(active.balances).toEqual([expect.objectContaining({ resource: 'kisti6/gh200', awarded: 1, balance: 1 })]);
  const account = slurmAccountName(id, 'gh200');
  expect(sacctmgrAssocs(clusters.kisti6, account).find((r) => !r.user)).toMatchObject({ grpTresMins: 'gres/gpu=75', grpSubmit: '' });

  // the daily schedule, fired as at later days: reminders, then the hold after the grace period
  const due = addMonths(active.startDate, 1);
  for (const d of [addDays(due, -7), due, addDays(due, 1), addDays(due, 15)]) {
    await runSchedule(dailyRule(), { time: `${d}T00:15:00Z` });
    await settle(120_000);
  }
  const held = await until('the hold', async () => ((await alloc()).state === 'suspended' ? alloc() : undefined), 60_000);
  expect(held.stateReason).toMatch(/^on hold: the month-1 report was due on/);
  await waitFor(
    'the account to be blocked at kisti6',
    async () => sacctmgrAssocs(clusters.kisti6, account).find((r) => !r.user),
    (r) => r?.grpSubmit === '0',
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
  const refused = await pi.post(`/v1/allocations/${id}/jobs`, { site: 'kisti6', resource: 'gh200', script: '#!/bin/bash\nsleep 1\n', gpus: 1, timeLimit: 1 });
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe('allocation_on_hold');
  const rec = (await pi.get(`/v1/allocations/${id}/accountability`)).body;
  // reminders were sent at the job's (moved) clock; the API's own clock is today, so the view does not call it overdue
  expect(rec.reports[0]).toMatchObject({ reportId: 'month-1', status: 'pending', reminders: { sent: ['before', 'on', 'overdue'] } });
  expect(rec.hold).toMatchObject({ reportIds: ['month-1'] });

  // the report, with a retried submission; accepted by the chair
  const body = {
    language: 'ko',
    progress: '1B 모델을 400억 토큰으로 사전 학습했고 KLUE로 평가했다.',
    nextPlan: '7B 모델로 확장한다.',
    outcomes: [{ kind: 'publication', doi: '10.1145/3580305.3599256', title: 'Korean scaling laws', venue: 'KDD', year: 2026 }],
  };
  const first = await pi.post(`/v1/allocations/${id}/reports/month-1`, body, { 'idempotency-key': `e2e-report-${id.slice(-8)}` });
  const retry = await pi.post(`/v1/allocations/${id}/reports/month-1`, body, { 'idempotency-key': `e2e-report-${id.slice(-8)}` });
  expect([first.status, retry.status, retry.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
  const ok = await chair.post(`/v1/allocations/${id}/reports/month-1/review`, { decision: 'accept', comments: 'Thank you.' });
  expect(ok.body).toMatchObject({ releasedTranches: ['t2'], holdLifted: true });
  await settle(120_000);
  const back = await until('the allocation to be active again', async () => ((await alloc()).state === 'active' ? alloc() : undefined), 60_000);
  expect(back.balances).toEqual([expect.objectContaining({ awarded: 2, balance: 2 })]);
  await waitFor(
    'the account to be unblocked with the doubled budget',
    async () => sacctmgrAssocs(clusters.kisti6, account).find((r) => !r.user),
    (r) => r?.grpSubmit === '' && r?.grpTresMins === 'gres/gpu=150',
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );

  // the public record, without a token
  const list = await fetch(`${target().apiUrl}/v1/public/awards?callId=${call.id}`);
  const text = await list.text();
  checkAgainstCatalogue({ method: 'GET', path: `/v1/public/awards?callId=${call.id}`, status: list.status, contentType: list.headers.get('content-type'), text });
  expect(list.status).toBe(200);
  expect(list.headers.get('cache-control')).toMatch(/^public, max-age=\d+, s-maxage=\d+$/);
  const award = JSON.parse(text).items.find((x: any) => x.allocationId === id);
  expect(award).toMatchObject({ organisation: 'KAIST', orgType: 'university', credits: { awarded: 2, used: 0, committed: 2 }, outcomes: { publications: 1 } });
  for (const personal of [pi.sub, 'Kim Ji-woo', 'kaist.example', 'alice']) expect(text).not.toContain(personal);
  await runSchedule(dailyRule(), { time: `${addDays(due, 16)}T00:15:00Z` });
  await settle(120_000);
  const stats = await as('auditor').get(`/v1/public/stats?callId=${call.id}`);
  const ledger = (await as('admin').get(`/v1/allocations/${id}/ledger`)).body.items;
  expect(stats.body).toMatchObject({ awards: 1, creditsAwarded: ledger.filter((e: any) => ['award', 'tranche', 'reclaim'].includes(e.kind)).reduce((s: number, e: any) => s + e.credits, 0) });
  expect(ledger.map((e: any) => e.kind)).toEqual(['award', 'tranche']);
});

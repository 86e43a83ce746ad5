// GET /v1/reports/allocations and /v1/reports/fairness: JSON and CSV, sums, groupings, filters,
// formula-neutralised CSV cells, roles. Allocations are made and charged through the ledger's own
// service (award, usage ingestion); calls and proposals are stored through the write path in the
// approval capability's own item shapes (lambdas/approval/store.ts), so the reports read exactly
// what those capabilities store.
import { createAllocation } from '../../../lambdas/ledger/service';
import { ingestUsage } from '../../../lambdas/ledger/ingest';
import { newId } from '../../../lambdas/domain/ids';
import { commit, type Item } from '../../../lambdas/shared/store/write-path';
import { callItem, proposalItem } from '../../../lambdas/approval/store';
import type { Call, Proposal } from '../../../lambdas/domain/approval/model';
import { fairnessReport } from '../../../lambdas/audit/reports';
import { decodeTextCell, CsvParser } from '../../../lambdas/domain/audit';
import { as, admin, auditFixture, auditor, caller, researcher, type AuditFixture } from './support';

let fx: AuditFixture;
const sys = (requestId: string) => ({ actor: { sub: 'system:test', role: 'system' }, requestId });
const ids: Record<string, string> = {};

async function allocation(name: string, o: { orgType: string; field: string; institution: string; callId?: string; credits: Record<string, number> }) {
  const a = await createAllocation(
    {
      id: newId('alloc'),
      title: `Project ${name}`,
      piSub: `pi-${name}`,
      institution: o.institution,
      orgType: o.orgType,
      field: o.field,
      proposalId: null,
      callId: o.callId ?? null,
      tier: 'standard',
      startDate: '2026-01-01',
      endDate: '2027-12-31',
      members: [],
      awardsMc: Object.fromEntries(Object.entries(o.credits).map(([k, v]) => [k, v * 1000])),
    },
    sys(`award-${name}`),
  );
  ids[name] = a.id;
  return a;
}

function call(id: string, capacity: Record<string, number>, floors: Record<string, number>): Call {
  const now = new Date().toISOString();
  return {
    id,
    title: `Call ${id}`,
    description: 'test',
    kind: 'open',
    opensAt: now,
    closesAt: now,
    capacityMc: Object.fromEntries(Object.entries(capacity).map(([k, v]) => [k, v * 1000])),
    awardedMc: {},
    awardedByOrgTypeMc: {},
    tiers: { starter: { maxMc: 0 }, standard: { maxMc: 1e9, reviewers: 2, minReviews: 2 }, flagship: { reviewers: 3, minReviews: 2 } },
    eligibleOrgTypes: ['university', 'startup'],
    maxRequestMc: 1e9,
    fairnessFloors: floors,
    reviewerPool: [],
    reviewDeadlineHours: 72,
    decisionDeadlineDays: 30,
    createdAt: now,
    updatedAt: now,
    createdBy: 'admin-1',
  } as Call;
}

function proposal(callId: string, state: string, orgType: string, field: string, requested: Record<string, number>, awarded?: Record<string, number>): Proposal {
  const now = new Date().toISOString();
  const mc = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v * 1000]));
  return {
    id: newId('prop'),
    callId,
    ownerSub: 'r-1',
    state,
    round: 1,
    title: 'P',
    field,
    team: [],
    datasets: [],
    models: [],
    createdAt: now,
    updatedAt: now,
    submittedAt: now,
    pi: { name: 'PI', email: 'pi@x.example', institution: 'KAIST', orgType, username: 'pi' },
    requestedMc: mc(requested),
    ...(awarded ? { decision: { round: 1, outcome: 'approve', creditsMc: mc(awarded), reason: 'ok', decidedBy: 'chair-1', decidedAt: now, automatic: false } } : {}),
  } as unknown as Proposal;
}

beforeAll(async () => {
  fx = await auditFixture();
  process.env.EVENT_BUS_NAME = 'kairr-test';
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = 'http://127.0.0.1:9'; // nothing listens: publishing fails fast, the outbox keeps the events
  await allocation('uni-a', { orgType: 'university', field: 'physics', institution: 'KAIST', callId: 'call-1', credits: { 'spc/h200': 100, 'kisti6/gh200': 50 } });
  await allocation('uni-b', { orgType: 'university', field: 'biology', institution: '=cmd|" /C calc"!A0', callId: 'call-1', credits: { 'spc/h200': 10 } });
  await allocation('startup', { orgType: 'startup', field: 'physics', institution: 'Acme AI', credits: { 'spc/b200': 20 } });
  // 2 GPUs for an hour at 0.9 credits per GPU-hour: 1.8 credits used on uni-a's spc/h200.
  const start = '2026-10-01T00:00:00.000Z';
  const { results } = await ingestUsage('spc', [{ cluster: 'spc', jobId: 'job-1', allocationId: ids['uni-a'], resource: 'h200', user: 'alice', gpus: 2, start, end: '2026-10-01T01:00:00.000Z', elapsedSeconds: 3600 }], sys('usage'));
  expect(results[0].status).not.toBe('rejected');

  const c1 = call('call-fair-1', { 'spc/h200': 1000 }, { startup: 0.2 });
  const ps = [
    proposal(c1.id, 'approved', 'university', 'physics', { 'spc/h200': 300 }, { 'spc/h200': 250 }),
    proposal(c1.id, 'rejected', 'university', 'biology', { 'spc/h200': 200 }),
    proposal(c1.id, 'approved', 'startup', 'physics', { 'spc/h200': 100 }, { 'spc/h200': 100 }),
    proposal(c1.id, 'in-review', 'startup', 'biology', { 'spc/h200': 50 }),
    proposal(c1.id, 'draft', 'startup', 'biology', { 'spc/h200': 999 }),
  ];
  await commit(sys('calls'), { changes: [{ subject: { type: 'call', id: c1.id }, before: null, after: callItem(c1), action: 'call.create' }] });
  for (const p of ps) await commit(sys('proposals'), { changes: [{ subject: { type: 'proposal', id: p.id }, before: null, after: proposalItem(p) as Item, action: 'proposal.test' }] });
  // A stored award plan of the call, in the award-plan capability's item shape.
  await commit(sys('plan'), {
    changes: [
      {
        subject: { type: 'award-plan', id: 'plan-1' },
        before: null,
        after: {
          pk: `PLAN#${c1.id}`,
          sk: 'PLAN#plan-1',
          planId: 'plan-1',
          callId: c1.id,
          createdAt: '2026-05-01T00:00:00.000Z',
          createdBy: 'chair-1',
          objective: 12.5,
          proposals: 3,
          overrides: [{ proposalId: ps[0].id, resourceKey: 'spc/h200', credits: 250, reason: 'capacity', by: 'chair-1', at: '2026-05-02T00:00:00.000Z' }],
          body: 'x',
        } as Item,
        action: 'award-plan.create',
      },
    ],
  });
});
afterAll(() => fx.stop());

function parseCsv(text: string): string[][] {
  const p = new CsvParser();
  const rows = [...p.push(text), ...p.end()].map((r) => r.cells);
  return rows;
}

describe('GET /v1/reports/allocations', () => {
  it('reports each allocation per resource, and totals by org type, field, institution and call', async () => {
    const res = await as(auditor).get('/v1/reports/allocations');
    expect(res.status).toBe(200);
    const r = res.body;
    const a = r.allocations.find((x: { allocationId: string }) => x.allocationId === ids['uni-a']);
    expect(a).toMatchObject({ orgType: 'university', field: 'physics', institution: 'KAIST', callId: 'call-1', state: 'pending-provisioning' });
    expect(a.resources).toEqual([
      { resource: 'kisti6/gh200', awarded: 50, used: 0, remaining: 50, overLimit: 0 },
      { resource: 'spc/h200', awarded: 100, used: 1.8, remaining: 98.2, overLimit: 0 },
    ]);
    expect(a.totals).toEqual({ awarded: 150, used: 1.8, remaining: 148.2, overLimit: 0 });
    expect(r.totals.overall).toMatchObject({ key: null, allocations: 3, totals: { awarded: 180, used: 1.8, remaining: 178.2, overLimit: 0 } });
    expect(r.totals.byOrgType.map((g: { key: string; allocations: number }) => [g.key, g.allocations])).toEqual([
      ['startup', 1],
      ['university', 2],
    ]);
    expect(r.totals.byField.find((g: { key: string }) => g.key === 'physics').totals.awarded).toBe(170);
    expect(r.totals.byCall.map((g: { key: string | null; allocations: number }) => [g.key, g.allocations])).toEqual([
      ['call-1', 2],
      [null, 1],
    ]);
    expect(r.totals.byInstitution).toHaveLength(3);
  });

  it('filters (by org type, call, state) and names a bad filter', async () => {
    const uni = await as(admin).get('/v1/reports/allocations?orgType=university&callId=call-1&state=pending-provisioning');
    expect(uni.status).toBe(200);
    expect(uni.body.filters).toEqual({ orgType: 'university', callId: 'call-1', state: 'pending-provisioning' });
    expect(uni.body.allocations).toHaveLength(2);
    expect((await as(auditor).get('/v1/reports/allocations?state=active')).body.allocations).toEqual([]);
    const bad = await as(auditor).get('/v1/reports/allocations?view=pie');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('query.view');
    expect((await as(auditor).get('/v1/reports/allocations?format=xml')).body.error.details[0].path).toBe('query.format');
  });

  it('answers CSV for ?format=csv or Accept: text/csv, with formula-like cells neutralised', async () => {
    const byQuery = await as(auditor).get('/v1/reports/allocations?format=csv');
    const byAccept = await as(auditor).get('/v1/reports/allocations', { accept: 'text/csv' });
    for (const res of [byQuery, byAccept]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="kairr-allocations-allocations-/);
    }
    const rows = parseCsv(byQuery.text);
    expect(rows[0]).toEqual(['allocationId', 'title', 'state', 'piSub', 'institution', 'orgType', 'field', 'callId', 'proposalId', 'tier', 'startDate', 'endDate', 'resource', 'awarded', 'used', 'remaining', 'overLimit']);
    expect(rows).toHaveLength(1 + 4); // uni-a has two resources
    const evil = rows.find((r) => r[0] === ids['uni-b'])!;
    expect(evil[4]).toBe(`'=cmd|" /C calc"!A0`); // a spreadsheet shows it as text
    expect(decodeTextCell(evil[4])).toBe('=cmd|" /C calc"!A0');
    const json = await as(auditor).get('/v1/reports/allocations', { accept: 'application/json, text/csv' });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
  });

  it('offers the groupings as CSV views', async () => {
    const res = await as(auditor).get('/v1/reports/allocations?format=csv&view=byOrgType');
    const rows = parseCsv(res.text);
    expect(rows[0]).toEqual(['orgType', 'allocations', 'resource', 'awarded', 'used', 'remaining', 'overLimit']);
    expect(rows.slice(1)).toEqual([
      ['startup', '1', 'spc/b200', '20', '0', '20', '0'],
      ['university', '2', 'kisti6/gh200', '50', '0', '50', '0'],
      ['university', '2', 'spc/h200', '110', '1.8', '108.2', '0'],
    ]);
    const byCall = parseCsv((await as(auditor).get('/v1/reports/allocations?format=csv&view=byCall')).text);
    expect(byCall.slice(1).map((r) => r[0])).toEqual(['call-1', 'call-1', '']); // no call: an empty cell
  });
});

describe('GET /v1/reports/fairness', () => {
  it('reports requested and awarded credits and acceptance rates by org type and field, per call, with the award plans', async () => {
    const res = await as(auditor).get('/v1/reports/fairness');
    expect(res.status).toBe(200);
    expect(res.body.source.proposals).toMatch(/^approval/);
    const c = res.body.calls.find((x: { callId: string }) => x.callId === 'call-fair-1');
    expect(c.capacity).toEqual({ 'spc/h200': 1000 });
    expect(c.totals).toMatchObject({ proposals: 4, pending: 1, decided: 3, approved: 2, rejected: 1, acceptanceRate: 0.6667, requested: { 'spc/h200': 650 }, awarded: { 'spc/h200': 350 }, requestedTotal: 650, awardedTotal: 350 });
    const startup = c.byOrgType.find((g: { key: string }) => g.key === 'startup');
    expect(startup).toMatchObject({ proposals: 2, decided: 1, approved: 1, acceptanceRate: 1, floor: 0.2, awardedShareOfCapacity: { 'spc/h200': 0.1 }, requested: { 'spc/h200': 150 } });
    const uni = c.byOrgType.find((g: { key: string }) => g.key === 'university');
    expect(uni).toMatchObject({ decided: 2, approved: 1, acceptanceRate: 0.5, floor: null, awardedShareOfCapacity: { 'spc/h200': 0.25 } });
    expect(c.byField.map((g: { key: string; acceptanceRate: number | null }) => [g.key, g.acceptanceRate])).toEqual([
      ['biology', 0],
      ['physics', 1],
    ]);
    expect(c.awardPlans).toEqual([expect.objectContaining({ planId: 'plan-1', objective: 12.5, overrides: [expect.objectContaining({ reason: 'capacity', by: 'chair-1' })] })]);
  });

  it('filters by call, and answers CSV', async () => {
    const none = await as(auditor).get('/v1/reports/fairness?callId=no-such-call');
    expect(none.body.calls).toEqual([]);
    const res = await as(admin).get('/v1/reports/fairness?callId=call-fair-1&format=csv');
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = parseCsv(res.text);
    expect(rows[0].slice(0, 4)).toEqual(['callId', 'callTitle', 'dimension', 'group']);
    expect(rows.filter((r) => r[2] === 'orgType').map((r) => [r[3], r[10], r[12], r[13], r[15], r[16]])).toEqual([
      ['startup', '1', '150', '100', '0.2', '0.1'],
      ['university', '0.5', '500', '250', '', '0.25'],
    ]);
  });

  it('keeps its shape with no data (empty sets, not errors)', () => {
    const r = fairnessReport([], [], { filters: {}, generatedAt: '2026-01-01T00:00:00.000Z', source: { proposals: 'none', awardPlans: 'none' } });
    expect(r).toEqual({ generatedAt: '2026-01-01T00:00:00.000Z', filters: {}, source: { proposals: 'none', awardPlans: 'none' }, calls: [], starterAwardsThroughTraining: { total: 0, byOrgType: [] } });
    const empty = fairnessReport([{ id: 'c', title: 'C', capacityMc: { 'spc/h200': 1000 }, fairnessFloors: { sme: 0.1 } }], [], { filters: {}, generatedAt: 't', source: { proposals: 'x', awardPlans: 'y' } });
    expect(empty.calls[0].totals).toMatchObject({ proposals: 0, decided: 0, acceptanceRate: null, requestedTotal: 0 });
    expect(empty.calls[0].byOrgType).toEqual([expect.objectContaining({ key: 'sme', floor: 0.1, awardedShareOfCapacity: { 'spc/h200': 0 } })]);
  });
});

describe('report access', () => {
  it('refuses researchers, reviewers, chairs and site operators (403)', async () => {
    for (const who of [researcher, caller('rev-1', ['reviewer']), caller('chair-1', ['chair']), caller('op-1', ['site-operator'])]) {
      expect((await as(who).get('/v1/reports/allocations')).status).toBe(403);
      expect((await as(who).get('/v1/reports/fairness')).status).toBe(403);
    }
  });
});

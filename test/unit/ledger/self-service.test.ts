// Self-service within limits, through the ledger's handler on DynamoDB Local: automatic approvals
// add up per allocation and period (past the cap the chair decides), members are capped, and no
// request can name the scheduler user its members' jobs run as.
import { handler as ledgerHandler } from '../../../lambdas/ledger/handler';
import { ledgerApi } from '../../../lambdas/ledger/api';
import { allocationItem, getAllocation } from '../../../lambdas/ledger/store';
import { autoApproval, periodOf } from '../../../lambdas/domain/ledger/self-service';
import { apiOf, auditEvents, person } from '../../support/invoke';
import { ledgerFixture, newAllocation, type LedgerFixture } from './support';

let fx: LedgerFixture;
beforeAll(async () => {
  // config/local.json's defaults: 500 credits per request and per quarter, 30 days per request and per quarter
  fx = await ledgerFixture((c) => ({ ...c, policy: { ...c.policy, maxMembersPerAllocation: 5 } }));
});
afterAll(async () => {
  await fx.stop();
});

const api = apiOf(ledgerApi, ledgerHandler as never);
const pi = person('pi-1'); // newAllocation's PI
const admin = person('admin-1', ['admin']);

describe('automatic approvals add up per allocation and period', () => {
  test("ten small supplements in a row: only those under the period's cap are approved automatically, the rest wait for the chair", async () => {
    const a = await newAllocation({ 'spc/h200': 100 });
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await api(pi, 'POST', `/v1/allocations/${a.id}/requests`, { type: 'supplement', resource: 'spc/h200', credits: 120, justification: `more runs, part ${i + 1}` }));

    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    // 120 × 4 = 480 ≤ 500; a fifth would make 600
    expect(results.map((r) => r.body.state)).toEqual(['approved', 'approved', 'approved', 'approved', 'pending', 'pending', 'pending', 'pending', 'pending', 'pending']);
    expect(results[4].body.reason).toMatch(/480 credits were approved automatically .* over the 500 allowed per period/);
    const after = (await getAllocation(a.id)).allocation;
    expect(after.resources['spc/h200'].balanceMc).toBe(580_000);
    expect(after.autoApproved).toEqual({ period: periodOf(new Date(), 'quarter'), supplementMc: 480_000, extensionDays: 0 });
  });

  test('ten requests of 499 sent at once cannot all fit under the cap: one is approved, nine go to the chair', async () => {
    const a = await newAllocation({ 'spc/h200': 100 });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => api(pi, 'POST', `/v1/allocations/${a.id}/requests`, { type: 'supplement', resource: 'spc/h200', credits: 499, justification: `just under the threshold ${i}` })));

    expect(results.filter((r) => r.body.state === 'approved')).toHaveLength(1);
    expect(results.filter((r) => r.body.state === 'pending')).toHaveLength(9);
    expect((await getAllocation(a.id)).allocation.resources['spc/h200'].awardedMc).toBe(599_000);
  });

  test('extensions add up too: 10 days three times, then the chair', async () => {
    const a = await newAllocation({ 'spc/h200': 100 }, { endDate: '2027-06-30' });
    const out = [];
    for (const endDate of ['2027-07-10', '2027-07-20', '2027-07-30', '2027-08-09']) out.push(await api(pi, 'POST', `/v1/allocations/${a.id}/requests`, { type: 'extension', endDate, justification: 'the experiment runs longer' }));

    expect(out.map((r) => r.body.state)).toEqual(['approved', 'approved', 'approved', 'pending']);
    expect((await getAllocation(a.id)).allocation.endDate).toBe('2027-07-30');
  });

  test('the totals start again in a new period; a single request over the threshold always goes to the chair', () => {
    const policy = { autoApprovePeriod: 'quarter' as const, supplementAutoApproveCredits: 500, extensionAutoApproveDays: 30, supplementAutoApproveCreditsPerPeriod: 500, extensionAutoApproveDaysPerPeriod: 30 };
    const q3 = { period: '2026-Q3', supplementMc: 500_000, extensionDays: 30 };
    expect(autoApproval({ supplementMc: 100_000 }, q3, policy, new Date('2026-09-30T23:00:00Z'))).toMatchObject({ automatic: false });
    expect(autoApproval({ supplementMc: 100_000 }, q3, policy, new Date('2026-10-01T00:00:00Z'))).toEqual({ automatic: true, totals: { period: '2026-Q4', supplementMc: 100_000, extensionDays: 0 } });
    expect(autoApproval({ supplementMc: 501_000 }, undefined, policy, new Date('2026-10-01T00:00:00Z'))).toMatchObject({ automatic: false, why: expect.stringMatching(/in one request/) });
    expect(periodOf(new Date('2026-02-01T00:00:00Z'), 'month')).toBe('2026-02');
  });
});

describe('members', () => {
  test('an allocation has at most policy.maxMembersPerAllocation members (422), and its item stays far from 400 KB at the real cap', async () => {
    const a = await newAllocation({ 'spc/h200': 10 });
    const adds = [];
    for (let i = 0; i < 5; i++) adds.push(await api(pi, 'POST', `/v1/allocations/${a.id}/members`, { sub: `member-${a.id}-${i}` }));

    expect(adds.map((r) => r.status)).toEqual([200, 200, 200, 200, 422]);
    expect(adds[4].body.error).toMatchObject({ code: 'member_limit', details: [{ path: 'sub' }] });
    // the schema's largest cap (90) with the longest subjects (128 characters)
    const big = (await getAllocation(a.id)).allocation;
    big.members = Array.from({ length: 90 }, (_, i) => ({ sub: `${i}`.padStart(128, 'x'), role: 'member' as const, addedAt: big.createdAt }));
    expect(Buffer.byteLength(JSON.stringify(allocationItem(big)))).toBeLessThan(40 * 1024);
  });
});

describe("the scheduler user is never the requester's choice", () => {
  test.each(['root', 'slurm', 'alice'])('adding a member with username %s is refused with a named 400, audited, and adds nobody', async (username) => {
    const a = await newAllocation({ 'spc/h200': 10 });
    const before = (await auditEvents('security.refused')).length;

    const res = await api(pi, 'POST', `/v1/allocations/${a.id}/members`, { sub: `m-${username}-${a.id}`, username });

    expect(res).toMatchObject({ status: 400, body: { error: { code: 'scheduler_user_not_selectable', details: [{ path: 'username' }] } } });
    const events = await auditEvents('security.refused');
    expect(events.length).toBe(before + 1);
    expect(events.find((e) => e.details.about === `allocation/${a.id}` && e.details.fields[0].value === username)).toMatchObject({ actor: { sub: 'pi-1', role: 'researcher' }, details: { route: 'POST /v1/allocations/{id}/members' } });
    expect((await getAllocation(a.id)).allocation.members.map((m) => m.sub)).toEqual(['pi-1']);
  });

  test("an admin's direct allocation cannot name logins either", async () => {
    const res = await api(admin, 'POST', '/v1/allocations', {
      title: 'Migration',
      piSub: 'pi-9',
      piUsername: 'root',
      institution: 'KAIST',
      orgType: 'university',
      field: 'cs',
      startDate: '2026-01-01',
      endDate: '2027-01-01',
      credits: { 'spc/h200': 10 },
      members: [{ sub: 'm-9', username: 'slurm' }],
      reason: 'migration',
    });
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'scheduler_user_not_selectable' } } });
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['piUsername', 'members[0].username']);
  });
});

// Issue 11, section 2: the chair's conflict check on allocation requests uses the organisation too
// (registry ids), not only membership. Through the ledger API in-process, against DynamoDB Local.
import { ledgerFixture, type LedgerFixture } from '../ledger/support';
import { inProcessApi, person } from '../../support/api';
import { ledgerApi } from '../../../lambdas/ledger/api';
import { createOrg } from '../../../lambdas/identity/orgs';
import { forgetPerson } from '../../../lambdas/shared/identity/people';

let fx: LedgerFixture;
const api = inProcessApi(ledgerApi, () => require('../../../lambdas/ledger/handler').handler);
const admin = person('rc-admin', ['admin']);
const pi = person('rc-pi', ['researcher']);

beforeAll(async () => {
  fx = await ledgerFixture();
  process.env.LOG_LEVEL = 'error';
  const ctx = { actor: { sub: 'rc-admin', role: 'admin' }, requestId: 'seed', reason: 'registry' };
  for (const orgId of ['kaist', 'postech']) await createOrg({ orgId, names: { ko: orgId, en: orgId }, orgType: 'university', emailDomains: [`${orgId}.example`], homeOrganizations: [], entityIds: [] }, ctx, () => []);
});
afterAll(() => fx.stop());
beforeEach(() => forgetPerson());

const allocationBody = (extra: Record<string, unknown> = {}) => ({
  title: 'Direct allocation',
  piSub: 'rc-pi',
  institution: 'KAIST',
  orgType: 'university',
  field: 'physics',
  startDate: '2026-01-01',
  endDate: '2027-12-31',
  credits: { 'spc/h200': 100 },
  reason: 'agreement with the institute',
  ...extra,
});

async function pendingRequest(orgId?: string) {
  const a = await api.as(admin).post('/v1/allocations', allocationBody(orgId ? { orgId } : {}));
  expect(a.status).toBe(201);
  const r = await api.as(pi).post(`/v1/allocations/${a.body.id}/requests`, { type: 'supplement', resource: 'spc/h200', credits: 5000, justification: 'The scaling run needs more.' });
  expect(r.body.state).toBe('pending');
  return { allocationId: a.body.id as string, requestId: r.body.requestId as string };
}

const decide = (who: ReturnType<typeof person>, x: { allocationId: string; requestId: string }) => api.as(who).post(`/v1/allocations/${x.allocationId}/requests/${x.requestId}/decision`, { decision: 'approve', reason: 'justified' });

it('refuses an organisation that is not in the registry when an admin creates an allocation', async () => {
  const res = await api.as(admin).post('/v1/allocations', allocationBody({ orgId: 'no-such-org' }));
  expect(res.status).toBe(400);
  expect(res.body.error.details).toEqual([{ path: 'orgId', problem: 'is not an organisation in the registry (no-such-org)' }]);
});

it("a chair of the PI's organisation (by verified claims) may not decide the allocation's requests; a chair of another may", async () => {
  const x = await pendingRequest('kaist');
  const kaistChair = person('rc-chair-kaist', ['chair'], { affiliation: [{ source: 'email', value: 'dept.kaist.example' }] });
  const refused = await decide(kaistChair, x);
  expect(refused.status).toBe(403);
  expect(refused.body.error.message).toMatch(/of their own organisation \(kaist\)/);
  const other = await decide(person('rc-chair-postech', ['chair'], { affiliation: [{ source: 'email', value: 'postech.example' }] }), x);
  expect(other.status).toBe(200);
  expect(other.body.state).toBe('approved');
});

it("an admin's record of the chair's organisation counts too", async () => {
  const x = await pendingRequest('kaist');
  const { setAffiliation } = require('../../../lambdas/identity/people') as typeof import('../../../lambdas/identity/people');
  await setAffiliation('rc-chair-recorded', 'kaist', { actor: { sub: 'rc-admin', role: 'admin' }, requestId: 'r', reason: 'joint appointment' });
  expect((await decide(person('rc-chair-recorded', ['chair']), x)).status).toBe(403);
});

it('an allocation without an organisation is decided as before (membership only)', async () => {
  const x = await pendingRequest();
  expect((await decide(person('rc-chair-any', ['chair'], { affiliation: [{ source: 'email', value: 'kaist.example' }] }), x)).status).toBe(200);
});

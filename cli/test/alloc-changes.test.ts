// kairr alloc members add|remove, alloc request, alloc requests and alloc decide, against a fake
// API held to the ledger routes' own schemas: what the CLI sends must pass the route's strict body
// schema, and what the fake answers must be what the route promises.
import { ledgerApi } from '../../lambdas/ledger/api';
import type { RouteSpec } from '../../lambdas/shared/http/spec';
import { requestBody } from '../src/commands/alloc-changes';
import { fakeApi, kairr, type Recorded } from './harness';

const env = { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' };
const A = `alloc-${'a'.repeat(26)}`;
const route = (name: keyof typeof ledgerApi) => ledgerApi[name] as RouteSpec;
const bodyOk = (name: keyof typeof ledgerApi, r: Recorded) => {
  const parsed = route(name).body!.safeParse(r.body);
  if (!parsed.success) throw new Error(`${name} body: ${JSON.stringify(parsed.error.issues)}`);
};
const allocation = {
  id: A,
  title: 'Scaling laws',
  piSub: 'pi-1',
  institution: 'KAIST',
  orgType: 'university',
  field: 'computer-science',
  proposalId: null,
  callId: null,
  tier: 'standard',
  state: 'active',
  startDate: '2026-03-01',
  endDate: '2027-02-28',
  members: [
    { sub: 'pi-1', role: 'pi', addedAt: '2026-03-01T00:00:00Z' },
    { sub: 'member-2', role: 'member', addedAt: '2026-12-03T00:00:00Z' },
  ],
  balances: [],
  schedulerAccounts: {},
  createdAt: '2026-03-01T00:00:00Z',
  updatedAt: '2026-03-01T00:00:00Z',
};
const request = { requestId: `req-${'b'.repeat(26)}`, allocationId: A, type: 'supplement', state: 'pending', automatic: false, body: {}, requestedBy: 'pi-1', requestedAt: '2026-12-03T00:00:00Z' };

it('the fake answers are what the routes promise', () => {
  for (const [name, status, body] of [
    ['addMember', 200, allocation],
    ['createRequest', 201, request],
    ['listRequests', 200, { items: [request] }],
    ['decideRequest', 200, { ...request, state: 'approved', decidedBy: 'chair-1', decidedAt: '2026-12-03T01:00:00Z', reason: 'Fits' }],
  ] as const) {
    const parsed = route(name).responses[status].schema!.safeParse(body);
    expect({ name, ok: parsed.success, issues: parsed.success ? [] : parsed.error.issues }).toEqual({ name, ok: true, issues: [] });
  }
});

it('members add sends only the identity (never a scheduler username); remove names it in the path', async () => {
  const api = fakeApi({
    [`POST /v1/allocations/${A}/members`]: (rec) => (bodyOk('addMember', rec), [200, allocation]),
    [`DELETE /v1/allocations/${A}/members/member-2`]: [200, { ...allocation, members: [allocation.members[0]] }],
  });
  const add = await kairr(['alloc', 'members', 'add', A, 'member-2'], { env, fetch: api.fetch });
  expect(add.code).toBe(0);
  expect(api.calls[0].body).toEqual({ sub: 'member-2' });
  expect(add.out).toContain('member-2 (member)');
  const rm = await kairr(['alloc', 'members', 'remove', A, 'member-2'], { env, fetch: api.fetch });
  expect(rm.code).toBe(0);
  expect(rm.out).not.toContain('member-2');
});

it('request: each type builds the strict body the API takes, with an Idempotency-Key', async () => {
  const bodies: unknown[] = [];
  const api = fakeApi({ [`POST /v1/allocations/${A}/requests`]: (rec) => (bodyOk('createRequest', rec), bodies.push(rec.body), [201, request]) });
  const why = ['--justification', 'The 7B run needs a second epoch'];
  for (const args of [
    ['supplement', '--resource', 'spc/h200', '--credits', '200', ...why],
    ['extension', '--end-date', '2027-06-30', ...why],
    ['exchange', '--from', 'spc/h200', '--to', 'kisti6/gh200', '--credits', '50'],
    ['renewal', '--end-date', '2028-02-28', '--credits', 'spc/h200=500,kisti6/gh200=100', ...why],
  ]) {
    const r = await kairr(['alloc', 'request', A, ...args], { env, fetch: api.fetch });
    expect({ args, code: r.code, err: r.err }).toEqual({ args, code: 0, err: '' });
  }
  expect(bodies).toEqual([
    { type: 'supplement', resource: 'spc/h200', credits: 200, justification: 'The 7B run needs a second epoch' },
    { type: 'extension', endDate: '2027-06-30', justification: 'The 7B run needs a second epoch' },
    { type: 'exchange', from: 'spc/h200', to: 'kisti6/gh200', credits: 50 },
    { type: 'renewal', endDate: '2028-02-28', credits: { 'spc/h200': 500, 'kisti6/gh200': 100 }, justification: 'The 7B run needs a second epoch' },
  ]);
  expect(api.calls.every((c) => /^[0-9a-f-]{36}$/.test(c.headers['idempotency-key']))).toBe(true);
});

it('request: a missing flag is a usage error naming it, before any request', async () => {
  const api = fakeApi({});
  const r = await kairr(['alloc', 'request', A, 'supplement', '--credits', '5'], { env, fetch: api.fetch });
  expect(r.code).toBe(2);
  expect(r.err).toContain('--resource');
  expect(() => requestBody('extension', { justification: 'Because of the data release' })).toThrow(/--end-date/);
  expect(api.calls).toHaveLength(0);
});

it('requests lists them; decide sends the decision and reason', async () => {
  const api = fakeApi({
    [`GET /v1/allocations/${A}/requests`]: [200, { items: [request] }],
    [`POST /v1/allocations/${A}/requests/${request.requestId}/decision`]: (rec) => (bodyOk('decideRequest', rec), [200, { ...request, state: 'approved', reason: 'Fits' }]),
  });
  const list = await kairr(['alloc', 'requests', A], { env, fetch: api.fetch });
  expect(list.out).toMatch(new RegExp(`${request.requestId}\\s+supplement\\s+pending\\s+pi-1`));
  const d = await kairr(['alloc', 'decide', A, request.requestId, 'approve', '--reason', 'Fits the call'], { env, fetch: api.fetch });
  expect(d.code).toBe(0);
  expect(api.calls[1].body).toEqual({ decision: 'approve', reason: 'Fits the call' });
  expect(d.out).toMatch(/state:\s+approved/);
  expect((await kairr(['alloc', 'decide', A, request.requestId, 'approve'], { env, fetch: api.fetch })).code).toBe(2);
});

// GET /v1/allocations through the ledger store's listings (listForMember, listByScope): a researcher
// sees only what they belong to, staff filter by state, PI and call, and pages follow nextToken.
import { handler as ledgerHandler } from '../../../lambdas/ledger/handler';
import { ledgerApi } from '../../../lambdas/ledger/api';
import { createAllocation } from '../../../lambdas/ledger/service';
import { newId } from '../../../lambdas/domain/ids';
import { apiOf, person } from '../../support/invoke';
import { ledgerFixture, system, type LedgerFixture } from './support';

let fx: LedgerFixture;
beforeAll(async () => {
  fx = await ledgerFixture();
});
afterAll(async () => {
  await fx.stop();
});

const api = apiOf(ledgerApi, ledgerHandler as never);
const tag = Date.now().toString(36);
const admin = person('admin-1', ['admin']);

async function award(piSub: string, members: string[] = [], callId: string | null = null) {
  return createAllocation(
    {
      id: newId('alloc'),
      title: 'Listing',
      piSub,
      institution: 'KAIST',
      orgType: 'university',
      field: 'cs',
      proposalId: null,
      callId,
      tier: 'standard',
      startDate: '2026-01-01',
      endDate: '2027-12-31',
      members: members.map((sub) => ({ sub, role: 'member' as const })),
      awardsMc: { 'spc/h200': 10_000 },
    },
    system('award'),
  );
}

test('a researcher sees the allocations they lead or belong to, newest first, and no other', async () => {
  const me = `lister-${tag}`;
  const led = await award(me);
  const joined = await award(`other-pi-${tag}`, [me]);
  await award(`stranger-${tag}`);
  const res = await api(person(me), 'GET', '/v1/allocations');
  expect(res.status).toBe(200);
  expect(res.body.items.map((a: { id: string }) => a.id)).toEqual([joined.id, led.id]);
});

test('a researcher pages through their allocations with nextToken, each once', async () => {
  const me = `pager-${tag}`;
  const ids = [(await award(me)).id, (await award(me)).id, (await award(me)).id];
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const res = await api(person(me), 'GET', `/v1/allocations?limit=2${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`);
    expect(res.status).toBe(200);
    seen.push(...res.body.items.map((a: { id: string }) => a.id));
    token = res.body.nextToken ?? undefined;
    pages++;
  } while (token && pages < 5);
  expect(seen).toEqual([...ids].reverse());
  expect(pages).toBeGreaterThanOrEqual(2);
});

test('staff filter by PI and by call; by state through the state index', async () => {
  const pi = `filtered-pi-${tag}`;
  const callId = `call-${tag}`;
  const a = await award(pi);
  const b = await award(`someone-${tag}`, [], callId);
  const byPi = await api(admin, 'GET', `/v1/allocations?piSub=${pi}&limit=100`);
  expect(byPi.body.items.map((x: { id: string }) => x.id)).toEqual([a.id]);
  const byCall = await api(admin, 'GET', `/v1/allocations?callId=${callId}&limit=100`);
  expect(byCall.body.items.map((x: { id: string }) => x.id)).toEqual([b.id]);
  const state = a.state;
  const inState = await api(admin, 'GET', `/v1/allocations?state=${state}&piSub=${pi}&limit=100`);
  expect(inState.body.items.map((x: { id: string; state: string }) => [x.id, x.state])).toEqual([[a.id, state]]);
  const otherState = state === 'active' ? 'suspended' : 'active';
  expect((await api(admin, 'GET', `/v1/allocations?state=${otherState}&piSub=${pi}&limit=100`)).body.items).toEqual([]);
});

// GET /v1/audit/events on DynamoDB Local: each filter, the three read paths (subject, actor, time),
// pagination across day partitions, and the 4xx answers.
import { as, at, auditFixture, auditor, admin, researcher, seedSubject, type AuditFixture } from './support';

const BASE = '2026-05-20T23:00:00.000Z';
const ALICE = { sub: 'alice', role: 'researcher' };
const BOB = { sub: 'bob', role: 'chair' };
let fx: AuditFixture;

beforeAll(async () => {
  fx = await auditFixture();
  // Over three UTC days (20, 21, 22 May), by two actors, with two actions.
  await seedSubject('proposal', 'p-1', [at(BASE, 0), at(BASE, 30), at(BASE, 90)], ALICE, 'proposal.update');
  await seedSubject('proposal', 'p-2', [at(BASE, 10), at(BASE, 70)], BOB, 'proposal.decide');
  await seedSubject('allocation', 'a-1', [at(BASE, 20), at(BASE, 50), at(BASE, 1500)], BOB, 'ledger.usage');
});
afterAll(() => fx.stop());

type Ev = { stream: string; seq: number; time: string; actor: { sub: string }; action: string };
const ids = (items: Ev[]) => items.map((e) => `${e.stream}#${e.seq}`);

async function all(query: string, limit: number): Promise<{ items: Ev[]; pages: number }> {
  const items: Ev[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const res = await as(auditor).get(`/v1/audit/events?${query}&limit=${limit}${token ? `&nextToken=${token}` : ''}`);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    token = res.body.nextToken;
    pages++;
  } while (token);
  return { items, pages };
}

describe('GET /v1/audit/events', () => {
  it('lists a subject in seq order, with its time window', async () => {
    const res = await as(auditor).get('/v1/audit/events?subjectType=proposal&subjectId=p-1');
    expect(res.status).toBe(200);
    expect(ids(res.body.items)).toEqual(['proposal/p-1#1', 'proposal/p-1#2', 'proposal/p-1#3']);
    expect(res.body.items[0]).toMatchObject({ v: 1, prevHash: '0'.repeat(64), actor: ALICE, subject: { type: 'proposal', id: 'p-1' }, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(res.body.items[1].prevHash).toBe(res.body.items[0].hash);
    const window = await as(auditor).get(`/v1/audit/events?subjectType=proposal&subjectId=p-1&from=${at(BASE, 30)}&to=${at(BASE, 90)}`);
    expect(ids(window.body.items)).toEqual(['proposal/p-1#2']);
  });

  it('lists an actor in time order (byActor), optionally by action and time', async () => {
    const bob = await all('actor=bob', 2);
    expect(ids(bob.items)).toEqual(['proposal/p-2#1', 'allocation/a-1#1', 'allocation/a-1#2', 'proposal/p-2#2', 'allocation/a-1#3']);
    expect(bob.pages).toBe(3);
    const usage = await all(`actor=bob&action=ledger.usage&from=${at(BASE, 20)}&to=${at(BASE, 1500)}`, 10);
    expect(ids(usage.items)).toEqual(['allocation/a-1#1', 'allocation/a-1#2']);
  });

  it('lists a time range across day partitions, page by page, each event exactly once', async () => {
    const r = await all(`from=${at(BASE, -60)}&to=${at(BASE, 2000)}`, 3);
    const times = r.items.map((e) => e.time);
    expect(times).toEqual([...times].sort());
    expect(r.items).toHaveLength(8);
    expect(new Set(ids(r.items)).size).toBe(8);
    // A day with nothing in it is crossed without returning anything from it.
    const late = await all(`from=${at(BASE, 100)}&to=${at(BASE, 2000)}`, 5);
    expect(ids(late.items)).toEqual(['allocation/a-1#3']);
  });

  it('filters by action, exactly or by prefix', async () => {
    const exact = await all(`from=${at(BASE, -60)}&to=${at(BASE, 2000)}&action=proposal.decide`, 10);
    expect(ids(exact.items)).toEqual(['proposal/p-2#1', 'proposal/p-2#2']);
    const prefix = await all(`from=${at(BASE, -60)}&to=${at(BASE, 2000)}&action=proposal.*`, 10);
    expect(prefix.items.map((e) => e.action).every((a) => a.startsWith('proposal.'))).toBe(true);
    expect(prefix.items).toHaveLength(5);
  });

  it('filters a subject by actor', async () => {
    const res = await as(auditor).get('/v1/audit/events?subjectType=proposal&subjectId=p-2&actor=alice');
    expect(res.body.items).toEqual([]);
  });

  it('defaults to the last 24 hours when no range, subject or actor is given, and pages through it', async () => {
    const now = Date.now();
    await seedSubject('call', 'c-recent', [new Date(now - 3 * 3600_000).toISOString(), new Date(now - 2 * 3600_000).toISOString(), new Date(now - 3600_000).toISOString()]);
    await seedSubject('call', 'c-old', [new Date(now - 30 * 3600_000).toISOString()]);
    const items: Ev[] = [];
    let token: string | undefined;
    do {
      // The default range is fixed on the first page and carried by the token.
      const res = await as(auditor).get(`/v1/audit/events?limit=1${token ? `&nextToken=${token}` : ''}`);
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      token = res.body.nextToken;
    } while (token);
    expect(ids(items)).toEqual(['call/c-recent#1', 'call/c-recent#2', 'call/c-recent#3']);
  });

  it('names each bad query field (400) and refuses tokens of another query', async () => {
    const cases: [string, string][] = [
      ['from=yesterday', 'query.from'],
      [`from=${at(BASE, 10)}&to=${at(BASE, 0)}`, 'query.to'],
      ['from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'query.from'],
      ['subjectId=p-1', 'query.subjectType'],
      ['subjectType=proposal', 'query.subjectId'],
      ['subjectType=proposal&subjectId=a/b', 'query.subjectId'],
      ['action=Not An Action', 'query.action'],
      ['limit=0', 'query.limit'],
      ['nextToken=bm90IGEgdG9rZW4', 'query.nextToken'],
      ['colour=blue', 'query.colour'],
    ];
    for (const [q, path] of cases) {
      const res = await as(auditor).get(`/v1/audit/events?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const first = await as(auditor).get('/v1/audit/events?actor=bob&limit=1');
    const other = await as(auditor).get(`/v1/audit/events?actor=alice&limit=1&nextToken=${first.body.nextToken}`);
    expect(other.status).toBe(400);
    expect(other.body.error.details[0].path).toBe('query.nextToken');
  });

  it('is for auditors only (403 for researchers and admins)', async () => {
    for (const who of [researcher, admin]) expect((await as(who).get('/v1/audit/events')).status).toBe(403);
  });
});

// Allocations, the ledger and usage ingestion over HTTP, with role checks both ways.
import { as, mint, withToken } from './support/client';

const ERROR_SHAPE = { error: { code: expect.any(String), message: expect.any(String), details: expect.any(Array) } };

let allocationId: string;
let otherResearcher: string;
let spcOperator: string;
let kistiOperator: string;

function newAllocationBody(extra: Record<string, unknown> = {}) {
  return {
    title: 'Korean LLM fine-tuning',
    piSub: 'dev-researcher',
    institution: 'KAIST',
    orgType: 'university',
    field: 'natural-language-processing',
    startDate: '2026-01-01',
    endDate: '2027-12-31',
    credits: { 'spc/h200': 100, 'kisti6/gh200': 50 },
    reason: 'e2e: agreement signed outside a call',
    ...extra,
  };
}

beforeAll(async () => {
  const res = await as('admin').post('/v1/allocations', newAllocationBody(), { 'idempotency-key': `e2e-create-${Date.now()}` });
  expect(res.status).toBe(201);
  allocationId = res.body.id;
  otherResearcher = await mint({ sub: 'other-researcher', groups: ['researcher'], preferred_username: 'bob' });
  spcOperator = await mint({ sub: 'op-spc', groups: ['site-operator:spc'] });
  kistiOperator = await mint({ sub: 'op-kisti6', groups: ['site-operator:kisti6'] });
});

describe('creating allocations', () => {
  it('lets an admin create one, pending provisioning, with award balances', async () => {
    const res = await as('admin').get(`/v1/allocations/${allocationId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: allocationId, piSub: 'dev-researcher' });
    expect(['pending-provisioning', 'active', 'provisioning-failed']).toContain(res.body.state);
    expect(res.body.balances).toEqual([expect.objectContaining({ resource: 'kisti6/gh200', awarded: 50, balance: 50, used: 0 }), expect.objectContaining({ resource: 'spc/h200', awarded: 100, balance: 100, used: 0 })]);
  });

  it('refuses researchers and chairs (403)', async () => {
    for (const role of ['researcher', 'chair']) {
      const res = await as(role).post('/v1/allocations', newAllocationBody());
      expect(res.status).toBe(403);
      expect(res.body).toEqual(ERROR_SHAPE);
    }
  });

  it('names each bad field (400)', async () => {
    const res = await as('admin').post('/v1/allocations', newAllocationBody({ credits: { 'spc/tpu': 5, 'spc/h200': -1 }, orgType: 'pirate', endDate: 'soon' }));
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['orgType', 'endDate', 'credits.spc/h200']));
  });

  it('replays a retried create with the same Idempotency-Key instead of creating twice', async () => {
    const key = `e2e-idem-${Date.now()}`;
    const body = newAllocationBody({ title: 'Idempotent allocation' });
    const a = await as('admin').post('/v1/allocations', body, { 'idempotency-key': key });
    const b = await as('admin').post('/v1/allocations', body, { 'idempotency-key': key });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const c = await as('admin').post('/v1/allocations', { ...body, title: 'Something else' }, { 'idempotency-key': key });
    expect(c.status).toBe(409);
    expect(c.body.error.code).toBe('idempotency_key_reused');
  });
});

describe('visibility', () => {
  it('shows a researcher their own allocation and not another researcher', async () => {
    const mine = await as('researcher').get('/v1/allocations');
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((a: { id: string }) => a.id)).toContain(allocationId);
    const other = await withToken(otherResearcher).get(`/v1/allocations/${allocationId}`);
    expect(other.status).toBe(404);
    expect(other.body).toEqual(ERROR_SHAPE);
    const otherList = await withToken(otherResearcher).get('/v1/allocations');
    expect(otherList.body.items.map((a: { id: string }) => a.id)).not.toContain(allocationId);
    expect((await withToken(otherResearcher).get(`/v1/allocations/${allocationId}/ledger`)).status).toBe(404);
  });

  it('shows staff every allocation, filtered by state', async () => {
    // The award starts provisioning at the sites, so read the state it is in now.
    const state = (await as('auditor').get(`/v1/allocations/${allocationId}`)).body.state;
    const res = await as('auditor').get(`/v1/allocations?state=${state}&limit=200`);
    expect(res.status).toBe(200);
    expect(res.body.items.every((a: { state: string }) => a.state === state)).toBe(true);
    expect(res.body.items.map((a: { id: string }) => a.id)).toContain(allocationId);
  });

  it('refuses a forged pagination token (400)', async () => {
    const res = await as('auditor').get('/v1/allocations?nextToken=eyJzIjoiQUxMT0MjeCIsImsiOnsicGsiOiJ4In19');
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('query.nextToken');
  });

  it('lets only the PI add members', async () => {
    expect((await withToken(otherResearcher).post(`/v1/allocations/${allocationId}/members`, { sub: 'other-researcher' })).status).toBe(404);
    // the PI names the person; their login at each site is the site's to create (site accounts)
    const chosen = await as('researcher').post(`/v1/allocations/${allocationId}/members`, { sub: 'other-researcher', username: 'root' });
    expect(chosen).toMatchObject({ status: 400, body: { error: { code: 'scheduler_user_not_selectable', details: [{ path: 'username' }] } } });
    const added = await as('researcher').post(`/v1/allocations/${allocationId}/members`, { sub: 'other-researcher' });
    expect(added.status).toBe(200);
    expect((await withToken(otherResearcher).get(`/v1/allocations/${allocationId}`)).status).toBe(200); // now a member
    expect((await withToken(otherResearcher).post(`/v1/allocations/${allocationId}/members`, { sub: 'third' })).status).toBe(403); // a member, not the PI
    expect((await as('researcher').del(`/v1/allocations/${allocationId}/members/other-researcher`)).status).toBe(200);
    expect((await withToken(otherResearcher).get(`/v1/allocations/${allocationId}`)).status).toBe(404);
  });
});

describe('usage ingestion', () => {
  const record = (jobId: string, extra: Record<string, unknown> = {}) => ({
    cluster: 'spc',
    jobId,
    allocationId,
    resource: 'h200',
    user: 'alice',
    gpus: 2,
    start: '2026-10-01T00:00:00Z',
    end: '2026-10-01T01:00:00Z',
    elapsedSeconds: 3600,
    ...extra,
  });

  it('charges a site-operator report once, however often it is sent', async () => {
    const first = await withToken(spcOperator).post('/v1/sites/spc/usage', { records: [record('e2e-1')] });
    expect(first.status).toBe(200);
    expect(first.body.results[0]).toMatchObject({ status: 'accepted', deltaCredits: 1.8 });
    const again = await withToken(spcOperator).post('/v1/sites/spc/usage', { records: [record('e2e-1'), record('e2e-1')] });
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'duplicate']);
    const corrected = await withToken(spcOperator).post('/v1/sites/spc/usage', { records: [record('e2e-1', { elapsedSeconds: 1800, end: '2026-10-01T00:30:00Z' })] });
    expect(corrected.body.results[0]).toMatchObject({ status: 'corrected', deltaCredits: -0.9 });
    const alloc = await as('researcher').get(`/v1/allocations/${allocationId}`);
    expect(alloc.body.balances.find((b: { resource: string }) => b.resource === 'spc/h200')).toMatchObject({ used: 0.9, balance: 99.1 });
    const ledger = await as('researcher').get(`/v1/allocations/${allocationId}/ledger`);
    expect(ledger.body.items.filter((e: { kind: string }) => e.kind === 'usage').map((e: { credits: number }) => e.credits)).toEqual([-1.8, 0.9]);
    const check = await as('auditor').get(`/v1/allocations/${allocationId}/consistency`);
    expect(check.body).toMatchObject({ ok: true, problems: [] });
  });

  it('refuses an operator of another site (403) and non-operators (403)', async () => {
    const res = await withToken(kistiOperator).post('/v1/sites/spc/usage', { records: [record('e2e-2')] });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(ERROR_SHAPE);
    expect((await as('researcher').post('/v1/sites/spc/usage', { records: [record('e2e-2')] })).status).toBe(403);
    expect((await as('auditor').post('/v1/sites/spc/usage', { records: [record('e2e-2')] })).status).toBe(403);
  });

  it('rejects bad reports by name and accepts the good ones in the same batch', async () => {
    const res = await withToken(spcOperator).post('/v1/sites/spc/usage', { records: [record('e2e-3', { gpus: -2 }), record('e2e-4', { resource: 'tpu' }), record('e2e-5')] });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { status: string; reason?: { code: string } }) => [r.status, r.reason?.code])).toEqual([
      ['rejected', 'negative_value'],
      ['rejected', 'unknown_resource'],
      ['accepted', undefined],
    ]);
    expect(res.body.summary).toEqual({ rejected: 2, accepted: 1 });
  });

  it('refuses a malformed batch as a whole with the field named (400)', async () => {
    const res = await withToken(spcOperator).post('/v1/sites/spc/usage', { records: [{ ...record('e2e-6'), gpus: 'two' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ path: 'records[0].gpus' });
    const tooMany = await withToken(spcOperator).post('/v1/sites/spc/usage', { records: Array.from({ length: 501 }, (_, i) => record(`many-${i}`)) });
    expect(tooMany.status).toBe(400);
  });
});

describe('lifecycle requests', () => {
  it('approves a small supplement at once and sends a large one to the chair', async () => {
    const small = await as('researcher').post(`/v1/allocations/${allocationId}/requests`, { type: 'supplement', resource: 'spc/h200', credits: 10, justification: 'a few more epochs' });
    expect(small.status).toBe(201);
    expect(small.body).toMatchObject({ state: 'approved', automatic: true });
    const large = await as('researcher').post(`/v1/allocations/${allocationId}/requests`, { type: 'supplement', resource: 'spc/b200', credits: 5000, justification: 'scaling to 70B parameters' });
    expect(large.body).toMatchObject({ state: 'pending', automatic: false });
    expect((await as('researcher').post(`/v1/allocations/${allocationId}/requests/${large.body.requestId}/decision`, { decision: 'approve', reason: 'self-approval' })).status).toBe(403);
    const decided = await as('chair').post(`/v1/allocations/${allocationId}/requests/${large.body.requestId}/decision`, { decision: 'approve', reason: 'justified by the review' });
    expect(decided.status).toBe(200);
    expect(decided.body.state).toBe('approved');
    expect((await as('chair').post(`/v1/allocations/${allocationId}/requests/${large.body.requestId}/decision`, { decision: 'reject', reason: 'again' })).status).toBe(409);
    const alloc = await as('researcher').get(`/v1/allocations/${allocationId}`);
    expect(alloc.body.balances.find((b: { resource: string }) => b.resource === 'spc/b200')).toMatchObject({ awarded: 5000, balance: 5000 });
  });

  it('names the bad field of a request (400)', async () => {
    const res = await as('researcher').post(`/v1/allocations/${allocationId}/requests`, { type: 'exchange', from: 'spc/h200', to: 'spc/tpu', credits: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('to');
  });

  it('shows a burn-down with a projection', async () => {
    const res = await as('researcher').get(`/v1/allocations/${allocationId}/usage`);
    expect(res.status).toBe(200);
    const h200 = res.body.resources.find((r: { resource: string }) => r.resource === 'spc/h200');
    expect(h200.days.length).toBeGreaterThan(0);
    expect(h200.burnPerDay).toBeGreaterThan(0);
    expect(h200.projectedExhaustion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

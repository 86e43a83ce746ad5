// Lifecycle requests on DynamoDB Local, each both ways: extensions (automatic within the policy's
// days, else the chair approves or rejects), renewals (always the chair: approved, a new
// allocation; rejected, nothing), exchanges (automatic within the credit threshold, else the
// chair; refused past the source's balance). config/local.json: extensions 30 days, exchanges 1000
// credits are automatic.
import { createRequest, decideRequest, getRequest, listRequests, type RequestBody } from '../../../lambdas/ledger/requests';
import { getAllocation } from '../../../lambdas/ledger/store';
import { consistency } from '../../../lambdas/ledger/service';
import { ledgerFixture, newAllocation, type LedgerFixture } from './support';

let fx: LedgerFixture;
beforeAll(async () => {
  fx = await ledgerFixture();
});
afterAll(async () => {
  await fx.stop();
});

const pi = { actor: { sub: 'pi-1', role: 'researcher' }, requestId: 'req-pi' } as const;
const chair = (reason: string) => ({ actor: { sub: 'chair-1', role: 'chair' }, requestId: 'req-chair', reason }) as const;
const noIdempotency = () => [];
const file = (id: string, body: RequestBody) => createRequest(id, body, { ...pi }, noIdempotency);

describe('extension', () => {
  it('within 30 days is approved automatically and moves the end date at once', async () => {
    const a = await newAllocation({ 'spc/h200': 10 }, { endDate: '2027-06-30' });

    const r = await file(a.id, { type: 'extension', endDate: '2027-07-20', justification: 'the last runs need three more weeks' });

    expect(r).toMatchObject({ state: 'approved', automatic: true, decidedBy: 'system:policy' });
    expect((await getAllocation(a.id)).allocation.endDate).toBe('2027-07-20');
  });

  it('past 30 days waits for the chair, and changes nothing until approved', async () => {
    const a = await newAllocation({ 'spc/h200': 10 }, { endDate: '2027-06-30' });

    const r = await file(a.id, { type: 'extension', endDate: '2027-12-31', justification: 'a second phase of the study' });
    const before = (await getAllocation(a.id)).allocation.endDate;
    const approved = await decideRequest(a.id, r.requestId, 'approve', chair('the second phase is justified'));

    expect(r).toMatchObject({ state: 'pending', automatic: false });
    expect(before).toBe('2027-06-30');
    expect(approved).toMatchObject({ state: 'approved', decidedBy: 'chair-1', reason: 'the second phase is justified' });
    expect((await getAllocation(a.id)).allocation.endDate).toBe('2027-12-31');
  });

  it('rejected by the chair leaves the end date, and cannot be decided twice', async () => {
    const a = await newAllocation({ 'spc/h200': 10 }, { endDate: '2027-06-30' });
    const r = await file(a.id, { type: 'extension', endDate: '2027-12-31', justification: 'a second phase of the study' });

    const rejected = await decideRequest(a.id, r.requestId, 'reject', chair('no second phase was proposed'));

    expect(rejected.state).toBe('rejected');
    expect((await getAllocation(a.id)).allocation.endDate).toBe('2027-06-30');
    await expect(decideRequest(a.id, r.requestId, 'approve', chair('changed my mind'))).rejects.toMatchObject({ status: 409 });
  });

  it('to a date not after the current end is refused with the field named', async () => {
    const a = await newAllocation({ 'spc/h200': 10 }, { endDate: '2027-06-30' });

    await expect(file(a.id, { type: 'extension', endDate: '2027-06-30', justification: 'no change at all' })).rejects.toMatchObject({ status: 400, details: [{ path: 'endDate' }] });
  });
});

describe('renewal', () => {
  it('is never automatic; approved, it creates a new allocation from the day after the old one ends', async () => {
    const a = await newAllocation({ 'spc/h200': 10 }, { endDate: '2027-06-30' });

    const r = await file(a.id, { type: 'renewal', endDate: '2028-06-30', credits: { 'spc/h200': 40 }, justification: 'year two of the project' });
    const approved = await decideRequest(a.id, r.requestId, 'approve', chair('year one delivered'));

    expect(r).toMatchObject({ state: 'pending', automatic: false });
    expect(approved.resultAllocationId).toBeDefined();
    const renewed = (await getAllocation(approved.resultAllocationId!)).allocation;
    expect(renewed).toMatchObject({ startDate: '2027-07-01', endDate: '2028-06-30', piSub: 'pi-1' });
    expect(renewed.resources['spc/h200']).toMatchObject({ balanceMc: 40_000, awardedMc: 40_000 });
    expect((await getAllocation(a.id)).allocation.endDate).toBe('2027-06-30');
    expect((await consistency(renewed.id)).problems).toEqual([]);
  });

  it('rejected, creates nothing and leaves the old allocation as it was', async () => {
    const a = await newAllocation({ 'spc/h200': 10 }, { endDate: '2027-06-30' });
    const r = await file(a.id, { type: 'renewal', endDate: '2028-06-30', credits: { 'spc/h200': 40 }, justification: 'year two of the project' });

    const rejected = await decideRequest(a.id, r.requestId, 'reject', chair('the results do not justify it'));

    expect(rejected).toMatchObject({ state: 'rejected' });
    expect(rejected.resultAllocationId).toBeUndefined();
    expect((await getRequest(a.id, r.requestId)).request.state).toBe('rejected');
    expect((await getAllocation(a.id)).allocation.resources['spc/h200'].balanceMc).toBe(10_000);
  });

  it('naming a resource that does not exist is refused with the field named', async () => {
    const a = await newAllocation({ 'spc/h200': 10 });

    await expect(file(a.id, { type: 'renewal', endDate: '2028-12-31', credits: { 'spc/tpu': 1 }, justification: 'year two of the project' })).rejects.toMatchObject({ status: 400, details: [{ path: 'credits.spc/tpu' }] });
  });
});

describe('exchange', () => {
  it('within 1000 credits is automatic and moves the credits one for one', async () => {
    const a = await newAllocation({ 'spc/h200': 100, 'kisti6/gh200': 10 });

    const r = await file(a.id, { type: 'exchange', from: 'spc/h200', to: 'kisti6/gh200', credits: 60 });

    expect(r).toMatchObject({ state: 'approved', automatic: true });
    const after = (await getAllocation(a.id)).allocation;
    expect([after.resources['spc/h200'].balanceMc, after.resources['kisti6/gh200'].balanceMc]).toEqual([40_000, 70_000]);
    expect((await consistency(a.id)).problems).toEqual([]);
  });

  it('over 1000 credits waits for the chair; approved it moves them, rejected it does not', async () => {
    const a = await newAllocation({ 'spc/h200': 5000 });
    const big = { type: 'exchange' as const, from: 'spc/h200', to: 'kisti6/gh200', credits: 2000 };

    const first = await file(a.id, big);
    const second = await file(a.id, big);
    await decideRequest(a.id, first.requestId, 'approve', chair('the model moves to GH200'));
    await decideRequest(a.id, second.requestId, 'reject', chair('once is enough'));

    expect([first.state, second.state]).toEqual(['pending', 'pending']);
    const after = (await getAllocation(a.id)).allocation;
    expect([after.resources['spc/h200'].balanceMc, after.resources['kisti6/gh200'].balanceMc]).toEqual([3_000_000, 2_000_000]);
    expect((await listRequests(a.id)).map((r) => r.state).sort()).toEqual(['approved', 'rejected']);
  });

  it('of more than the source holds is refused as a rule (422), automatic or not, and moves nothing', async () => {
    const a = await newAllocation({ 'spc/h200': 50 });

    await expect(file(a.id, { type: 'exchange', from: 'spc/h200', to: 'kisti6/gh200', credits: 80 })).rejects.toMatchObject({ status: 422 });
    const pending = await file(a.id, { type: 'exchange', from: 'spc/h200', to: 'kisti6/gh200', credits: 1500 });
    await expect(decideRequest(a.id, pending.requestId, 'approve', chair('approve'))).rejects.toMatchObject({ status: 422 });

    const after = (await getAllocation(a.id)).allocation;
    expect(after.resources['spc/h200'].balanceMc).toBe(50_000);
    expect(after.resources['kisti6/gh200']).toBeUndefined();
    expect((await getRequest(a.id, pending.requestId)).request.state).toBe('pending');
  });

  it('from a resource the allocation does not have is refused with the field named', async () => {
    const a = await newAllocation({ 'spc/h200': 50 });

    await expect(file(a.id, { type: 'exchange', from: 'kisti6/gh200', to: 'spc/h200', credits: 1 })).rejects.toMatchObject({ status: 400, details: [{ path: 'from' }] });
  });
});

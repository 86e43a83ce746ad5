// The dispatch's one transaction before its submit, against DynamoDB Local through the jobs handler
// (the scheduler is a fake that records what it is asked to submit). The snapshot a dispatch reads
// first is reused for as long as the test runs (KAIRR_DISPATCH_SNAPSHOT_MS), so a fact that changes
// after it was read is caught only by the transaction's own conditions: a member removed, a login
// disabled. And a change that does not touch the caller (another member added) does not make the
// dispatch look again.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { handler as jobsHandler } from '../../../lambdas/jobs/handler';
import { jobsApi } from '../../../lambdas/jobs/api';
import { siteAccountsApi } from '../../../lambdas/connectors/site-accounts/api';
import { useDriverFactory } from '../../../lambdas/connectors/sites';
import type { SchedulerDriver, SubmitJobRequest } from '../../../lambdas/connectors/driver';
import { recordProvisioned } from '../../../lambdas/connectors/allocation-writes';
import { addMember, removeMember } from '../../../lambdas/ledger/service';
import { clearSnapshots } from '../../../lambdas/jobs/snapshot';
import { ddb, mainTable, setDdb } from '../../../lambdas/shared/store/client';
import { trustKeys } from '../../../lambdas/shared/store/keys';
import { apiOf, person } from '../../support/invoke';
import { ledgerFixture, newAllocation, system, type LedgerFixture } from '../ledger/support';

let fx: LedgerFixture;
/** Every DynamoDB write the code under test sent, in order, with its outcome; and every submit, in the same list. */
const trail: { kind: 'write' | 'submit'; items?: string[]; failed?: string; dispatchId?: string }[] = [];
let allocationId: string;

const api = apiOf({ ...jobsApi, ...siteAccountsApi }, jobsHandler as never);
const operator = person('op-spc', ['site-operator'], ['spc']);
const m1 = person('dispatch-m1');
const m2 = person('dispatch-m2');
const m3 = person('dispatch-m3');
const body = { site: 'spc', resource: 'h200', script: '#!/bin/bash\ntrue\n', gpus: 1, timeLimit: 1 };
const dispatch = (who: ReturnType<typeof person>) => api(who, 'POST', `/v1/allocations/${allocationId}/jobs`, body);

const fakeDriver = (siteId: string, cluster: string): SchedulerDriver =>
  ({
    driver: 'fake',
    siteId,
    cluster,
    submitJob: async (req: SubmitJobRequest) => {
      trail.push({ kind: 'submit', dispatchId: req.dispatchId });
      return { jobId: String(1000 + trail.length), alreadySubmitted: false };
    },
  }) as unknown as SchedulerDriver;

/** What was written from `from` on: the writes before the first submit, the submits, the writes after. */
function since(from: number) {
  const t = trail.slice(from);
  const first = t.findIndex((x) => x.kind === 'submit');
  const before = first < 0 ? t : t.slice(0, first);
  return { before, submits: t.filter((x) => x.kind === 'submit'), after: first < 0 ? [] : t.slice(first + 1) };
}

async function heldMc(): Promise<number> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: trustKeys.dispatchHold(allocationId, 'spc/h200'), ConsistentRead: true }));
  return Number(out.Item?.heldMc ?? 0);
}

beforeAll(async () => {
  process.env.KAIRR_DISPATCH_SNAPSHOT_MS = String(3_600_000);
  fx = await ledgerFixture();
  const a = await newAllocation({ 'spc/h200': 100 }, { startDate: '2026-01-01', endDate: '2099-12-31' });
  allocationId = a.id;
  for (const m of [m1, m2]) await addMember(a.id, { sub: m.sub }, system('members'));
  await recordProvisioned(a.id, [{ resourceKey: 'spc/h200', siteId: 'spc', account: 'kairr-dispatch-test' }], system('provisioned'));
  for (const [m, login] of [
    [m1, 'dm1'],
    [m2, 'dm2'],
  ] as const) {
    const r = await api(operator, 'PUT', `/v1/sites/spc/accounts/${m.sub}`, { username: login });
    expect(r.status).toBe(200);
  }
  useDriverFactory((site) => fakeDriver(site.id, site.scheduler.cluster));
  // record the writes the dispatch path sends (reads pass through unrecorded)
  const real = ddb();
  const send = real.send.bind(real) as (c: unknown) => Promise<unknown>;
  setDdb(
    Object.assign(Object.create(real), {
      send: async (c: { constructor: { name: string }; input?: { TransactItems?: Record<string, unknown>[] } }) => {
        if (c.constructor.name !== 'TransactWriteCommand') return send(c);
        const entry: (typeof trail)[number] = { kind: 'write', items: (c.input?.TransactItems ?? []).map((i) => Object.keys(i)[0]) };
        trail.push(entry);
        try {
          return await send(c);
        } catch (e) {
          entry.failed = (e as Error).name;
          throw e;
        }
      },
    }),
  );
  clearSnapshots();
});

afterAll(async () => {
  useDriverFactory(undefined);
  delete process.env.KAIRR_DISPATCH_SNAPSHOT_MS;
  await fx?.stop();
});

test('a dispatch writes once before its submit (the job, its event, the hold, the allocation and login conditions) and once after', async () => {
  const from = trail.length;
  const r = await dispatch(m1);
  expect(r.status).toBe(201);
  const w = since(from);
  expect(w.submits).toEqual([{ kind: 'submit', dispatchId: r.body.jobId }]);
  expect(w.before).toEqual([{ kind: 'write', items: ['Put', 'Put', 'Update', 'ConditionCheck', 'ConditionCheck'] }]);
  expect(w.after).toHaveLength(1);
  expect(w.after[0].failed).toBeUndefined();
  expect(r.body).toMatchObject({ state: 'pending', user: 'dm1' });
});

test("another member joining changes the allocation's members, not the caller's entry: a dispatch on the snapshot read before goes through at the first attempt", async () => {
  expect((await dispatch(m1)).status).toBe(201); // the snapshot is read now, and kept
  await addMember(allocationId, { sub: m3.sub }, system('members'));
  const from = trail.length;
  const r = await dispatch(m1);
  expect(r.status).toBe(201);
  expect(since(from).before).toEqual([{ kind: 'write', items: ['Put', 'Put', 'Update', 'ConditionCheck', 'ConditionCheck'] }]);
});

test('a member removed after their snapshot was read is refused by the transaction (404: no longer theirs to see), nothing is submitted, and no credit stays held', async () => {
  expect((await dispatch(m2)).status).toBe(201); // m2's snapshot, with m2 a member, is kept
  await removeMember(allocationId, m2.sub, system('members'));
  const held = await heldMc();
  const from = trail.length;
  const r = await dispatch(m2);
  expect(r.status).toBe(404);
  const w = since(from);
  expect(w.submits).toEqual([]);
  // the reused snapshot still said "member": the transaction's condition refused it, then a fresh read
  expect(w.before).toEqual([{ kind: 'write', items: ['Put', 'Put', 'Update', 'ConditionCheck', 'ConditionCheck'], failed: 'TransactionCanceledException' }]);
  expect(await heldMc()).toBe(held);
});

test('a login the site disabled after the snapshot was read is refused by the transaction (409 site_account_missing), and nothing is submitted', async () => {
  expect((await dispatch(m1)).status).toBe(201);
  const off = await api(operator, 'POST', `/v1/sites/spc/accounts/${m1.sub}/disable`, { reason: 'left the project' });
  expect(off.status).toBe(200);
  const from = trail.length;
  const r = await dispatch(m1);
  expect(r.status).toBe(409);
  expect(r.body.error.code).toBe('site_account_missing');
  const w = since(from);
  expect(w.submits).toEqual([]);
  expect(w.before.map((x) => x.failed)).toEqual(['TransactionCanceledException']);
});

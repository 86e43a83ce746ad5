// The per-site accounting lease against DynamoDB Local: accounting changes to one site never
// overlap, whichever worker makes them; a lapsed lease is taken over; a long change keeps its
// lease by renewing it; a worker that waits too long gets a retryable error; reads are not held up.
// The driver here is a recording stand-in for KAIRR's own SchedulerDriver interface (it talks to no
// scheduler): it only notes which calls overlapped. test/slurm/concurrency.test.ts runs the same
// wrapper against the real Slurm clusters.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { acquireAccountingLease, serializeAccounting, underAccountingLease } from '../../../lambdas/connectors/accounting-lease';
import { TransientSchedulerError, type SchedulerDriver } from '../../../lambdas/connectors/driver';
import { connectorKeys } from '../../../lambdas/shared/store/keys';

let t: TestTables;
beforeAll(async () => {
  t = await createTestTables();
});
afterAll(async () => {
  await t.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records how many accounting changes (and reads) were in flight at once. */
function recordingDriver(siteId: string, changeMs = 40) {
  const seen = { inFlight: 0, maxInFlight: 0, changes: 0, readsDuringChange: 0 };
  const change = async () => {
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    await sleep(changeMs);
    seen.inFlight--;
    seen.changes++;
  };
  const state = { account: 'k-a', parentAccount: 'kairr', limits: { gpuMinutes: 1 }, blocked: false, members: [] };
  const d = {
    driver: 'recording',
    siteId,
    cluster: siteId,
    provisionAccount: async () => (await change(), state),
    setLimits: async () => (await change(), state),
    addMember: change,
    removeMember: change,
    block: change,
    unblock: change,
    readAccount: async () => {
      if (seen.inFlight > 0) seen.readsDuringChange++;
      return state;
    },
  } as unknown as SchedulerDriver;
  return { d, seen };
}

describe('serializeAccounting', () => {
  it('never lets two accounting changes to one site overlap, from any number of workers', async () => {
    const { d, seen } = recordingDriver('site-x');
    // separate wrappers stand for separate Lambda instances: they share only the table
    const workers = Array.from({ length: 4 }, () => serializeAccounting(d, { waitMs: 30_000 }));
    await Promise.all(
      workers.flatMap((w, i) => [w.provisionAccount({ account: `k-${i}`, description: '', partition: 'p', limits: { gpuMinutes: 1 } }), w.setLimits(`k-${i}`, { gpuMinutes: 2 }), w.addMember(`k-${i}`, 'alice', 'p'), w.block(`k-${i}`)]),
    );
    expect(seen.changes).toBe(16);
    expect(seen.maxInFlight).toBe(1);
    // released at the end: nothing left behind
    expect((await t.doc.send(new GetCommand({ TableName: t.names.main, Key: connectorKeys.accountingLease('site-x') }))).Item).toBeUndefined();
  });

  it('lets different sites change at the same time, and reads pass while a change runs', async () => {
    const a = recordingDriver('site-a', 200);
    const b = recordingDriver('site-b', 200);
    let bothAtOnce = false;
    const wa = serializeAccounting(a.d);
    const wb = serializeAccounting(b.d);
    const watch = setInterval(() => {
      if (a.seen.inFlight && b.seen.inFlight) bothAtOnce = true;
    }, 5);
    const reads = (async () => {
      while (!a.seen.inFlight) await sleep(5);
      await wa.readAccount('k-a');
    })();
    await Promise.all([wa.setLimits('k-a', { gpuMinutes: 1 }), wb.setLimits('k-b', { gpuMinutes: 1 }), reads]);
    clearInterval(watch);
    expect(bothAtOnce).toBe(true);
    expect(a.seen.readsDuringChange).toBe(1);
  });

  it("passes the change's own error through and releases the lease", async () => {
    const failing = { ...recordingDriver('site-f').d, setLimits: async () => Promise.reject(new Error('refused by the scheduler')) } as SchedulerDriver;
    await expect(serializeAccounting(failing).setLimits('k-f', { gpuMinutes: 1 })).rejects.toThrow('refused by the scheduler');
    const again = await acquireAccountingLease('site-f', { waitMs: 0 });
    await again.release();
  });
});

describe('acquireAccountingLease', () => {
  it('takes over a lease whose holder died (expired), but not a live one', async () => {
    const key = connectorKeys.accountingLease('site-d');
    await t.doc.send(new PutCommand({ TableName: t.names.main, Item: { ...key, owner: 'dead-worker', expiresAtMs: Date.now() - 1 } }));
    const lease = await acquireAccountingLease('site-d', { waitMs: 0 });
    expect((await t.doc.send(new GetCommand({ TableName: t.names.main, Key: key }))).Item?.owner).toBe(lease.owner);
    const second = await acquireAccountingLease('site-d', { waitMs: 200 }).then(
      () => 'acquired',
      (e: unknown) => e,
    );
    expect(second).toBeInstanceOf(TransientSchedulerError);
    expect(second).toMatchObject({ retryable: true, details: { siteId: 'site-d', operation: 'accounting-lease' } });
    await lease.release();
  });

  it('renews the lease while a long change runs, so nobody takes it over meanwhile', async () => {
    let contender: unknown;
    await underAccountingLease(
      'site-r',
      'a long change',
      async () => {
        // the change lasts 5 TTLs; a contender that waits 3 TTLs must not get in
        const tryIt = acquireAccountingLease('site-r', { ttlMs: 150, waitMs: 450 }).then(
          async (l) => (await l.release(), 'acquired'),
          (e: unknown) => e,
        );
        await sleep(750);
        contender = await tryIt;
      },
      { ttlMs: 150 },
    );
    expect(contender).toBeInstanceOf(TransientSchedulerError);
  });

  it('does not delete a lease that lapsed and was taken by another worker', async () => {
    const key = connectorKeys.accountingLease('site-l');
    const mine = await acquireAccountingLease('site-l', { ttlMs: 60_000 });
    // another worker takes it over (as if mine had lapsed)
    await t.doc.send(new PutCommand({ TableName: t.names.main, Item: { ...key, owner: 'other-worker', expiresAtMs: Date.now() + 60_000 } }));
    await mine.release();
    expect((await t.doc.send(new GetCommand({ TableName: t.names.main, Key: key }))).Item?.owner).toBe('other-worker');
  });
});

// Many KAIRR workers changing one site's accounting at once (several provisioning flows, a flow's
// Map over two resources of one site, the reconciler) must all succeed and leave Slurm as asked.
// Unserialised, Slurm 22.05's slurmdbd does not survive this (docs/connectors.md "One accounting
// writer per site"); through the per-site accounting lease (sites.ts hands out only such drivers)
// every change lands. Both generations: spc (22.05, v0.0.38) and kisti6 (24.11).
import { slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { serializeAccounting } from '../../lambdas/connectors/accounting-lease';
import { createTestTables, type TestTables } from '../support/dynamo';
import { driverFor, loadClusters, sacctmgrAssocs, uniqueId } from './support/clusters';

jest.setTimeout(10 * 60_000);

const clusters = loadClusters();
let t: TestTables;
beforeAll(async () => {
  t = await createTestTables();
});
afterAll(async () => {
  await t.drop();
});

describe.each(clusters.map((c) => [c.cluster, c] as const))('concurrent accounting changes on %s', (_name, cluster) => {
  test('six workers provisioning and then re-budgeting at once all land, each exactly as asked', async () => {
    const partition = cluster.partitions[0];
    const accounts = Array.from({ length: 6 }, () => slurmAccountName(uniqueId('t-'), partition));
    // one wrapper per worker: they share nothing but the lease item in DynamoDB
    const worker = () => serializeAccounting(driverFor(cluster), { waitMs: 5 * 60_000 });

    const provisioned = await Promise.allSettled(accounts.map((account, i) => worker().provisionAccount({ account, description: 'jest concurrency', partition, limits: { gpuMinutes: 100 + i }, members: ['alice', 'bob'] })));
    const rebudgeted = await Promise.allSettled(accounts.map((account, i) => worker().setLimits(account, { gpuMinutes: 1000 + i })));

    const failures = [...provisioned, ...rebudgeted].filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    const health = await driverFor(cluster).health();
    expect(health).toMatchObject({ ok: true, accounting: 'up' });
    // what Slurm itself holds, through its own client
    accounts.forEach((account, i) => {
      const rows = sacctmgrAssocs(cluster, account);
      expect(rows.find((r) => r.user === '')).toMatchObject({ parent: 'kairr', grpTresMins: `gres/gpu=${1000 + i}` });
      expect(
        rows
          .filter((r) => r.user)
          .map((r) => `${r.user}@${r.partition}`)
          .sort(),
      ).toEqual([`alice@${partition}`, `bob@${partition}`]);
    });
  });
});

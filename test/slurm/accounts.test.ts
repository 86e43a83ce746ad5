// Provisioning against the real clusters: accounts, members, budgets, drift. Both generations:
// spc speaks v0.0.38 (Slurm 22.05), kisti6 the data_parser versions (Slurm 24.11).
import { slurmAccountName, creditsToGpuMinutes } from '../../lambdas/domain/scheduler-mapping';
import { driverFor, loadClusters, sacctmgrAssocs, slurmCli, uniqueId } from './support/clusters';

// these tests wait on real daemons and real jobs (each wait has its own, shorter deadline)
jest.setTimeout(10 * 60_000);

const clusters = loadClusters();

describe.each(clusters.map((c) => [c.cluster, c] as const))('accounts on %s', (_name, cluster) => {
  const driver = driverFor(cluster);
  const partition = cluster.partitions[cluster.partitions.length - 1];
  const newAccount = () => slurmAccountName(uniqueId('t-'), partition);

  test('detects the API version the site serves', async () => {
    const detected = await driver.apiVersion();
    if (cluster.slurmVersion.startsWith('22.05')) expect(detected.version).toBe('v0.0.38');
    else expect(detected.version).toBe('v0.0.42');
    const health = await driver.health();
    expect(health).toMatchObject({ ok: true, controller: 'up', accounting: 'up', apiVersion: detected.version, schedulerVersion: cluster.slurmVersion });
  });

  test('provisions an account with members and a GPU-minute budget, idempotently', async () => {
    const account = newAccount();
    const gpuMinutes = creditsToGpuMinutes(100, 0.8); // 7500
    const request = { account, description: 'jest', partition, limits: { gpuMinutes }, members: ['alice', 'bob'] };

    const first = await driver.provisionAccount(request);
    const again = await driver.provisionAccount(request);

    expect(first).toMatchObject({ account, parentAccount: 'kairr', blocked: false, limits: { gpuMinutes: 7500 } });
    expect(first.members).toEqual([
      { user: 'alice', partition },
      { user: 'bob', partition },
    ]);
    expect(again).toEqual(first);
    // what Slurm itself holds, through its own client
    const rows = sacctmgrAssocs(cluster, account);
    expect(rows.find((r) => r.user === '')).toMatchObject({ parent: 'kairr', grpTresMins: 'gres/gpu=7500' });
    expect(
      rows
        .filter((r) => r.user)
        .map((r) => `${r.user}/${r.partition}`)
        .sort(),
    ).toEqual([`alice/${partition}`, `bob/${partition}`]);
  });

  test('raises the budget (a supplement) and adds a CPU budget, keeping limits set by others', async () => {
    const account = newAccount();
    await driver.provisionAccount({ account, description: 'jest', partition, limits: { gpuMinutes: 600 }, members: ['alice'] });
    // a limit KAIRR does not manage, set by the site: an update must carry it over (22.05 would crash
    // slurmrestd without it, 24.11 would clear it)
    slurmCli(cluster, 'sacctmgr', '-i', 'modify', 'account', account, 'set', 'GrpTRES=mem=64G');

    const raised = await driver.setLimits(account, { gpuMinutes: 900, cpuMinutes: 5000 });

    expect(raised.limits).toEqual({ gpuMinutes: 900, cpuMinutes: 5000 });
    const own = sacctmgrAssocs(cluster, account).find((r) => r.user === '');
    expect(own?.grpTresMins.split(',').sort()).toEqual(['cpu=5000', 'gres/gpu=900']);
    expect(own?.parent).toBe('kairr');
    expect(slurmCli(cluster, 'sacctmgr', '-n', '-P', 'show', 'assoc', `account=${account}`, 'user=', 'format=grptres').trim()).toMatch(/mem=64G|mem=65536/);
  });

  test('reads drift made by hand with sacctmgr, and setLimits repairs it', async () => {
    const account = newAccount();
    await driver.provisionAccount({ account, description: 'jest', partition, limits: { gpuMinutes: 1200 }, members: ['alice'] });

    slurmCli(cluster, 'sacctmgr', '-i', 'modify', 'account', account, 'set', 'GrpTRESMins=gres/gpu=777');
    const drifted = await driver.readAccount(account);
    expect(drifted?.limits.gpuMinutes).toBe(777);

    const repaired = await driver.setLimits(account, { gpuMinutes: 1200 });
    expect(repaired.limits.gpuMinutes).toBe(1200);
    expect(sacctmgrAssocs(cluster, account).find((r) => r.user === '')?.grpTresMins).toBe('gres/gpu=1200');
  });

  test('an account left under root (a 22.05 limit change cut short) is moved home by the next change', async () => {
    const account = newAccount();
    await driver.provisionAccount({ account, description: 'jest', partition, limits: { gpuMinutes: 60 }, members: ['alice'] });
    slurmCli(cluster, 'sacctmgr', '-i', 'modify', 'account', account, 'set', 'parent=root');
    expect((await driver.readAccount(account))?.parentAccount).toBe('root');

    const state = await driver.setLimits(account, { gpuMinutes: 120 });

    expect(state).toMatchObject({ parentAccount: 'kairr', limits: { gpuMinutes: 120 } });
    expect(sacctmgrAssocs(cluster, account).find((r) => r.user === '')).toMatchObject({ parent: 'kairr', grpTresMins: 'gres/gpu=120' });
  });

  test('removes a member, and removing a non-member succeeds', async () => {
    const account = newAccount();
    await driver.provisionAccount({ account, description: 'jest', partition, limits: { gpuMinutes: 60 }, members: ['alice', 'bob'] });

    await driver.removeMember(account, 'bob');
    await driver.removeMember(account, 'bob');

    expect((await driver.readAccount(account))?.members).toEqual([{ user: 'alice', partition }]);
    expect(sacctmgrAssocs(cluster, account).filter((r) => r.user === 'bob')).toEqual([]);
  });

  test('lists the accounts under the parent, and an unknown account reads as undefined', async () => {
    const account = newAccount();
    await driver.provisionAccount({ account, description: 'jest', partition, limits: { gpuMinutes: 60 } });

    expect((await driver.listAccounts()).map((a) => a.account)).toContain(account);
    expect(await driver.readAccount(newAccount())).toBeUndefined();
    await expect(driver.setLimits(newAccount(), { gpuMinutes: 1 })).rejects.toMatchObject({ kind: 'not-found' });
  });
});

describe.each(clusters.filter((c) => !c.slurmVersion.startsWith('22.05')).map((c) => [c.cluster, c] as const))('older data_parser versions on %s', (_name, cluster) => {
  test.each(['v0.0.40', 'v0.0.41'] as const)('%s provisions, limits, blocks and submits like v0.0.42', async (apiVersion) => {
    const driver = driverFor(cluster, { apiVersion });
    const partition = cluster.partitions[0];
    const account = slurmAccountName(uniqueId('t-'), partition);

    await driver.provisionAccount({ account, description: 'jest pinned', partition, limits: { gpuMinutes: 100 }, members: ['alice'] });
    await driver.setLimits(account, { gpuMinutes: 200, cpuMinutes: 10 });
    await driver.block(account);
    const blocked = await driver.readAccount(account);
    await driver.unblock(account);
    const { jobId } = await driver.submitJob({
      dispatchId: uniqueId('pin-'),
      account,
      user: 'alice',
      partition,
      gpus: 1,
      timeLimitMinutes: 1,
      script: '#!/bin/bash\ntrue\n',
      workingDirectory: cluster.jobWorkDir,
    });
    const status = await driver.jobStatus(jobId);
    await driver.cancelJob(jobId);

    expect(blocked).toMatchObject({ blocked: true, limits: { gpuMinutes: 200, cpuMinutes: 10 } });
    expect((await driver.readAccount(account))?.blocked).toBe(false);
    expect(status).toMatchObject({ account, partition, gpus: 1 });
  });
});

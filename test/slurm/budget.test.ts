// GrpTRESMins as a hard budget at the scheduler: once the GPU-minutes are used up, Slurm itself keeps
// new jobs from starting (AccountingStorageEnforce=...,safe, no decay, no usage reset); a supplement
// (a raised budget) lets them run. A job uses a budget up only by running to its time limit, at least a
// minute, so both clusters run the scenario at once: started in beforeAll, checked per cluster.
import type { JobStatus } from '../../lambdas/connectors/driver';
import { slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { driverFor, LONG_JOB, loadClusters, type LocalCluster, slurmCli, uniqueId, waitFor } from './support/clusters';

// these tests wait on real daemons and real jobs (each wait has its own, shorter deadline)
jest.setTimeout(10 * 60_000);

const clusters = loadClusters();

interface Outcome {
  account: string;
  burner: JobStatus;
  blockedJob: JobStatus;
  usedGpuSeconds: number;
  usedAfterSupplement: number;
  afterSupplement: JobStatus;
}

async function exhaust(cluster: LocalCluster): Promise<Outcome> {
  const driver = driverFor(cluster);
  const partition = cluster.partitions[0];
  const account = slurmAccountName(uniqueId('t-'), partition);
  const base = { account, user: 'alice', partition, workingDirectory: cluster.jobWorkDir, timeLimitMinutes: 1 };
  await driver.provisionAccount({ account, description: 'jest budget', partition, limits: { gpuMinutes: 2 }, members: ['alice'] });

  // 2 GPUs for its whole 1-minute limit: exactly the budget; it is stopped at the limit (TIMEOUT)
  const burner = await driver.submitJob({ ...base, dispatchId: uniqueId('burn-'), gpus: 2, script: LONG_JOB });
  const cleanup: string[] = [burner.jobId];
  try {
    const burnt = await waitFor(
      `burner ${burner.jobId} to hit its time limit`,
      () => driver.jobStatus(burner.jobId),
      (s) => s.phase === 'finished',
      {
        timeoutMs: 240_000,
        intervalMs: 2_000,
      },
    );
    // slurmctld adds a job's usage to its association on the next decay pass (PriorityCalcPeriod, 1 minute
    // here), not when the job ends: until then a new job could still start (see docs/connectors.md)
    await waitFor(
      `${account}'s used GPU-minutes to reach the budget`,
      async () => usedGpuMinutes(cluster, account),
      (used) => used >= 2,
      {
        timeoutMs: 150_000,
        intervalMs: 2_000,
      },
    );
    const next = await driver.submitJob({ ...base, dispatchId: uniqueId('next-'), gpus: 1, script: '#!/bin/bash\ntrue\n' });
    cleanup.push(next.jobId);
    const blockedJob = await waitFor(
      `job ${next.jobId} held by the used-up budget`,
      () => driver.jobStatus(next.jobId),
      (s) => s.phase !== 'pending' || s.reason === 'AssocGrpGRESMinutes',
      { timeoutMs: 60_000 },
    );
    const records = await driver.listJobs({ since: new Date(Date.parse(burnt.start!) - 1_000), accounts: [account] });
    const usedGpuSeconds = records.filter((r) => r.jobId === burner.jobId).reduce((a, r) => a + r.gpus * r.elapsedSeconds, 0);

    await driver.setLimits(account, { gpuMinutes: 10 });
    // on 22.05 the raise goes through a change of parent and back: the used minutes must survive it
    const usedAfterSupplement = usedGpuMinutes(cluster, account);
    const afterSupplement = await waitFor(
      `job ${next.jobId} to run after the supplement`,
      () => driver.jobStatus(next.jobId),
      (s) => s.phase === 'finished',
      {
        timeoutMs: 120_000,
      },
    );
    return { account, burner: burnt, blockedJob, usedGpuSeconds, usedAfterSupplement, afterSupplement };
  } finally {
    for (const id of cleanup) await driver.cancelJob(id).catch(() => undefined);
  }
}

/** GPU-minutes slurmctld has counted against the account's GrpTRESMins (`scontrol show assoc_mgr`). */
function usedGpuMinutes(cluster: LocalCluster, account: string): number {
  const out = slurmCli(cluster, 'scontrol', 'show', 'assoc_mgr', `accounts=${account}`, 'flags=assoc');
  const own = out.split(/\n(?=ClusterName=)/).find((b) => b.includes(`Account=${account} UserName= `));
  const m = own && /GrpTRESMins=[^\n]*gres\/gpu=(?:N|\d+)\((\d+)\)/.exec(own);
  return m ? Number(m[1]) : 0;
}

const scenarios = new Map<string, Promise<Outcome>>();

beforeAll(() => {
  for (const c of clusters) {
    const p = exhaust(c);
    p.catch(() => undefined); // reported by the cluster's own test
    scenarios.set(c.cluster, p);
  }
});

describe.each(clusters.map((c) => [c.cluster, c] as const))('GPU-minute budget on %s', (name) => {
  test('a used-up GrpTRESMins holds new jobs at the scheduler; a supplement releases them', async () => {
    const o = await scenarios.get(name)!;

    expect(o.burner).toMatchObject({ state: 'TIMEOUT', gpus: 2 });
    expect(o.usedGpuSeconds).toBeGreaterThanOrEqual(2 * 60); // the whole budget: 2 GPU-minutes
    expect(o.blockedJob).toMatchObject({ phase: 'pending', reason: 'AssocGrpGRESMinutes', heldByBudget: true });
    expect(o.blockedJob.start).toBeUndefined();
    expect(o.usedAfterSupplement).toBeGreaterThanOrEqual(2);
    expect(o.afterSupplement).toMatchObject({ state: 'COMPLETED', account: o.account });
  }, 600_000);
});

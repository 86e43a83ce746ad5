// slurmrestd down: the driver says "transient" (retry later), never "permanent"; once it is back, the
// same call succeeds, and the retried submit does not run the job twice.
import { slurmAccountName, dispatchJobName } from '../../lambdas/domain/scheduler-mapping';
import { TransientSchedulerError, type SubmitJobRequest } from '../../lambdas/connectors/driver';
import { driverFor, LONG_JOB, loadClusters, restd, slurmCli, uniqueId, waitFor } from './support/clusters';

// these tests wait on real daemons and real jobs (each wait has its own, shorter deadline)
jest.setTimeout(10 * 60_000);

const clusters = loadClusters();

describe.each(clusters.map((c) => [c.cluster, c] as const))('slurmrestd outage on %s', (_name, cluster) => {
  const partition = cluster.partitions[0];
  const account = slurmAccountName(uniqueId('t-'), partition);
  const jobs: string[] = [];

  beforeAll(async () => {
    await driverFor(cluster).provisionAccount({ account, description: 'jest outage', partition, limits: { gpuMinutes: 600 }, members: ['alice'] });
  });
  afterAll(async () => {
    restd('start', cluster); // whatever happened, leave the REST API up for the next suite
    for (const id of jobs)
      await driverFor(cluster)
        .cancelJob(id)
        .catch(() => undefined);
  });

  test('errors are transient while slurmrestd is down; after restart the retry submits exactly once', async () => {
    const driver = driverFor(cluster, { timeoutMs: 5_000 });
    const req: SubmitJobRequest = {
      dispatchId: uniqueId('outage-'),
      account,
      user: 'alice',
      partition,
      gpus: 1,
      timeLimitMinutes: 2,
      script: LONG_JOB,
      workingDirectory: cluster.jobWorkDir,
    };

    restd('stop', cluster);
    const whileDown = await driver.submitJob(req).then(
      () => undefined,
      (e: unknown) => e,
    );
    const health = await driver.health();
    const readWhileDown = await driver.readAccount(account).then(
      () => undefined,
      (e: unknown) => e,
    );
    restd('start', cluster);
    const retried = await waitFor(
      'the retried submit to go through',
      () => driver.submitJob(req),
      () => true,
      { timeoutMs: 30_000 },
    );
    jobs.push(retried.jobId);
    const again = await driver.submitJob(req);

    expect(whileDown).toBeInstanceOf(TransientSchedulerError);
    expect(whileDown).toMatchObject({ kind: 'transient', retryable: true });
    expect(readWhileDown).toMatchObject({ kind: 'transient', retryable: true });
    expect(health).toMatchObject({ ok: false, controller: 'unknown' });
    expect(again).toEqual({ jobId: retried.jobId, alreadySubmitted: true });
    expect(slurmCli(cluster, 'squeue', '-h', '-n', dispatchJobName(req.dispatchId), '-o', '%i').trim().split('\n')).toEqual([retried.jobId]);
  });
});

// Jobs through the driver on the real clusters: submit with GPUs on the resource's partition, idempotent
// retries by dispatch id, status, cancel, usage since a watermark, block and unblock.
import { dispatchJobName, slurmAccountName, usageRecordFromJob } from '../../lambdas/domain/scheduler-mapping';
import type { JobStatus, SubmitJobRequest } from '../../lambdas/connectors/driver';
import { driverFor, LONG_JOB, loadClusters, SHORT_JOB, slurmCli, uniqueId, waitFor } from './support/clusters';

// these tests wait on real daemons and real jobs (each wait has its own, shorter deadline)
jest.setTimeout(10 * 60_000);

const clusters = loadClusters();

describe.each(clusters.map((c) => [c.cluster, c] as const))('jobs on %s', (_name, cluster) => {
  const driver = driverFor(cluster);
  // spc's second partition (b200) proves the job lands where it is sent, not on the default partition
  const partition = cluster.partitions[cluster.partitions.length - 1];
  const account = slurmAccountName(uniqueId('t-'), partition);
  const toCancel: string[] = [];
  const job = (over: Partial<SubmitJobRequest> = {}): SubmitJobRequest => ({
    dispatchId: uniqueId('d-'),
    account,
    user: 'alice',
    partition,
    gpus: 1,
    timeLimitMinutes: 2,
    script: SHORT_JOB,
    workingDirectory: cluster.jobWorkDir,
    ...over,
  });
  /** A job submitted on hold with the cluster's own sbatch, run as `user`. */
  const submitHeld = (acct: string, user: string): string =>
    slurmCli(
      cluster,
      'setpriv',
      `--reuid=${user}`,
      `--regid=${user}`,
      '--init-groups',
      'sbatch',
      '--parsable',
      '-H',
      `--account=${acct}`,
      `--partition=${partition}`,
      '--time=2',
      `--chdir=${cluster.jobWorkDir}`,
      '--output=/dev/null',
      '--wrap=sleep 600',
    )
      .trim()
      .split(';')[0];
  const finished = (jobId: string, timeoutMs = 90_000) =>
    waitFor(
      `job ${jobId} to finish`,
      () => driver.jobStatus(jobId),
      (s) => s.phase === 'finished',
      { timeoutMs },
    );

  beforeAll(async () => {
    await driver.provisionAccount({ account, description: 'jest jobs', partition, limits: { gpuMinutes: 6000 }, members: ['alice', 'bob'] });
  });
  afterAll(async () => {
    for (const id of toCancel) await driver.cancelJob(id).catch(() => undefined);
  });

  test('submits a 2-GPU job under the account on the partition, and it completes', async () => {
    const req = job({ gpus: 2 });
    const watermark = new Date(Date.now() - 2_000);

    const submitted = await driver.submitJob(req);
    toCancel.push(submitted.jobId);
    const done = await finished(submitted.jobId);

    expect(submitted.alreadySubmitted).toBe(false);
    expect(done).toMatchObject({ jobId: submitted.jobId, dispatchId: req.dispatchId, name: dispatchJobName(req.dispatchId), account, user: 'alice', partition, state: 'COMPLETED', exitCode: 0, gpus: 2 });

    // usage since the watermark: the job with its GPUs and elapsed time
    const records = await waitFor(
      `job ${submitted.jobId} in accounting`,
      () => driver.listJobs({ since: watermark, accounts: [account] }),
      (rs) => rs.some((r) => r.jobId === submitted.jobId && r.state === 'COMPLETED'),
    );
    const record = records.find((r) => r.jobId === submitted.jobId)!;
    expect(record).toMatchObject({ siteId: cluster.siteId, cluster: cluster.cluster, account, user: 'alice', partition, gpus: 2, dispatchId: req.dispatchId });
    expect(record.elapsedSeconds).toBeGreaterThanOrEqual(2);
    expect(Date.parse(record.end!) - Date.parse(record.start!)).toBe(record.elapsedSeconds * 1000);
    const usage = usageRecordFromJob(record, (p) => (p === partition ? 'resource' : undefined));
    expect(usage).toMatchObject({ gpuSeconds: 2 * record.elapsedSeconds, final: true });

    // a watermark after the job ended no longer includes it
    const later = await driver.listJobs({ since: new Date(Date.parse(record.end!) + 2_000), accounts: [account] });
    expect(later.map((r) => r.jobId)).not.toContain(submitted.jobId);
  });

  test('a retried submit finds the job by its dispatch id and does not submit twice', async () => {
    const req = job({ script: LONG_JOB });

    const first = await driver.submitJob(req);
    toCancel.push(first.jobId);
    const retry = await driver.submitJob(req);
    const found = await driver.findJobByDispatchId(req.dispatchId, { account });

    expect(retry).toEqual({ jobId: first.jobId, alreadySubmitted: true });
    expect(found?.jobId).toBe(first.jobId);
    const named = slurmCli(cluster, 'squeue', '-h', '-n', dispatchJobName(req.dispatchId), '-o', '%i');
    expect(named.trim().split('\n')).toEqual([first.jobId]);
    expect(await driver.findJobByDispatchId(uniqueId('never-'))).toBeUndefined();
  });

  test('cancels a running job; cancelling it again succeeds', async () => {
    const { jobId } = await driver.submitJob(job({ script: LONG_JOB }));
    toCancel.push(jobId);
    await waitFor(
      `job ${jobId} to run`,
      () => driver.jobStatus(jobId),
      (s) => s.phase === 'running',
    );

    await driver.cancelJob(jobId);
    const done = await finished(jobId);
    await driver.cancelJob(jobId);

    expect(done.state).toBe('CANCELLED');
    await expect(driver.jobStatus('999999')).rejects.toMatchObject({ kind: 'not-found' });
  });

  test('block refuses new jobs and holds pending ones; unblock restores both', async () => {
    const other = slurmAccountName(uniqueId('t-'), partition);
    await driver.provisionAccount({ account: other, description: 'jest block', partition, limits: { gpuMinutes: 600 }, members: ['bob'] });
    // a job that waits when the block comes: submitted held (sbatch -H, as bob), released after the block
    const waiting = { jobId: submitHeld(other, 'bob') };
    toCancel.push(waiting.jobId);

    await driver.block(other);
    slurmCli(cluster, 'scontrol', 'release', waiting.jobId);

    expect((await driver.readAccount(other))?.blocked).toBe(true);
    await expect(driver.submitJob(job({ account: other, user: 'bob' }))).rejects.toMatchObject({ kind: 'permanent', retryable: false });
    const held = await waitFor(
      `job ${waiting.jobId} held by the block`,
      () => driver.jobStatus(waiting.jobId),
      (s: JobStatus) => s.reason === 'AssocGrpJobsLimit',
    );
    expect(held).toMatchObject({ phase: 'pending', heldByBudget: true });

    await driver.unblock(other);

    expect((await driver.readAccount(other))?.blocked).toBe(false);
    await waitFor(
      `job ${waiting.jobId} to start after unblock`,
      () => driver.jobStatus(waiting.jobId),
      (s) => s.phase !== 'pending',
    );
    const after = await driver.submitJob(job({ account: other, user: 'bob' }));
    expect((await finished(after.jobId)).state).toBe('COMPLETED');
  });
});

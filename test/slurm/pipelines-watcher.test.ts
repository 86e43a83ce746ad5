// The stage watcher against the two real local clusters: the deployed pipeline flow (the ASL file on
// the local Step Functions service, its real step function over DynamoDB Local) dispatches a
// two-stage pipeline through the real jobs capability to real Slurm jobs (kisti6, then spc), and
// each site's watcher asks its real slurmrestd for the jobs changed since its last look
// (GET /slurm/<v>/jobs?update_time=, v0.0.42 at kisti6 and v0.0.38 at spc). The doorbell's backstop
// is five minutes and both sites are watched, so Plan does not look by itself while a job runs:
// each end is recorded by the watcher (the stage run's endSeenBy), which rings the doorbell, and
// the next stage starts without waiting for Plan's timeout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lambdaArn } from '../../local/test/sfn/support';
import { useDriverFactory } from '../../lambdas/connectors/sites';
import { resetPipelinesConfig } from '../../lambdas/pipelines/config';
import { getPipelineItem, pipelineOf, type PipelineRecord } from '../../lambdas/pipelines/store';
import { listWaitingAt, touchWatcher } from '../../lambdas/pipelines/watch-store';
import { watchSite } from '../../lambdas/pipelines/watcher';
import { api, newKey, OWNER, pipelinesFixture, type PipelinesFixture } from '../unit/pipelines/api-support';
import { driverFor, loadClusters, waitFor, type LocalCluster } from './support/clusters';

jest.setTimeout(10 * 60_000);

const STEP = lambdaArn('PipelineStep');
const ASL = join(__dirname, '../../statemachines/pipeline.asl.json');
const clusters = Object.fromEntries(loadClusters().map((c) => [c.siteId, c])) as Record<'spc' | 'kisti6', LocalCluster>;
let fx: PipelinesFixture;
const started: { site: 'spc' | 'kisti6'; jobId: string }[] = [];

beforeAll(async () => {
  process.env.PIPELINES_CONFIG = JSON.stringify({ pollSeconds: 10, watcher: { enabled: true, intervalSeconds: 2, backstopSeconds: 300 } });
  resetPipelinesConfig();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const flow = require('../../lambdas/pipelines/flow-handler') as typeof import('../../lambdas/pipelines/flow-handler');
  fx = await pipelinesFixture({
    definition: JSON.parse(readFileSync(ASL, 'utf8').replace(/\$\{PipelineStepFunctionArn\}/g, STEP)),
    taskHandlers: {
      invokeLambda: async (fn, payload) => {
        if (fn !== STEP) throw new Error(`unexpected function ${fn}`);
        return flow.handler(payload);
      },
    },
  });
  const drivers = { spc: driverFor(clusters.spc), kisti6: driverFor(clusters.kisti6) };
  useDriverFactory((site) => drivers[site.id as 'spc' | 'kisti6']);
  // the seeded allocations' accounts at the sites, with the owner's login (alice) on each partition
  await drivers.kisti6.provisionAccount({ account: 'kairr_alloc_k6', description: 'jest pipelines watcher', partition: 'gh200', limits: { gpuMinutes: 6000 }, members: ['alice'] });
  await drivers.spc.provisionAccount({ account: 'kairr_alloc_spc', description: 'jest pipelines watcher', partition: 'h200', limits: { gpuMinutes: 6000 }, members: ['alice'] });
});
afterAll(async () => {
  for (const j of started)
    await driverFor(clusters[j.site])
      .cancelJob(j.jobId)
      .catch(() => undefined);
  useDriverFactory(undefined);
  await fx?.stop();
});

const read = async (id: string): Promise<PipelineRecord> => pipelineOf((await getPipelineItem(id))!);

/** The stage's job once it runs at its site and the site's watcher has its watch. */
async function running(id: string, stage: string) {
  const p = await waitFor(
    `${stage} running`,
    () => read(id),
    (x) => x.runs[stage].state === 'running' || x.state === 'failed',
    { timeoutMs: 180_000, intervalMs: 250 },
  );
  if (p.runs[stage].state !== 'running') throw new Error(`${stage} did not start: ${JSON.stringify(p.runs[stage])}`);
  const job = p.runs[stage].jobs.find((j) => j.attempt === p.runs[stage].attempt)!;
  await waitFor(
    `the watch of ${stage}`,
    () => listWaitingAt(job.site),
    (ws) => ws.some((w) => w.pipelineId === id && w.stageId === stage),
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  if (job.schedulerJobId) started.push({ site: job.site as 'spc' | 'kisti6', jobId: job.schedulerJobId });
  return job;
}

test("each job's end is recorded by its site's watcher, and the next stage starts without waiting for Plan's timeout", async () => {
  await touchWatcher('kisti6');
  await touchWatcher('spc');
  const body = {
    name: 'watched',
    stages: [
      // long enough that the flow is waiting on its doorbell (backstop: five minutes) when it ends
      { id: 'first', kind: 'job', site: 'kisti6', resource: 'gh200', allocationId: 'alloc-k6', script: '#!/bin/bash\nsleep 15\necho first\n', gpus: 1, timeLimit: 5 },
      { id: 'second', kind: 'job', site: 'spc', resource: 'h200', allocationId: 'alloc-spc', script: '#!/bin/bash\nsleep 5\necho second\n', gpus: 1, timeLimit: 5, after: ['first'] },
    ],
  };
  const created = await api(OWNER, 'POST', '/v1/pipelines', body, { 'idempotency-key': newKey() });
  expect(created.status).toBe(201);
  const id = created.body.pipelineId as string;
  const arn = `${fx.machineArn.replace(':stateMachine:', ':execution:')}:${created.body.executionId}`;

  await running(id, 'first');
  // spc's watcher "ran" lately too when Plan sees the second stage start (its run starts after that)
  await touchWatcher('spc');
  const atKisti6 = await watchSite('kisti6', { runMs: 180_000 });
  await running(id, 'second');
  const atSpc = await watchSite('spc', { runMs: 180_000 });
  const done = await fx.sfn.executions.waitFor(arn, { timeoutMs: 120_000 });

  expect(done.status).toBe('SUCCEEDED');
  const p = await read(id);
  expect(p.runs.first).toMatchObject({ state: 'succeeded', endSeenBy: 'watcher' });
  expect(p.runs.second).toMatchObject({ state: 'succeeded', endSeenBy: 'watcher' });
  // each run ended once nothing waited at its site, having recorded its stage's end itself
  expect(atKisti6.recorded).toBe(1);
  expect(atSpc.recorded).toBe(1);
  // one request to the site a look, however many stages wait
  expect(atKisti6.siteRequests).toBeLessThanOrEqual(atKisti6.rounds);
  // the flow never timed out waiting: every wait was answered by a ring
  const history = fx.sfn.executions.history(arn);
  expect(history.filter((e) => e.type === 'TaskTimedOut')).toEqual([]);
  // the API shows who saw each end
  const view = await api(OWNER, 'GET', `/v1/pipelines/${id}`);
  expect(view.body.stages.map((s: { id: string; endSeenBy?: string }) => [s.id, s.endSeenBy])).toEqual([
    ['first', 'watcher'],
    ['second', 'watcher'],
  ]);
});

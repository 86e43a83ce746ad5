// Queue snapshots against the real clusters: jobs dispatched through KAIRR that run and pend on
// kisti6's gh200 node (4 GPUs: one 4-GPU job fills it, a 2-GPU job then waits for Resources), the
// usage collector's run writes the site's snapshot from slurmctld's live jobs, its numbers match
// what squeue shows at the same moment, and a recommendation's queue criterion reads it. Other
// tests may run jobs on the clusters meanwhile, so the snapshot is compared with squeue read just
// before and just after it, when the two agree.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler as usageHandler } from '../../lambdas/connectors/usage/handler';
import { readQueueSnapshots } from '../../lambdas/connectors/state';
import { handler as recommendationHandler } from '../../lambdas/recommendation/handler';
import { LONG_JOB, slurmCli, waitFor, type LocalCluster } from './support/clusters';
import { BOB, startHarness, type Harness } from './support/kairr';

jest.setTimeout(10 * 60_000);

let h: Harness;
let allocationId: string;
const dispatched: string[] = [];
const jobsPath = () => `/v1/allocations/${allocationId}/jobs`;

beforeAll(async () => {
  h = await startHarness();
  const a = await h.award({ 'kisti6/gh200': 500, 'spc/h200': 100 }, { members: [BOB] });
  allocationId = a.id;
  const active = await h.settled(a.id);
  if (active.state !== 'active') throw new Error(`allocation did not become active: ${active.state} ${active.stateReason ?? ''}`);
});
afterAll(async () => {
  for (const jobId of dispatched) await h?.api('DELETE', `${jobsPath()}/${jobId}`, BOB);
  await h?.stop();
});

/** The partition's live jobs as squeue shows them: running, and pending by reason. */
function squeue(c: LocalCluster, partition: string): { running: number; pending: number } {
  const states = slurmCli(c, 'squeue', '-h', '-p', partition, '-t', 'PD,R', '-o', '%T').trim().split('\n').filter(Boolean);
  return { running: states.filter((s) => s === 'RUNNING').length, pending: states.filter((s) => s === 'PENDING').length };
}

/** A collection run's snapshot of `siteId`, taken while squeue showed the same queue before and after it. */
async function steadySnapshot(siteId: 'kisti6' | 'spc', partition: string) {
  return waitFor(
    `a snapshot of ${siteId} taken while its queue stood still`,
    async () => {
      const before = squeue(h.clusters[siteId], partition);
      const run = await usageHandler({ siteId });
      const after = squeue(h.clusters[siteId], partition);
      return { before, after, run };
    },
    (x) => x.run.queue.written && JSON.stringify(x.before) === JSON.stringify(x.after),
    { timeoutMs: 120_000, intervalMs: 2_000 },
  );
}

async function dispatch(gpus: number): Promise<{ jobId: string; schedulerJobId: string }> {
  const res = await h.api('POST', jobsPath(), BOB, { body: { site: 'kisti6', resource: 'gh200', script: LONG_JOB, gpus, timeLimit: 10 } });
  if (res.status !== 201) throw new Error(`dispatch failed: ${res.status} ${JSON.stringify(res.body)}`);
  dispatched.push(res.body.jobId);
  return res.body;
}

const recommend = async () => {
  const r = await recommendationHandler({
    httpMethod: 'POST',
    resource: '/v1/recommendations',
    path: '/v1/recommendations',
    headers: {},
    body: JSON.stringify({ workload: 'fine-tuning', parameters: 7e9, trainingTokens: 1e9, method: 'lora', precision: 'bf16' }),
    isBase64Encoded: false,
    requestContext: { requestId: 'queue-snapshot', authorizer: { sub: BOB.sub, roles: 'researcher', siteIds: '' } },
  } as unknown as APIGatewayProxyEvent);
  return JSON.parse(r.body);
};

test("a full node and a job waiting for it: the collector's snapshot shows both, and the recommender reads it", async () => {
  const big = await dispatch(4);
  await waitFor(
    'the 4-GPU job to run',
    async () => (await h.api('GET', `${jobsPath()}/${big.jobId}`, BOB)).body,
    (j) => j.state === 'running',
    { timeoutMs: 180_000 },
  );
  const waiting = await dispatch(2);
  const pendingFor = await waitFor(
    'the 2-GPU job to wait for the node',
    async () => (await h.api('GET', `${jobsPath()}/${waiting.jobId}`, BOB)).body,
    (j) => j.state === 'pending' && /^(Resources|Priority)$/.test(j.reason ?? ''),
    { timeoutMs: 60_000 },
  );
  expect(pendingFor.reason).toMatch(/^(Resources|Priority)$/);

  const { before, run } = await steadySnapshot('kisti6', 'gh200');
  const q = run.queue.resources!['kisti6/gh200'];
  // the node has 4 GPUs and the big job holds them all: nothing else with a GPU runs there
  expect(q.runningGpus).toBe(4);
  expect(q.runningJobs).toBe(before.running);
  expect(q.pendingJobs).toBeGreaterThanOrEqual(1);
  expect(q.pendingGpus).toBeGreaterThanOrEqual(2);
  // every pending job squeue lists is either waiting for the machine or held for another reason
  const [stored] = await readQueueSnapshots(['kisti6']);
  const entry = stored.queue['kisti6/gh200'] as typeof q & { heldJobs: number };
  expect(entry.pendingJobs + entry.heldJobs).toBe(before.pending);
  expect(entry).toMatchObject({ pendingJobs: q.pendingJobs, pendingGpus: q.pendingGpus, runningGpus: 4 });
  expect(entry.estimatedWaitHours).toBeGreaterThanOrEqual(0);
  expect(Date.now() - Date.parse(stored.updatedAt)).toBeLessThan(120_000);

  const rec = await recommend();
  const gh200 = rec.ranked.find((x: { resourceKey: string }) => x.resourceKey === 'kisti6/gh200');
  expect(rec.context.queueKnownFor).toContain('kisti6/gh200');
  expect(gh200.criteria.queue).toMatchObject({ known: true });
  expect(gh200.criteria.queue.detail).toMatch(new RegExp(`^${entry.pendingJobs} jobs pending; about `));
});

test('spc (Slurm 22.05, v0.0.38) is snapshotted too, every resource of the site named', async () => {
  const { before, run } = await steadySnapshot('spc', 'h200');
  expect(Object.keys(run.queue.resources!).sort()).toEqual(['spc/b200', 'spc/h200']);
  expect(run.queue.resources!['spc/h200'].runningJobs).toBe(before.running);
  const [stored] = await readQueueSnapshots(['spc']);
  expect(Object.keys(stored.queue).sort()).toEqual(['spc/b200', 'spc/h200']);
});

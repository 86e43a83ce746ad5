// The sites' queue snapshots for the recommender: the driver's normalised live jobs summed per
// resource (domain/queue.ts), written by the usage collector's run on DynamoDB Local (never over a
// newer one, never failing the run), read by POST /v1/recommendations, whose queue criterion then
// knows the queue. The same against the real clusters: test/slurm/queue-snapshot.test.ts.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { queueByResource, type QueuedJob } from '../../../lambdas/domain/queue';
import { useDriverFactory } from '../../../lambdas/connectors/sites';
import type { ChangedJobs, JobStatus, SchedulerDriver } from '../../../lambdas/connectors/driver';
import { recordQueueSnapshot } from '../../../lambdas/connectors/usage/queue';
import { readQueueSnapshots } from '../../../lambdas/connectors/state';
import { handler as recommendationHandler } from '../../../lambdas/recommendation/handler';

const NOW = new Date('2026-12-04T12:00:00Z');
const ago = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();
const job = (over: Partial<JobStatus>): JobStatus => ({ jobId: '1', name: 'x', account: 'other', user: 'u', partition: 'h200', state: 'PENDING', phase: 'pending', heldByBudget: false, gpus: 1, ...over });
const SPC = {
  id: 'spc',
  resources: [
    { id: 'h200', partition: 'h200' },
    { id: 'b200', partition: 'b200' },
  ],
};

describe('a queue summed per resource', () => {
  const jobs: QueuedJob[] = [
    job({ phase: 'running', state: 'RUNNING', gpus: 4 }),
    job({ phase: 'running', state: 'RUNNING', gpus: 2, partition: 'b200' }),
    job({ gpus: 4, submit: ago(3), reason: 'Resources' }),
    job({ gpus: 2, submit: ago(1), reason: 'Priority' }),
    job({ gpus: 8, submit: ago(30), reason: 'AssocGrpGRESMinutes', heldByBudget: true }),
    job({ gpus: 1, submit: ago(20), reason: 'Dependency' }),
    job({ gpus: 1, submit: ago(40), reason: 'BeginTime' }),
    job({ phase: 'finished', state: 'COMPLETED', gpus: 4 }),
    job({ gpus: 4, submit: ago(50), partition: 'cpu' }),
    job({ gpus: 2, submit: ago(2), partition: 'b200,h200' }),
  ];

  it('counts GPUs pending for the machine and running, and the oldest wait; held, dependent and finished jobs, and other partitions, are left out', () => {
    expect(queueByResource(jobs, SPC, NOW)).toEqual({
      'spc/h200': { pendingJobs: 2, pendingGpus: 6, runningJobs: 1, runningGpus: 4, heldJobs: 3, oldestPendingWaitHours: 3, estimatedWaitHours: 3 },
      'spc/b200': { pendingJobs: 1, pendingGpus: 2, runningJobs: 1, runningGpus: 2, heldJobs: 0, oldestPendingWaitHours: 2, estimatedWaitHours: 2 },
    });
  });

  it('names every resource of the site, an idle one with nothing waiting', () => {
    expect(queueByResource([], SPC, NOW)).toEqual({
      'spc/h200': { pendingJobs: 0, pendingGpus: 0, runningJobs: 0, runningGpus: 0, heldJobs: 0, oldestPendingWaitHours: 0, estimatedWaitHours: 0 },
      'spc/b200': { pendingJobs: 0, pendingGpus: 0, runningJobs: 0, runningGpus: 0, heldJobs: 0, oldestPendingWaitHours: 0, estimatedWaitHours: 0 },
    });
  });
});

describe('the collector writes the snapshot, the recommender reads it', () => {
  let t: TestTables;
  let live: () => Promise<ChangedJobs>;
  let calls = 0;
  const fake = (siteId: string, withQueue: boolean): SchedulerDriver => ({ driver: 'fake', siteId, cluster: siteId, ...(withQueue ? { jobsChangedSince: async () => (calls++, live()) } : {}) }) as unknown as SchedulerDriver;

  beforeAll(async () => {
    useStageConfig('local');
    process.env.LOG_LEVEL ??= 'error';
    t = await createTestTables();
    useDriverFactory((site) => fake(site.id, site.id === 'spc'));
  });
  afterAll(async () => {
    useDriverFactory(undefined);
    await t.drop();
  });

  const recommend = async () => {
    const r = await recommendationHandler({
      httpMethod: 'POST',
      resource: '/v1/recommendations',
      path: '/v1/recommendations',
      headers: {},
      body: JSON.stringify({ workload: 'fine-tuning', parameters: 7e9, trainingTokens: 1e9, method: 'lora', precision: 'bf16' }),
      isBase64Encoded: false,
      requestContext: { requestId: `req-${++calls}`, authorizer: { sub: 'researcher-1', roles: 'researcher', siteIds: '' } },
    } as unknown as APIGatewayProxyEvent);
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const queueCriterion = (body: { ranked: { resourceKey: string; criteria: { queue: { known: boolean; detail: string } } }[] }, key: string) => body.ranked.find((x) => x.resourceKey === key)!.criteria.queue;

  it("writes what the scheduler's live jobs show, and the recommender's queue criterion reads it", async () => {
    live = async () => ({ changed: true, watermark: 1, jobs: [job({ gpus: 4, submit: new Date(Date.now() - 2 * 3_600_000).toISOString(), reason: 'Resources' }), job({ phase: 'running', state: 'RUNNING', gpus: 4 })] });
    const r = await recordQueueSnapshot('spc');
    expect(r.written).toBe(true);
    expect(r.resources?.['spc/h200']).toMatchObject({ pendingJobs: 1, pendingGpus: 4, runningJobs: 1, runningGpus: 4 });
    const [snap] = await readQueueSnapshots(['spc']);
    expect(snap.queue['spc/h200']).toMatchObject({ pendingJobs: 1, pendingGpus: 4, runningGpus: 4 });
    expect(snap.queue['spc/h200'].estimatedWaitHours).toBeGreaterThanOrEqual(2);

    const rec = await recommend();
    expect(rec.status).toBe(200);
    expect(rec.body.context.queueKnownFor).toEqual(['spc/b200', 'spc/h200']);
    expect(queueCriterion(rec.body, 'spc/h200')).toMatchObject({ known: true });
    expect(queueCriterion(rec.body, 'spc/h200').detail).toMatch(/^1 jobs pending; about 2(\.\d)? h to start$/);
    expect(queueCriterion(rec.body, 'spc/b200')).toMatchObject({ known: true, detail: '0 jobs pending; about 0 h to start' });
    // kisti6's driver cannot list its queue: its criterion stays neutral
    expect(queueCriterion(rec.body, 'kisti6/gh200')).toMatchObject({ known: false });
    expect(await recordQueueSnapshot('kisti6')).toEqual({ written: false, reason: 'the fake driver cannot list its queue' });
  });

  it('a scheduler that cannot answer fails nothing and leaves the last snapshot', async () => {
    const [before] = await readQueueSnapshots(['spc']);
    live = async () => {
      throw new Error('slurmctld is down');
    };
    expect(await recordQueueSnapshot('spc')).toEqual({ written: false, reason: 'slurmctld is down' });
    expect(await readQueueSnapshots(['spc'])).toEqual([before]);
  });

  it('never replaces a newer snapshot with an older one (overlapping runs)', async () => {
    live = async () => ({ changed: true, watermark: 2, jobs: [] });
    const later = new Date(Date.now() + 60_000);
    expect((await recordQueueSnapshot('spc', { now: () => later })).written).toBe(true);
    const older = await recordQueueSnapshot('spc', { now: () => new Date(later.getTime() - 30_000) });
    expect(older).toMatchObject({ written: false, reason: 'a newer snapshot is there already' });
    const [snap] = await readQueueSnapshots(['spc']);
    expect(snap.updatedAt).toBe(later.toISOString());
  });
});

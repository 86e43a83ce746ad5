// The deployed pipeline flow (statemachines/pipeline.asl.json, the file itself) on the local Step
// Functions service, its one Lambda step the real flow handler over DynamoDB Local, dispatching
// through the real jobs capability (holds, site accounts, audit) to an in-memory scheduler. Each
// named case asserts which states ran, what the sites were asked, and what the pipeline shows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lambdaArn, enteredStates } from '../../../local/test/sfn/support';
import { useDriverFactory } from '../../../lambdas/connectors/sites';
import { runIdFor } from '../../../lambdas/domain/lineage/events';
import { eventsOfRun } from '../../../lambdas/lineage/store';
import { resetPipelinesConfig } from '../../../lambdas/pipelines/config';
import { getPipelineItem, pipelineOf, type PipelineRecord } from '../../../lambdas/pipelines/store';
import { api, newKey, OWNER, pipelinesFixture, twoJobsBody, type PipelinesFixture } from './api-support';
import { FakeSites } from './fake-site';

const STEP = lambdaArn('PipelineStep');
const ASL = join(__dirname, '../../../statemachines/pipeline.asl.json');

let fx: PipelinesFixture;
let sites: FakeSites;
beforeAll(async () => {
  process.env.PIPELINES_CONFIG = JSON.stringify({
    pollSeconds: 10,
    storage: {
      kisti6: { root: '/srv/kairr/storage', endpoint: 'rsync://127.0.0.1:8731/kairr', mover: { kind: 'rsync', timeLimitMinutes: 60 } },
      spc: { root: '/data/kairr/storage', endpoint: 'rsync://127.0.0.1:8732/kairr', mover: { kind: 'rsync', timeLimitMinutes: 60 } },
    },
  });
  resetPipelinesConfig();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const flow = require('../../../lambdas/pipelines/flow-handler') as typeof import('../../../lambdas/pipelines/flow-handler');
  fx = await pipelinesFixture({
    definition: JSON.parse(readFileSync(ASL, 'utf8').replace(/\$\{PipelineStepFunctionArn\}/g, STEP)),
    taskHandlers: {
      invokeLambda: async (fn, payload) => {
        if (fn !== STEP) throw new Error(`unexpected function ${fn}`);
        return flow.handler(payload);
      },
    },
    // 1/100 of real time: the 10 s doorbell timeout is 100 ms, a 2 s retry 20 ms
    timeScale: 0.01,
  });
  sites = new FakeSites();
  useDriverFactory((site) => sites.driver(site));
});
afterAll(async () => {
  useDriverFactory(undefined);
  await fx?.stop();
});

const read = async (id: string): Promise<PipelineRecord> => pipelineOf((await getPipelineItem(id))!);
const arnOf = (executionId: string) => `${fx.machineArn.replace(':stateMachine:', ':execution:')}:${executionId}`;

/** Waits, against a deadline, until the pipeline shows what `ok` asks for. */
async function until(id: string, ok: (p: PipelineRecord) => boolean, what: string): Promise<PipelineRecord> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const p = await read(id);
    if (ok(p)) return p;
    if (Date.now() > deadline) throw new Error(`pipeline ${id} never showed: ${what} (it is ${p.state}: ${JSON.stringify(Object.fromEntries(Object.entries(p.runs).map(([k, r]) => [k, r.state])))})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The fake site's job of a stage's current attempt, once the stage runs. */
async function runningJob(id: string, stage: string) {
  const p = await until(id, (x) => x.runs[stage].state === 'running', `${stage} running`);
  const j = p.runs[stage].jobs.find((x) => x.attempt === p.runs[stage].attempt)!;
  const job = sites.jobOfDispatch(j.jobId)!;
  return { site: j.site, schedulerJobId: job.status.jobId, job, run: p.runs[stage] };
}

async function finish(id: string, stage: string, state: 'COMPLETED' | 'FAILED' = 'COMPLETED', exit = 0) {
  const j = await runningJob(id, stage);
  sites.end(j.site, j.schedulerJobId, state, exit);
  return j;
}

const create = async (body: unknown) => (await api(OWNER, 'POST', '/v1/pipelines', body, { 'idempotency-key': newKey() })).body;

/** Transfer ds-climate@3.0.0 kisti6 → spc, then train at spc on it. */
function transferThenTrain() {
  return {
    name: 'move-then-train',
    stages: [
      { id: 'move', kind: 'transfer', from: 'kisti6', to: 'spc', items: [{ artifact: 'ds-climate', version: '3.0.0' }] },
      {
        id: 'train',
        kind: 'job',
        site: 'spc',
        resource: 'b200',
        allocationId: 'alloc-spc',
        script: '#!/bin/bash\ntrain "$KAIRR_INPUT_CLIMATE"\n',
        gpus: 1,
        timeLimit: 30,
        inputs: [{ from: { artifact: 'ds-climate', version: '3.0.0' }, as: 'climate' }],
        outputs: [{ name: 'model', path: 'model.pt' }],
      },
    ],
  };
}

describe('the pipeline flow', () => {
  test('two job stages in turn: each starts once the one before it ended, each job dispatched once, then the run succeeds', async () => {
    const p = await create(twoJobsBody());
    const first = await finish(p.pipelineId, 'first');
    const second = await finish(p.pipelineId, 'second');

    const done = await fx.sfn.executions.waitFor(arnOf(p.executionId), { timeoutMs: 15_000 });

    expect(done.status).toBe('SUCCEEDED');
    const states = enteredStates(fx.sfn.executions.history(arnOf(p.executionId)));
    expect(states.slice(0, 5)).toEqual(['Plan', 'Route', 'Start ready stages', 'Start stage', 'Wait for any stage']);
    expect(states.filter((s) => s === 'Start stage')).toHaveLength(2);
    expect(states.slice(-3)).toEqual(['Plan', 'Route', 'Succeeded']);
    const after = await read(p.pipelineId);
    expect(after).toMatchObject({ state: 'succeeded', runs: { first: { state: 'succeeded' }, second: { state: 'succeeded' } } });
    expect(after.runs.first.jobs).toEqual([{ attempt: 1, site: 'kisti6', jobId: expect.stringMatching(/^job-/), schedulerJobId: first.schedulerJobId }]);
    expect(second.site).toBe('spc');
    // dispatched as the owner's own login, under each stage's own allocation, with KAIRR's prologue
    expect(first.job.req).toMatchObject({ user: 'alice', account: 'kairr_alloc_k6' });
    expect(second.job.req).toMatchObject({ user: 'alice', account: 'kairr_alloc_spc' });
    expect(first.job.req.script).toMatch(
      /^#!\/bin\/bash\n# ---- set by KAIRR[^\n]*\nexport KAIRR_PIPELINE_ID='pipe-[0-9a-z]+' KAIRR_STAGE_ID='first' KAIRR_ATTEMPT=1\nexport KAIRR_WORKDIR='\/srv\/kairr\/storage\/pipelines\/pipe-[0-9a-z]+\/first'/,
    );
    // the job makes its working area and moves there (the scheduler needs an existing folder to start in)
    expect(first.job.req.script).toContain(`mkdir -p -- "$KAIRR_WORKDIR" && cd -- "$KAIRR_WORKDIR" || exit 1`);
    expect(first.job.req.workingDirectory).not.toContain(p.pipelineId);
    // lineage: START and COMPLETE of each stage run, the pipeline run its parent
    const events = await eventsOfRun(runIdFor(`${p.executionId}/first/1`));
    expect(events.map((e) => e.eventType).sort()).toEqual(['COMPLETE', 'START']);
    expect(events[0]).toMatchObject({ job: { namespace: 'slurm://kisti6', name: `${p.pipelineId}.first` }, run: { facets: { parent: { run: { runId: runIdFor(p.executionId) } } } } });
    expect((await eventsOfRun(runIdFor(p.executionId))).map((e) => e.eventType).sort()).toEqual(['COMPLETE', 'START']);
  });

  test('a failed job stage ends the run naming the stage and exit code; nothing after it starts; retry resumes it without redoing the rest', async () => {
    const p = await create(twoJobsBody());
    const failed = await finish(p.pipelineId, 'first', 'FAILED', 3);

    const done = await fx.sfn.executions.waitFor(arnOf(p.executionId), { timeoutMs: 15_000 });

    expect(done).toMatchObject({ status: 'FAILED', error: 'Pipeline.StageFailed' });
    expect(done.cause).toMatch(/^stage "first" failed: job_failed FAILED, exit code 3/);
    const stopped = await read(p.pipelineId);
    expect(stopped).toMatchObject({ state: 'failed', stoppedAt: { stage: 'first', state: 'failed', error: { code: 'job_failed' } }, runs: { second: { state: 'skipped' } } });
    expect(enteredStates(fx.sfn.executions.history(arnOf(p.executionId))).filter((s) => s === 'Start stage')).toHaveLength(1);
    expect((await eventsOfRun(runIdFor(`${p.executionId}/first/1`))).map((e) => e.eventType).sort()).toEqual(['FAIL', 'START']);

    const retried = await api(OWNER, 'POST', `/v1/pipelines/${p.pipelineId}/retry`);
    const again = await finish(p.pipelineId, 'first');
    await finish(p.pipelineId, 'second');
    const run2 = await fx.sfn.executions.waitFor(arnOf(retried.body.executionId), { timeoutMs: 15_000 });

    expect(run2.status).toBe('SUCCEEDED');
    expect(again.run.attempt).toBe(2);
    expect(again.schedulerJobId).not.toBe(failed.schedulerJobId);
    expect((await read(p.pipelineId)).runs.first.jobs.map((j) => j.attempt)).toEqual([1, 2]);
  });

  test('slurmrestd away, then an answer lost: the start is retried with backoff and each job is submitted once', async () => {
    const p = await create(twoJobsBody());
    const before = sites.submits;
    sites.downBeforeSubmit = 2;
    sites.lostAnswers = 1;
    await finish(p.pipelineId, 'first');
    await finish(p.pipelineId, 'second');

    const done = await fx.sfn.executions.waitFor(arnOf(p.executionId), { timeoutMs: 15_000 });

    expect(done.status).toBe('SUCCEEDED');
    const history = fx.sfn.executions.history(arnOf(p.executionId));
    expect(history.filter((e) => e.type === 'TaskFailed' && e.taskFailedEventDetails?.error === 'Connector.Transient')).toHaveLength(2);
    expect(sites.submits - before).toBe(2);
    const dispatches = (await read(p.pipelineId)).runs.first.jobs;
    expect(dispatches).toHaveLength(1);
  });

  test('cancelled during a job stage: the job is cancelled at its site, no later stage starts, the run ends cancelled', async () => {
    const p = await create(twoJobsBody());
    const running = await runningJob(p.pipelineId, 'first');

    const res = await api(OWNER, 'POST', `/v1/pipelines/${p.pipelineId}/cancel`);
    const done = await fx.sfn.executions.waitFor(arnOf(p.executionId), { timeoutMs: 15_000 });

    expect(res.body.cancelledAtSites).toEqual([{ stage: 'first', jobId: expect.stringMatching(/^job-/), result: 'cancelled' }]);
    expect(sites.cancels).toContain(`kisti6/${running.schedulerJobId}`);
    expect(done).toMatchObject({ status: 'FAILED', error: 'Pipeline.Cancelled' });
    expect(done.cause).toMatch(/stage "first" cancelled/);
    const after = await read(p.pipelineId);
    expect(after).toMatchObject({ state: 'cancelled', runs: { first: { state: 'cancelled' }, second: { state: 'cancelled' } } });
    expect(enteredStates(fx.sfn.executions.history(arnOf(p.executionId))).filter((s) => s === 'Start stage')).toHaveLength(1);
  });

  test('a cancel the site did not hear leaves the pipeline cancelling; asking again cancels the job, and the run ends cancelled', async () => {
    const p = await create(twoJobsBody());
    const running = await runningJob(p.pipelineId, 'first');
    sites.cancelDown = 1;

    const first = await api(OWNER, 'POST', `/v1/pipelines/${p.pipelineId}/cancel`);
    const second = await api(OWNER, 'POST', `/v1/pipelines/${p.pipelineId}/cancel`);
    const done = await fx.sfn.executions.waitFor(arnOf(p.executionId), { timeoutMs: 15_000 });

    expect(first.body).toMatchObject({ pipeline: { state: 'cancelling' }, cancelledAtSites: [{ stage: 'first', result: 'unreachable' }] });
    expect(second.body.cancelledAtSites).toEqual([{ stage: 'first', jobId: expect.stringMatching(/^job-/), result: 'cancelled' }]);
    expect(sites.cancels).toContain(`kisti6/${running.schedulerJobId}`);
    expect(done).toMatchObject({ status: 'FAILED', error: 'Pipeline.Cancelled' });
  });

  test("a transfer whose checksums do not match fails naming the cause; retry moves again, then the reader starts with the copy's path at its site", async () => {
    const p = await create(transferThenTrain());
    const move = await finish(p.pipelineId, 'move', 'FAILED', 65);

    const done = await fx.sfn.executions.waitFor(arnOf(p.executionId), { timeoutMs: 15_000 });

    expect(done).toMatchObject({ status: 'FAILED', error: 'Pipeline.StageFailed' });
    expect(move.site).toBe('spc');
    expect(move.job.req.script).toContain("SRC='rsync://127.0.0.1:8731/kairr/catalogue/ds-climate/3.0.0'");
    expect(move.job.req.script).toContain("DEST='/data/kairr/storage/catalogue/ds-climate/3.0.0'");
    expect(move.job.req.script).toMatch(/--checksum/);
    expect((await read(p.pipelineId)).stoppedAt).toMatchObject({ stage: 'move', error: { code: 'checksum_mismatch', message: expect.stringMatching(/not verified/) } });

    const retried = await api(OWNER, 'POST', `/v1/pipelines/${p.pipelineId}/retry`);
    await finish(p.pipelineId, 'move');
    const train = await finish(p.pipelineId, 'train');
    const run2 = await fx.sfn.executions.waitFor(arnOf(retried.body.executionId), { timeoutMs: 15_000 });

    expect(run2.status).toBe('SUCCEEDED');
    expect(train.job.req.script).toContain("export KAIRR_INPUT_CLIMATE='/data/kairr/storage/catalogue/ds-climate/3.0.0'");
    const moveEvents = await eventsOfRun(runIdFor(`${retried.body.executionId}/move/2`));
    expect(moveEvents.find((e) => e.eventType === 'COMPLETE')).toMatchObject({ outputs: [{ namespace: 'file://spc', name: '/data/kairr/storage/catalogue/ds-climate/3.0.0' }] });
  });
});

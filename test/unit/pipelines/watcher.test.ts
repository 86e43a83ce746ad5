// The per-site stage watcher (lambdas/pipelines/watcher.ts) with the deployed flow on the local Step
// Functions service over DynamoDB Local, dispatching through the real jobs capability to the
// in-memory FAKE scheduler (fake-site.ts; its changed-jobs answer follows slurmctld's, whose
// recorded shapes the real driver is checked against in watcher-driver.test.ts). The doorbell's
// backstop is an hour here (36 s at this world's time scale), so a stage that moves on before it
// was woken by the watcher; each case asserts who recorded the end (the stage run's endSeenBy).
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { enteredStates } from '../../../local/test/sfn/support';
import { ddb, mainTable } from '../../../lambdas/shared/store/client';
import { pipelineKeys } from '../../../lambdas/shared/store/keys';
import { runIdFor } from '../../../lambdas/domain/lineage/events';
import { eventsOfRun } from '../../../lambdas/lineage/store';
import { handler as watcherHandler } from '../../../lambdas/pipelines/watcher-handler';
import { listWaitingAt, putWatch, touchWatcher } from '../../../lambdas/pipelines/watch-store';
import { watchRound, watchSite } from '../../../lambdas/pipelines/watcher';
import { twoJobsBody } from './api-support';
import { arnOf, create, read, runningJob as runningJobOf, until, useFlowWorld } from './flow-support';

const w = useFlowWorld({
  pollSeconds: 10,
  watcher: { backstopSeconds: 3600 },
  storage: {
    kisti6: { root: '/srv/kairr/storage', endpoint: 'rsync://127.0.0.1:8731/kairr', mover: { kind: 'rsync', timeLimitMinutes: 60 } },
    spc: { root: '/data/kairr/storage', endpoint: 'rsync://127.0.0.1:8732/kairr', mover: { kind: 'rsync', timeLimitMinutes: 60 } },
  },
});

/** Both sites' watchers ran just now: Plan then waits the long backstop, and only a ring wakes it early. */
const watched = async () => {
  await touchWatcher('kisti6');
  await touchWatcher('spc');
};
const waitsAt = async (site: string, pipelineId: string) => (await listWaitingAt(site)).filter((x) => x.pipelineId === pipelineId);

/** Polls `probe` until `ok`, against a deadline. */
async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`never: ${what} (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A stage's job once it runs, its watch is stored (the start step stores it right after recording
 * the start) and the flow waits on the pipeline's current version (its doorbell holds a token for
 * it): from then on only a ring or the backstop's timeout makes Plan look again.
 */
async function runningJob(world: typeof w, pipelineId: string, stage: string) {
  const j = await runningJobOf(world, pipelineId, stage);
  await eventually(
    () => waitsAt(j.site, pipelineId),
    (xs) => xs.some((x) => x.stageId === stage),
    `the watch of ${stage}`,
  );
  await eventually(
    async () => [(await ddb().send(new GetCommand({ TableName: mainTable(), Key: pipelineKeys.doorbell(pipelineId), ConsistentRead: true }))).Item?.seenVersion, (await read(pipelineId)).version],
    ([seen, now]) => seen === now,
    'the flow waiting on the current version',
  );
  return j;
}

describe('the stage watcher', () => {
  test('nothing waits at a site: one Query, no request to the site, and the run ends at once', async () => {
    const asked = w.sites.changedQueries.length;
    const sleeps: number[] = [];

    const round = await watchRound('no-such-site', {});
    const run = await watchSite('no-such-site', { sleep: async (ms) => void sleeps.push(ms) });

    expect(round).toEqual({ waiting: 0, siteRequests: 0, changed: false, outcomes: {} });
    expect(run).toEqual({ rounds: 1, siteRequests: 0, recorded: 0 });
    expect(sleeps).toEqual([]);
    expect(w.sites.changedQueries.length).toBe(asked);
  });

  test("a job's end is recorded by the watcher, which rings the doorbell: the next stage starts before the backstop", async () => {
    await watched();
    const p = await create(twoJobsBody());
    const first = await runningJob(w, p.pipelineId, 'first');
    // the flow waits the long backstop now: every site with a running stage is watched
    expect((await waitsAt('kisti6', p.pipelineId)).map((x) => [x.stageId, x.attempt, x.jobId])).toEqual([['first', 1, first.run.jobs[0].jobId]]);

    const state = {};
    const look = await watchRound('kisti6', state);
    const quiet = await watchRound('kisti6', state);
    w.sites.end('kisti6', first.schedulerJobId, 'COMPLETED', 0);
    const seen = await watchRound('kisti6', state);
    const again = await watchRound('kisti6', state);

    // the run's first look gets every live job; the next, with its watermark, hears that nothing changed
    expect(look).toMatchObject({ waiting: 1, siteRequests: 1, changed: true, outcomes: {} });
    expect(quiet).toMatchObject({ waiting: 1, siteRequests: 1, changed: false, outcomes: {} });
    expect(seen).toMatchObject({ siteRequests: 1, changed: true, outcomes: { [`${p.pipelineId}/first`]: 'recorded' } });
    // nothing waits at kisti6 any more: one Query, no request to the site
    expect(again).toMatchObject({ waiting: 0, siteRequests: 0 });
    const second = await runningJob(w, p.pipelineId, 'second');
    expect(second.site).toBe('spc');
    const after = await read(p.pipelineId);
    expect(after.runs.first).toMatchObject({ state: 'succeeded', endSeenBy: 'watcher' });
    expect(await waitsAt('kisti6', p.pipelineId)).toEqual([]);
    expect((await waitsAt('spc', p.pipelineId)).map((x) => x.stageId)).toEqual(['second']);
    // woken by the ring: the wait before the second stage's start was answered, not timed out
    const history = w.fx.sfn.executions.history(arnOf(w, p.executionId));
    const entered = (name: string) => history.flatMap((e, i) => (e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === name ? [i] : []));
    const starts = entered('Start stage');
    expect(starts).toHaveLength(2);
    const lastWait = entered('Wait for any stage')
      .filter((i) => i < starts[1])
      .at(-1)!;
    expect(history.slice(lastWait).find((e) => e.type === 'TaskSucceeded' || e.type === 'TaskTimedOut')?.type).toBe('TaskSucceeded');

    w.sites.end('spc', second.schedulerJobId, 'COMPLETED', 0);
    await watchRound('spc', {});
    const done = await w.fx.sfn.executions.waitFor(arnOf(w, p.executionId), { timeoutMs: 15_000 });
    expect(done.status).toBe('SUCCEEDED');
    expect((await read(p.pipelineId)).runs.second).toMatchObject({ state: 'succeeded', endSeenBy: 'watcher' });
    expect(enteredStates(w.fx.sfn.executions.history(arnOf(w, p.executionId))).filter((s) => s === 'Start stage')).toHaveLength(2);
  });

  test('two watchers racing record the end once: one stage move, one lineage COMPLETE, the next stage dispatched once', async () => {
    await watched();
    const p = await create(twoJobsBody());
    const first = await runningJob(w, p.pipelineId, 'first');
    const submits = w.sites.submits;
    w.sites.end('kisti6', first.schedulerJobId, 'COMPLETED', 0);

    const [a, b] = await Promise.all([watchRound('kisti6', {}), watchRound('kisti6', {})]);

    const outcomes = [a.outcomes[`${p.pipelineId}/first`], b.outcomes[`${p.pipelineId}/first`]].sort();
    expect(outcomes.filter((o) => o === 'recorded')).toHaveLength(1);
    expect(['already-recorded', 'stale']).toContain(outcomes.find((o) => o !== 'recorded'));
    await runningJob(w, p.pipelineId, 'second');
    const events = await eventsOfRun(runIdFor(`${p.executionId}/first/1`));
    expect(events.map((e) => e.eventType).sort()).toEqual(['COMPLETE', 'START']);
    expect(w.sites.submits).toBe(submits + 1);
  });

  test("a failed job: the watcher fails the stage naming the exit code, the flow fails the run, and the failed stage's watch is gone", async () => {
    await watched();
    const p = await create(twoJobsBody());
    const first = await runningJob(w, p.pipelineId, 'first');
    w.sites.end('kisti6', first.schedulerJobId, 'FAILED', 3);

    const round = await watchRound('kisti6', {});

    expect(round.outcomes[`${p.pipelineId}/first`]).toBe('recorded');
    const done = await w.fx.sfn.executions.waitFor(arnOf(w, p.executionId), { timeoutMs: 15_000 });
    expect(done).toMatchObject({ status: 'FAILED', error: 'Pipeline.StageFailed' });
    expect(await read(p.pipelineId)).toMatchObject({ state: 'failed', runs: { first: { state: 'failed', endSeenBy: 'watcher', error: { code: 'job_failed' } }, second: { state: 'skipped' } } });
    expect(await waitsAt('kisti6', p.pipelineId)).toEqual([]);
  });

  test("a job that left the scheduler's live list is asked about once in a run (accounting still knows it) and recorded", async () => {
    await watched();
    const p = await create(twoJobsBody());
    const first = await runningJob(w, p.pipelineId, 'first');
    w.sites.end('kisti6', first.schedulerJobId, 'COMPLETED', 0);
    w.sites.purge('kisti6', first.schedulerJobId);

    const round = await watchRound('kisti6', {});

    expect(round.outcomes[`${p.pipelineId}/first`]).toBe('recorded');
    expect((await read(p.pipelineId)).runs.first).toMatchObject({ state: 'succeeded', endSeenBy: 'watcher' });
  });

  test('a watch whose stage is no longer running at that attempt is dropped, and nothing is recorded', async () => {
    await watched();
    const p = await create(twoJobsBody());
    const first = await runningJob(w, p.pipelineId, 'first');
    // a watch left behind (say by a start step that was retried): its stage has not started, its job is not at the site
    await putWatch({ pipelineId: p.pipelineId, executionId: p.executionId, stageId: 'second', attempt: 1, site: 'kisti6', jobId: 'job-gone' });
    const before = await read(p.pipelineId);

    const state = {};
    const round = await watchRound('kisti6', state);
    const next = await watchRound('kisti6', state);

    expect(round.outcomes).toEqual({ [`${p.pipelineId}/second`]: 'stale' });
    expect(next.outcomes).toEqual({});
    const after = await read(p.pipelineId);
    expect(after.version).toBe(before.version);
    expect(after.runs.second.state).toBe('pending');
    // the running stage's watch stays
    expect((await waitsAt('kisti6', p.pipelineId)).map((x) => [x.stageId, x.jobId])).toEqual([['first', first.run.jobs[0].jobId]]);
  });

  test('without a watcher that ran lately, Plan polls at pollSeconds and records the end itself (the backstop)', async () => {
    await touchWatcher('kisti6', new Date(Date.now() - 10 * 60_000));
    const p = await create(twoJobsBody());
    const first = await runningJob(w, p.pipelineId, 'first');

    w.sites.end('kisti6', first.schedulerJobId, 'COMPLETED', 0);

    const after = await until(p.pipelineId, (x) => x.runs.first.state === 'succeeded', 'first succeeded');
    expect(after.runs.first.endSeenBy).toBe('plan');
    await eventually(
      () => waitsAt('kisti6', p.pipelineId),
      (xs) => xs.length === 0,
      'Plan removes the ended stage its watch',
    );
  });

  test('a run loops every intervalSeconds while stages wait, one request to the site a look, until its time is up', async () => {
    await watched();
    const p = await create(twoJobsBody());
    await runningJob(w, p.pipelineId, 'first');
    const asked = w.sites.changedQueries.length;
    const sleeps: number[] = [];

    const run = await watchSite('kisti6', { runMs: 250, intervalMs: 100, sleep: async (ms) => void sleeps.push(ms) });

    expect(run.rounds).toBeGreaterThanOrEqual(2);
    expect(run.siteRequests).toBe(run.rounds);
    expect(w.sites.changedQueries.length - asked).toBe(run.rounds);
    expect(sleeps).toHaveLength(run.rounds - 1);
    for (const ms of sleeps) expect(ms).toBeLessThanOrEqual(100);
  });

  test('the scheduled input must name a site: anything else is refused before any look', async () => {
    const asked = w.sites.changedQueries.length;
    await expect(watcherHandler({ siteId: 'Not A Site!' })).rejects.toThrow(/siteId/);
    await expect(watcherHandler({})).rejects.toThrow(/siteId/);
    expect(w.sites.changedQueries.length).toBe(asked);
  });
});

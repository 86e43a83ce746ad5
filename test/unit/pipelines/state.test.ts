// Stage states and the rules around them: which stages may start, fail fast, cancel, and retry
// from the failed stage without redoing a finished one.
import { ConflictError } from '../../../lambdas/domain/errors';
import { canMove, initialRuns, moveStage, pipelineStatus, planCancel, planRetry, readyStages, skipAfterStop, STAGE_STATES, type StageRuns } from '../../../lambdas/domain/pipelines/state';
import { validatePipeline } from '../../../lambdas/domain/pipelines/validate';
import type { PipelinePlan } from '../../../lambdas/domain/pipelines/plan';
import { kistiToSpc, parseBody, world } from './support';

const T = '2026-06-01T10:00:00Z';

function plan(): PipelinePlan {
  const r = validatePipeline(parseBody(kistiToSpc()), world());
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.plan;
}

/** A diamond: a → (b, c) → d, for independent branches. */
function diamond(): PipelinePlan {
  const s = (id: string, dependsOn: string[]) => ({ id, kind: 'job' as const, index: 0, site: 'spc', dependsOn, inputs: [] });
  return { order: ['a', 'b', 'c', 'd'], stages: { a: s('a', []), b: s('b', ['a']), c: s('c', ['a']), d: s('d', ['b', 'c']) } };
}

function run(p: PipelinePlan, ...moves: [string, Parameters<typeof moveStage>[1]][]): StageRuns {
  let runs = initialRuns(p);
  for (const [id, to] of moves) runs = { ...runs, [id]: moveStage(runs[id], to, T, to === 'failed' ? { error: { code: 'job_failed', message: `job of ${id} exited 1` } } : {}) };
  return runs;
}

describe('moves', () => {
  test('only the moves of the model are allowed; a finished stage never moves again', () => {
    const allowed = STAGE_STATES.flatMap((from) => STAGE_STATES.filter((to) => canMove(from, to)).map((to) => `${from}→${to}`));

    expect(allowed).toEqual(['pending→running', 'pending→cancelled', 'pending→skipped', 'running→succeeded', 'running→failed', 'running→cancelled', 'failed→pending', 'cancelled→pending', 'skipped→pending']);
    expect(() => moveStage({ state: 'succeeded', attempt: 1, jobs: [] }, 'running', T)).toThrow(ConflictError);
  });

  test('times are stamped: started on running, ended on every end', () => {
    const started = moveStage({ state: 'pending', attempt: 1, jobs: [] }, 'running', '2026-06-01T10:00:00Z');
    const ended = moveStage(started, 'succeeded', '2026-06-01T11:00:00Z', { bytesMoved: 42 });

    expect(ended).toEqual({ state: 'succeeded', attempt: 1, jobs: [], startedAt: '2026-06-01T10:00:00Z', endedAt: '2026-06-01T11:00:00Z', bytesMoved: 42 });
  });
});

describe('which stages start', () => {
  test('a stage starts when everything it depends on succeeded, in plan order', () => {
    const p = plan();

    expect(readyStages(p, initialRuns(p), false)).toEqual(['simulate']);
    expect(readyStages(p, run(p, ['simulate', 'running'], ['simulate', 'succeeded']), false)).toEqual(['register-data']);
    const afterRegistration = run(p, ['simulate', 'running'], ['simulate', 'succeeded'], ['register-data', 'running'], ['register-data', 'succeeded']);
    expect(readyStages(p, afterRegistration, false)).toEqual(['move']);
  });

  test('independent branches start together', () => {
    const d = diamond();
    expect(readyStages(d, run(d, ['a', 'running'], ['a', 'succeeded']), false)).toEqual(['b', 'c']);
    expect(readyStages(d, run(d, ['a', 'running'], ['a', 'succeeded'], ['b', 'running'], ['b', 'succeeded']), false)).toEqual(['c']);
  });

  test('nothing starts once a cancel was asked for', () => {
    const p = plan();
    expect(readyStages(p, initialRuns(p), true)).toEqual([]);
  });
});

describe('fail fast', () => {
  test('after a failure no new stage starts, a running branch runs to its end, pending stages are skipped naming the cause', () => {
    const d = diamond();
    const runs = run(d, ['a', 'running'], ['a', 'succeeded'], ['b', 'running'], ['c', 'running'], ['b', 'failed']);

    expect(readyStages(d, runs, false)).toEqual([]);
    expect(pipelineStatus(d, runs, false).state).toBe('running'); // c still runs
    const ended = skipAfterStop(d, { ...runs, c: moveStage(runs.c, 'succeeded', T) }, T);
    expect(ended.d).toMatchObject({ state: 'skipped', error: { code: 'skipped', message: 'not started: stage "b" failed' } });
    expect(pipelineStatus(d, ended, false)).toEqual({ state: 'failed', stoppedAt: { stage: 'b', state: 'failed', error: { code: 'job_failed', message: 'job of b exited 1' } } });
  });
});

describe('cancel', () => {
  test('pending stages are cancelled at once; running ones are named for cancelling at their sites', () => {
    const p = plan();
    const runs = run(p, ['simulate', 'running']);

    const c = planCancel(p, runs, T);

    expect(c.cancelAtSites).toEqual(['simulate']);
    expect(Object.entries(c.runs).map(([id, r]) => `${id}:${r.state}`)).toEqual(['simulate:running', 'register-data:cancelled', 'move:cancelled', 'train:cancelled', 'register-model:cancelled']);
    expect(pipelineStatus(p, c.runs, true).state).toBe('cancelling');
    const confirmed = { ...c.runs, simulate: moveStage(c.runs.simulate, 'cancelled', T, { error: { code: 'cancelled', message: 'cancelled at kisti6' } }) };
    expect(pipelineStatus(p, confirmed, true)).toMatchObject({ state: 'cancelled', stoppedAt: { stage: 'simulate', state: 'cancelled' } });
  });

  test('a finished pipeline cannot be cancelled', () => {
    const p = plan();
    const done = run(
      p,
      ...p.order.flatMap(
        (id) =>
          [
            [id, 'running'],
            [id, 'succeeded'],
          ] as [string, 'running' | 'succeeded'][],
      ),
    );

    expect(pipelineStatus(p, done, false).state).toBe('succeeded');
    expect(() => planCancel(p, done, T)).toThrow(/the pipeline is succeeded; there is nothing to cancel/);
  });
});

describe('retry from the failed stage', () => {
  test('finished stages stay finished; the failed one runs again as its next attempt; skipped ones wait again', () => {
    const p = plan();
    const failed = skipAfterStop(p, run(p, ['simulate', 'running'], ['simulate', 'succeeded'], ['register-data', 'running'], ['register-data', 'succeeded'], ['move', 'running'], ['move', 'failed']), T);

    const r = planRetry(p, failed);

    expect(r.resumeFrom).toEqual(['move']);
    expect(r.runs.simulate).toBe(failed.simulate);
    expect(r.runs['register-data']).toBe(failed['register-data']);
    expect(r.runs.move).toEqual({ state: 'pending', attempt: 2, jobs: [] });
    expect(r.runs.train).toEqual({ state: 'pending', attempt: 1, jobs: [] });
  });

  test('a stage cancelled before it started keeps its attempt number', () => {
    const p = plan();
    const c = planCancel(p, run(p, ['simulate', 'running']), T);
    const cancelled = { ...c.runs, simulate: moveStage(c.runs.simulate, 'cancelled', T) };

    const r = planRetry(p, cancelled);

    expect(r.resumeFrom).toEqual(['simulate']);
    expect(r.runs.simulate.attempt).toBe(2);
    expect(r.runs.train.attempt).toBe(1);
  });

  test.each([
    ['running', (p: PipelinePlan) => run(p, ['simulate', 'running'])],
    ['pending', (p: PipelinePlan) => initialRuns(p)],
    [
      'succeeded',
      (p: PipelinePlan) =>
        run(
          p,
          ...p.order.flatMap(
            (id) =>
              [
                [id, 'running'],
                [id, 'succeeded'],
              ] as [string, 'running' | 'succeeded'][],
          ),
        ),
    ],
  ])('a %s pipeline cannot be retried', (state, runs) => {
    const p = plan();
    expect(() => planRetry(p, runs(p))).toThrow(`only a failed or cancelled pipeline can be retried; this one is ${state}`);
  });
});

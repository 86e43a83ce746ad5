// The draft pipeline flow (statemachines/pipeline.asl.json) on the local Step Functions service,
// with real .waitForTaskToken callbacks. Its step function is played here by a stand-in over the
// real domain rules (state.ts) and an in-memory site: the next wave replaces it with the handler
// over DynamoDB and the dispatch path. Each named case asserts which states ran.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalSfn, type LocalSfn } from '../../../local/sfn';
import { validatePipeline } from '../../../lambdas/domain/pipelines/validate';
import { initialRuns, moveStage, pipelineStatus, planCancel, readyStages, skipAfterStop, type StageRuns } from '../../../lambdas/domain/pipelines/state';
import type { PipelinePlan } from '../../../lambdas/domain/pipelines/plan';
import { enteredStates, lambdaArn, machineArn } from '../../../local/test/sfn/support';
import { kistiToSpc, parseBody, world } from './support';

const STEP = lambdaArn('PipelineStep');
const MACHINE = machineArn('Pipeline');
const ASL = join(__dirname, '../../../statemachines/pipeline.asl.json');
const T = '2026-06-01T00:00:00Z';

/** One pipeline run as its item would hold it, and the site's jobs by dispatch id. */
interface Run {
  plan: PipelinePlan;
  runs: StageRuns;
  version: number;
  cancelRequested: boolean;
  token?: string;
  submitted: Map<string, number>;
  /** start: Connector.Transient this many times before submitting (slurmrestd away) */
  downBeforeSubmit: number;
  /** start: Connector.Transient this many times after submitting (the answer was lost) */
  lostAnswers: number;
}
const runs = new Map<string, Run>();
let sfn: LocalSfn;

class TransientError extends Error {
  override name = 'Connector.Transient';
}

function ring(r: Run) {
  r.version++;
  const token = r.token;
  r.token = undefined;
  if (token) sfn.tasks.succeed(token, {});
}

async function step(p: { action: string; executionId: string; stageId?: string; seenVersion?: number; taskToken?: string; error?: { Error: string } }) {
  const r = runs.get(p.executionId)!;
  switch (p.action) {
    case 'plan': {
      r.runs = skipAfterStop(r.plan, r.runs, T);
      const status = pipelineStatus(r.plan, r.runs, r.cancelRequested);
      const stopped = status.stoppedAt;
      return {
        state: status.state === 'succeeded' || status.state === 'failed' || status.state === 'cancelled' ? status.state : 'running',
        start: readyStages(r.plan, r.runs, r.cancelRequested),
        version: r.version,
        ...(stopped ? { cause: `stage "${stopped.stage}" ${stopped.state}: ${stopped.error?.message ?? ''}` } : {}),
      };
    }
    case 'start': {
      if (r.downBeforeSubmit > 0) {
        r.downBeforeSubmit--;
        throw new TransientError('slurmrestd is not answering');
      }
      const stage = r.runs[p.stageId!];
      const dispatchId = `${p.executionId}.${p.stageId}.${stage.attempt}`;
      // the driver's idempotent submit: a dispatch id already at the site is not submitted again
      r.submitted.set(dispatchId, (r.submitted.get(dispatchId) ?? 0) + (r.submitted.has(dispatchId) ? 0 : 1));
      if (r.lostAnswers > 0) {
        r.lostAnswers--;
        throw new TransientError('the site took the job but its answer was lost');
      }
      if (stage.state === 'pending') r.runs = { ...r.runs, [p.stageId!]: { ...moveStage(stage, 'running', T), jobs: [{ attempt: stage.attempt, site: r.plan.stages[p.stageId!].site, jobId: dispatchId }] } };
      return {};
    }
    case 'start-failed': {
      const stage = r.runs[p.stageId!];
      r.runs = { ...r.runs, [p.stageId!]: moveStage(moveStage(stage, 'running', T), 'failed', T, { error: { code: 'dispatch_failed', message: p.error!.Error } }) };
      r.version++;
      return {};
    }
    case 'wait': {
      r.token = p.taskToken;
      // a stage changed since Plan read the run: answer at once (no wake-up is lost)
      if (r.version !== p.seenVersion) setImmediate(() => ring(r));
      return {};
    }
  }
  throw new Error(`unknown action ${p.action}`);
}

/** The stage watcher's part: a job ended at its site. */
function jobEnded(executionId: string, stageId: string, outcome: 'succeeded' | 'failed' | 'cancelled', message = '') {
  const r = runs.get(executionId)!;
  r.runs = { ...r.runs, [stageId]: moveStage(r.runs[stageId], outcome, T, outcome === 'succeeded' ? {} : { error: { code: outcome === 'failed' ? 'job_failed' : 'cancelled', message } }) };
  ring(r);
}

let n = 0;
function begin(over: Partial<Run> = {}): string {
  const v = validatePipeline(parseBody(kistiToSpc()), world());
  if (!v.ok) throw new Error('fixture pipeline invalid');
  const executionId = `exec-${++n}`;
  runs.set(executionId, { plan: v.plan, runs: initialRuns(v.plan), version: 0, cancelRequested: false, submitted: new Map(), downBeforeSubmit: 0, lostAnswers: 0, ...over });
  return sfn.executions.start(MACHINE, { pipelineId: 'pipe-1', executionId }, { name: executionId }).executionArn;
}

/** Waits until the flow waits, then ends that stage's job. */
async function whenRunning(arn: string, executionId: string, stageId: string) {
  const deadline = Date.now() + 20_000;
  while (runs.get(executionId)!.runs[stageId].state !== 'running' || !runs.get(executionId)!.token) {
    if (Date.now() > deadline) throw new Error(`stage ${stageId} never ran with the flow waiting`);
    await sfn.tasks.waitFor({ executionArn: arn, stateName: 'Wait for any stage' }, { timeoutMs: 20_000 });
    await new Promise((res) => setImmediate(res));
  }
}

beforeAll(async () => {
  const text = readFileSync(ASL, 'utf8').replace(/\$\{PipelineStepFunctionArn\}/g, STEP);
  // 1/100 of real time: the 900 s doorbell timeout is 9 s, a 2 s retry 20 ms
  sfn = await startLocalSfn({ taskHandlers: { invokeLambda: async (_fn, payload) => step(payload as never) }, timeScale: 0.01 });
  sfn.addStateMachine({ arn: MACHINE, name: 'Pipeline', definition: JSON.parse(text) });
});
afterAll(async () => sfn?.stop());

const STAGES = ['simulate', 'register-data', 'move', 'train', 'register-model'];

describe('the pipeline flow', () => {
  test('every stage in turn: each one starts as soon as the one before it ends, then the run succeeds', async () => {
    const arn = begin();
    const id = `exec-${n}`;
    for (const s of STAGES) {
      await whenRunning(arn, id, s);
      jobEnded(id, s, 'succeeded');
    }

    const done = await sfn.executions.waitFor(arn, { timeoutMs: 20_000 });

    expect(done.status).toBe('SUCCEEDED');
    const states = enteredStates(sfn.executions.history(arn));
    expect(states.filter((s) => s === 'Start stage')).toHaveLength(5);
    expect(states.slice(0, 5)).toEqual(['Plan', 'Route', 'Start ready stages', 'Start stage', 'Wait for any stage']);
    expect(states.slice(-3)).toEqual(['Plan', 'Route', 'Succeeded']);
    expect([...runs.get(id)!.submitted.values()]).toEqual([1, 1, 1, 1, 1]);
  });

  test('a failed stage ends the run naming the stage and cause; nothing after it starts', async () => {
    const arn = begin();
    const id = `exec-${n}`;
    await whenRunning(arn, id, 'simulate');
    jobEnded(id, 'simulate', 'succeeded');
    await whenRunning(arn, id, 'register-data');
    jobEnded(id, 'register-data', 'failed', 'exit code 1');

    const done = await sfn.executions.waitFor(arn, { timeoutMs: 20_000 });

    expect(done).toMatchObject({ status: 'FAILED', error: 'Pipeline.StageFailed', cause: 'stage "register-data" failed: exit code 1' });
    expect(runs.get(id)!.runs.move).toMatchObject({ state: 'skipped', error: { message: 'not started: stage "register-data" failed' } });
    expect(runs.get(id)!.submitted.size).toBe(2);
  });

  test('slurmrestd away, and an answer lost: the start is retried and the job is submitted once', async () => {
    const arn = begin({ downBeforeSubmit: 2, lostAnswers: 1 });
    const id = `exec-${n}`;
    for (const s of STAGES) {
      await whenRunning(arn, id, s);
      jobEnded(id, s, 'succeeded');
    }

    const done = await sfn.executions.waitFor(arn, { timeoutMs: 20_000 });

    expect(done.status).toBe('SUCCEEDED');
    const history = sfn.executions.history(arn);
    expect(history.filter((e) => e.type === 'TaskFailed' && e.taskFailedEventDetails?.error === 'Connector.Transient')).toHaveLength(3);
    expect(runs.get(id)!.submitted.get(`${id}.simulate.1`)).toBe(1);
  });

  test('cancelled during a job stage: the job is cancelled at its site, no later stage starts', async () => {
    const arn = begin();
    const id = `exec-${n}`;
    await whenRunning(arn, id, 'simulate');
    const r = runs.get(id)!;
    const c = planCancel(r.plan, r.runs, T);
    r.runs = c.runs;
    r.cancelRequested = true;
    expect(c.cancelAtSites).toEqual(['simulate']);
    jobEnded(id, 'simulate', 'cancelled', 'cancelled at kisti6');

    const done = await sfn.executions.waitFor(arn, { timeoutMs: 20_000 });

    expect(done).toMatchObject({ status: 'FAILED', error: 'Pipeline.Cancelled', cause: 'stage "simulate" cancelled: cancelled at kisti6' });
    expect(r.submitted.size).toBe(1);
    expect(enteredStates(sfn.executions.history(arn)).filter((s) => s === 'Start stage')).toHaveLength(1);
  });

  test('a doorbell nobody rings times out and the flow plans again (the backstop)', async () => {
    const arn = begin();
    const id = `exec-${n}`;
    await whenRunning(arn, id, 'simulate');
    const first = runs.get(id)!.token;
    const deadline = Date.now() + 30_000;
    while (!runs.get(id)!.token || runs.get(id)!.token === first) {
      if (Date.now() > deadline) throw new Error('the wait never timed out into a new plan');
      await new Promise((res) => setTimeout(res, 100));
    }

    expect(enteredStates(sfn.executions.history(arn)).filter((s) => s === 'Plan').length).toBeGreaterThanOrEqual(2);
    jobEnded(id, 'simulate', 'failed', 'stopped by the test');
    expect((await sfn.executions.waitFor(arn, { timeoutMs: 20_000 })).status).toBe('FAILED');
  });
});

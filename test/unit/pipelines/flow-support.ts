// The deployed pipeline flow (statemachines/pipeline.asl.json, the file itself) on the local Step
// Functions service, its one Lambda step the real flow handler over DynamoDB Local, dispatching
// through the real jobs capability to an in-memory scheduler (fake-site.ts). Shared by the flow's
// test files; each sets PIPELINES_CONFIG first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lambdaArn } from '../../../local/test/sfn/support';
import { useDriverFactory } from '../../../lambdas/connectors/sites';
import { resetPipelinesConfig } from '../../../lambdas/pipelines/config';
import { getPipelineItem, pipelineOf, type PipelineRecord } from '../../../lambdas/pipelines/store';
import { api, newKey, OWNER, pipelinesFixture, type PipelinesFixture } from './api-support';
import { FakeSites } from './fake-site';

const STEP = lambdaArn('PipelineStep');
const ASL = join(__dirname, '../../../statemachines/pipeline.asl.json');

export interface FlowWorld {
  fx: PipelinesFixture;
  sites: FakeSites;
}

/**
 * Starts the flow's world for a test file (call at its top level: it registers beforeAll/afterAll).
 * `config` is PIPELINES_CONFIG, or a function giving it once earlier beforeAll hooks ran.
 */
export function useFlowWorld(config: unknown): FlowWorld {
  const world = {} as FlowWorld;
  beforeAll(async () => {
    process.env.PIPELINES_CONFIG = JSON.stringify(typeof config === 'function' ? config() : config);
    resetPipelinesConfig();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const flow = require('../../../lambdas/pipelines/flow-handler') as typeof import('../../../lambdas/pipelines/flow-handler');
    world.fx = await pipelinesFixture({
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
    world.sites = new FakeSites();
    useDriverFactory((site) => world.sites.driver(site));
  });
  afterAll(async () => {
    useDriverFactory(undefined);
    await world.fx?.stop();
  });
  return world;
}

export const read = async (id: string): Promise<PipelineRecord> => pipelineOf((await getPipelineItem(id))!);
export const arnOf = (w: FlowWorld, executionId: string) => `${w.fx.machineArn.replace(':stateMachine:', ':execution:')}:${executionId}`;

/** Waits, against a deadline, until the pipeline shows what `ok` asks for. */
export async function until(id: string, ok: (p: PipelineRecord) => boolean, what: string): Promise<PipelineRecord> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const p = await read(id);
    if (ok(p)) return p;
    if (Date.now() > deadline) throw new Error(`pipeline ${id} never showed: ${what} (it is ${p.state}: ${JSON.stringify(Object.fromEntries(Object.entries(p.runs).map(([k, r]) => [k, r.state])))})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The fake site's job of a stage's current attempt, once the stage runs. */
export async function runningJob(w: FlowWorld, id: string, stage: string) {
  const p = await until(id, (x) => x.runs[stage].state === 'running', `${stage} running`);
  const j = p.runs[stage].jobs.find((x) => x.attempt === p.runs[stage].attempt)!;
  const job = w.sites.jobOfDispatch(j.jobId)!;
  return { site: j.site, schedulerJobId: job.status.jobId, job, run: p.runs[stage] };
}

export async function finish(w: FlowWorld, id: string, stage: string, state: 'COMPLETED' | 'FAILED' = 'COMPLETED', exit = 0) {
  const j = await runningJob(w, id, stage);
  w.sites.end(j.site, j.schedulerJobId, state, exit);
  return j;
}

export const create = async (body: unknown) => (await api(OWNER, 'POST', '/v1/pipelines', body, { 'idempotency-key': newKey() })).body;

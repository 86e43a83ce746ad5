// bench:pipelines, part 3: the stage-to-stage gap on the two local real clusters. A two-stage
// pipeline (a job at kisti6, then one at spc) runs through the deployed flow (the ASL file on the
// local Step Functions service, its real step function over DynamoDB Local, the real jobs
// capability and slurm-rest drivers). The gap is the first job's end as the scheduler records it
// (kisti6's end_time) → the second job's submission as the scheduler records it (spc's
// submit_time): both clocks are this machine's, at Slurm's 1 s resolution. Two settings, alternated
// run by run: the stage watcher (the default: a run of kisti6's watcher, as its schedule would
// start it) and its baseline, polling only (watcher off: Plan asks the sites every pollSeconds).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lambdaArn } from '../local/test/sfn/support';
import { useDriverFactory } from '../lambdas/connectors/sites';
import type { SchedulerDriver } from '../lambdas/connectors/driver';
import { resetPipelinesConfig } from '../lambdas/pipelines/config';
import { handler as flowHandler } from '../lambdas/pipelines/flow-handler';
import { getPipelineItem, pipelineOf, type PipelineRecord } from '../lambdas/pipelines/store';
import { listWaitingAt, touchWatcher } from '../lambdas/pipelines/watch-store';
import { watchSite } from '../lambdas/pipelines/watcher';
import { api, newKey, OWNER, pipelinesFixture } from '../test/unit/pipelines/api-support';
import { driverFor, loadClusters } from '../test/slurm/support/clusters';

export type GapMode = 'watcher' | 'polling';
export interface GapRun {
  mode: GapMode;
  gapS: number;
  endSeenBy?: string;
}

const POLL_SECONDS = 10;
const STEP = lambdaArn('PipelineStep');

const body = (i: number) => ({
  name: `bench-gap-${i}`,
  stages: [
    { id: 'first', kind: 'job', site: 'kisti6', resource: 'gh200', allocationId: 'alloc-k6', script: '#!/bin/bash\nsleep 4\n', gpus: 1, timeLimit: 5 },
    { id: 'second', kind: 'job', site: 'spc', resource: 'h200', allocationId: 'alloc-spc', script: '#!/bin/bash\ntrue\n', gpus: 1, timeLimit: 5, after: ['first'] },
  ],
});

async function until(what: string, probe: () => Promise<PipelineRecord>, ok: (p: PipelineRecord) => boolean, timeoutMs: number): Promise<PipelineRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await probe();
    if (ok(p)) return p;
    if (Date.now() > deadline) throw new Error(`bench: never saw ${what} (pipeline ${p.pipelineId} is ${p.state})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs `runs` pipelines per setting, alternating; needs KAIRR_TEST_DYNAMO_ENDPOINT (DynamoDB Local). */
export async function stageGaps(runs: number, say: (s: string) => void): Promise<GapRun[]> {
  const clusters = Object.fromEntries(loadClusters().map((c) => [c.siteId, c]));
  const drivers: Record<string, SchedulerDriver> = { spc: driverFor(clusters.spc), kisti6: driverFor(clusters.kisti6) };
  const fx = await pipelinesFixture({
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL definitionSubstitutions placeholder
    definition: JSON.parse(readFileSync(join(__dirname, '../statemachines/pipeline.asl.json'), 'utf8').replaceAll('${PipelineStepFunctionArn}', STEP)),
    taskHandlers: { invokeLambda: async (_fn, payload) => flowHandler(payload) },
  });
  useDriverFactory((site) => drivers[site.id]);
  const out: GapRun[] = [];
  try {
    await drivers.kisti6.provisionAccount({ account: 'kairr_alloc_k6', description: 'bench pipelines gap', partition: 'gh200', limits: { gpuMinutes: 60000 }, members: ['alice'] });
    await drivers.spc.provisionAccount({ account: 'kairr_alloc_spc', description: 'bench pipelines gap', partition: 'h200', limits: { gpuMinutes: 60000 }, members: ['alice'] });
    for (let i = 0; i < runs * 2; i++) {
      const mode: GapMode = i % 2 === 0 ? 'watcher' : 'polling';
      process.env.PIPELINES_CONFIG = JSON.stringify({ pollSeconds: POLL_SECONDS, watcher: { enabled: mode === 'watcher', intervalSeconds: 5, backstopSeconds: 300 } });
      resetPipelinesConfig();
      if (mode === 'watcher') for (const s of ['kisti6', 'spc']) await touchWatcher(s);
      const created = await api(OWNER, 'POST', '/v1/pipelines', body(i), { 'idempotency-key': newKey() });
      if (created.status !== 201) throw new Error(`bench: create answered ${created.status} ${JSON.stringify(created.body)}`);
      const id = created.body.pipelineId as string;
      const read = async () => pipelineOf((await getPipelineItem(id))!);
      await until('the first stage running', read, (p) => p.runs.first.state === 'running' || p.state === 'failed', 180_000);
      // a scheduled run of kisti6's watcher that starts while the stage waits (a run that finds
      // nothing waiting exits at once; a stage longer than a minute always has one watching)
      if (mode === 'watcher') {
        const deadline = Date.now() + 30_000;
        while (!(await listWaitingAt('kisti6')).some((x) => x.pipelineId === id)) {
          if (Date.now() > deadline) throw new Error(`bench: the first stage of ${id} has no watch`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const watching = mode === 'watcher' ? watchSite('kisti6', { runMs: 180_000 }) : undefined;
      const p = await until('the second stage running', read, (x) => x.runs.second.state !== 'pending' || x.state === 'failed', 240_000);
      await watching;
      const first = p.runs.first.jobs.at(-1)?.schedulerJobId;
      const second = p.runs.second.jobs.at(-1)?.schedulerJobId;
      if (!first || !second) throw new Error(`bench: a stage has no scheduler job: ${JSON.stringify(p.runs)}`);
      const end = (await drivers.kisti6.jobStatus(first)).end;
      const submit = (await drivers.spc.jobStatus(second)).submit;
      const gapS = (Date.parse(submit!) - Date.parse(end!)) / 1000;
      out.push({ mode, gapS, endSeenBy: p.runs.first.endSeenBy });
      say(`stage-to-stage gap, run ${i + 1}/${runs * 2} (${mode}): ${gapS.toFixed(0)} s (the first end seen by ${p.runs.first.endSeenBy})`);
      await drivers.spc.cancelJob(second).catch(() => undefined);
    }
  } finally {
    useDriverFactory(undefined);
    await fx.stop();
  }
  return out;
}

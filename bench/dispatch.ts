// npm run bench:dispatch: the connectors against the real local clusters (scripts/slurm/start.sh).
//   1. provisioning latency: an award's event → rule → the real ASL in local Step Functions → step
//      function → Slurm, until a job under the new account is accepted (target ≤ 10 s);
//   2. dispatch latency: the jobs API handler to the job visible at slurmctld, against a direct
//      slurmrestd submit on the same cluster, as a ratio of medians (target ≤ 1.5);
//   3. usage collection throughput for 1,000 finished jobs on a real cluster (a job array under a
//      KAIRR account; reused by later runs when it is still in accounting);
//   4. the same for 100,000 records: slurmdbd's answer for those 1,000 jobs is recorded, then served
//      by a REPLAY server (a fake slurmrestd that serves only that recorded JSON, re-numbered and
//      spread over 20 hours, across 20 allocations) to the real collector and ledger on DynamoDB Local;
//   5. usage freshness with the default collection interval: interval + slurmdbd's lag + one
//      collection run, each part measured (target ≤ 5 minutes).
// Figures are printed as they come; the LAST line is one JSON object with every figure. Parts 3-5
// are in dispatch-collection.ts, 6-7 in dispatch-limits.ts, the shared options in dispatch-support.ts.
//   6. (with 2) the exactly-once limit: a direct submit plus one DynamoDB transaction, measured in
//      the same rounds (target: dispatch ≤ 1.3× it, holds included);
//   7. a burst: N jobs at concurrency C through KAIRR against N direct submits (target ≥ 0.8×).
// Options: --runs N (dispatch rounds per cluster, default 30), --jobs N (default 1000), --replay N
// (default 100000), --provision N (awards per site, default 3), --burst N (default 500),
// --concurrency C (default 32), --only provisioning,dispatch,burst,collection,freshness.
import { performance } from 'node:perf_hooks';
import { startDynamoLocal, type DynamoLocal } from '../local/dynamo';
import { loadClusters, waitFor, type LocalCluster } from '../test/slurm/support/clusters';
import { ALICE, BOB, startHarness, type Harness } from '../test/slurm/support/kairr';
import { slurmRestDriverForSite } from '../lambdas/connectors/slurm-rest';
import { useDriverFactory } from '../lambdas/connectors/sites';
import { slurmAccountName } from '../lambdas/domain/scheduler-mapping';
import { newId } from '../lambdas/domain/ids';
import type { SchedulerDriver } from '../lambdas/connectors/driver';
import { ddb, setDdb } from '../lambdas/shared/store/client';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { burst, onceTransaction } from './dispatch-limits';
import { BURST, BURST_CONCURRENCY, driverOf, figures, median, PROVISION, round, RUNS, say, TRUE_JOB, want } from './dispatch-support';
import { freshness, realCollection, replayCollection } from './dispatch-collection';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.LOG_LEVEL ??= 'error';

async function main(): Promise<void> {
  const clusters = loadClusters();
  for (const c of clusters) {
    const health = await driverOf(c).health();
    if (!health.ok) throw new Error(`${c.cluster} is not healthy (${health.error ?? health.controller}); run npm run slurm:start`);
  }
  const dynamo = await startDynamoLocal();
  process.env.KAIRR_TEST_DYNAMO_ENDPOINT = dynamo.endpoint;
  figures.machine = { cpus: (await import('node:os')).cpus().length, loadAvg1m: round((await import('node:os')).loadavg()[0], 2) };
  let h: Harness | undefined;
  try {
    h = await startHarness();
    if (want('provisioning')) await provisioningLatency(h, clusters);
    if (want('dispatch')) await dispatchLatency(h, clusters);
    if (want('burst')) Object.assign(figures, await burst(h, clusters, { jobs: BURST, concurrency: BURST_CONCURRENCY, driverOf, say, doc: ddb() }));
    const recorded = want('collection') ? await realCollection(h, clusters.find((c) => c.cluster === 'kisti6')!) : undefined;
    if (want('freshness')) await freshness(h, clusters.find((c) => c.cluster === 'kisti6')!);
    await h.stop();
    h = undefined;
    if (recorded) await replayCollection(recorded);
  } finally {
    await h?.stop().catch(() => undefined);
    await stopDynamo(dynamo);
  }
  console.log(JSON.stringify(figures));
}

// ---- 1. provisioning ------------------------------------------------------------------------------

async function provisioningLatency(h: Harness, clusters: LocalCluster[]): Promise<void> {
  say(`\n1. provisioning: award event → flow → Slurm → a job under the new account is accepted (${PROVISION} awards per site)`);
  const all: number[] = [];
  for (const c of clusters) {
    const resource = c.partitions[0];
    const times: number[] = [];
    for (let i = 0; i < PROVISION; i++) {
      const t0 = performance.now();
      const a = await h.award({ [`${c.siteId}/${resource}`]: 10 }, { members: [BOB] });
      const account = slurmAccountName(a.id, resource);
      const driver = driverOf(c);
      // the account is usable when Slurm accepts a job under it, as a member
      const accepted = await waitFor(
        `a job under ${account}`,
        () => driver.submitJob({ dispatchId: newId('bp'), firstAttempt: true, account, user: 'bob', partition: resource, gpus: 1, timeLimitMinutes: 1, script: TRUE_JOB, workingDirectory: '/tmp' }),
        () => true,
        { timeoutMs: 120_000, intervalMs: 50 },
      );
      const ms = performance.now() - t0;
      times.push(ms);
      await driver.cancelJob(accepted.jobId).catch(() => undefined);
      const state = (await h.settled(a.id)).state;
      say(`   ${c.cluster} award ${i + 1}: usable after ${round(ms / 1000, 2)} s (allocation ${state})`);
    }
    figures[`provisioning_${c.cluster}_median_s`] = round(median(times) / 1000, 2);
    figures[`provisioning_${c.cluster}_max_s`] = round(Math.max(...times) / 1000, 2);
    all.push(...times);
  }
  figures.provisioning_median_s = round(median(all) / 1000, 2);
  figures.provisioning_max_s = round(Math.max(...all) / 1000, 2);
  figures.provisioning_target_s = 10;
  say(`   median ${figures.provisioning_median_s} s, max ${figures.provisioning_max_s} s (target ≤ 10 s)`);
}

// ---- 2. dispatch ----------------------------------------------------------------------------------

/** DynamoDB time spent inside a measured window (the shared document client, wrapped). */
const ddbClock = { ms: 0, calls: 0 };
function timeDynamo(): DynamoDBDocumentClient {
  const real = ddb();
  const send = real.send.bind(real) as (c: unknown) => Promise<unknown>;
  setDdb(
    Object.assign(Object.create(real) as DynamoDBDocumentClient, {
      send: async (c: unknown) => {
        const t = performance.now();
        try {
          return await send(c);
        } finally {
          ddbClock.ms += performance.now() - t;
          ddbClock.calls += 1;
        }
      },
    }),
  );
  return real;
}

async function dispatchLatency(h: Harness, clusters: LocalCluster[]): Promise<void> {
  say(`\n2. dispatch: jobs API handler → job visible at slurmctld, vs a direct slurmrestd submit (${RUNS} pairs per cluster, alternating)`);
  const a = await h.award(Object.fromEntries(clusters.map((c) => [`${c.siteId}/${c.partitions[0]}`, 500])), { members: [BOB] });
  const ready = await h.settled(a.id);
  if (ready.state !== 'active') throw new Error(`the dispatch allocation is ${ready.state}: ${ready.stateReason}`);
  // The job is visible at slurmctld from the moment its submit is answered (slurmctld creates the
  // job record before it replies; the GET after each run confirms it). The handler's own submit is
  // timed through the real driver, wrapped only to note that moment.
  let submittedAt = 0;
  useDriverFactory((site) => {
    const real = slurmRestDriverForSite(site);
    return Object.assign(Object.create(real) as SchedulerDriver, {
      submitJob: async (req: Parameters<SchedulerDriver['submitJob']>[0]) => {
        const r = await real.submitJob(req);
        submittedAt = performance.now();
        return r;
      },
    });
  });
  const plainDynamo = timeDynamo();
  const all = { visible: [] as number[], response: [] as number[], direct: [] as number[], dynamo: [] as number[], limit: [] as number[], cold: [] as number[] };
  const cancel: [LocalCluster, string][] = [];
  try {
    for (const c of clusters) {
      const resource = c.partitions[0];
      const account = slurmAccountName(a.id, resource);
      const driver = driverOf(c);
      // the same HTTP call the driver makes to submit, without any of KAIRR around it
      const api = await (driver as unknown as { api(): Promise<{ submit(d: unknown, user: string): Promise<string>; controllerJob(id: string): Promise<unknown> }> }).api();
      const direct = async () => {
        const t0 = performance.now();
        const id = await api.submit(
          { script: TRUE_JOB, name: `kairr.${newId('direct')}`, account, partition: resource, timeLimitMinutes: 1, nodes: 1, tasks: 1, cpusPerTask: 1, gpusPerNode: 1, workingDirectory: '/tmp', standardOutput: '/dev/null', environment: {} },
          'alice',
        );
        const t1 = performance.now();
        if (!(await api.controllerJob(id))) throw new Error(`direct job ${id} is not visible`);
        cancel.push([c, id]);
        return t1 - t0;
      };
      // ---- the exactly-once limit: a direct submit plus ONE DynamoDB transaction (a record and its
      // audit event) on the same DynamoDB Local: what any dispatch that records before it submits pays
      const limit = async () => {
        const t0 = performance.now();
        await onceTransaction(plainDynamo);
        const id = await api.submit(
          { script: TRUE_JOB, name: `kairr.${newId('limit')}`, account, partition: resource, timeLimitMinutes: 1, nodes: 1, tasks: 1, cpusPerTask: 1, gpusPerNode: 1, workingDirectory: '/tmp', standardOutput: '/dev/null', environment: {} },
          'alice',
        );
        const t1 = performance.now();
        cancel.push([c, id]);
        return t1 - t0;
      };
      const kairr = async (cold = false) => {
        // cold: no dispatch snapshot reused (jobs/snapshot.ts), so the dispatch reads first
        if (cold) process.env.KAIRR_DISPATCH_SNAPSHOT_MS = '0';
        else delete process.env.KAIRR_DISPATCH_SNAPSHOT_MS;
        const d0 = ddbClock.ms;
        const t0 = performance.now();
        const res = await h.api('POST', `/v1/allocations/${a.id}/jobs`, ALICE, { body: { site: c.siteId, resource, script: TRUE_JOB, gpus: 1, timeLimit: 1 } });
        const t1 = performance.now();
        if (res.status !== 201) throw new Error(`dispatch failed: ${res.status} ${JSON.stringify(res.body)}`);
        if (!(await api.controllerJob(res.body.schedulerJobId))) throw new Error(`job ${res.body.schedulerJobId} is not visible`);
        cancel.push([c, res.body.schedulerJobId]);
        return { visible: submittedAt - t0, response: t1 - t0, dynamo: ddbClock.ms - d0 };
      };
      for (let i = 0; i < 3; i++) await direct(), await kairr(), await limit(); // warm: version detection, tokens, connections
      const k = { visible: [] as number[], response: [] as number[], dynamo: [] as number[] };
      const d: number[] = [];
      const lim: number[] = [];
      const coldVisible: number[] = [];
      const one = async () => {
        const r = await kairr();
        k.visible.push(r.visible);
        k.response.push(r.response);
        k.dynamo.push(r.dynamo);
      };
      // the four kinds take turns, each one first in every fourth round
      const kinds = [async () => d.push(await direct()), one, async () => lim.push(await limit()), async () => coldVisible.push((await kairr(true)).visible)];
      for (let i = 0; i < RUNS; i++) for (let j = 0; j < kinds.length; j++) await kinds[(i + j) % kinds.length]();
      delete process.env.KAIRR_DISPATCH_SNAPSHOT_MS;
      const ratio = median(k.visible) / median(d);
      figures[`dispatch_${c.cluster}_limit_median_ms`] = round(median(lim));
      figures[`dispatch_${c.cluster}_vs_limit_ratio`] = round(median(k.visible) / median(lim), 2);
      figures[`dispatch_${c.cluster}_cold_visible_median_ms`] = round(median(coldVisible));
      figures[`dispatch_${c.cluster}_cold_vs_limit_ratio`] = round(median(coldVisible) / median(lim), 2);
      all.limit.push(...lim);
      all.cold.push(...coldVisible);
      figures[`dispatch_${c.cluster}_kairr_visible_median_ms`] = round(median(k.visible));
      figures[`dispatch_${c.cluster}_kairr_response_median_ms`] = round(median(k.response));
      figures[`dispatch_${c.cluster}_kairr_dynamodb_median_ms`] = round(median(k.dynamo));
      figures[`dispatch_${c.cluster}_direct_median_ms`] = round(median(d));
      figures[`dispatch_${c.cluster}_ratio`] = round(ratio, 2);
      say(
        `   ${c.cluster}: KAIRR to visible median ${round(median(k.visible))} ms (its response ${round(median(k.response))} ms, of which DynamoDB ${round(median(k.dynamo))} ms), direct submit median ${round(median(d))} ms, ratio ${round(ratio, 2)}`,
      );
      say(
        `   ${c.cluster}: exactly-once limit (one transaction + direct submit) median ${round(median(lim))} ms: KAIRR ${figures[`dispatch_${c.cluster}_vs_limit_ratio`]}× it (reusing the dispatch snapshot), ${figures[`dispatch_${c.cluster}_cold_vs_limit_ratio`]}× cold (${round(median(coldVisible))} ms)`,
      );
      all.visible.push(...k.visible);
      all.response.push(...k.response);
      all.dynamo.push(...k.dynamo);
      all.direct.push(...d);
    }
  } finally {
    useDriverFactory(undefined);
    setDdb(plainDynamo);
    for (const [c, id] of cancel)
      await driverOf(c)
        .cancelJob(id)
        .catch(() => undefined);
  }
  figures.dispatch_kairr_visible_median_ms = round(median(all.visible));
  figures.dispatch_kairr_response_median_ms = round(median(all.response));
  figures.dispatch_kairr_dynamodb_median_ms = round(median(all.dynamo));
  figures.dispatch_direct_median_ms = round(median(all.direct));
  figures.dispatch_ratio = round(median(all.visible) / median(all.direct), 2);
  figures.dispatch_response_ratio = round(median(all.response) / median(all.direct), 2);
  figures.dispatch_ratio_target = 1.5;
  figures.dispatch_limit_median_ms = round(median(all.limit));
  figures.dispatch_vs_limit_ratio = round(median(all.visible) / median(all.limit), 2);
  figures.dispatch_cold_visible_median_ms = round(median(all.cold));
  figures.dispatch_cold_vs_limit_ratio = round(median(all.cold) / median(all.limit), 2);
  figures.dispatch_vs_limit_target = 1.3;
  say(`   all: KAIRR ${figures.dispatch_vs_limit_ratio}× the exactly-once limit (${figures.dispatch_cold_vs_limit_ratio}× cold), holds included (target ≤ 1.3)`);
  say(`   all: ratio of medians ${figures.dispatch_ratio} to visible, ${figures.dispatch_response_ratio} to the API's answer (target ≤ 1.5)`);
}

async function stopDynamo(d: DynamoLocal): Promise<void> {
  await d.stop();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

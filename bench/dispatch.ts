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
// Figures are printed as they come; the LAST line is one JSON object with every figure.
//   6. (with 2) the exactly-once limit: a direct submit plus one DynamoDB transaction, measured in
//      the same rounds (target: dispatch ≤ 1.3× it, holds included);
//   7. a burst: N jobs at concurrency C through KAIRR against N direct submits (target ≥ 0.8×).
// Options: --runs N (dispatch rounds per cluster, default 30), --jobs N (default 1000), --replay N
// (default 100000), --provision N (awards per site, default 3), --burst N (default 500),
// --concurrency C (default 32), --only provisioning,dispatch,burst,collection,freshness.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { startDynamoLocal, type DynamoLocal } from '../local/dynamo';
import { loadClusters, slurmCli, waitFor, type LocalCluster } from '../test/slurm/support/clusters';
import { ALICE, BOB, BUS, startHarness, type Harness } from '../test/slurm/support/kairr';
import { SlurmRestDriver } from '../lambdas/connectors/slurm-rest/driver';
import { slurmRestDriverForSite } from '../lambdas/connectors/slurm-rest';
import { useDriverFactory } from '../lambdas/connectors/sites';
import { collectUsage, OVERLAP_MS } from '../lambdas/connectors/usage/collect';
import { advanceWatermark } from '../lambdas/connectors/state';
import { recordProvisioned } from '../lambdas/connectors/allocation-writes';
import { createAllocation } from '../lambdas/ledger/service';
import { getAllocation } from '../lambdas/ledger/store';
import { slurmAccountName } from '../lambdas/domain/scheduler-mapping';
import { newId } from '../lambdas/domain/ids';
import { toMc } from '../lambdas/domain/ledger/money';
import { mintSlurmJwt } from '../lambdas/connectors/slurm-rest/credentials';
import type { SchedulerDriver } from '../lambdas/connectors/driver';
import { ddb, setDdb } from '../lambdas/shared/store/client';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../lambdas/shared/store/keys';
import { mainTable } from '../lambdas/shared/store/client';
import { burst, onceTransaction } from './dispatch-limits';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.LOG_LEVEL ??= 'error';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 30);
const JOBS = arg('jobs', 1000);
const REPLAY = arg('replay', 100_000);
const PROVISION = arg('provision', 3);
const BURST = arg('burst', 500);
const BURST_CONCURRENCY = arg('concurrency', 32);
/** --only provisioning,dispatch,burst,collection,freshness (default: every part). */
const ONLY = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? new Set(process.argv[i + 1].split(',')) : undefined;
})();
const want = (part: string) => !ONLY || ONLY.has(part);
const TRUE_JOB = '#!/bin/bash\ntrue\n';
/** A fixed allocation id, so a later run finds the job array of an earlier one in accounting. */
const COLLECT_ALLOCATION = 'alloc-0benchcollect00000000000';

const figures: Record<string, unknown> = {};
const say = (line: string) => console.log(line);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

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

function driverOf(c: LocalCluster): SlurmRestDriver {
  return new SlurmRestDriver({ siteId: c.siteId, endpoint: c.restUrl, cluster: c.cluster, parentAccount: c.parentAccount }, async () => ({ username: c.adminUser, jwtKey: readFileSync(c.jwtKeyPath).toString('base64') }));
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

// ---- 3. collection on a real cluster ----------------------------------------------------------------

async function realCollection(h: Harness, c: LocalCluster): Promise<Record<string, unknown>[]> {
  say(`\n3. usage collection of ${JOBS} finished jobs on ${c.cluster} (real slurmdbd → collector → ledger)`);
  const resource = c.partitions[0];
  await h.award({ [`${c.siteId}/${resource}`]: 100_000 }, { id: COLLECT_ALLOCATION, members: [BOB] });
  const ready = await h.settled(COLLECT_ALLOCATION);
  if (ready.state !== 'active') throw new Error(`the collection allocation is ${ready.state}: ${ready.stateReason}`);
  const account = slurmAccountName(COLLECT_ALLOCATION, resource);
  const finished = () => slurmCli(c, 'sacct', '-a', '-X', '-n', '-P', `--accounts=${account}`, '--starttime=now-12hours', '--endtime=now', '--state=CD', '--format=jobid,start').split('\n').filter(Boolean);
  let rows = finished();
  if (rows.length >= JOBS) {
    say(`   reusing ${rows.length} finished jobs of an earlier run under ${account}`);
  } else {
    const t0 = performance.now();
    const arrayId = slurmCli(
      c,
      'setpriv',
      '--reuid=alice',
      '--regid=alice',
      '--init-groups',
      'sbatch',
      '--parsable',
      `--account=${account}`,
      `--partition=${resource}`,
      '--time=1',
      '--gres=gpu:1',
      `--array=1-${JOBS - rows.length}`,
      '--chdir=/tmp',
      '--output=/dev/null',
      '--wrap=true',
    )
      .trim()
      .split(';')[0];
    say(`   submitted job array ${arrayId} (${JOBS - rows.length} tasks, 1 GPU each); waiting for them to finish`);
    rows = await waitFor(
      `${JOBS} finished jobs in accounting`,
      async () => finished(),
      (r) => r.length >= JOBS,
      { timeoutMs: 30 * 60_000, intervalMs: 5_000 },
    );
    say(`   ${rows.length} finished in ${round((performance.now() - t0) / 1000)} s (not part of the figure)`);
  }
  const firstStart = Math.min(...rows.map((r) => Date.parse(r.split('|')[1])).filter((t) => !Number.isNaN(t)));
  // the collector's window starts a minute before the first of them (as if the previous run had just missed them)
  await advanceWatermark(c.siteId, new Date(firstStart - 60_000 + OVERLAP_MS), { actor: { sub: 'bench', role: 'system' }, requestId: 'bench' }, {});
  const before = (await getAllocation(COLLECT_ALLOCATION)).allocation.resources[`${c.siteId}/${resource}`];

  const first = await collectUsage(c.siteId);
  const again = await collectUsage(c.siteId);

  const after = (await getAllocation(COLLECT_ALLOCATION)).allocation.resources[`${c.siteId}/${resource}`];
  const mine = (first.summary.accepted ?? 0) + (first.summary.corrected ?? 0);
  figures.collect_real_jobs = first.jobs;
  figures.collect_real_reports = first.reports;
  figures.collect_real_accepted = mine;
  figures.collect_real_seconds = round(first.timings.totalMs / 1000, 2);
  figures.collect_real_list_seconds = round(first.timings.listMs / 1000, 2);
  figures.collect_real_ingest_seconds = round(first.timings.ingestMs / 1000, 2);
  figures.collect_real_records_per_s = round(first.reports / (first.timings.totalMs / 1000));
  figures.collect_real_rerun_seconds = round(again.timings.totalMs / 1000, 2);
  figures.collect_real_rerun_duplicates = again.summary.duplicate ?? 0;
  // `true` runs for about a second on 1 GPU: a fraction of a millicredit each, so charges round to 0;
  // what is measured here is reading, mapping and recording, not pricing
  figures.collect_real_charged_mc = after.usedMc - before.usedMc;
  say(
    `   first run: ${first.reports} reports (${mine} charged, ${first.summary.rejected ?? 0} rejected: other tests' accounts) in ${figures.collect_real_seconds} s = ${figures.collect_real_records_per_s} records/s (slurmdbd ${figures.collect_real_list_seconds} s, ledger ${figures.collect_real_ingest_seconds} s)`,
  );
  say(`   second run: ${again.summary.duplicate ?? 0} duplicates, nothing charged again, ${figures.collect_real_rerun_seconds} s`);

  // record slurmdbd's own answer for these jobs, for the replay
  const version = (await driverOf(c).apiVersion()).version;
  const res = await fetch(`${c.restUrl}/slurmdb/${version}/jobs?cluster=${c.cluster}&account=${account}&start_time=now-${Math.ceil((Date.now() - firstStart) / 1000) + 60}seconds&end_time=now`, {
    headers: { 'X-SLURM-USER-NAME': c.adminUser, 'X-SLURM-USER-TOKEN': mintSlurmJwt(readFileSync(c.jwtKeyPath), c.adminUser) },
  });
  const body = (await res.json()) as { jobs: Record<string, unknown>[] };
  figures.replay_recorded_jobs = body.jobs.length;
  figures.replay_recorded_bytes_per_job = Math.round(JSON.stringify(body.jobs).length / Math.max(1, body.jobs.length));
  figures.replay_recorded_api = version;
  say(`   recorded slurmdbd's ${version} answer: ${body.jobs.length} jobs, ${figures.replay_recorded_bytes_per_job} bytes of JSON per job`);
  return body.jobs;
}

// ---- 4. collection from a replay of recorded slurmdbd answers ---------------------------------------

async function replayCollection(recorded: Record<string, unknown>[]): Promise<void> {
  const ALLOCATIONS = 20;
  const SPREAD_MS = 20 * 3600_000;
  say(`\n4. usage collection of ${REPLAY} records replayed from recorded slurmdbd answers (${ALLOCATIONS} allocations, ${SPREAD_MS / 3600_000} h of jobs)`);
  const templates = recorded.filter((j) => (j.time as { start?: number })?.start);
  if (!templates.length) throw new Error('no recorded jobs to replay');
  // Every replayed job has ended an hour before the collection runs: a job whose recorded end lies
  // after the run's start is (rightly) left to the next run and would not count here.
  const now = Date.now() - 3600_000;
  const base = now - SPREAD_MS;
  const step = SPREAD_MS / REPLAY;
  const accounts = Array.from({ length: ALLOCATIONS }, (_, i) => ({ id: `alloc-0benchreplay${String(i).padStart(11, '0')}`, account: '' }));
  accounts.forEach((a) => (a.account = slurmAccountName(a.id, 'gh200')));
  const jobAt = (i: number) => {
    const t = templates[i % templates.length] as Record<string, any>;
    const elapsed = Math.max(1, Number(t.time.elapsed ?? 1));
    const start = Math.floor((base + i * step) / 1000);
    return { ...t, job_id: 5_000_000 + i, account: accounts[i % ALLOCATIONS].account, name: `replay-${i}`, time: { ...t.time, submission: start - 1, eligible: start - 1, start, end: start + elapsed, elapsed } };
  };
  const version = String(figures.replay_recorded_api ?? 'v0.0.42');
  let served = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://replay');
    const send = (obj: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (url.pathname === `/slurm/${version}/ping`) return send({ pings: [{ hostname: 'replay', pinged: 'UP', responding: true }], meta: { slurm: { release: 'replay' } }, errors: [], warnings: [] });
    if (url.pathname.endsWith('/ping')) {
      res.writeHead(404);
      return res.end();
    }
    if (url.pathname === `/slurmdb/${version}/jobs`) {
      const rel = (v: string | null) => (!v || v === 'now' ? Date.now() : Date.now() + Number(/^now([+-]\d+)seconds$/.exec(v)![1]) * 1000);
      const from = rel(url.searchParams.get('start_time'));
      const to = rel(url.searchParams.get('end_time'));
      // jobs that ran at any time in [from, to]
      const jobs: unknown[] = [];
      for (let i = 0; i < REPLAY; i++) {
        const start = base + i * step;
        if (start > to) break;
        const j = jobAt(i);
        if (j.time.end * 1000 >= from) jobs.push(j);
      }
      served += jobs.length;
      return send({ jobs, meta: {}, errors: [], warnings: [] });
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const replayUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const h = await startHarness({ patchConfig: (c) => ({ ...c, sites: c.sites.map((s) => (s.id === 'kisti6' ? { ...s, scheduler: { ...s.scheduler, endpoint: replayUrl } } : s)) }) });
  try {
    useDriverFactory((site) => slurmRestDriverForSite(site, async () => ({ username: 'slurm', token: 'replay' })));
    h.events.bus.setRuleState('kairr-provisioning-events', 'DISABLED', BUS); // the replay accounts exist only in the replay
    for (const a of accounts) {
      await createAllocation(
        {
          id: a.id,
          title: 'replay',
          piSub: ALICE.sub,
          institution: 'KISTI',
          orgType: 'research-institute',
          field: 'cs',
          proposalId: null,
          callId: null,
          tier: null,
          startDate: '2026-01-01',
          endDate: '2099-12-31',
          members: [],
          awardsMc: { 'kisti6/gh200': toMc(10_000_000) },
        },
        { actor: { sub: 'bench', role: 'admin' }, requestId: 'bench' },
      );
      await recordProvisioned(a.id, [{ resourceKey: 'kisti6/gh200', siteId: 'kisti6', account: a.account }], { actor: { sub: 'bench', role: 'system' }, requestId: 'bench' });
    }
    await advanceWatermark('kisti6', new Date(base - 60_000 + OVERLAP_MS), { actor: { sub: 'bench', role: 'system' }, requestId: 'bench' }, {});
    const heapBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const run = await collectUsage('kisti6');
    const seconds = (performance.now() - t0) / 1000;
    const charged = (run.summary.accepted ?? 0) + (run.summary.corrected ?? 0);
    figures.collect_replay_records = run.reports;
    figures.collect_replay_charged = charged;
    figures.collect_replay_slices = run.slices;
    figures.collect_replay_seconds = round(seconds, 1);
    figures.collect_replay_list_seconds = round(run.timings.listMs / 1000, 1);
    figures.collect_replay_ingest_seconds = round(run.timings.ingestMs / 1000, 1);
    figures.collect_replay_records_per_s = round(run.reports / seconds);
    figures.collect_replay_rss_mb = Math.round(Math.max(process.memoryUsage().rss, heapBefore) / 1e6);
    figures.collect_replay_served = served;
    say(
      `   ${run.reports} records (${charged} charged) in ${run.slices} slices, ${figures.collect_replay_seconds} s = ${figures.collect_replay_records_per_s} records/s (replayed slurmdbd answers ${figures.collect_replay_list_seconds} s, ledger ${figures.collect_replay_ingest_seconds} s)`,
    );
    if (charged !== REPLAY) say(`   NOTE: ${REPLAY - charged} records were not charged: ${JSON.stringify(run.summary)} ${JSON.stringify(run.rejections.slice(0, 3))}`);
  } finally {
    useDriverFactory(undefined);
    await h.stop();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

// ---- 5. freshness ------------------------------------------------------------------------------------

async function freshness(h: Harness, c: LocalCluster): Promise<void> {
  const interval = h.config.policy.usageCollectionIntervalMinutes * 60;
  say(`\n5. usage freshness with the default collection interval (${interval / 60} min) on ${c.cluster}: a job's end → its charge in the ledger`);
  const a = await h.award({ [`${c.siteId}/${c.partitions[0]}`]: 100 }, { members: [BOB] });
  await h.settled(a.id);
  const lags: number[] = [];
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await h.api('POST', `/v1/allocations/${a.id}/jobs`, BOB, { body: { site: c.siteId, resource: c.partitions[0], script: '#!/bin/bash\nsleep 3\n', gpus: 2, timeLimit: 1 } });
    const id = res.body.schedulerJobId as string;
    const driver = driverOf(c);
    const ended = await waitFor(
      'the job to end',
      () => driver.jobStatus(id),
      (s) => s.phase === 'finished' && !!s.end,
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    const endAt = Date.parse(ended.end!);
    // slurmdbd's lag: until the collector's query sees the job's end (second resolution in Slurm)
    await waitFor(
      'the end in accounting',
      async () => (await driver.listJobs({ since: new Date(endAt - 60_000) })).find((r) => r.jobId === id),
      (r) => !!r?.end,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    lags.push(Math.max(0, Date.now() - endAt - 1000) / 1000);
    const t0 = performance.now();
    const run = await collectUsage(c.siteId);
    runs.push((performance.now() - t0) / 1000);
    const usage = await ddb().send(new GetCommand({ TableName: mainTable(), Key: keys.jobUsage(c.siteId, c.cluster, id) }));
    const charged = usage.Item ? `${usage.Item.balanceMc} mc for ${usage.Item.gpus} GPUs × ${usage.Item.elapsedSeconds} s` : 'no';
    say(`   job ${id}: slurmdbd had its end ${round(lags.at(-1)!, 2)} s after it, one collection run took ${round(runs.at(-1)!, 2)} s (${run.reports} reports), charged: ${charged}`);
  }
  const lag = median(lags);
  const run = median(runs);
  figures.freshness_interval_s = interval;
  figures.freshness_dbd_lag_s = round(lag, 2);
  figures.freshness_collection_s = round(run, 2);
  figures.freshness_worst_s = round(interval + lag + run, 1);
  figures.freshness_mean_s = round(interval / 2 + lag + run, 1);
  figures.freshness_target_s = 300;
  say(`   worst case interval + lag + run = ${figures.freshness_worst_s} s, mean ${figures.freshness_mean_s} s (target ≤ 300 s)`);
}

async function stopDynamo(d: DynamoLocal): Promise<void> {
  await d.stop();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

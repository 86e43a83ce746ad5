// bench:dispatch, parts 3 to 5: usage collection on a real cluster, the same collector and ledger
// over a replay of slurmdbd's recorded answer, and usage freshness (see bench/dispatch.ts).
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { slurmCli, waitFor, type LocalCluster } from '../test/slurm/support/clusters';
import { ALICE, BOB, BUS, startHarness, type Harness } from '../test/slurm/support/kairr';
import { slurmRestDriverForSite } from '../lambdas/connectors/slurm-rest';
import { useDriverFactory } from '../lambdas/connectors/sites';
import { collectUsage, OVERLAP_MS } from '../lambdas/connectors/usage/collect';
import { advanceWatermark } from '../lambdas/connectors/state';
import { recordProvisioned } from '../lambdas/connectors/allocation-writes';
import { createAllocation } from '../lambdas/ledger/service';
import { getAllocation } from '../lambdas/ledger/store';
import { slurmAccountName } from '../lambdas/domain/scheduler-mapping';
import { toMc } from '../lambdas/domain/ledger/money';
import { mintSlurmJwt } from '../lambdas/connectors/slurm-rest/credentials';
import { ddb } from '../lambdas/shared/store/client';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../lambdas/shared/store/keys';
import { mainTable } from '../lambdas/shared/store/client';
import { COLLECT_ALLOCATION, JOBS, REPLAY, driverOf, figures, median, round, say } from './dispatch-support';

// ---- 3. collection on a real cluster ----------------------------------------------------------------

export async function realCollection(h: Harness, c: LocalCluster): Promise<Record<string, unknown>[]> {
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

export async function replayCollection(recorded: Record<string, unknown>[]): Promise<void> {
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

export async function freshness(h: Harness, c: LocalCluster): Promise<void> {
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

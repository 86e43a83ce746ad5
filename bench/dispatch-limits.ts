// Parts of bench:dispatch that measure KAIRR against what exactly-once dispatch must cost at least:
//  - onceTransaction: the ONE DynamoDB transaction any dispatch that records before it submits pays
//    (a record and its audit event, both conditional puts), on the same DynamoDB Local;
//  - burst: N jobs through the jobs handler at concurrency C against N direct slurmrestd submits at
//    the same concurrency, on the same cluster; throughput of each, and the ratio. Beside them, the
//    burst's exactly-once limit: the same N jobs, each ONE transaction and then a direct submit, at
//    the same concurrency on the same DynamoDB Local (which serialises its writes: on this machine
//    it, not slurmrestd, bounds any burst that records before it submits).
import { performance } from 'node:perf_hooks';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { auditTable, mainTable } from '../lambdas/shared/store/client';
import { newId } from '../lambdas/domain/ids';
import { slurmAccountName } from '../lambdas/domain/scheduler-mapping';
import type { SlurmRestDriver } from '../lambdas/connectors/slurm-rest/driver';
import type { LocalCluster } from '../test/slurm/support/clusters';
import { BOB, type Harness } from '../test/slurm/support/kairr';
import { round, TRUE_JOB } from './dispatch-support';

/** A record and its audit event in one transaction, as small as an exactly-once dispatch record can be. */
export async function onceTransaction(doc: DynamoDBDocumentClient): Promise<void> {
  const id = newId('limit');
  const now = new Date().toISOString();
  await doc.send(
    new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: mainTable(), Item: { pk: `LIMIT#${id}`, sk: 'JOB', state: 'submitting', createdAt: now, auditSeq: 1 }, ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Put: {
            TableName: auditTable(),
            Item: { pk: `limit/${id}`, sk: 1, action: 'job.dispatch', time: now, tpk: `DAY#${now.slice(0, 10)}`, tsk: `${now}#limit/${id}#1`, apk: 'ACTOR#bench' },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    }),
  );
}

async function pool<T>(n: number, concurrency: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await one(i);
    }),
  );
  return out;
}

export async function burst(
  h: Harness,
  clusters: LocalCluster[],
  o: { jobs: number; concurrency: number; driverOf: (c: LocalCluster) => SlurmRestDriver; say: (l: string) => void; doc: DynamoDBDocumentClient },
): Promise<Record<string, number>> {
  const c = clusters.find((x) => x.cluster === 'kisti6')!;
  const resource = c.partitions[0];
  o.say(`\n7. burst: ${o.jobs} jobs at concurrency ${o.concurrency} on ${c.cluster}, through KAIRR and directly`);
  // enough credits for every job's hold (1 GPU × 1 minute each)
  const a = await h.award({ [`${c.siteId}/${resource}`]: o.jobs }, { members: [BOB] });
  const ready = await h.settled(a.id);
  if (ready.state !== 'active') throw new Error(`the burst allocation is ${ready.state}: ${ready.stateReason}`);
  const account = slurmAccountName(a.id, resource);
  const driver = o.driverOf(c);
  const api = await (driver as unknown as { api(): Promise<{ submit(d: unknown, user: string): Promise<string> }> }).api();
  const submitted: string[] = [];
  const figures: Record<string, number> = {};
  try {
    // a few of each first: version detection, tokens, connections
    for (let i = 0; i < 3; i++) {
      submitted.push(
        await api.submit(
          { script: TRUE_JOB, name: `kairr.${newId('bw')}`, account, partition: resource, timeLimitMinutes: 1, nodes: 1, tasks: 1, cpusPerTask: 1, gpusPerNode: 1, workingDirectory: '/tmp', standardOutput: '/dev/null', environment: {} },
          'bob',
        ),
      );
      const r = await h.api('POST', `/v1/allocations/${a.id}/jobs`, BOB, { body: { site: c.siteId, resource, script: TRUE_JOB, gpus: 1, timeLimit: 1 } });
      if (r.status === 201) submitted.push(r.body.schedulerJobId);
    }
    const t0 = performance.now();
    const direct = await pool(o.jobs, o.concurrency, () =>
      api.submit(
        { script: TRUE_JOB, name: `kairr.${newId('burst')}`, account, partition: resource, timeLimitMinutes: 1, nodes: 1, tasks: 1, cpusPerTask: 1, gpusPerNode: 1, workingDirectory: '/tmp', standardOutput: '/dev/null', environment: {} },
        'bob',
      ),
    );
    const directS = (performance.now() - t0) / 1000;
    submitted.push(...direct);
    const tl = performance.now();
    const limited = await pool(o.jobs, o.concurrency, async () => {
      await onceTransaction(o.doc);
      return api.submit(
        { script: TRUE_JOB, name: `kairr.${newId('burstlim')}`, account, partition: resource, timeLimitMinutes: 1, nodes: 1, tasks: 1, cpusPerTask: 1, gpusPerNode: 1, workingDirectory: '/tmp', standardOutput: '/dev/null', environment: {} },
        'bob',
      );
    });
    const limitS = (performance.now() - tl) / 1000;
    submitted.push(...limited);
    const t1 = performance.now();
    const viaKairr = await pool(o.jobs, o.concurrency, () => h.api('POST', `/v1/allocations/${a.id}/jobs`, BOB, { body: { site: c.siteId, resource, script: TRUE_JOB, gpus: 1, timeLimit: 1 } }));
    const kairrS = (performance.now() - t1) / 1000;
    const ok = viaKairr.filter((r) => r.status === 201);
    submitted.push(...ok.map((r) => r.body.schedulerJobId as string));
    const statuses: Record<string, number> = {};
    for (const r of viaKairr) statuses[`${r.status}${r.status === 201 ? '' : ` ${r.body?.error?.code}`}`] = (statuses[`${r.status}${r.status === 201 ? '' : ` ${r.body?.error?.code}`}`] ?? 0) + 1;
    figures.burst_jobs = o.jobs;
    figures.burst_concurrency = o.concurrency;
    figures.burst_direct_seconds = round(directS, 2);
    figures.burst_direct_jobs_per_s = round(o.jobs / directS);
    figures.burst_kairr_seconds = round(kairrS, 2);
    figures.burst_kairr_accepted = ok.length;
    figures.burst_kairr_jobs_per_s = round(ok.length / kairrS);
    figures.burst_ratio = round(ok.length / kairrS / (o.jobs / directS), 2);
    figures.burst_ratio_target = 0.8;
    figures.burst_limit_seconds = round(limitS, 2);
    figures.burst_limit_jobs_per_s = round(o.jobs / limitS);
    figures.burst_limit_vs_direct_ratio = round(o.jobs / limitS / (o.jobs / directS), 2);
    figures.burst_vs_limit_ratio = round(ok.length / kairrS / (o.jobs / limitS), 2);
    o.say(`   direct: ${o.jobs} submits in ${figures.burst_direct_seconds} s = ${figures.burst_direct_jobs_per_s} jobs/s`);
    o.say(`   exactly-once limit (one transaction, then the submit): ${o.jobs} in ${figures.burst_limit_seconds} s = ${figures.burst_limit_jobs_per_s} jobs/s, ${figures.burst_limit_vs_direct_ratio}× direct`);
    o.say(
      `   KAIRR:  ${ok.length} of ${o.jobs} accepted in ${figures.burst_kairr_seconds} s = ${figures.burst_kairr_jobs_per_s} jobs/s (${JSON.stringify(statuses)}); ratio ${figures.burst_ratio} to direct (target ≥ 0.8), ${figures.burst_vs_limit_ratio} to the exactly-once limit`,
    );
  } finally {
    // scancel in one call per 100 ids: the jobs only had to be accepted
    for (let i = 0; i < submitted.length; i += 100) {
      await Promise.all(submitted.slice(i, i + 100).map((id) => driver.cancelJob(id).catch(() => undefined)));
    }
  }
  return figures;
}

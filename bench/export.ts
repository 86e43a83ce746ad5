// Audit export benchmark, end to end through the real export code path:
//
//   tsx bench/export.ts [--events 200000] [--streams 2000] [--format-events 1000000] [--skip-format]
//
// 1. Starts DynamoDB Local (the real jar, in memory) and fauxqs (the S3-compatible server the local
//    runtime uses, in its own process), creates the tables from the table design, and seeds
//    `--events` chained audit events in `--streams` streams over three UTC days, as the write path
//    stores them (auditItem), with BatchWriteItem.
// 2. Exports them as CSV, then as JSONL, with the export worker's own function (runExportJob: the
//    export record, discovery over the byTime index, chain heads, per-stream reads, the writer, the
//    multipart S3 sink into fauxqs, the manifest, the outcome on the record). The sink is fauxqs,
//    over HTTP, with multipart uploads: not a local file.
//    Reported per format: records/s by wall clock; records per CPU-second of this process (the
//    export code: SDK parsing, formatting, hashing, uploading); records per CPU-second of all three
//    processes (this one + DynamoDB Local + fauxqs, read from /proc); peak RSS of this process.
//    Each export is then read back from fauxqs through the verifier (not timed).
// 3. Runs bench/export-format.ts (the formatting stage alone, from an in-process source, default
//    1,000,000 events) in a child process and folds its figures in as format_*. The export worker
//    writes with checkHashes: false (format_*_trusted); the writer's default re-check is beside it.
// The machine may be shared: the load average is printed at each step. The last line is one JSON
// object with every figure named. This prints figures; it is not a timed test.
// bench/cli.ts imports its fauxqs process, its seeding and its window (main runs only when this
// file is the one run).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startDynamoLocal } from '../local/dynamo';
import { createInputOf } from '../test/support/dynamo';
import { AUDIT_TABLE, MAIN_TABLE, tableEnvName } from '../lambdas/shared/store/table-design';
import { setDdb } from '../lambdas/shared/store/client';
import { auditItem } from '../lambdas/shared/store/write-path';
import { nextEvent, verifyExport, type AuditEvent, type ChainHead, type ExportSource } from '../lambdas/domain/audit';
import { setClients } from '../lambdas/audit/clients';
import { createExport, newExportId, type ExportRecord } from '../lambdas/audit/exports';
import { runExportJob } from '../lambdas/audit/export-worker';

const args = process.argv.slice(2);
const num = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const EVENTS = num('events', 200_000);
const STREAMS = num('streams', 2_000);
const FORMAT_EVENTS = num('format-events', 1_000_000);
const SKIP_FORMAT = args.includes('--skip-format');
export const REGION = 'ap-northeast-2';
export const BUCKET = 'kairr-bench-exports';
const TARGET_RATE = 50_000;
const TARGET_RSS_MB = 256;
const ROOT = join(__dirname, '..');

// A full collection before each export, so its peak RSS starts from live memory, not from the
// garbage the seeding or the previous export left behind.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const mb = (b: number) => Math.round((b / (1024 * 1024)) * 10) / 10;
const load = () => Math.round(loadavg()[0] * 10) / 10;
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// ---- other processes' CPU time (/proc/<pid>/stat: utime + stime, all threads) ----
const TICKS = 100; // USER_HZ on Linux
export function procCpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime (fields 14 and 15 of the line)
  } catch {
    return NaN;
  }
}

// ---- fauxqs in its own process, as the local runtime runs it (local/fauxqs-server.mjs) ----
export async function startFauxqsProcess(): Promise<{ endpoint: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(ROOT, 'local', 'fauxqs-server.mjs'), JSON.stringify({ port: 0, region: REGION, buckets: [BUCKET], topics: [], queues: [] })], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`fauxqs exited (${code}): ${out}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// ---- deterministic chained events over three UTC days ----
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const HEX = '0123456789abcdef';
const B32 = '0123456789abcdefghjkmnpqrstvwxyz';
const chars = (r: () => number, a: string, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += a[Math.floor(r() * a.length)];
  return s;
};
const DAY0 = Date.UTC(2026, 10, 24);
const SPAN_MS = 3 * 86_400_000;
export const WINDOW = { from: new Date(DAY0).toISOString(), to: new Date(DAY0 + SPAN_MS).toISOString() };
const TYPES = ['allocation', 'proposal', 'call', 'job', 'dataset'];
const ACTIONS = ['ledger.usage', 'ledger.usage', 'proposal.submit', 'review.submit', 'allocation.activate', 'job.dispatch'];
const ROLES = ['researcher', 'reviewer', 'chair', 'admin', 'system'];

/** Stream by stream, each stream's events spread in time order over the three days. */
function* events(total: number, streams: number): Generator<AuditEvent> {
  const r = rng(20261127);
  for (let s = 0; s < streams; s++) {
    const type = TYPES[s % TYPES.length];
    const id = `${type.slice(0, 4)}-01j${chars(r, B32, 23)}`;
    const count = Math.floor(total / streams) + (s < total % streams ? 1 : 0);
    let head: ChainHead | null = null;
    for (let i = 0; i < count; i++) {
      const time = new Date(DAY0 + Math.floor(((i + r() * 0.9) / count) * (SPAN_MS - 1000))).toISOString();
      const e: AuditEvent = nextEvent(head, {
        stream: `${type}/${id}`,
        eventId: `ev-01j${chars(r, B32, 23)}`,
        time,
        actor: { sub: `${chars(r, HEX, 8)}-${chars(r, HEX, 4)}-4${chars(r, HEX, 3)}-a${chars(r, HEX, 3)}-${chars(r, HEX, 12)}`, role: ROLES[Math.floor(r() * ROLES.length)] },
        action: ACTIONS[Math.floor(r() * ACTIONS.length)],
        subject: { type, id },
        requestId: `req-${chars(r, HEX, 24)}`,
        reason: r() < 0.3 ? 'Usage charged at the rate in force when the job started, "as reported"' : null,
        before: i === 0 ? null : chars(r, HEX, 64),
        after: chars(r, HEX, 64),
        details: r() < 0.8 ? { credits: Math.round(r() * 100_000) / 100, resource: 'spc/h200', gpus: 8, jobId: `job-${Math.floor(r() * 1e7)}` } : null,
      });
      head = e;
      yield e;
    }
  }
}

export async function seed(doc: DynamoDBDocumentClient, table: string, total = EVENTS, streams = STREAMS): Promise<{ seconds: number }> {
  const t0 = Date.now();
  const CONCURRENCY = 8;
  let batch: Record<string, unknown>[] = [];
  const inFlight = new Set<Promise<void>>();
  let written = 0;
  const send = async (items: Record<string, unknown>[]) => {
    let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = { [table]: items.map((Item) => ({ PutRequest: { Item } })) };
    for (let attempt = 0; request?.[table]?.length; attempt++) {
      const out = await doc.send(new BatchWriteCommand({ RequestItems: request }));
      request = out.UnprocessedItems as typeof request;
      if (request?.[table]?.length) await new Promise((res) => setTimeout(res, Math.min(1000, 20 * 2 ** attempt)));
    }
    written += items.length;
    if (written % 20_000 < 25) console.log(`  seeded ${fmt(written)} events (${fmt(written / ((Date.now() - t0) / 1000))}/s), load ${load()}`);
  };
  for (const e of events(total, streams)) {
    batch.push(auditItem(e));
    if (batch.length === 25) {
      const p = send(batch).finally(() => inFlight.delete(p));
      inFlight.add(p);
      batch = [];
      if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
    }
  }
  if (batch.length) await send(batch);
  await Promise.all(inFlight);
  return { seconds: (Date.now() - t0) / 1000 };
}

/** The export folder in fauxqs, as the verifier reads it (streamed, not held whole). */
function s3Source(s3: S3Client, prefix: string): ExportSource {
  return {
    async list() {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
      return (out.Contents ?? []).map((o) => o.Key!.slice(prefix.length));
    },
    async *read(name) {
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: prefix + name }));
      for await (const chunk of got.Body as AsyncIterable<Uint8Array>) yield chunk;
    },
  };
}

async function main() {
  const result: Record<string, number | string | boolean> = { events: EVENTS, streams: STREAMS, node: process.version, cpus: cpus().length, sink: 'fauxqs (S3 API over HTTP, multipart uploads)', source: 'DynamoDB Local (in memory)' };
  result.load_average_start = load();
  console.log(`audit export benchmark: ${fmt(EVENTS)} events in ${fmt(STREAMS)} streams over 3 days; node ${process.version}, ${cpus().length} CPUs, load ${load()}`);

  const dynamo = await startDynamoLocal();
  const fauxqs = await startFauxqsProcess();
  let peakRss = 0;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()));
  const sampler = setInterval(sample, 25);
  try {
    // The worker logs each phase's duration at info level; the rest of its logging is left out here.
    Object.assign(process.env, { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_S3: fauxqs.endpoint, EXPORT_BUCKET: BUCKET, LOG_LEVEL: 'info' });
    const phases: Record<string, number> = {};
    const log = console.log;
    console.log = (line?: unknown, ...rest: unknown[]) => {
      if (typeof line === 'string' && line.startsWith('{"level"')) {
        const o = JSON.parse(line) as { message: string; phase?: string; ms?: number };
        if (o.message === 'export phase' && o.phase) phases[o.phase] = o.ms!;
        return;
      }
      log(line, ...rest);
    };
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 8 });
    const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    for (const t of [MAIN_TABLE, AUDIT_TABLE]) {
      const name = `bench-${t.logicalName}`;
      await client.send(new CreateTableCommand(createInputOf(t, name)));
      process.env[tableEnvName(t)] = name;
    }
    setDdb(doc);
    const s3 = new S3Client({
      endpoint: fauxqs.endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    setClients({ s3 });

    const seeded = await seed(doc, 'bench-audit');
    result.seed_events_per_s = Math.round(EVENTS / seeded.seconds);
    console.log(`seeded ${fmt(EVENTS)} events in ${seeded.seconds.toFixed(1)} s (${fmt(EVENTS / seeded.seconds)}/s, excluded below), load ${load()}`);

    for (const format of ['csv', 'jsonl'] as const) {
      const exportId = newExportId();
      const rec: ExportRecord = {
        exportId,
        state: 'queued',
        format,
        from: WINDOW.from,
        to: WINDOW.to,
        filters: null,
        requestedBy: 'bench',
        requestedAt: new Date().toISOString(),
        attempts: 0,
        bucket: BUCKET,
        prefix: `exports/${exportId}/`,
      };
      await createExport(rec, { actor: { sub: 'bench', role: 'auditor' }, requestId: 'bench' });
      gc();
      peakRss = process.memoryUsage.rss();
      const rssBefore = peakRss;
      const loadBefore = load();
      const cpu0 = process.cpuUsage();
      const ddb0 = procCpuSeconds(dynamo.process.pid);
      const fq0 = procCpuSeconds(fauxqs.child.pid);
      const t0 = process.hrtime.bigint();
      const done = await runExportJob(exportId, { requestId: `bench-${format}` });
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const c = process.cpuUsage(cpu0);
      const own = (c.user + c.system) / 1e6;
      const ddbCpu = procCpuSeconds(dynamo.process.pid) - ddb0;
      const fqCpu = procCpuSeconds(fauxqs.child.pid) - fq0;
      sample();
      if (done.state !== 'succeeded' || done.totalRecords !== EVENTS) throw new Error(`the ${format} export ended ${done.state} with ${done.totalRecords} records: ${JSON.stringify(done.error)}`);
      const p = `export_${format}`;
      result[`${p}_records_per_s`] = Math.round(EVENTS / wall);
      result[`${p}_records_per_cpu_s`] = Math.round(EVENTS / own);
      result[`${p}_records_per_total_cpu_s`] = Math.round(EVENTS / (own + ddbCpu + fqCpu));
      result[`${p}_wall_s`] = round(wall, 2);
      result[`${p}_cpu_s`] = round(own, 2);
      result[`${p}_dynamodb_local_cpu_s`] = round(ddbCpu, 2);
      result[`${p}_fauxqs_cpu_s`] = round(fqCpu, 2);
      result[`${p}_peak_rss_mb`] = mb(peakRss);
      result[`${p}_rss_before_mb`] = mb(rssBefore);
      result[`${p}_bytes`] = done.totalBytes!;
      result[`${p}_files`] = done.files!.length;
      result[`${p}_load_average`] = round((loadBefore + load()) / 2, 1);
      for (const [phase, ms] of Object.entries(phases)) result[`${p}_${phase}_s`] = round(ms / 1000, 2);
      console.log(
        `${format}: ${fmt(EVENTS)} records, ${mb(done.totalBytes!)} MB in ${done.files!.length} file(s), in ${wall.toFixed(1)} s = ${fmt(EVENTS / wall)} records/s; ` +
          `${fmt(EVENTS / own)} per CPU-second of the export process (${own.toFixed(1)} s), ${fmt(EVENTS / (own + ddbCpu + fqCpu))} per CPU-second with DynamoDB Local (${ddbCpu.toFixed(1)} s) and fauxqs (${fqCpu.toFixed(1)} s); ` +
          `peak RSS ${mb(peakRss)} MB (${mb(rssBefore)} MB before it started); load ${loadBefore} → ${load()}; phases: ${Object.entries(phases)
            .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
            .join(', ')}`,
      );
      const t1 = Date.now();
      const report = await verifyExport(s3Source(s3, rec.prefix));
      result[`${p}_verified`] = report.ok && report.records === EVENTS;
      console.log(`  read back from fauxqs through the verifier: ${report.ok ? 'verified' : 'FAILED'} ${fmt(report.records)} records in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    }
    s3.destroy();
    client.destroy();
  } finally {
    clearInterval(sampler);
    await fauxqs.stop();
    await dynamo.stop();
  }

  if (!SKIP_FORMAT) {
    console.log(`\nformatting stage alone (bench/export-format.ts, ${fmt(FORMAT_EVENTS)} events from an in-process source), load ${load()}:`);
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bench', 'export-format.ts'), '--events', String(FORMAT_EVENTS), '--no-verify'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      process.stdout.write(String(d).replace(/^(?=.)/gm, '  | '));
    });
    const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
    if (code !== 0) throw new Error(`bench/export-format.ts exited with ${code}`);
    const last = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number | string | boolean>;
    for (const [k, v] of Object.entries(last)) if (!['node'].includes(k)) result[`format_${k}`] = v;
  }

  result.load_average_end = load();
  result.target_records_per_s = TARGET_RATE;
  result.target_peak_rss_mb = TARGET_RSS_MB;
  const rss = Object.keys(result)
    .filter((k) => k.endsWith('_peak_rss_mb') && !k.includes('baseline') && !k.includes('target'))
    .map((k) => result[k] as number);
  result.peak_rss_within_target = rss.every((v) => v <= TARGET_RSS_MB);
  if (!SKIP_FORMAT) {
    // The export worker's mode is *_trusted (checkHashes: false); the writer's default re-check is reported beside it.
    const meets = (suffix: string, rate: string) => (result[`format_csv${suffix}_${rate}`] as number) >= TARGET_RATE && (result[`format_jsonl${suffix}_${rate}`] as number) >= TARGET_RATE;
    result.formatting_meets_target_wall = meets('_trusted', 'records_per_s');
    result.formatting_meets_target_per_cpu_s = meets('_trusted', 'records_per_cpu_s');
    result.formatting_with_hash_recheck_meets_target_wall = meets('', 'records_per_s');
    result.formatting_with_hash_recheck_meets_target_per_cpu_s = meets('', 'records_per_cpu_s');
  }
  console.log(JSON.stringify(result));
}

if (require.main === module)
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });

// Formatting stage of the audit export: events -> CSV / JSONL data files + manifest, on local disk.
//
//   tsx bench/export-format.ts [--events 1000000] [--streams 4000] [--no-verify] [--no-trusted] [--keep]
//
// --no-verify skips reading each export back through the verifier (reported as verify_*).
// --no-trusted skips the csv_trusted / jsonl_trusted runs (the writer with checkHashes: false).
//
// A deterministic in-process source makes chained events with realistic field sizes (stream ids,
// ULID-like event ids, UUID subs and request ids, digests, a reason on some, small details on most),
// a few thousand streams in export order, in batches of 5,000. Only the time spent inside the writer
// on each batch (write + finish, which includes the file writes it waits for) counts as formatting;
// making the events does not. Both wall-clock and CPU time (user + system, all threads) are
// reported: on a shared machine the wall-clock rate drops with the load, the CPU rate much less.
// The baseline writes the same events as JSON.stringify lines through the same kind of chunked,
// backpressured file stream, without validation, canonical form or hashing.
// Peak RSS is sampled every 25 ms and every 5,000 records. The last line printed is one JSON object.
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextEvent, type AuditEvent, type ChainHead } from '../lambdas/domain/audit/event';
import { createExportWriter } from '../lambdas/domain/audit/export-writer';
import { dirSinks, dirSource } from '../lambdas/audit/fs-source';
import { verifyExport } from '../lambdas/domain/audit/verify';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const TOTAL = arg('events', 1_000_000);
const STREAMS = arg('streams', 4_000);
const VERIFY = !args.includes('--no-verify');
const KEEP = args.includes('--keep');
const TRUSTED = !args.includes('--no-trusted');
const TARGET_RATE = 50_000;
const TARGET_RSS_MB = 256;

// ---- deterministic source ----

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

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const HEX = '0123456789abcdef';
function chars(rand: () => number, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}
const uuid = (rand: () => number) => `${chars(rand, HEX, 8)}-${chars(rand, HEX, 4)}-4${chars(rand, HEX, 3)}-a${chars(rand, HEX, 3)}-${chars(rand, HEX, 12)}`;

const SUBJECTS = ['allocation', 'proposal', 'call', 'job', 'dataset', 'model'];
const ROLES = ['researcher', 'reviewer', 'chair', 'site-operator', 'admin', 'system'];
const ACTIONS = ['ledger.usage', 'ledger.usage', 'ledger.usage', 'proposal.submit', 'review.submit', 'decision.approve', 'allocation.activate', 'job.dispatch', 'job.complete'];
const REASONS = [
  'Approved by the committee, within the call capacity',
  'Usage charged at the rate in force when the job started',
  'Supplement: "extra fine-tuning runs", auto-approved (small)',
  'Revision requested: justify the GPU-hours, per reviewer comments',
  '=not a formula, just a note from the chair',
];

interface StreamPlan {
  id: string;
  type: string;
  count: number;
}

function planStreams(total: number, streams: number, rand: () => number): StreamPlan[] {
  const plans: StreamPlan[] = [];
  const weights = Array.from({ length: streams }, () => 0.2 + rand() * rand() * 4);
  const sum = weights.reduce((a, b) => a + b, 0);
  let assigned = 0;
  for (let i = 0; i < streams; i++) {
    const type = SUBJECTS[Math.floor(rand() * SUBJECTS.length)];
    const count = i === streams - 1 ? total - assigned : Math.max(1, Math.min(total - assigned - (streams - 1 - i), Math.round((weights[i] / sum) * total)));
    assigned += count;
    plans.push({ id: `${type}/${type[0]}-01J${chars(rand, CROCKFORD, 23)}`, type, count });
  }
  plans.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return plans;
}

const BATCH = 5_000;

/** The source in batches, so the timing of the formatting stage can leave event-making out. */
function* batches(total: number, streams: number): Generator<AuditEvent[]> {
  let batch: AuditEvent[] = [];
  for (const e of source(total, streams)) {
    batch.push(e);
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Chained events in export order (stream ascending, then seq), made lazily: memory stays flat. */
function* source(total: number, streams: number): Generator<AuditEvent> {
  const rand = rng(20261127);
  const start = Date.UTC(2026, 0, 1);
  for (const plan of planStreams(total, streams, rand)) {
    let head: ChainHead | null = null;
    const subjectId = plan.id.slice(plan.type.length + 1);
    for (let i = 0; i < plan.count; i++) {
      const e: AuditEvent = nextEvent(head, {
        stream: plan.id,
        eventId: `01J${chars(rand, CROCKFORD, 23)}`,
        time: new Date(start + i * 60_000 + Math.floor(rand() * 1000)).toISOString(),
        actor: { sub: uuid(rand), role: ROLES[Math.floor(rand() * ROLES.length)] },
        action: ACTIONS[Math.floor(rand() * ACTIONS.length)],
        subject: { type: plan.type, id: subjectId },
        requestId: uuid(rand),
        reason: rand() < 0.3 ? REASONS[Math.floor(rand() * REASONS.length)] : null,
        before: i === 0 ? null : chars(rand, HEX, 64),
        after: chars(rand, HEX, 64),
        details: rand() < 0.8 ? { credits: Math.round(rand() * 100_000) / 100, resource: 'spc/h200', gpus: 8, jobId: `job-${Math.floor(rand() * 1e7)}` } : null,
      });
      head = e;
      yield e;
    }
  }
}

// ---- measurement ----

const mb = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;
let peakRss = 0;
const sample = () => {
  const rss = process.memoryUsage().rss;
  if (rss > peakRss) peakRss = rss;
};
const sampler = setInterval(sample, 25);

interface PhaseResult {
  records: number;
  seconds: number;
  cpuSeconds: number;
  wallSeconds: number;
  peakRssMb: number;
  bytes: number;
  files: number;
}

function dirBytes(dir: string): { bytes: number; files: number } {
  const names = readdirSync(dir).filter((n) => n.startsWith('events-'));
  return { bytes: names.reduce((n, f) => n + statSync(join(dir, f)).size, 0), files: names.length };
}

/** Wall-clock and CPU time spent inside `fn`, added up over calls. */
class Stopwatch {
  wallNs = 0n;
  cpuUs = 0;
  async time<T>(fn: () => Promise<T>): Promise<T> {
    const w = process.hrtime.bigint();
    const c = process.cpuUsage();
    const out = await fn();
    const dc = process.cpuUsage(c);
    this.cpuUs += dc.user + dc.system;
    this.wallNs += process.hrtime.bigint() - w;
    return out;
  }
  get seconds() {
    return Number(this.wallNs) / 1e9;
  }
  get cpuSeconds() {
    return this.cpuUs / 1e6;
  }
}

function progress(label: string, n: number, sw: Stopwatch) {
  if (n % 200_000 === 0) {
    console.log(
      `  ${label}: ${n.toLocaleString('en-US')} records, ${Math.round(n / sw.seconds).toLocaleString('en-US')} records/s ` +
        `(${Math.round(n / sw.cpuSeconds).toLocaleString('en-US')} per CPU-s) so far, rss ${mb(process.memoryUsage().rss)} MB, load ${loadavg()[0].toFixed(1)}`,
    );
  }
}

async function runWriter(format: 'csv' | 'jsonl', dir: string, checkHashes = true): Promise<PhaseResult> {
  peakRss = process.memoryUsage().rss;
  const writer = createExportWriter({ format, open: dirSinks(dir), exportId: `bench-${format}`, createdAt: '2026-11-27T12:00:00.000Z', checkHashes });
  const sw = new Stopwatch();
  let n = 0;
  const wall = process.hrtime.bigint();
  for (const batch of batches(TOTAL, STREAMS)) {
    await sw.time(async () => {
      for (const e of batch) await writer.write(e);
    });
    n += batch.length;
    sample();
    progress(format, n, sw);
  }
  const manifest = await sw.time(() => writer.finish());
  const wallSeconds = Number(process.hrtime.bigint() - wall) / 1e9;
  sample();
  return { records: manifest.totalRecords, seconds: sw.seconds, cpuSeconds: sw.cpuSeconds, wallSeconds, peakRssMb: mb(peakRss), bytes: manifest.totalBytes, files: manifest.files.length };
}

async function runBaseline(dir: string): Promise<PhaseResult> {
  peakRss = process.memoryUsage().rss;
  const out = createWriteStream(join(dir, 'baseline.jsonl'));
  const CHUNK = 256 * 1024;
  let pending = '';
  const sw = new Stopwatch();
  let n = 0;
  const wall = process.hrtime.bigint();
  for (const batch of batches(TOTAL, STREAMS)) {
    await sw.time(async () => {
      for (const e of batch) {
        pending += JSON.stringify(e) + '\n';
        if (pending.length >= CHUNK) {
          const ok = out.write(pending);
          pending = '';
          if (!ok) await once(out, 'drain');
        }
      }
    });
    n += batch.length;
    sample();
    progress('baseline', n, sw);
  }
  await sw.time(async () => {
    out.end(pending);
    await finished(out);
  });
  const wallSeconds = Number(process.hrtime.bigint() - wall) / 1e9;
  sample();
  return { records: n, seconds: sw.seconds, cpuSeconds: sw.cpuSeconds, wallSeconds, peakRssMb: mb(peakRss), bytes: statSync(join(dir, 'baseline.jsonl')).size, files: 1 };
}

async function runVerify(dir: string): Promise<{ rate: number; peakRssMb: number; ok: boolean }> {
  peakRss = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const report = await verifyExport(dirSource(dir));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  sample();
  return { rate: Math.round(report.records / s), peakRssMb: mb(peakRss), ok: report.ok && report.records === TOTAL };
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'kairr-bench-export-'));
  console.log(`export formatting benchmark: ${TOTAL.toLocaleString('en-US')} events in ${STREAMS.toLocaleString('en-US')} streams, node ${process.version}, files under ${root}`);
  const result: Record<string, number | boolean | string> = { events: TOTAL, streams: STREAMS, node: process.version };
  const rate = (r: PhaseResult) => Math.round(r.records / r.seconds);
  result.load_average_start = Math.round(loadavg()[0] * 10) / 10;

  // Making the events (nextEvent: canonical form + SHA-256 each) is not part of the formatting stage.
  const g0 = process.hrtime.bigint();
  let count = 0;
  for (const _ of source(TOTAL, STREAMS)) count++;
  const genRate = Math.round(count / (Number(process.hrtime.bigint() - g0) / 1e9));
  console.log(`source alone: ${genRate.toLocaleString('en-US')} events/s (excluded from the figures below)`);
  result.source_events_per_s = genRate;

  // *_trusted: the writer with checkHashes: false (stored hashes trusted; links, seq, order and
  // shape still checked): what the per-event hash re-check costs. The export worker keeps it on.
  const phases: Array<[string, (dir: string) => Promise<PhaseResult>]> = [
    ['baseline', runBaseline],
    ['csv', (d) => runWriter('csv', d)],
    ['jsonl', (d) => runWriter('jsonl', d)],
    ...(TRUSTED
      ? ([
          ['csv_trusted', (d: string) => runWriter('csv', d, false)],
          ['jsonl_trusted', (d: string) => runWriter('jsonl', d, false)],
        ] as Array<[string, (dir: string) => Promise<PhaseResult>]>)
      : []),
  ];
  const rates: Record<string, number> = {};
  for (const [name, fn] of phases) {
    const dir = join(root, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const r = await fn(dir);
    rates[name] = rate(r);
    const { bytes, files } = name === 'baseline' ? { bytes: r.bytes, files: 1 } : dirBytes(dir);
    const cpuRate = Math.round(r.records / r.cpuSeconds);
    console.log(
      `${name}: ${r.records.toLocaleString('en-US')} records in ${r.seconds.toFixed(2)} s formatting (${r.wallSeconds.toFixed(2)} s wall with the source) = ` +
        `${rates[name].toLocaleString('en-US')} records/s, ${cpuRate.toLocaleString('en-US')} per CPU-second; peak RSS ${r.peakRssMb} MB; ${mb(bytes)} MB in ${files} file(s)`,
    );
    result[`${name}_records_per_s`] = rates[name];
    result[`${name}_records_per_cpu_s`] = cpuRate;
    result[`${name}_peak_rss_mb`] = r.peakRssMb;
    result[`${name}_seconds`] = Math.round(r.seconds * 100) / 100;
    result[`${name}_bytes`] = bytes;
    if (name !== 'baseline') result[`${name}_files`] = files;
    if ((name === 'csv' || name === 'jsonl') && VERIFY) {
      const v = await runVerify(dir);
      console.log(`  verify ${name}: ${v.rate.toLocaleString('en-US')} records/s, peak RSS ${v.peakRssMb} MB, ${v.ok ? 'verified' : 'FAILED'}`);
      result[`verify_${name}_records_per_s`] = v.rate;
      result[`verify_${name}_peak_rss_mb`] = v.peakRssMb;
      result[`verify_${name}_ok`] = v.ok;
    }
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
  }
  clearInterval(sampler);
  if (!KEEP) rmSync(root, { recursive: true, force: true });

  result.load_average_end = Math.round(loadavg()[0] * 10) / 10;
  result.csv_vs_baseline = Math.round((rates.csv / rates.baseline) * 1000) / 1000;
  result.jsonl_vs_baseline = Math.round((rates.jsonl / rates.baseline) * 1000) / 1000;
  result.target_records_per_s = TARGET_RATE;
  result.target_peak_rss_mb = TARGET_RSS_MB;
  result.meets_target = rates.csv >= TARGET_RATE && rates.jsonl >= TARGET_RATE && (result.csv_peak_rss_mb as number) <= TARGET_RSS_MB && (result.jsonl_peak_rss_mb as number) <= TARGET_RSS_MB;
  // On a shared machine the wall-clock rate falls with the load; the rate per CPU-second does not.
  result.meets_target_per_cpu_s =
    (result.csv_records_per_cpu_s as number) >= TARGET_RATE && (result.jsonl_records_per_cpu_s as number) >= TARGET_RATE && (result.csv_peak_rss_mb as number) <= TARGET_RSS_MB && (result.jsonl_peak_rss_mb as number) <= TARGET_RSS_MB;
  if (TRUSTED) {
    // The export worker's mode (checkHashes: false; see docs/audit.md, section 5).
    result.trusted_meets_target = rates.csv_trusted >= TARGET_RATE && rates.jsonl_trusted >= TARGET_RATE;
    result.trusted_meets_target_per_cpu_s = (result.csv_trusted_records_per_cpu_s as number) >= TARGET_RATE && (result.jsonl_trusted_records_per_cpu_s as number) >= TARGET_RATE;
  }
  console.log(`ratio to baseline: csv ${result.csv_vs_baseline}, jsonl ${result.jsonl_vs_baseline} (1.0 = as fast as JSON.stringify + write)`);
  console.log(JSON.stringify(result));
}

main().catch((err) => {
  clearInterval(sampler);
  console.error(err);
  process.exitCode = 1;
});

// npm run bench:audit-verify — the offline verifier (verifyExport, what `kairr-audit verify` and
// `kairr audit verify` run) on an export folder on local disk, in this process: records per second
// by wall clock and per CPU-second, the median of BENCH_RUNS runs (default 3).
// The export is written first (not timed) by the export writer, BENCH_EVENTS chained events
// (default 200,000, the size of issue 19's bench:cli) in BENCH_STREAMS streams (2,000), with the
// field sizes of bench/export.ts's seed. BENCH_UNICODE (default 0; at most 0.3, the share with a
// reason) is the share of events whose reason is Korean text: a line with any non-ASCII character
// decodes to a two-byte string, which the verifier reads more slowly. BENCH_FORMAT: jsonl or csv.
// The machine may be shared: the load average is printed. The last line is one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirSinks, dirSource } from '../lambdas/audit/fs-source';
import { nextEvent, type AuditEvent, type ChainHead } from '../lambdas/domain/audit/event';
import { createExportWriter } from '../lambdas/domain/audit/export-writer';
import type { ExportFormat } from '../lambdas/domain/audit/manifest';
import { verifyExport } from '../lambdas/domain/audit/verify';
import { rng } from '../test/support/rng';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 2_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const UNICODE = Number(process.env.BENCH_UNICODE ?? 0);
const FORMAT = (process.env.BENCH_FORMAT ?? 'jsonl') as ExportFormat;
const load = () => Math.round(loadavg()[0] * 100) / 100;

const HEX = '0123456789abcdef';
const B32 = '0123456789abcdefghjkmnpqrstvwxyz';
const TYPES = ['allocation', 'proposal', 'call', 'job', 'dataset'];
const ACTIONS = ['ledger.usage', 'ledger.usage', 'proposal.submit', 'review.submit', 'allocation.activate', 'job.dispatch'];
const ROLES = ['researcher', 'reviewer', 'chair', 'admin', 'system'];

/** Events in export order: streams ascending, each stream's events in seq order. */
function* events(): Generator<AuditEvent> {
  const r = rng(20261127);
  const chars = (a: string, n: number) => Array.from({ length: n }, () => a[Math.floor(r() * a.length)]).join('');
  const streams = Array.from({ length: STREAMS }, (_, s) => {
    const type = TYPES[s % TYPES.length];
    return { type, id: `${type.slice(0, 4)}-01j${chars(B32, 23)}` };
  }).sort((a, b) => (`${a.type}/${a.id}` < `${b.type}/${b.id}` ? -1 : 1));
  const day0 = Date.UTC(2026, 10, 24);
  for (const [s, { type, id }] of streams.entries()) {
    const count = Math.floor(EVENTS / STREAMS) + (s < EVENTS % STREAMS ? 1 : 0);
    let head: ChainHead | null = null;
    for (let i = 0; i < count; i++) {
      const e: AuditEvent = nextEvent(head, {
        stream: `${type}/${id}`,
        eventId: `ev-01j${chars(B32, 23)}`,
        time: new Date(day0 + i * 60_000 + Math.floor(r() * 1000)).toISOString(),
        actor: { sub: `${chars(HEX, 8)}-${chars(HEX, 4)}-4${chars(HEX, 3)}-a${chars(HEX, 3)}-${chars(HEX, 12)}`, role: ROLES[Math.floor(r() * ROLES.length)] },
        action: ACTIONS[Math.floor(r() * ACTIONS.length)],
        subject: { type, id },
        requestId: `req-${chars(HEX, 24)}`,
        reason: r() < 0.3 ? (r() < UNICODE / 0.3 ? '작업 시작 시점의 요율로 사용량을 청구함 ("보고된 대로")' : 'Usage charged at the rate in force when the job started, "as reported"') : null,
        before: i === 0 ? null : chars(HEX, 64),
        after: chars(HEX, 64),
        details: r() < 0.8 ? { credits: Math.round(r() * 100_000) / 100, resource: 'spc/h200', gpus: 8, jobId: `job-${Math.floor(r() * 1e7)}` } : null,
      });
      head = e;
      yield e;
    }
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kairr-bench-verify-'));
  try {
    console.log(`offline verifier: ${EVENTS.toLocaleString('en-US')} events in ${STREAMS.toLocaleString('en-US')} streams (${FORMAT}, unicode share ${UNICODE}), node ${process.version}, load ${load()}`);
    const writer = createExportWriter({ format: FORMAT, open: dirSinks(dir), exportId: 'bench-verify', createdAt: '2026-11-27T12:00:00.000Z' });
    for (const e of events()) await writer.write(e);
    const manifest = await writer.finish();
    console.log(`  written: ${manifest.files.length} file(s), ${(manifest.totalBytes / 1e6).toFixed(1)} MB (not timed), load ${load()}`);
    const wall: number[] = [];
    const cpu: number[] = [];
    const loadStart = load();
    for (let i = 0; i < RUNS; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const report = await verifyExport(dirSource(dir));
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (!report.ok || report.records !== EVENTS) throw new Error(`verification failed: ${JSON.stringify(report.problems.slice(0, 3))}`);
      wall.push(ms);
      cpu.push((c.user + c.system) / 1000);
      console.log(`  run ${i + 1}: ${(ms / 1000).toFixed(2)} s = ${Math.round(EVENTS / (ms / 1000)).toLocaleString('en-US')} records/s (${((c.user + c.system) / 1e6).toFixed(2)} CPU-s), load ${load()}`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const result = {
      events: EVENTS,
      streams: STREAMS,
      format: FORMAT,
      unicodeShare: UNICODE,
      bytes: manifest.totalBytes,
      runs: RUNS,
      verifyS: Math.round(median(wall)) / 1000,
      verifyRecordsPerS: Math.round(EVENTS / (median(wall) / 1000)),
      verifyRecordsPerCpuS: Math.round(EVENTS / (median(cpu) / 1000)),
      verifyMBPerS: Math.round((manifest.totalBytes / 1e6 / (median(wall) / 1000)) * 10) / 10,
      loadAverage: Math.round(((loadStart + load()) / 2) * 100) / 100,
      node: process.version,
    };
    console.log(`  median: ${result.verifyRecordsPerS.toLocaleString('en-US')} records/s, ${result.verifyRecordsPerCpuS.toLocaleString('en-US')} per CPU-second, ${result.verifyMBPerS} MB/s`);
    console.log(JSON.stringify(result));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

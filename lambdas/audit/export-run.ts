// The export pipeline: DynamoDB (audit table) → export writer (lambdas/domain/audit) → sinks.
//
// The writer needs events in export order: streams ascending by id (byte order), each stream's
// events together and in seq order, each stream a contiguous seq range. The audit table's own key
// (pk = stream, sk = seq) gives exactly that order within a stream, so:
//   1. discover: the byTime index over [from, to), keys only, in hourly slices read eight at a time
//      (by-time.ts) → each stream with an event in the window and the lowest such seq (memory: one
//      small entry per stream);
//   2. heads: each stream's last event (Query, newest first, Limit 1, strongly consistent): the
//      chain heads the manifest records; nothing past them is exported, so writes that land while
//      the export runs do not make it inconsistent;
//   3. read: streams in byte order, each by `pk = stream AND sk BETWEEN lowest AND head`, up to the
//      first event at or after `to`; a few streams are fetched ahead, concurrently, and handed to
//      the writer strictly in order (memory: about `readAhead` pages of at most 1 MB);
//   4. write: the writer checks every event (hash, link, order, window) and streams the files.
// A one-subject export reads that stream from seq 1 and skips what precedes the window.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createExportWriter, type AuditEvent, type ExportAnomaly, type ExportFormat, type ExportManifest, type Rollover, type SinkLike, type StreamHead } from '../domain/audit';
import { ddb, auditTable } from '../shared/store/client';
import { auditStream } from '../shared/store/keys';
import { eventOfItem } from '../shared/store/write-path';
import { HOUR_MS, scanByTime } from './by-time';

export interface ExportSelection {
  from: string;
  to: string;
  filters: { subjectType?: string; subjectId?: string } | null;
}

export interface ExportRunOptions extends ExportSelection {
  exportId: string;
  format: ExportFormat;
  /** Opens the sink of one file of the export (data files, then manifest.json). */
  open(fileName: string): SinkLike | Promise<SinkLike>;
  anchors?: { key: string; sha256: string; [k: string]: unknown }[];
  createdAt?: string;
  rollover?: Rollover;
  /** Streams fetched ahead of the one being written. Default 8. */
  readAhead?: number;
  /** Items per DynamoDB page (pages are also capped at 1 MB by DynamoDB). */
  pageSize?: number;
  /** Milliseconds left before the caller must stop (Lambda: context.getRemainingTimeInMillis). */
  remainingMs?: () => number;
  /** Stop this long before the time runs out, so the failure can still be recorded. */
  reserveMs?: number;
  /**
   * Recompute every event's hash while writing (default false: the stored hashes are trusted, and
   * links, seq, order, window, heads and shape are still checked). See runExport.
   */
  checkHashes?: boolean;
  /** Progress, every 10,000 records. */
  onProgress?(records: number): void;
  /** When each phase ended: discover (streams found), heads (read), write (records written). */
  onPhase?(phase: 'discover' | 'heads' | 'write', ms: number, count: number): void;
}

export interface ExportRunResult {
  manifest: ExportManifest;
  anomalies: readonly ExportAnomaly[];
}

/** The export ran out of time (the Lambda's limit): narrow the window. */
export class ExportTimeoutError extends Error {
  constructor(readonly records: number) {
    super(`the export stopped after ${records} records to stay within the worker's time limit`);
    this.name = 'ExportTimeoutError';
  }
}

const CONCURRENT_HEAD_READS = 16;

/** Each stream with an event in [from, to) and the lowest such seq, sorted by stream id (byte order). */
export async function discoverStreams(sel: ExportSelection): Promise<{ stream: string; firstSeq: number }[]> {
  const f = sel.filters ?? {};
  if (f.subjectType && f.subjectId) return [{ stream: auditStream(f.subjectType, f.subjectId), firstSeq: 1 }];
  const lowest = new Map<string, number>();
  await scanByTime(
    sel.from,
    sel.to,
    (items) => {
      for (const it of items) {
        const s = String(it.pk);
        const seq = Number(it.sk);
        const cur = lowest.get(s);
        if (cur === undefined || seq < cur) lowest.set(s, seq);
      }
    },
    {
      attributes: ['pk', 'sk'],
      filter: f.subjectType ? { expression: 'begins_with(#stream, :type)', names: { '#stream': 'pk' }, values: { ':type': `${f.subjectType}/` } } : undefined,
      // Long windows in day slices: an hourly slicing of years would be mostly empty queries.
      sliceMs: Date.parse(sel.to) - Date.parse(sel.from) > 31 * 86_400_000 ? 86_400_000 : HOUR_MS,
    },
  );
  // Stream ids are printable ASCII, so UTF-16 code-unit order (<) is byte order.
  return [...lowest].map(([stream, firstSeq]) => ({ stream, firstSeq })).sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
}

/** A stream's current head (its last event), or null when it has none. Strongly consistent. */
export async function readHead(stream: string): Promise<StreamHead | null> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: auditTable(),
      KeyConditionExpression: 'pk = :s',
      ExpressionAttributeValues: { ':s': stream },
      ProjectionExpression: '#pk, #sk, #h',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#h': 'hash' },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const it = out.Items?.[0];
  return it ? { stream, seq: Number(it.sk), hash: String(it.hash) } : null;
}

/** Runs fn over items with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface Range {
  stream: string;
  firstSeq: number;
  headSeq: number;
}

interface Page {
  items: Record<string, unknown>[];
  lastKey?: Record<string, unknown>;
}

/** Marks a promise as handled (a read fetched ahead and then not needed must not crash the process). */
function ahead<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Events of the ranges in export order, fetching `readAhead` streams ahead concurrently. */
export async function* readRanges(ranges: readonly Range[], window: { from: string; to: string }, opts: { readAhead: number; pageSize: number }): AsyncGenerator<AuditEvent> {
  const fetchPage = async (r: Range, startKey?: Record<string, unknown>): Promise<Page> => {
    const out = await ddb().send(
      new QueryCommand({
        TableName: auditTable(),
        KeyConditionExpression: 'pk = :s AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':s': r.stream, ':a': r.firstSeq, ':b': r.headSeq },
        ConsistentRead: true,
        Limit: opts.pageSize,
        ExclusiveStartKey: startKey,
      }),
    );
    return { items: (out.Items ?? []) as Record<string, unknown>[], lastKey: out.LastEvaluatedKey };
  };
  const queue: { range: Range; first: Promise<Page> }[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length < opts.readAhead && next < ranges.length) {
      const range = ranges[next++];
      queue.push({ range, first: ahead(fetchPage(range)) });
    }
  };
  fill();
  while (queue.length) {
    const { range, first } = queue.shift()!;
    fill();
    let pending: Promise<Page> | null = first;
    let inWindow = false;
    while (pending) {
      const page: Page = await pending;
      pending = page.lastKey ? ahead(fetchPage(range, page.lastKey)) : null;
      for (const item of page.items) {
        const time = item.time as string;
        if (time >= window.to) {
          pending = null;
          break;
        }
        // Only what precedes the window at the start of the range is skipped (one-subject exports
        // start at seq 1); anything later goes to the writer, which refuses what is outside it.
        if (!inWindow && time < window.from) continue;
        inWindow = true;
        yield eventOfItem(item);
      }
    }
  }
}

/** Runs one export end to end; the writer writes manifest.json last, only if everything succeeded. */
export async function runExport(o: ExportRunOptions): Promise<ExportRunResult> {
  let t = Date.now();
  const lap = () => -t + (t = Date.now());
  const streams = await discoverStreams(o);
  o.onPhase?.('discover', lap(), streams.length);
  const heads = await mapLimit(streams, CONCURRENT_HEAD_READS, (s) => readHead(s.stream));
  o.onPhase?.('heads', lap(), heads.length);
  const ranges: Range[] = [];
  const chainHeads: StreamHead[] = [];
  streams.forEach((s, i) => {
    const h = heads[i];
    if (!h || h.seq < s.firstSeq) return;
    chainHeads.push(h);
    ranges.push({ stream: s.stream, firstSeq: s.firstSeq, headSeq: h.seq });
  });

  const writer = createExportWriter({
    format: o.format,
    open: o.open,
    exportId: o.exportId,
    createdAt: o.createdAt,
    filters: o.filters ? { ...o.filters } : null,
    from: o.from,
    to: o.to,
    chainHeads,
    anchors: o.anchors,
    rollover: o.rollover,
    // An auditor gets the evidence as stored: a tampered or broken chain is exported as it is and
    // listed (the verifier then names each problem), rather than making the export impossible.
    onBrokenChain: 'export',
    // The events come straight from the audit table, so the writer checks them by chain linkage
    // (each prevHash against the previous stored hash, seq gaps, order) and shape, and does not
    // recompute each hash: that re-check costs a third of the formatting time (bench/export-format.ts,
    // *_trusted). Nothing the auditor relies on is weakened: the exporter is inside what is being
    // audited, so its own findings are a convenience, never evidence; the offline verifier
    // recomputes every hash. What is lost is only the early warning for one case: an event whose
    // content was edited in the table without re-hashing is exported without being listed among
    // the anomalies (the verifier names it). An edit that was re-hashed still breaks the next link
    // and is listed; a rewritten tail is caught by the anchors.
    checkHashes: o.checkHashes ?? false,
  });
  const reserve = o.reserveMs ?? 20_000;
  try {
    let n = 0;
    for await (const e of readRanges(ranges, o, { readAhead: o.readAhead ?? 8, pageSize: o.pageSize ?? 1000 })) {
      if (n % 1_000 === 0 && o.remainingMs && o.remainingMs() < reserve) throw new ExportTimeoutError(n);
      await writer.write(e);
      if (++n % 10_000 === 0) o.onProgress?.(n);
    }
    const manifest = await writer.finish();
    o.onPhase?.('write', lap(), manifest.totalRecords);
    return { manifest, anomalies: writer.anomalies };
  } catch (err) {
    await writer.abort(err);
    throw err;
  }
}

// Streams audit events into export data files (JSONL or CSV) and returns the manifest.
// Memory stays bounded whatever the export's size: records are encoded one at a time into a chunk
// of about `chunkBytes`, which is hashed (SHA-256, incrementally) and handed to the sink; nothing
// holds a whole file. What grows with the export is one small summary per stream (for the manifest).
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { canonicalParts, checkEvent, isIsoMillis, type AuditEvent } from './event';
import { ChainTracker, type ChainProblem } from './chain';
import { CSV_HEADER, csvRecordWithDetails } from './csv';
import { canonicalJsonUnchecked, sha256Hex } from './jcs';
import {
  MANIFEST_FILE_NAME,
  MANIFEST_VERSION,
  dataFileName,
  normaliseHeads,
  sealManifest,
  serializeManifest,
  type AnchorRef,
  type ExportFormat,
  type ExportManifest,
  type ManifestFile,
  type ManifestStream,
  type StreamHead,
} from './manifest';

/** Where one file's bytes go: a local file, an S3 multipart upload, memory in tests. */
export interface ExportSink {
  /** Receives the file's bytes in order, in chunks of about chunkBytes (UTF-16 units). Return a promise for backpressure. */
  write(chunk: Uint8Array): void | Promise<void>;
  /** After the last chunk; resolve once the file is durable (for S3: the upload completed). */
  close(): void | Promise<void>;
  /** Optional: the export failed; discard what was written (for S3: abort the multipart upload). */
  abort?(reason: unknown): void | Promise<void>;
}

/** A Node.js Writable (fs.WriteStream, PassThrough, ...) is accepted as a sink too. */
export type SinkLike = ExportSink | NodeJS.WritableStream;

export interface Rollover {
  /** Start a new file once the current one holds this many records. */
  maxRecords?: number;
  /** Start a new file before a record would take the current one past this many bytes. */
  maxBytes?: number;
}

export const DEFAULT_ROLLOVER: Required<Rollover> = { maxRecords: Number.MAX_SAFE_INTEGER, maxBytes: 128 * 1024 * 1024 };
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

export interface ExportWriterOptions {
  format: ExportFormat;
  /** Opens a sink for a file of the export ("events-00001.jsonl", ..., "manifest.json" last). */
  open(fileName: string): SinkLike | Promise<SinkLike>;
  exportId: string;
  /** ISO 8601 UTC with milliseconds; defaults to now. */
  createdAt?: string;
  /** What the caller selected, recorded as given (JSON object). */
  filters?: Record<string, unknown> | null;
  /** Time window, from <= time < to. Events outside it are refused. */
  from?: string | null;
  to?: string | null;
  /** Each stream's head when the export started, as read from the store. */
  chainHeads?: ReadonlyArray<StreamHead> | Readonly<Record<string, { seq: number; hash: string }>>;
  /** The latest anchor object(s), as the caller knows them. */
  anchors?: ReadonlyArray<AnchorRef>;
  rollover?: Rollover;
  /**
   * What to do with an event whose hash does not match its content, or that breaks its stream's
   * chain (gap or wrong prevHash): 'throw' (default; the store should never hold one) or 'export'
   * it as stored, so the verifier shows the auditor exactly what is wrong. Events out of export
   * order are always refused.
   */
  onBrokenChain?: 'throw' | 'export';
  /**
   * Recompute each event's hash from its content and compare (default true). false trusts the
   * stored hash: links (prevHash = the previous event's hash), seq, order and shape are still
   * checked, but an event whose content was edited without re-hashing is written without being
   * listed as an anomaly. The export's evidence is unchanged (the verifier recomputes every hash
   * offline); only the early warning at export time is lost. Saves the SHA-256 per event, and for
   * CSV the canonical text too.
   */
  checkHashes?: boolean;
  chunkBytes?: number;
}

/** A record refused by the writer: the export it was writing is unusable. */
export class ExportInputError extends Error {
  constructor(
    readonly index: number,
    readonly stream: string | undefined,
    readonly seq: number | undefined,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`record ${index + 1}${stream !== undefined ? ` (stream ${stream} seq ${seq})` : ''}: ${field}: ${problem}`);
    this.name = 'ExportInputError';
  }
}

/** A chain anomaly exported as stored (onBrokenChain: 'export'). */
export interface ExportAnomaly {
  index: number;
  stream: string;
  seq: number;
  field: string;
  problem: string;
}

export interface ExportWriter {
  /** Appends one event; await it (it resolves when the sink has taken the bytes it needed to). */
  write(event: AuditEvent): Promise<void>;
  /** Closes the last data file, writes manifest.json through open(), and returns the manifest. */
  finish(): Promise<ExportManifest>;
  /** Aborts the open sink (if it supports it); the export is then incomplete and has no manifest. */
  abort(reason?: unknown): Promise<void>;
  readonly records: number;
  /** Chain anomalies exported as stored (only with onBrokenChain: 'export'). */
  readonly anomalies: readonly ExportAnomaly[];
}

function isNodeWritable(s: SinkLike): s is NodeJS.WritableStream {
  return typeof (s as NodeJS.WritableStream).end === 'function' && typeof (s as NodeJS.WritableStream).once === 'function';
}

/** Adapts a Node.js Writable: waits for 'drain' when it asks, and for 'finish' on close. */
export function nodeWritableSink(w: NodeJS.WritableStream): ExportSink {
  let failure: unknown = null;
  w.on('error', (err) => {
    failure = err;
  });
  return {
    async write(chunk) {
      if (failure) throw failure;
      if (!w.write(chunk)) await once(w as unknown as NodeJS.EventEmitter, 'drain');
    },
    async close() {
      if (failure) throw failure;
      w.end();
      await finished(w);
    },
    abort(reason) {
      const d = (w as unknown as { destroy?: (e?: unknown) => void }).destroy;
      if (typeof d === 'function') d.call(w, reason instanceof Error ? reason : undefined);
    },
  };
}

export function toSink(s: SinkLike): ExportSink {
  return isNodeWritable(s) ? nodeWritableSink(s) : s;
}

interface OpenFile {
  name: string;
  sink: ExportSink;
  hash: Hash;
  /** Bytes handed to the sink so far (exact: counted on the encoded chunks). */
  flushed: number;
  records: number;
  first: { stream: string; seq: number };
  last: { stream: string; seq: number };
  /** Records not yet encoded and handed over; flushed once about chunkBytes long. */
  pending: string;
}

function positiveInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`${what} must be a positive integer`);
  return v;
}

export function createExportWriter(opts: ExportWriterOptions): ExportWriter {
  if (opts.format !== 'jsonl' && opts.format !== 'csv') throw new TypeError(`format must be jsonl or csv, not ${String(opts.format)}`);
  if (typeof opts.exportId !== 'string' || opts.exportId.length === 0) throw new TypeError('exportId must be a non-empty string');
  const createdAt = opts.createdAt ?? new Date().toISOString();
  for (const [k, v] of [
    ['createdAt', createdAt],
    ['from', opts.from ?? null],
    ['to', opts.to ?? null],
  ] as const) {
    if (v !== null && !isIsoMillis(v)) throw new TypeError(`${k} must be ISO 8601 UTC with milliseconds`);
  }
  const from = opts.from ?? null;
  const to = opts.to ?? null;
  const maxRecords = positiveInt(opts.rollover?.maxRecords ?? DEFAULT_ROLLOVER.maxRecords, 'rollover.maxRecords');
  const maxBytes = positiveInt(opts.rollover?.maxBytes ?? DEFAULT_ROLLOVER.maxBytes, 'rollover.maxBytes');
  const chunkBytes = positiveInt(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES, 'chunkBytes');
  const heads = normaliseHeads(opts.chainHeads);
  const headByStream = new Map(heads.map((h) => [h.stream, h]));
  const exportBroken = opts.onBrokenChain === 'export';
  const checkHashes = opts.checkHashes ?? true;
  const format = opts.format;
  const header = format === 'csv' ? CSV_HEADER : '';

  const tracker = new ChainTracker();
  const files: ManifestFile[] = [];
  const streams: ManifestStream[] = [];
  const anomalies: ExportAnomaly[] = [];
  let file: OpenFile | null = null;
  let index = 0;
  let state: 'open' | 'finished' | 'failed' = 'open';

  async function flush(f: OpenFile): Promise<void> {
    if (f.pending.length === 0) return;
    const chunk = Buffer.from(f.pending, 'utf8');
    f.pending = '';
    f.flushed += chunk.length;
    f.hash.update(chunk);
    await f.sink.write(chunk);
  }

  async function closeFile(): Promise<void> {
    const f = file;
    if (!f) return;
    await flush(f);
    await f.sink.close();
    files.push({ name: f.name, sha256: f.hash.digest('hex'), bytes: f.flushed, records: f.records, first: f.first, last: f.last });
    file = null;
  }

  async function openFile(e: AuditEvent): Promise<OpenFile> {
    const name = dataFileName(files.length + 1, format);
    const sink = toSink(await opts.open(name));
    const f: OpenFile = {
      name,
      sink,
      hash: createHash('sha256'),
      flushed: 0,
      records: 0,
      first: { stream: e.stream, seq: e.seq },
      last: { stream: e.stream, seq: e.seq },
      pending: header,
    };
    file = f;
    return f;
  }

  /**
   * Whether `record` still fits in the file under maxBytes. Counting UTF-8 bytes costs a scan, so
   * it is skipped while even 3 bytes per UTF-16 unit would fit; near the limit the pending text is
   * flushed, which makes the count exact.
   */
  function surelyFits(f: OpenFile, record: string): boolean {
    return f.flushed + 3 * (f.pending.length + record.length) <= maxBytes;
  }

  async function fitsExactly(f: OpenFile, record: string): Promise<boolean> {
    await flush(f);
    return f.flushed + Buffer.byteLength(record) <= maxBytes;
  }

  function refuse(e: Partial<AuditEvent> | undefined, field: string, problem: string): never {
    const stream = typeof e?.stream === 'string' ? e.stream : undefined;
    throw new ExportInputError(index, stream, stream !== undefined ? e?.seq : undefined, field, problem);
  }

  function noteChainProblem(e: AuditEvent, p: ChainProblem | { field: string; problem: string; kind: 'hash' }): void {
    if (p.kind === 'order' || !exportBroken) refuse(e, p.field, p.problem);
    anomalies.push({ index, stream: e.stream, seq: e.seq, field: p.field, problem: p.problem });
  }

  async function write(e: AuditEvent): Promise<void> {
    if (state !== 'open') throw new Error(`export writer is ${state}`);
    try {
      const malformed = checkEvent(e);
      if (malformed) refuse(e, malformed.field, malformed.problem);
      if ((from !== null && e.time < from) || (to !== null && e.time >= to)) {
        refuse(e, 'time', `${e.time} is outside the export window [${from ?? '-∞'}, ${to ?? '+∞'})`);
      }
      const head = headByStream.get(e.stream);
      if (head && e.seq > head.seq) refuse(e, 'seq', `is beyond the stream's head at export time (seq ${head.seq})`);

      let record: string;
      if (format === 'csv' && !checkHashes) {
        record = csvRecordWithDetails(e, e.details === null ? 'null' : canonicalJsonUnchecked(e.details));
      } else if (!checkHashes) {
        const { head: jcsHead, tail: jcsTail } = canonicalParts(e);
        record = jcsHead + ',"hash":"' + e.hash + '"' + jcsTail + '\n';
      } else {
        const { head: jcsHead, tail: jcsTail, details: jcsDetails } = canonicalParts(e);
        // Hashing flattens `unhashed`; the JSONL line is then cut from it rather than from the
        // head and tail ropes, so the text is walked once more (when encoded), not twice.
        const unhashed = jcsHead + jcsTail;
        const computed = sha256Hex(unhashed);
        if (computed !== e.hash) noteChainProblem(e, { field: 'hash', kind: 'hash', problem: `content does not match its hash (computed ${computed})` });
        record = format === 'jsonl' ? unhashed.slice(0, jcsHead.length) + ',"hash":"' + e.hash + '"' + unhashed.slice(jcsHead.length) + '\n' : csvRecordWithDetails(e, jcsDetails);
      }
      if (head && e.seq === head.seq && e.hash !== head.hash) {
        noteChainProblem(e, { field: 'hash', kind: 'hash', problem: `differs from the stream's head hash at export time (${head.hash})` });
      }
      const { problems, closed } = tracker.push(e);
      for (const p of problems) noteChainProblem(e, p);
      if (closed) streams.push(closed);

      let f = file;
      if (f && (f.records >= maxRecords || (!surelyFits(f, record) && !(await fitsExactly(f, record))))) {
        await closeFile();
        f = null;
      }
      if (!f) f = await openFile(e);
      f.pending += record;
      f.records++;
      f.last = { stream: e.stream, seq: e.seq };
      index++;
      if (f.pending.length >= chunkBytes) await flush(f);
    } catch (err) {
      state = 'failed';
      throw err;
    }
  }

  async function finish(): Promise<ExportManifest> {
    if (state !== 'open') throw new Error(`export writer is ${state}`);
    try {
      await closeFile();
      const last = tracker.end();
      if (last) streams.push(last);
      const manifest = sealManifest({
        manifestVersion: MANIFEST_VERSION,
        exportId: opts.exportId,
        createdAt,
        format,
        filters: opts.filters ?? null,
        from,
        to,
        files,
        totalRecords: index,
        totalBytes: files.reduce((n, f) => n + f.bytes, 0),
        streams,
        chainHeads: heads,
        anchors: (opts.anchors ?? []).map((a) => ({ ...a })),
      });
      const sink = toSink(await opts.open(MANIFEST_FILE_NAME));
      await sink.write(Buffer.from(serializeManifest(manifest), 'utf8'));
      await sink.close();
      state = 'finished';
      return manifest;
    } catch (err) {
      state = 'failed';
      throw err;
    }
  }

  async function abort(reason?: unknown): Promise<void> {
    state = 'failed';
    const f = file;
    file = null;
    if (f?.sink.abort) await f.sink.abort(reason);
  }

  return {
    write,
    finish,
    abort,
    get records() {
      return index;
    },
    get anomalies() {
      return anomalies;
    },
  };
}

/**
 * Writes a whole export from an ordered source (array, generator, async generator, DynamoDB
 * paginator mapped to events) and returns its manifest. On failure the open sink is aborted.
 */
export async function writeExport(events: Iterable<AuditEvent> | AsyncIterable<AuditEvent>, opts: ExportWriterOptions): Promise<ExportManifest> {
  const writer = createExportWriter(opts);
  try {
    for await (const e of events as AsyncIterable<AuditEvent>) await writer.write(e);
    return await writer.finish();
  } catch (err) {
    await writer.abort(err);
    throw err;
  }
}

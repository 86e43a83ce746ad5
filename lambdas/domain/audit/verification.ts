// One verification's state (verify.ts): lines read with bounded memory, each record's hash and link
// checked as it streams past, one summary per stream, and the manifest's figures compared at the end.
import { createHash } from 'node:crypto';
import { canonicalEventText, canonicalLineAndPreimage, checkEvent, type AuditEvent } from './event';
import { readCanonicalLine } from './canonical-line';
import { ChainTracker } from './chain';
import { CSV_COLUMNS, CSV_HEADER_TEXT, CsvParser, CsvSyntaxError, csvCellsToEvent, type CsvRecord } from './csv';
import { sha256Hex } from './jcs';
import { JsonlLines, LineTooLongError, MAX_LINE_CHARS, NotUtf8Error } from './jsonl-lines';
import { MANIFEST_FILE_NAME, type ExportFormat, type ExportManifest, type ManifestStream } from './manifest';
import type { VerifiedFile, VerifyOptions, VerifyProblem } from './verify-types';

export { MAX_LINE_CHARS };

interface Loc {
  file: string;
  line: number;
  record: number;
}

interface RunLocs {
  first: Loc;
  last: Loc;
}

interface Expectations {
  manifest: ExportManifest;
  streamIndex: Map<string, number>;
  streamSeen: Uint8Array;
  heads: Map<string, { index: number; seq: number; hash: string }>;
}

export class Verification {
  readonly problems: VerifyProblem[] = [];
  problemCount = 0;
  records = 0;
  readonly files: VerifiedFile[] = [];
  readonly streams: ManifestStream[] = [];
  readonly notes: string[] = [];
  anchorHeadsChecked = 0;
  /** Streams whose exported run starts after seq 1 (a time-window export): count and a few names. */
  partialStreams = 0;
  readonly partialExamples: string[] = [];
  private readonly tracker = new ChainTracker();
  private runLocs: RunLocs | null = null;
  private readonly anchorHeads = new Map<string, Array<{ name: string; seq: number; hash: string }>>();
  private expect: Expectations | null = null;
  private readonly maxProblems: number;

  constructor(opts: VerifyOptions) {
    this.maxProblems = opts.maxProblems ?? 1000;
    for (const { name, anchor } of opts.anchors ?? []) {
      for (const h of anchor.heads) {
        const list = this.anchorHeads.get(h.stream) ?? [];
        list.push({ name, seq: h.seq, hash: h.hash });
        this.anchorHeads.set(h.stream, list);
      }
    }
  }

  problem(p: VerifyProblem): void {
    this.problemCount++;
    if (this.problems.length < this.maxProblems) this.problems.push(p);
  }

  expectManifest(m: ExportManifest): void {
    const streamIndex = new Map<string, number>();
    m.streams.forEach((s, i) => {
      if (streamIndex.has(s.stream)) this.problem({ file: MANIFEST_FILE_NAME, field: `streams[${i}].stream`, problem: `stream ${s.stream} is listed twice` });
      else streamIndex.set(s.stream, i);
      if (i > 0 && !(m.streams[i - 1].stream < s.stream)) {
        this.problem({ file: MANIFEST_FILE_NAME, field: `streams[${i}].stream`, problem: 'streams are not in ascending order' });
      }
    });
    const heads = new Map<string, { index: number; seq: number; hash: string }>();
    m.chainHeads.forEach((h, index) => heads.set(h.stream, { index, seq: h.seq, hash: h.hash }));
    this.expect = { manifest: m, streamIndex, streamSeen: new Uint8Array(m.streams.length), heads };
  }

  /** Reads one data file through; compares it with its manifest entry when there is one. */
  async readFile(name: string, format: ExportFormat, chunks: AsyncIterable<Uint8Array>, fileIndex: number | null): Promise<void> {
    const hash = createHash('sha256');
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let bytes = 0;
    let records = 0;
    let broken = false;
    let first: AuditEvent | null = null;
    let last: AuditEvent | null = null;
    // JSONL is split and decoded from the bytes (jsonl-lines.ts); CSV is parsed from decoded text.
    const lines = format === 'jsonl' ? new JsonlLines() : null;
    const csv = format === 'csv' ? new CsvParser() : null;
    let csvHeaderSeen = false;

    const onEvent = (e: AuditEvent | null) => {
      if (e) {
        first ??= e;
        last = e;
      }
    };
    const handleLine = (l: { text: string; line: number }) => {
      records++;
      onEvent(this.jsonlRecord(l.text, { file: name, line: l.line, record: records }));
    };
    const handleCsv = (r: CsvRecord): boolean => {
      if (!csvHeaderSeen) {
        csvHeaderSeen = true;
        if (r.cells.join(',') !== CSV_HEADER_TEXT) {
          this.problem({ file: name, line: r.line, field: 'header', problem: `header row must be exactly: ${CSV_HEADER_TEXT}` });
          return false;
        }
        return true;
      }
      records++;
      onEvent(this.csvRecord(r, { file: name, line: r.line, record: records }));
      return true;
    };
    const feed = (chunk: Uint8Array | null) => {
      const final = chunk === null;
      if (lines) {
        if (chunk) for (const l of lines.push(chunk)) handleLine(l);
        if (final) {
          const tail = lines.end();
          if (tail) {
            handleLine(tail);
            this.problem({ file: name, line: tail.line, record: records, field: '(line)', problem: 'last line has no terminating newline' });
          }
        }
      } else if (csv) {
        let text: string;
        try {
          text = chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
        } catch {
          throw new NotUtf8Error(bytes - (chunk?.length ?? 0), bytes);
        }
        const recs = csv.push(text);
        if (final) recs.push(...csv.end());
        for (const r of recs) if (!handleCsv(r)) return false;
      }
      return true;
    };
    const stop = (field: '(encoding)' | '(syntax)', problem: string, line?: number) => {
      broken = true;
      this.problem({ file: name, line, field, problem: `${problem}; the rest of the file was not checked` });
    };
    const step = (chunk: Uint8Array | null) => {
      try {
        if (!feed(chunk)) broken = true;
      } catch (err) {
        if (err instanceof NotUtf8Error) return stop('(encoding)', err.message);
        if (err instanceof CsvSyntaxError) return stop('(syntax)', err.message, err.line);
        if (err instanceof LineTooLongError) return stop('(syntax)', err.message, err.line);
        throw err;
      }
    };

    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.length;
      if (!broken) step(chunk);
    }
    if (!broken) step(null);
    if (format === 'csv' && !csvHeaderSeen && !broken) this.problem({ file: name, field: 'header', problem: 'file is empty (no header row)' });
    if (records === 0 && !broken) this.problem({ file: name, field: '(file)', problem: 'holds no records (the writer never writes an empty data file)' });
    const sha256 = hash.digest('hex');
    this.files.push({ name, records, bytes, sha256 });
    this.records += records;

    const m = this.expect?.manifest;
    if (m && fileIndex !== null) {
      const f = m.files[fileIndex];
      const p = `files[${fileIndex}]`;
      // A disagreement between manifest and data is located in the data file, and named by the manifest path.
      const mismatch = (field: string, problem: string) => this.problem({ file: name, field: `${p}.${field}`, problem });
      if (f.sha256 !== sha256) mismatch('sha256', `manifest says ${f.sha256}, the file's SHA-256 is ${sha256}`);
      if (f.records !== records) mismatch('records', `manifest says ${f.records}, the file holds ${records}`);
      if (f.bytes !== bytes) mismatch('bytes', `manifest says ${f.bytes}, the file has ${bytes}`);
      const a = first as AuditEvent | null;
      const b = last as AuditEvent | null;
      if (a && (f.first.stream !== a.stream || f.first.seq !== a.seq)) mismatch('first', `manifest says ${f.first.stream} seq ${f.first.seq}, the file starts with ${a.stream} seq ${a.seq}`);
      if (b && (f.last.stream !== b.stream || f.last.seq !== b.seq)) mismatch('last', `manifest says ${f.last.stream} seq ${f.last.seq}, the file ends with ${b.stream} seq ${b.seq}`);
    }
  }

  private jsonlRecord(text: string, loc: Loc): AuditEvent | null {
    if (text.length === 0) {
      this.problem({ ...loc, field: '(line)', problem: 'empty line' });
      return null;
    }
    // A line in canonical form (all of a sound export) is read in one pass (canonical-line.ts);
    // any other goes the general route below, which names what is wrong with it.
    const fast = readCanonicalLine(text);
    if (fast && checkEvent(fast.event) === null) {
      this.event(fast.event, loc, fast.preimage);
      return fast.event;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.problem({ ...loc, field: '(line)', problem: 'is not valid JSON' });
      return null;
    }
    const bad = checkEvent(value);
    if (bad) {
      this.problem({ ...loc, ...ids(value), field: bad.field, problem: bad.problem });
      return null;
    }
    const e = value as AuditEvent;
    const canonical = canonicalLineAndPreimage(e);
    if (canonical.line !== text) {
      this.problem({ ...loc, stream: e.stream, seq: e.seq, field: '(line)', problem: 'is not in canonical form (RFC 8785 JCS): the line was re-serialised or edited' });
    }
    this.event(e, loc, canonical.preimage);
    return e;
  }

  private csvRecord(r: CsvRecord, loc: Loc): AuditEvent | null {
    const res = csvCellsToEvent(r.cells);
    if ('problem' in res) {
      const stream = r.cells[1];
      const seq = Number(r.cells[2]);
      this.problem({ ...loc, ...(r.cells.length === CSV_COLUMNS.length ? { stream, seq } : {}), field: res.problem.field, problem: res.problem.problem });
      return null;
    }
    this.event(res.event, loc);
    return res.event;
  }

  /** Checks one well-formed event: its hash, its place in the chain, the window, heads and anchors. */
  /** `preimage`: JCS(e without hash), when the caller has it already. */
  private event(e: AuditEvent, loc: Loc, preimage = canonicalEventText(e, false)): void {
    // Built only for a problem: this runs once per record.
    const at = () => ({ ...loc, stream: e.stream, seq: e.seq });
    const computed = sha256Hex(preimage);
    if (computed !== e.hash) this.problem({ ...at(), field: 'hash', problem: `content does not match its hash (recorded ${e.hash}, computed ${computed})` });

    const { problems, closed } = this.tracker.push(e);
    if (closed) this.closeRun(closed);
    if (closed || this.runLocs === null) this.runLocs = { first: loc, last: loc };
    else this.runLocs.last = loc;
    for (const p of problems) this.problem({ ...at(), field: p.field, problem: p.problem });

    const ex = this.expect;
    if (ex) {
      const { from, to } = ex.manifest;
      if ((from !== null && e.time < from) || (to !== null && e.time >= to)) {
        this.problem({ ...at(), field: 'time', problem: `${e.time} is outside the export window [${from ?? '-∞'}, ${to ?? '+∞'}) in the manifest` });
      }
      const head = ex.heads.get(e.stream);
      if (head && e.seq > head.seq) this.problem({ ...at(), field: `chainHeads[${head.index}].seq`, problem: `record is beyond the head the manifest gives for this stream (seq ${head.seq})` });
      if (head && e.seq === head.seq && e.hash !== head.hash) this.problem({ ...at(), field: `chainHeads[${head.index}].hash`, problem: `manifest head is ${head.hash}, the record's hash is ${e.hash}` });
    }
    const anchored = this.anchorHeads.get(e.stream);
    if (anchored) {
      for (const h of anchored) {
        if (h.seq !== e.seq) continue;
        this.anchorHeadsChecked++;
        if (h.hash !== e.hash) this.problem({ ...at(), field: 'hash', problem: `does not match the head anchored in ${h.name} (${h.hash}): the chain was rewritten` });
      }
    }
  }

  private closeRun(run: ManifestStream): void {
    this.streams.push({ ...run });
    const locs = this.runLocs!;
    const ex = this.expect;
    if (run.firstSeq > 1) {
      this.partialStreams++;
      if (this.partialExamples.length < 3) this.partialExamples.push(`${run.stream} from seq ${run.firstSeq}`);
    }
    if (!ex) return;
    const i = ex.streamIndex.get(run.stream);
    const at = (l: Loc, seq: number) => ({ ...l, stream: run.stream, seq });
    if (i === undefined) {
      this.problem({ ...at(locs.first, run.firstSeq), field: 'streams', problem: `stream ${run.stream} is in the data but not in the manifest` });
      return;
    }
    const s = ex.manifest.streams[i];
    if (ex.streamSeen[i]) return; // a second run of the same stream: already reported as an order problem
    ex.streamSeen[i] = 1;
    const p = `streams[${i}]`;
    if (s.firstSeq !== run.firstSeq) this.problem({ ...at(locs.first, run.firstSeq), field: `${p}.firstSeq`, problem: `manifest says ${s.firstSeq}, the data starts at seq ${run.firstSeq}` });
    if (s.firstPrevHash !== run.firstPrevHash) this.problem({ ...at(locs.first, run.firstSeq), field: `${p}.firstPrevHash`, problem: `manifest says ${s.firstPrevHash}, the first record links to ${run.firstPrevHash}` });
    if (s.lastSeq !== run.lastSeq) this.problem({ ...at(locs.last, run.lastSeq), field: `${p}.lastSeq`, problem: `manifest says ${s.lastSeq}, the data ends at seq ${run.lastSeq}` });
    if (s.lastHash !== run.lastHash) this.problem({ ...at(locs.last, run.lastSeq), field: `${p}.lastHash`, problem: `manifest says ${s.lastHash}, the last record's hash is ${run.lastHash}` });
    if (s.records !== run.records) this.problem({ ...at(locs.last, run.lastSeq), field: `${p}.records`, problem: `manifest says ${s.records}, the data holds ${run.records}` });
  }

  /** Closes the last run and compares the totals. */
  end(): void {
    const last = this.tracker.end();
    if (last) this.closeRun(last);
    if (this.partialStreams > 0) {
      this.notes.push(
        `${this.partialStreams} stream(s) start after seq 1 (${this.partialExamples.join(', ')}${this.partialStreams > 3 ? ', ...' : ''}): ` + 'the link of each first record (its prevHash) to the record before it needs the earlier export',
      );
    }
    const ex = this.expect;
    if (!ex) return;
    const m = ex.manifest;
    ex.streamSeen.forEach((seen, i) => {
      if (!seen) this.problem({ file: MANIFEST_FILE_NAME, stream: m.streams[i].stream, field: `streams[${i}]`, problem: `stream ${m.streams[i].stream} is in the manifest but has no records in the data` });
    });
    if (m.totalRecords !== this.records) this.problem({ file: MANIFEST_FILE_NAME, field: 'totalRecords', problem: `manifest says ${m.totalRecords}, the data holds ${this.records}` });
    const bytes = this.files.reduce((n, f) => n + f.bytes, 0);
    if (m.totalBytes !== bytes) this.problem({ file: MANIFEST_FILE_NAME, field: 'totalBytes', problem: `manifest says ${m.totalBytes}, the data files have ${bytes}` });
  }
}

function ids(value: unknown): { stream?: string; seq?: number } {
  const v = value as { stream?: unknown; seq?: unknown } | null;
  if (v === null || typeof v !== 'object') return {};
  return {
    ...(typeof v.stream === 'string' ? { stream: v.stream } : {}),
    ...(typeof v.seq === 'number' ? { seq: v.seq } : {}),
  };
}

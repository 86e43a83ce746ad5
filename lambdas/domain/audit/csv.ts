// CSV form of audit events: one row per event, one column per scalar field, RFC 4180 quoting.
//
// Cell encoding of a text value (the same rule for every text column, so it can be undone without
// knowing the column):
//   null                                  -> empty cell
//   "" or a value starting with = + - @ TAB CR or '   -> the value with one more leading '
//   anything else                         -> the value as it is
// then the cell is quoted ("...", inner " doubled) when it holds " , CR or LF.
// Decoding: empty cell -> null; otherwise strip exactly one leading ' if there is one.
// So null and "" stay distinct (empty cell vs a lone '), and a spreadsheet never sees a formula.
// Rows end with CRLF. `v` and `seq` are plain decimal integers. `details` holds the canonical (JCS)
// JSON text of the details object, encoded like any other text cell.
import type { AuditEvent, FieldProblem } from './event';
import { canonicalJsonUnchecked } from './jcs';
import { checkEvent } from './event';

export const CSV_COLUMNS = ['v', 'stream', 'seq', 'prevHash', 'eventId', 'time', 'actor.sub', 'actor.role', 'action', 'subject.type', 'subject.id', 'requestId', 'reason', 'before', 'after', 'details', 'hash'] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

export const CSV_HEADER = CSV_COLUMNS.join(',') + '\r\n';
export const CSV_HEADER_TEXT = CSV_COLUMNS.join(',');

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTES = /"/g;
// First characters a spreadsheet would treat as the start of a formula, plus the escape itself.
const NEUTRALISE = new Set(['=', '+', '-', '@', '\t', '\r', "'"]);

/** Encodes one text value (or null) as a CSV cell, neutralised and quoted as needed. */
export function encodeTextCell(value: string | null): string {
  if (value === null) return '';
  if (value.length === 0) return "'";
  const c = value.charCodeAt(0); // = + - @ TAB CR '
  const s = c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13 || c === 39 ? "'" + value : value;
  return NEEDS_QUOTES.test(s) ? '"' + s.replace(QUOTES, '""') + '"' : s;
}

/** Undoes encodeTextCell for a cell already unquoted by the CSV parser. */
export function decodeTextCell(cell: string): string | null {
  if (cell.length === 0) return null;
  return cell.charCodeAt(0) === 39 /* ' */ ? cell.slice(1) : cell;
}

/** One CSV record (with its CRLF) for a well-formed event. */
export function eventToCsvRecord(e: AuditEvent): string {
  return csvRecordWithDetails(e, e.details === null ? 'null' : canonicalJsonUnchecked(e.details));
}

/** eventToCsvRecord for a caller that has the canonical text of the details already ("null" for none). */
export function csvRecordWithDetails(e: AuditEvent, detailsJcs: string): string {
  const details = e.details === null ? null : detailsJcs;
  return (
    e.v +
    ',' +
    encodeTextCell(e.stream) +
    ',' +
    e.seq +
    ',' +
    e.prevHash +
    ',' +
    encodeTextCell(e.eventId) +
    ',' +
    e.time +
    ',' +
    encodeTextCell(e.actor.sub) +
    ',' +
    encodeTextCell(e.actor.role) +
    ',' +
    encodeTextCell(e.action) +
    ',' +
    encodeTextCell(e.subject.type) +
    ',' +
    encodeTextCell(e.subject.id) +
    ',' +
    encodeTextCell(e.requestId) +
    ',' +
    encodeTextCell(e.reason) +
    ',' +
    (e.before ?? '') +
    ',' +
    (e.after ?? '') +
    ',' +
    encodeTextCell(details) +
    ',' +
    e.hash +
    '\r\n'
  );
}

const CANONICAL_INT = /^(0|[1-9][0-9]*)$/;

function intCell(cell: string, field: string): number | FieldProblem {
  if (!CANONICAL_INT.test(cell)) return { field, problem: `cell ${JSON.stringify(cell)} is not a plain decimal integer` };
  return Number(cell);
}

/**
 * Rebuilds the event from the cells of one CSV record (already unquoted), or names the first cell
 * that cannot be decoded. The result still has to pass checkEvent and the hash check.
 */
export function csvCellsToEvent(cells: readonly string[]): { event: AuditEvent } | { problem: FieldProblem } {
  if (cells.length !== CSV_COLUMNS.length) {
    return { problem: { field: '(row)', problem: `has ${cells.length} cells, expected ${CSV_COLUMNS.length}` } };
  }
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (c.length > 0 && c[0] !== "'" && NEUTRALISE.has(c[0])) {
      return { problem: { field: CSV_COLUMNS[i], problem: `cell starts with ${JSON.stringify(c[0])} without the leading ' the export adds (edited by a spreadsheet?)` } };
    }
  }
  const v = intCell(cells[0], 'v');
  if (typeof v !== 'number') return { problem: v };
  const seq = intCell(cells[2], 'seq');
  if (typeof seq !== 'number') return { problem: seq };
  const t = (i: number) => decodeTextCell(cells[i]);
  let details: unknown = null;
  const detailsText = t(15);
  if (detailsText !== null) {
    try {
      details = JSON.parse(detailsText);
    } catch {
      return { problem: { field: 'details', problem: 'cell is not valid JSON' } };
    }
    if (details === null || typeof details !== 'object' || Array.isArray(details)) {
      return { problem: { field: 'details', problem: 'cell must hold a JSON object' } };
    }
    if (canonicalJsonUnchecked(details) !== detailsText) {
      return { problem: { field: 'details', problem: 'cell is not canonical JSON (RFC 8785)' } };
    }
  }
  const event = {
    v,
    stream: t(1),
    seq,
    prevHash: t(3),
    eventId: t(4),
    time: t(5),
    actor: { sub: t(6), role: t(7) },
    action: t(8),
    subject: { type: t(9), id: t(10) },
    requestId: t(11),
    reason: t(12),
    before: t(13),
    after: t(14),
    details,
    hash: t(16),
  };
  const p = checkEvent(event);
  if (p) return { problem: p };
  return { event: event as AuditEvent };
}

export interface CsvRecord {
  cells: string[];
  /** 1-based physical line on which the record starts. */
  line: number;
}

/** Longest record accepted before the parser gives up (an unterminated quote would otherwise eat the file). */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const FIELD_END = /[,\r\n"]/g;

/**
 * Streaming RFC 4180 parser. Feed it decoded text in any chunking; it yields complete records.
 * Memory is bounded by one record (MAX_RECORD_CHARS) plus one chunk.
 */
export class CsvParser {
  private buf = '';
  private line = 1;

  /** Complete records in `chunk` (plus what was left over); call end() after the last chunk. */
  push(chunk: string): CsvRecord[] {
    this.buf += chunk;
    return this.drain(false);
  }

  end(): CsvRecord[] {
    return this.drain(true);
  }

  private drain(final: boolean): CsvRecord[] {
    const out: CsvRecord[] = [];
    const buf = this.buf;
    let pos = 0;
    while (pos < buf.length) {
      const rec = this.parseRecord(buf, pos, final);
      if (rec === null) break;
      out.push({ cells: rec.cells, line: this.line });
      this.line += 1 + rec.innerNewlines;
      pos = rec.next;
    }
    this.buf = buf.slice(pos);
    if (this.buf.length > MAX_RECORD_CHARS) throw new CsvSyntaxError(this.line, `record longer than ${MAX_RECORD_CHARS} characters (unterminated quote?)`);
    if (final && this.buf.length > 0) throw new CsvSyntaxError(this.line, 'unterminated quoted cell at end of file');
    return out;
  }

  /** One record starting at `start`, or null when the buffer ends inside it (and more may come). */
  private parseRecord(buf: string, start: number, final: boolean): { cells: string[]; next: number; innerNewlines: number } | null {
    const cells: string[] = [];
    let innerNewlines = 0;
    let i = start;
    for (;;) {
      if (buf.charCodeAt(i) === 34 /* " */) {
        let k = i + 1;
        let value = '';
        for (;;) {
          const q = buf.indexOf('"', k);
          if (q < 0) return null;
          if (q + 1 >= buf.length && !final) return null;
          if (buf.charCodeAt(q + 1) === 34) {
            value += buf.slice(k, q + 1);
            k = q + 2;
            continue;
          }
          value += buf.slice(k, q);
          i = q + 1;
          break;
        }
        for (let n = value.indexOf('\n'); n >= 0; n = value.indexOf('\n', n + 1)) innerNewlines++;
        cells.push(value);
        const c = buf.charCodeAt(i);
        if (i >= buf.length) {
          // final: a record without a terminator at end of file
          return { cells, next: i, innerNewlines };
        }
        if (c === 44 /* , */) {
          i++;
          continue;
        }
        const end = this.recordEnd(buf, i, final);
        if (end === null) return null;
        if (end < 0) throw new CsvSyntaxError(this.line + innerNewlines, 'unexpected character after a closing quote');
        return { cells, next: end, innerNewlines };
      }
      FIELD_END.lastIndex = i;
      const m = FIELD_END.exec(buf);
      if (m === null) {
        if (!final) return null;
        cells.push(buf.slice(i));
        return { cells, next: buf.length, innerNewlines };
      }
      const j = m.index;
      if (buf.charCodeAt(j) === 34) throw new CsvSyntaxError(this.line + innerNewlines, 'quote inside an unquoted cell');
      cells.push(buf.slice(i, j));
      if (buf.charCodeAt(j) === 44) {
        i = j + 1;
        continue;
      }
      const end = this.recordEnd(buf, j, final);
      if (end === null) return null;
      if (end < 0) throw new CsvSyntaxError(this.line + innerNewlines, 'bare CR inside an unquoted cell');
      return { cells, next: end, innerNewlines };
    }
  }

  /** Index after the record terminator at `i` (CRLF or LF), null if more data is needed, -1 if none. */
  private recordEnd(buf: string, i: number, final: boolean): number | null {
    const c = buf.charCodeAt(i);
    if (c === 10) return i + 1;
    if (c === 13) {
      if (i + 1 >= buf.length) return final ? -1 : null;
      return buf.charCodeAt(i + 1) === 10 ? i + 2 : -1;
    }
    return -1;
  }
}

// manifest.json of an audit export: what the data files must add up to, and a digest of itself.
//
// The digest (manifestHash = SHA-256 of JCS(manifest without manifestHash)) catches a careless edit
// or a truncated upload. It does not stop a forger who rewrites data and manifest together: only the
// chain heads anchored in the S3 Object Lock bucket do that (see docs/audit.md, "Anchors").
import { HEX64, NotJsonError, assertJsonValue, canonicalJson, sha256Hex } from './jcs';
import { isIsoMillis, type FieldProblem } from './event';

export const MANIFEST_VERSION = 1;
export const MANIFEST_FILE_NAME = 'manifest.json';
export type ExportFormat = 'jsonl' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv'];

/** A position in the export's order (stream, then seq). */
export interface ExportPosition {
  stream: string;
  seq: number;
}

export interface ManifestFile {
  name: string;
  /** SHA-256 (hex) of the file's bytes. */
  sha256: string;
  bytes: number;
  records: number;
  /** First and last event in the file. */
  first: ExportPosition;
  last: ExportPosition;
}

export interface ManifestStream {
  stream: string;
  firstSeq: number;
  lastSeq: number;
  /** prevHash of the first exported event: GENESIS_HASH, or the hash that links to an earlier export. */
  firstPrevHash: string;
  /** hash of the last exported event. */
  lastHash: string;
  records: number;
}

/** A stream's head at export time, as the caller read it from the store. */
export interface StreamHead {
  stream: string;
  seq: number;
  hash: string;
}

/** A reference to an anchor object in the Object Lock bucket, as the caller gives it. */
export interface AnchorRef {
  key: string;
  /** SHA-256 (hex) of the anchor object's bytes. */
  sha256: string;
  [extra: string]: unknown;
}

export interface ExportManifest {
  manifestVersion: 1;
  exportId: string;
  createdAt: string;
  format: ExportFormat;
  /** Opaque to the formatter: what the caller selected (JSON). */
  filters: Record<string, unknown> | null;
  /** Time window: from <= event.time < to; null when open. */
  from: string | null;
  to: string | null;
  files: ManifestFile[];
  totalRecords: number;
  totalBytes: number;
  /** Every stream in the export, in export order (ascending stream id). */
  streams: ManifestStream[];
  /** Heads given by the caller, ascending stream id. */
  chainHeads: StreamHead[];
  anchors: AnchorRef[];
  /** SHA-256 (hex) of JCS(this manifest without manifestHash). */
  manifestHash: string;
}

export type UnsealedManifest = Omit<ExportManifest, 'manifestHash'>;

/** SHA-256 of JCS(manifest without manifestHash). */
export function manifestDigest(manifest: UnsealedManifest | ExportManifest): string {
  const { manifestHash: _ignored, ...rest } = manifest as ExportManifest;
  return sha256Hex(canonicalJson(rest));
}

export function sealManifest(unsealed: UnsealedManifest): ExportManifest {
  return { ...unsealed, manifestHash: manifestDigest(unsealed) };
}

/** The bytes of manifest.json: the canonical object, indented for people, with a final newline. */
export function serializeManifest(manifest: ExportManifest): string {
  return JSON.stringify(JSON.parse(canonicalJson(manifest)), null, 2) + '\n';
}

/** Names a data file: events-00001.jsonl, events-00002.jsonl, ... */
export function dataFileName(index: number, format: ExportFormat): string {
  return `events-${String(index).padStart(5, '0')}.${format}`;
}
export const DATA_FILE_NAME = /^events-(\d{5,})\.(jsonl|csv)$/;

// ---- shape check (for the verifier: every problem names the manifest path) ----

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isHex = (v: unknown): v is string => typeof v === 'string' && HEX64.test(v);
const isStreamId = (v: unknown): v is string => typeof v === 'string' && /^[\x21-\x7e]{1,256}$/.test(v);

/** Every shape problem of a parsed manifest.json, each naming its path (e.g. "files[0].sha256"). */
export function checkManifestShape(value: unknown): FieldProblem[] {
  const out: FieldProblem[] = [];
  const bad = (field: string, problem: string) => out.push({ field, problem });
  if (!isObj(value)) {
    bad('(manifest)', 'must be a JSON object');
    return out;
  }
  try {
    assertJsonValue(value, 'manifest');
  } catch (err) {
    if (err instanceof NotJsonError) bad(err.path, err.problem);
    else throw err;
    return out;
  }
  const m = value;
  const known = new Set(['manifestVersion', 'exportId', 'createdAt', 'format', 'filters', 'from', 'to', 'files', 'totalRecords', 'totalBytes', 'streams', 'chainHeads', 'anchors', 'manifestHash']);
  for (const k of Object.keys(m)) if (!known.has(k)) bad(k, 'is not a manifest member');
  if (m.manifestVersion !== MANIFEST_VERSION) bad('manifestVersion', `must be ${MANIFEST_VERSION}`);
  if (typeof m.exportId !== 'string' || m.exportId.length === 0) bad('exportId', 'must be a non-empty string');
  if (!isIsoMillis(m.createdAt)) bad('createdAt', 'must be ISO 8601 UTC with milliseconds');
  if (!EXPORT_FORMATS.includes(m.format as ExportFormat)) bad('format', `must be one of ${EXPORT_FORMATS.join(', ')}`);
  if (m.filters !== null && !isObj(m.filters)) bad('filters', 'must be an object or null');
  if (m.from !== null && !isIsoMillis(m.from)) bad('from', 'must be ISO 8601 UTC with milliseconds, or null');
  if (m.to !== null && !isIsoMillis(m.to)) bad('to', 'must be ISO 8601 UTC with milliseconds, or null');
  if (!isCount(m.totalRecords)) bad('totalRecords', 'must be an integer >= 0');
  if (!isCount(m.totalBytes)) bad('totalBytes', 'must be an integer >= 0');
  if (!isHex(m.manifestHash)) bad('manifestHash', 'must be 64 lower-case hex digits');

  const pos = (p: unknown, path: string) => {
    if (!isObj(p)) {
      bad(path, 'must be an object {stream, seq}');
      return;
    }
    if (!isStreamId(p.stream)) bad(`${path}.stream`, 'must be a stream id');
    if (!isSeq(p.seq)) bad(`${path}.seq`, 'must be an integer >= 1');
  };
  if (!Array.isArray(m.files)) bad('files', 'must be an array');
  else {
    const fmt = m.format as string;
    m.files.forEach((f, i) => {
      const p = `files[${i}]`;
      if (!isObj(f)) {
        bad(p, 'must be an object');
        return;
      }
      if (typeof f.name !== 'string' || f.name !== dataFileName(i + 1, fmt as ExportFormat)) bad(`${p}.name`, `must be ${dataFileName(i + 1, fmt as ExportFormat)}`);
      if (!isHex(f.sha256)) bad(`${p}.sha256`, 'must be 64 lower-case hex digits');
      if (!isCount(f.bytes)) bad(`${p}.bytes`, 'must be an integer >= 0');
      if (!isCount(f.records) || f.records < 1) bad(`${p}.records`, 'must be an integer >= 1');
      pos(f.first, `${p}.first`);
      pos(f.last, `${p}.last`);
    });
  }
  if (!Array.isArray(m.streams)) bad('streams', 'must be an array');
  else {
    m.streams.forEach((s, i) => {
      const p = `streams[${i}]`;
      if (!isObj(s)) {
        bad(p, 'must be an object');
        return;
      }
      if (!isStreamId(s.stream)) bad(`${p}.stream`, 'must be a stream id');
      if (!isSeq(s.firstSeq)) bad(`${p}.firstSeq`, 'must be an integer >= 1');
      if (!isSeq(s.lastSeq)) bad(`${p}.lastSeq`, 'must be an integer >= 1');
      if (!isHex(s.firstPrevHash)) bad(`${p}.firstPrevHash`, 'must be 64 lower-case hex digits');
      if (!isHex(s.lastHash)) bad(`${p}.lastHash`, 'must be 64 lower-case hex digits');
      if (!isCount(s.records) || s.records < 1) bad(`${p}.records`, 'must be an integer >= 1');
    });
  }
  if (!Array.isArray(m.chainHeads)) bad('chainHeads', 'must be an array');
  else {
    m.chainHeads.forEach((h, i) => {
      const p = `chainHeads[${i}]`;
      if (!isObj(h)) {
        bad(p, 'must be an object');
        return;
      }
      if (!isStreamId(h.stream)) bad(`${p}.stream`, 'must be a stream id');
      if (!isSeq(h.seq)) bad(`${p}.seq`, 'must be an integer >= 1');
      if (!isHex(h.hash)) bad(`${p}.hash`, 'must be 64 lower-case hex digits');
    });
  }
  if (!Array.isArray(m.anchors)) bad('anchors', 'must be an array');
  else {
    m.anchors.forEach((a, i) => {
      if (!isObj(a)) {
        bad(`anchors[${i}]`, 'must be an object');
        return;
      }
      if (typeof a.key !== 'string' || a.key.length === 0) bad(`anchors[${i}].key`, 'must be a non-empty string');
      if (!isHex(a.sha256)) bad(`anchors[${i}].sha256`, 'must be 64 lower-case hex digits');
    });
  }
  return out;
}

/** Normalises and checks caller-given heads: sorted by stream, one per stream. */
export function normaliseHeads(heads: ReadonlyArray<StreamHead> | Readonly<Record<string, { seq: number; hash: string }>> | undefined): StreamHead[] {
  if (heads === undefined) return [];
  const list: StreamHead[] = Array.isArray(heads)
    ? heads.map((h) => ({ stream: h.stream, seq: h.seq, hash: h.hash }))
    : Object.entries(heads as Record<string, { seq: number; hash: string }>).map(([stream, h]) => ({ stream, seq: h.seq, hash: h.hash }));
  list.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  list.forEach((h, i) => {
    if (!isStreamId(h.stream)) throw new TypeError(`chainHeads[${i}].stream must be a stream id`);
    if (!isSeq(h.seq)) throw new TypeError(`chainHeads[${i}].seq must be an integer >= 1`);
    if (!isHex(h.hash)) throw new TypeError(`chainHeads[${i}].hash must be 64 lower-case hex digits`);
    if (i > 0 && list[i - 1].stream === h.stream) throw new TypeError(`chainHeads: stream ${h.stream} appears twice`);
  });
  return list;
}

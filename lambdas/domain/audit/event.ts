// The audit event: its fixed shape, its validation, its canonical text and its hash.
// hash = SHA-256(UTF-8(JCS(event without "hash"))). seq and prevHash sit inside the hashed object,
// so an event's hash covers its place in the chain as well as its content.
import canonicalize from 'canonicalize';
import { HEX64, NotJsonError, assertJsonValue, canonicalJsonUnchecked, isWellFormed, sha256Hex } from './jcs';

export interface AuditActor {
  sub: string;
  /** researcher | reviewer | chair | site-operator | auditor | admin | system (open set). */
  role: string;
}

export interface AuditSubject {
  type: string;
  id: string;
}

export interface AuditEvent {
  v: 1;
  /** Chain id: one chain per subject, e.g. "allocation/a-01J...". Printable ASCII, no spaces. */
  stream: string;
  /** 1, 2, 3 ... gap-free within the stream. */
  seq: number;
  /** Hex SHA-256 of the previous event in this stream; GENESIS_HASH for seq 1. */
  prevHash: string;
  eventId: string;
  /** ISO 8601 UTC with milliseconds: 2026-11-27T10:00:00.000Z. */
  time: string;
  actor: AuditActor;
  action: string;
  subject: AuditSubject;
  requestId: string;
  reason: string | null;
  /** digestOf(subject before the change); null when the change created it. */
  before: string | null;
  /** digestOf(subject after the change); null when the change deleted it. */
  after: string | null;
  details: Record<string, unknown> | null;
  hash: string;
}

/** What the caller supplies; nextEvent adds v, seq, prevHash and hash. */
export type AuditEventFields = Omit<AuditEvent, 'v' | 'seq' | 'prevHash' | 'hash'>;

/** The last event of a stream, as far as linking the next one needs. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
export const EVENT_SCHEMA_VERSION = 1;
/** Canonical details larger than this are refused by nextEvent: details are a summary, not a copy. */
export const MAX_DETAILS_BYTES = 16 * 1024;

/** Member names of an event in canonical (JCS, sorted) order. */
export const EVENT_KEYS = ['action', 'actor', 'after', 'before', 'details', 'eventId', 'hash', 'prevHash', 'reason', 'requestId', 'seq', 'stream', 'subject', 'time', 'v'] as const;
const EVENT_KEY_SET: ReadonlySet<string> = new Set(EVENT_KEYS);

export interface FieldProblem {
  /** Dotted path of the member, e.g. "actor.role" or "details.amount". */
  field: string;
  problem: string;
}

export class AuditEventError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`audit event ${field}: ${problem}`);
    this.name = 'AuditEventError';
  }
}

const PRINTABLE_ID = /^[\x21-\x7e]+$/;
const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** True for a string in ISO 8601 UTC with milliseconds that names a real instant. */
export function isIsoMillis(t: unknown): t is string {
  if (typeof t !== 'string' || t.length !== 24 || !ISO_MILLIS.test(t)) return false;
  // Checked by hand rather than through Date: this runs once per record in the writer and verifier.
  const year = Number(t.slice(0, 4));
  const month = Number(t.slice(5, 7));
  const day = Number(t.slice(8, 10));
  if (month < 1 || month > 12 || day < 1 || Number(t.slice(11, 13)) > 23 || Number(t.slice(14, 16)) > 59 || Number(t.slice(17, 19)) > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

function text(v: unknown, field: string, nonEmpty: boolean): FieldProblem | null {
  if (typeof v !== 'string') return { field, problem: `must be a string, not ${describe(v)}` };
  if (nonEmpty && v.length === 0) return { field, problem: 'must not be empty' };
  if (!isWellFormed(v)) return { field, problem: 'contains a lone UTF-16 surrogate' };
  return null;
}

function nullableText(v: unknown, field: string): FieldProblem | null {
  if (v === null) return null;
  if (typeof v !== 'string') return { field, problem: `must be a string or null, not ${describe(v)}` };
  if (!isWellFormed(v)) return { field, problem: 'contains a lone UTF-16 surrogate' };
  return null;
}

function idText(v: unknown, field: string, max: number): FieldProblem | null {
  if (typeof v !== 'string') return { field, problem: `must be a string, not ${describe(v)}` };
  if (v.length === 0 || v.length > max || !PRINTABLE_ID.test(v)) {
    return { field, problem: `must be 1-${max} printable ASCII characters without spaces` };
  }
  return null;
}

// Checked per digest field of every record (four per event), the same meaning as HEX64
// (/^[0-9a-f]{64}$/): a table lookup per character runs about twice as fast in V8 as even
// /^[0-9a-f]+$/ with a length test, which was the verifier's largest single cost after hashing.
const HEX_DIGIT = new Uint8Array(128);
for (const c of '0123456789abcdef') HEX_DIGIT[c.charCodeAt(0)] = 1;
const isHex64 = (v: unknown): v is string => {
  if (typeof v !== 'string' || v.length !== 64) return false;
  for (let i = 0; i < 64; i++) if (HEX_DIGIT[v.charCodeAt(i)] !== 1) return false;
  return true;
};

function hex(v: unknown, field: string): FieldProblem | null {
  if (!isHex64(v)) return { field, problem: 'must be 64 lower-case hex digits (SHA-256)' };
  return null;
}

function nullableHex(v: unknown, field: string): FieldProblem | null {
  if (v === null) return null;
  if (!isHex64(v)) return { field, problem: 'must be 64 lower-case hex digits (SHA-256) or null' };
  return null;
}

/** Problems with a two-member object such as actor {sub, role} or subject {type, id}. */
function pair(v: unknown, path: string, a: string, b: string): FieldProblem | null {
  if (!isPlainObject(v)) return { field: path, problem: `must be an object, not ${describe(v)}` };
  if (v[a] === undefined) return { field: `${path}.${a}`, problem: 'is required' };
  if (v[b] === undefined) return { field: `${path}.${b}`, problem: 'is required' };
  for (const k in v) if (k !== a && k !== b) return { field: `${path}.${k}`, problem: 'is not a member of an audit event' };
  return text(v[a], `${path}.${a}`, true) ?? text(v[b], `${path}.${b}`, true);
}

/**
 * The first thing wrong with `value` as an audit event, or null when it is well-formed.
 * `hash: 'ignore'` checks an event that has no hash yet (a present `hash` member is then ignored).
 */
export function checkEvent(value: unknown, opts?: { hash?: 'require' | 'ignore' }): FieldProblem | null {
  if (!isPlainObject(value)) return { field: '(event)', problem: `must be a JSON object, not ${describe(value)}` };
  const e = value;
  const ignoreHash = opts?.hash === 'ignore';
  for (const k of EVENT_KEYS) {
    if (e[k] === undefined && !(ignoreHash && k === 'hash')) return { field: k, problem: 'is required' };
  }
  for (const k in e) if (!EVENT_KEY_SET.has(k)) return { field: k, problem: 'is not a member of an audit event' };
  if (e.v !== EVENT_SCHEMA_VERSION) return { field: 'v', problem: `must be ${EVENT_SCHEMA_VERSION}` };
  const p =
    idText(e.stream, 'stream', 256) ??
    (typeof e.seq === 'number' && Number.isSafeInteger(e.seq) && e.seq >= 1 ? null : { field: 'seq', problem: 'must be an integer >= 1' }) ??
    hex(e.prevHash, 'prevHash') ??
    idText(e.eventId, 'eventId', 128) ??
    (isIsoMillis(e.time) ? null : { field: 'time', problem: 'must be ISO 8601 UTC with milliseconds, e.g. 2026-11-27T10:00:00.000Z' }) ??
    pair(e.actor, 'actor', 'sub', 'role') ??
    text(e.action, 'action', true) ??
    pair(e.subject, 'subject', 'type', 'id') ??
    text(e.requestId, 'requestId', false) ??
    nullableText(e.reason, 'reason') ??
    nullableHex(e.before, 'before') ??
    nullableHex(e.after, 'after') ??
    checkDetails(e.details) ??
    (ignoreHash ? null : hex(e.hash, 'hash'));
  if (p) return p;
  if (e.seq === 1 && e.prevHash !== GENESIS_HASH) return { field: 'prevHash', problem: 'must be 64 zeros (GENESIS_HASH) for seq 1' };
  return null;
}

function checkDetails(d: unknown): FieldProblem | null {
  if (d === null) return null;
  if (!isPlainObject(d)) return { field: 'details', problem: `must be a JSON object or null, not ${describe(d)}` };
  try {
    assertJsonValue(d, 'details');
  } catch (err) {
    if (err instanceof NotJsonError) return { field: err.path, problem: err.problem };
    throw err;
  }
  return null;
}

/**
 * JCS text of a well-formed event, in two parts around the place of its hash member: the text
 * without the hash is head + tail, with it head + ',"hash":"<hash>"' + tail. The envelope has a fixed
 * set of members, so they are written in their sorted order directly; only `details` goes through
 * the general canonicaliser. Tests check the result equals canonicalize() of the whole event.
 */
export function canonicalParts(e: AuditEvent | Omit<AuditEvent, 'hash'>): { head: string; tail: string; details: string } {
  const q = JSON.stringify;
  // Digests and the time are validated hex / ISO text: nothing in them needs escaping.
  const details = e.details === null ? 'null' : canonicalJsonUnchecked(e.details);
  const head =
    '{"action":' +
    q(e.action) +
    ',"actor":{"role":' +
    q(e.actor.role) +
    ',"sub":' +
    q(e.actor.sub) +
    '},"after":' +
    (e.after === null ? 'null' : '"' + e.after + '"') +
    ',"before":' +
    (e.before === null ? 'null' : '"' + e.before + '"') +
    ',"details":' +
    details +
    ',"eventId":' +
    q(e.eventId);
  const tail =
    ',"prevHash":"' +
    e.prevHash +
    '","reason":' +
    q(e.reason) +
    ',"requestId":' +
    q(e.requestId) +
    ',"seq":' +
    e.seq +
    ',"stream":' +
    q(e.stream) +
    ',"subject":{"id":' +
    q(e.subject.id) +
    ',"type":' +
    q(e.subject.type) +
    '},"time":"' +
    e.time +
    '"' +
    ',"v":' +
    e.v +
    '}';
  return { head, tail, details };
}

function canonicalText(e: AuditEvent, withHash: boolean): string {
  const { head, tail } = canonicalParts(e);
  return withHash ? head + ',"hash":' + JSON.stringify(e.hash) + tail : head + tail;
}

function assertEvent(value: unknown, hash: 'require' | 'ignore'): asserts value is AuditEvent {
  const p = checkEvent(value, { hash });
  if (p) throw new AuditEventError(p.field, p.problem);
}

/** JCS(event without "hash"): the exact text whose SHA-256 is the event's hash. */
export function hashPreimage(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  assertEvent(event, 'ignore');
  return canonicalText(event, false);
}

/** SHA-256 (hex) of JCS(event without "hash"). A `hash` member, if present, is left out. */
export function hashEvent(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  return sha256Hex(hashPreimage(event));
}

/** The event's canonical JSON line (JCS, hash included, no trailing newline). Validates first. */
export function serializeEvent(event: AuditEvent): string {
  assertEvent(event, 'require');
  return canonicalText(event, true);
}

/** Canonical text without validation, for callers that have just run checkEvent on it. */
export function canonicalEventText(event: AuditEvent, withHash: boolean): string {
  return canonicalText(event, withHash);
}

/** A checked event's canonical line (hash included) and hash preimage, from one canonicalisation. */
export function canonicalLineAndPreimage(event: AuditEvent): { line: string; preimage: string } {
  const { head, tail } = canonicalParts(event);
  return { line: head + ',"hash":' + JSON.stringify(event.hash) + tail, preimage: head + tail };
}

/** Parses and validates one event (it does not check the hash: see eventHashMatches). */
export function parseEvent(json: string): AuditEvent {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new AuditEventError('(event)', `is not valid JSON: ${(err as Error).message}`);
  }
  assertEvent(value, 'require');
  return value;
}

/** True when the event's recorded hash is the hash of its content. */
export function eventHashMatches(event: AuditEvent): boolean {
  return hashEvent(event) === event.hash;
}

function checkHead(head: ChainHead): void {
  if (!Number.isSafeInteger(head.seq) || head.seq < 1) throw new AuditEventError('head.seq', 'must be an integer >= 1');
  if (typeof head.hash !== 'string' || !HEX64.test(head.hash)) throw new AuditEventError('head.hash', 'must be 64 lower-case hex digits');
}

/**
 * The next event of a stream: seq = head.seq + 1 and prevHash = head.hash, or seq 1 and
 * GENESIS_HASH when the stream has no head yet. The caller's values are copied (details through its
 * canonical JSON), so changing them afterwards cannot change the event behind its hash.
 */
export function nextEvent(head: ChainHead | null, fields: AuditEventFields): AuditEvent {
  if (head !== null) checkHead(head);
  if (!isPlainObject(fields)) throw new AuditEventError('(fields)', 'must be an object');
  for (const k of ['v', 'seq', 'prevHash', 'hash'] as const) {
    if (k in fields) throw new AuditEventError(k, 'is computed by nextEvent; do not pass it');
  }
  const actor = fields.actor as AuditActor | undefined;
  const subject = fields.subject as AuditSubject | undefined;
  const draft = {
    v: 1 as const,
    stream: fields.stream,
    seq: head ? head.seq + 1 : 1,
    prevHash: head ? head.hash : GENESIS_HASH,
    eventId: fields.eventId,
    time: fields.time,
    actor: isPlainObject(actor) ? { ...actor } : actor,
    action: fields.action,
    subject: isPlainObject(subject) ? { ...subject } : subject,
    requestId: fields.requestId,
    reason: fields.reason,
    before: fields.before,
    after: fields.after,
    details: fields.details,
  };
  // Unknown members of fields are reported by checkEvent rather than silently dropped.
  for (const k of Object.keys(fields)) if (!(k in draft)) (draft as Record<string, unknown>)[k] = (fields as unknown as Record<string, unknown>)[k];
  assertEvent(draft, 'ignore');
  if (draft.details !== null) {
    const detailsText = canonicalize(draft.details) as string;
    if (Buffer.byteLength(detailsText) > MAX_DETAILS_BYTES) {
      throw new AuditEventError('details', `canonical JSON is ${Buffer.byteLength(detailsText)} bytes; at most ${MAX_DETAILS_BYTES} allowed`);
    }
    draft.details = JSON.parse(detailsText) as Record<string, unknown>;
  }
  const event = draft as AuditEvent;
  const { head: h, tail } = canonicalParts(event);
  event.hash = sha256Hex(h + tail);
  return event;
}

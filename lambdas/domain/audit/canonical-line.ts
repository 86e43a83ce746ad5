// Reading a JSONL record that is already in canonical form (every line of a sound export), for the
// verifier. The general route (JSON.parse of the line, then its canonical text rebuilt and
// compared) did the work of a JSON parser twice; a canonical event line has a fixed layout, so it
// is read here in one pass: the members' names and punctuation are fixed text, and only the member
// values are read, each required to be written exactly as JCS writes it.
//
// Soundness (why this may stand in for the general route): it returns a result only when the line
// is the fixed text with every value token equal to JSON.stringify of its value (the details object
// to canonicalJsonUnchecked of it, the seq to String of it), which is how canonicalParts (event.ts)
// writes a checked event. Such a line is valid JSON that parses to the returned event, and it is
// that event's canonical text; the caller still runs checkEvent on the event. Anything else
// returns null and goes the general route, whose problems it reports. Tests compare the two routes.
import type { AuditEvent } from './event';
import { canonicalJsonUnchecked, isWellFormed } from './jcs';

/** The event on a canonical line, and the text its hash is the SHA-256 of (the line without its hash member). */
export interface CanonicalLine {
  event: AuditEvent;
  preimage: string;
}

// A raw control character never appears in canonical JSON (JCS escapes them), nor a lone surrogate.
// biome-ignore lint/suspicious/noControlCharactersInRegex: it matches control characters in order to refuse them
const CONTROL = /[\x00-\x1f]/;
const HASH_MEMBER = ',"hash":';
const EVENT_ID_MEMBER = ',"eventId":';

// The line being read, the position in it, and where its next backslash is (Infinity: none).
// Module state rather than an object per line: this runs once per record.
let L = '';
let pos = 0;
let nextBackslash = 0;
const FAIL = Symbol('not canonical');

function lit(text: string): boolean {
  if (!L.startsWith(text, pos)) return false;
  pos += text.length;
  return true;
}

function isEscapedQuote(q: number): boolean {
  let n = 0;
  while (L.charCodeAt(q - 1 - n) === 92 /* \ */) n++;
  return n % 2 === 1;
}

/** A string token written as JSON.stringify writes its value. */
function str(): string | typeof FAIL {
  if (L.charCodeAt(pos) !== 34 /* " */) return FAIL;
  if (nextBackslash <= pos) {
    const b = L.indexOf('\\', pos);
    nextBackslash = b < 0 ? Number.POSITIVE_INFINITY : b;
  }
  let q = L.indexOf('"', pos + 1);
  if (q < 0) return FAIL;
  if (q < nextBackslash) {
    // No escapes: the token is the value in quotes, which (no control characters, no lone
    // surrogates, no quote or backslash) is exactly what JSON.stringify writes for it.
    const v = L.slice(pos + 1, q);
    pos = q + 1;
    return v;
  }
  while (isEscapedQuote(q)) {
    q = L.indexOf('"', q + 1);
    if (q < 0) return FAIL;
  }
  const token = L.slice(pos, q + 1);
  let v: unknown;
  try {
    v = JSON.parse(token);
  } catch {
    return FAIL;
  }
  if (typeof v !== 'string' || JSON.stringify(v) !== token) return FAIL;
  pos = q + 1;
  return v;
}

function strOrNull(): string | null | typeof FAIL {
  return lit('null') ? null : str();
}

/** The seq: decimal digits that are String() of their value (so no leading zero, no lost precision). */
function seq(): number | typeof FAIL {
  const start = pos;
  while (pos < L.length && L.charCodeAt(pos) >= 48 && L.charCodeAt(pos) <= 57) pos++;
  const token = L.slice(start, pos);
  const v = Number(token);
  return token.length > 0 && String(v) === token ? v : FAIL;
}

/** A number token written as JSON.stringify writes its value (which rules out NaN and Infinity). */
function num(): number | typeof FAIL {
  const start = pos;
  for (let c = L.charCodeAt(pos); (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69; c = L.charCodeAt(++pos));
  const token = L.slice(start, pos);
  const v = Number(token);
  return token.length > 0 && JSON.stringify(v) === token ? v : FAIL;
}

/**
 * A details object of scalars (what the writers put there), read member by member: names strictly
 * ascending (sorted and unique, by UTF-16 code units as JCS sorts them), each name and value token
 * as JSON.stringify writes it. That text is canonicalJsonUnchecked of the object built, and the
 * object is what JSON.parse makes of it. Nested values, and a "__proto__" name (which an assignment
 * would not make an own member), leave it to the general reading below.
 */
function flatDetails(): Record<string, unknown> | typeof FAIL {
  if (!lit('{')) return FAIL;
  const o: Record<string, unknown> = {};
  if (lit('}')) return o;
  let prev: string | null = null;
  for (;;) {
    const key = str();
    if (key === FAIL || key === '__proto__' || (prev !== null && !(prev < key)) || !lit(':')) return FAIL;
    const c = L.charCodeAt(pos);
    let v: unknown;
    if (c === 34 /* " */) v = str();
    else if ((c >= 48 && c <= 57) || c === 45 /* - */) v = num();
    else if (lit('true')) v = true;
    else if (lit('false')) v = false;
    else if (lit('null')) v = null;
    else return FAIL;
    if (v === FAIL) return FAIL;
    o[key] = v;
    prev = key;
    if (lit('}')) return o;
    if (!lit(',')) return FAIL;
  }
}

/** The details: null, or an object whose canonical text is exactly its text here. */
function details(): Record<string, unknown> | null | typeof FAIL {
  if (lit('null')) return null;
  const start = pos;
  const flat = flatDetails();
  if (flat !== FAIL) return flat;
  pos = start;
  // The envelope after details holds no unescaped quote inside a value, so the last ',"eventId":'
  // is the member's: a details object may hold such a key, but never after the envelope's.
  const end = L.lastIndexOf(EVENT_ID_MEMBER);
  if (end <= pos || L.charCodeAt(pos) !== 123 /* { */) return FAIL;
  const text = L.slice(pos, end);
  let v: unknown;
  try {
    // canonicalJsonUnchecked recurses: nesting too deep for the stack fails here, not the verifier
    // (the general route then names it through checkEvent's depth limit).
    v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v) || canonicalJsonUnchecked(v) !== text) return FAIL;
  } catch {
    return FAIL;
  }
  pos = end;
  return v as Record<string, unknown>;
}

/** The event on `line` when the line is in canonical form, else null (then use the general route). */
export function readCanonicalLine(line: string): CanonicalLine | null {
  if (CONTROL.test(line) || !isWellFormed(line)) return null;
  L = line;
  pos = 0;
  nextBackslash = 0;
  try {
    return read();
  } finally {
    L = '';
  }
}

function read(): CanonicalLine | null {
  if (!lit('{"action":')) return null;
  const action = str();
  if (action === FAIL || !lit(',"actor":{"role":')) return null;
  const role = str();
  if (role === FAIL || !lit(',"sub":')) return null;
  const sub = str();
  if (sub === FAIL || !lit('},"after":')) return null;
  const after = strOrNull();
  if (after === FAIL || !lit(',"before":')) return null;
  const before = strOrNull();
  if (before === FAIL || !lit(',"details":')) return null;
  const d = details();
  if (d === FAIL || !lit(EVENT_ID_MEMBER)) return null;
  const eventId = str();
  if (eventId === FAIL) return null;
  const hashAt = pos;
  if (!lit(HASH_MEMBER)) return null;
  const hash = str();
  const hashEnd = pos;
  if (hash === FAIL || !lit(',"prevHash":')) return null;
  const prevHash = str();
  if (prevHash === FAIL || !lit(',"reason":')) return null;
  const reason = strOrNull();
  if (reason === FAIL || !lit(',"requestId":')) return null;
  const requestId = str();
  if (requestId === FAIL || !lit(',"seq":')) return null;
  const s = seq();
  if (s === FAIL || !lit(',"stream":')) return null;
  const stream = str();
  if (stream === FAIL || !lit(',"subject":{"id":')) return null;
  const id = str();
  if (id === FAIL || !lit(',"type":')) return null;
  const type = str();
  if (type === FAIL || !lit('},"time":')) return null;
  const time = str();
  if (time === FAIL || !lit(',"v":1}') || pos !== L.length) return null;
  const event: AuditEvent = {
    action,
    actor: { role, sub },
    after,
    before,
    details: d,
    eventId,
    hash,
    prevHash,
    reason,
    requestId,
    seq: s,
    stream,
    subject: { id, type },
    time,
    v: 1,
  };
  return { event, preimage: L.slice(0, hashAt) + L.slice(hashEnd) };
}

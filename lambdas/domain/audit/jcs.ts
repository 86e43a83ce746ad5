// Canonical JSON (RFC 8785, JCS) and SHA-256, the two primitives every audit hash is built from.
// `canonicalize` is the RFC's reference implementation, but it quietly accepts values JSON cannot
// carry (undefined is dropped, a Date becomes its toJSON string, a function becomes the text
// "undefined"). A hash over such a value could never be recomputed from an export, so every value is
// checked first and rejected with the path of the offending member.
import * as crypto from 'node:crypto';
import canonicalize from 'canonicalize';

/** Thrown for a value that is not plain JSON (I-JSON, as RFC 8785 requires). */
export class NotJsonError extends TypeError {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'NotJsonError';
  }
}

const MAX_DEPTH = 64;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// String.prototype.isWellFormed (ES2024) is native in Node 20+ and far faster than the regex.
const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** True when the string is well-formed UTF-16 (no lone surrogate), so it has a UTF-8 encoding. */
export const isWellFormed: (s: string) => boolean = nativeWellFormed ? (s) => nativeWellFormed.call(s) : (s) => !LONE_SURROGATE.test(s);

function kindOf(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return 'a BigInt (convert it to a string or a safe integer)';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (value instanceof Date) return 'a Date (convert it to an ISO 8601 string)';
  if (value instanceof Map || value instanceof Set) return `a ${value.constructor.name} (convert it to an object or array)`;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return 'binary data (encode it as a string)';
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor ? `an instance of ${ctor}` : 'not a plain object';
}

function memberPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Throws NotJsonError unless `value` is null, a boolean, a finite number, a well-formed string, a
 * dense array or a plain object (prototype Object.prototype or null) of such values.
 */
export function assertJsonValue(value: unknown, path = '$'): void {
  const problem = check(value, 0);
  if (problem)
    throw new NotJsonError(
      problem.keys.reduceRight<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : memberPath(p, k)), path),
      problem.text,
    );
}

// Paths are only built for the error, as the list of keys from the failing value up to the root.
interface JsonProblem {
  keys: Array<string | number>;
  text: string;
}

function check(value: unknown, depth: number): JsonProblem | null {
  if (value === null || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { keys: [], text: `${value} is not a JSON number (numbers must be finite)` };
  if (typeof value === 'string') return isWellFormed(value) ? null : { keys: [], text: 'string contains a lone UTF-16 surrogate, which has no UTF-8 encoding' };
  if (typeof value !== 'object') return { keys: [], text: `${kindOf(value)} is not a JSON value` };
  if (depth >= MAX_DEPTH) return { keys: [], text: `nested deeper than ${MAX_DEPTH} levels (or a cycle)` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return { keys: [i], text: 'array hole is not a JSON value' };
      const p = check(value[i], depth + 1);
      if (p) {
        p.keys.push(i);
        return p;
      }
    }
    return null;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return { keys: [], text: `${kindOf(value)} is not a JSON value` };
  if (Object.getOwnPropertySymbols(value).length > 0) return { keys: [], text: 'symbol-keyed members are not JSON' };
  for (const key of Object.keys(value)) {
    if (!isWellFormed(key)) return { keys: [key], text: 'member name contains a lone UTF-16 surrogate' };
    const p = check((value as Record<string, unknown>)[key], depth + 1);
    if (p) {
      p.keys.push(key);
      return p;
    }
  }
  return null;
}

/**
 * JCS text of a value already checked by assertJsonValue. Same output as the `canonicalize`
 * package (tests compare them on fuzzed input) without its per-member template strings and
 * reduce, which made it the slowest step of writing an export. Strings and numbers are written by
 * JSON.stringify, exactly as RFC 8785 specifies for ECMAScript; names sort by UTF-16 code units.
 */
export function canonicalJsonUnchecked(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + canonicalJsonUnchecked(v[i]);
    return s + ']';
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  // Summaries are usually written with their members in order already; sorting is then wasted.
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] > keys[i]) {
      keys.sort();
      break;
    }
  }
  let s = '{';
  for (let i = 0; i < keys.length; i++) s += (i ? ',' : '') + JSON.stringify(keys[i]) + ':' + canonicalJsonUnchecked(o[keys[i]]);
  return s + '}';
}

/** RFC 8785 canonical JSON text of a JSON value; throws NotJsonError for anything else. */
export function canonicalJson(value: unknown): string {
  assertJsonValue(value);
  return canonicalize(value) as string;
}

// crypto.hash (Node >= 20.12) is a one-shot digest, about twice as fast as createHash for small inputs.
const oneShot = (crypto as { hash?: (alg: string, data: string | Uint8Array, enc: 'hex') => string }).hash;

/** Lower-case hex SHA-256 of a string's UTF-8 bytes, or of raw bytes. */
export const sha256Hex: (data: string | Uint8Array) => string = oneShot ? (data) => oneShot('sha256', data, 'hex') : (data) => crypto.createHash('sha256').update(data).digest('hex');

/** SHA-256 (hex) of the UTF-8 of JCS(value): the digest an event's `before`/`after` carry. */
export function digestOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

export const HEX64 = /^[0-9a-f]{64}$/;

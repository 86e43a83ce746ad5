// Canonical JSON (RFC 8785, JCS) and SHA-256, the two primitives every audit hash is built from.
// `canonicalize` is the RFC's reference implementation, but it quietly accepts values JSON cannot
// carry (undefined is dropped, a Date becomes its toJSON string, a function becomes the text
// "undefined"). A hash over such a value could never be recomputed from an export, so every value is
// checked first and rejected with the path of the offending member.
import { createHash } from 'node:crypto';
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

/** True when the string is well-formed UTF-16 (no lone surrogate), so it has a UTF-8 encoding. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

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
export function assertJsonValue(value: unknown, path = '$', depth = 0): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotJsonError(path, `${value} is not a JSON number (numbers must be finite)`);
    return;
  }
  if (typeof value === 'string') {
    if (!isWellFormed(value)) throw new NotJsonError(path, 'string contains a lone UTF-16 surrogate, which has no UTF-8 encoding');
    return;
  }
  if (typeof value !== 'object') throw new NotJsonError(path, `${kindOf(value)} is not a JSON value`);
  if (depth >= MAX_DEPTH) throw new NotJsonError(path, `nested deeper than ${MAX_DEPTH} levels (or a cycle)`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new NotJsonError(`${path}[${i}]`, 'array hole is not a JSON value');
      assertJsonValue(value[i], `${path}[${i}]`, depth + 1);
    }
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new NotJsonError(path, `${kindOf(value)} is not a JSON value`);
  if (Object.getOwnPropertySymbols(value).length > 0) throw new NotJsonError(path, 'symbol-keyed members are not JSON');
  for (const key of Object.keys(value)) {
    const p = memberPath(path, key);
    if (!isWellFormed(key)) throw new NotJsonError(p, 'member name contains a lone UTF-16 surrogate');
    assertJsonValue((value as Record<string, unknown>)[key], p, depth + 1);
  }
}

/** RFC 8785 canonical JSON text of a JSON value; throws NotJsonError for anything else. */
export function canonicalJson(value: unknown): string {
  assertJsonValue(value);
  return canonicalize(value) as string;
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes, or of raw bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 (hex) of the UTF-8 of JCS(value): the digest an event's `before`/`after` carry. */
export function digestOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

export const HEX64 = /^[0-9a-f]{64}$/;

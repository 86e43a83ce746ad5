// Opaque pagination tokens: base64url of the DynamoDB start key plus the partition it belongs to,
// so a token from another list (or a forged one) is refused with a 400, never passed to DynamoDB.
import { ValidationError } from '../../domain/errors';

export function encodeToken(key: Record<string, unknown> | undefined, scope: string): string | undefined {
  if (!key) return undefined;
  return Buffer.from(JSON.stringify({ s: scope, k: key })).toString('base64url');
}

export function decodeToken(token: string | undefined, scope: string): Record<string, unknown> | undefined {
  if (!token) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: string; k?: Record<string, unknown> };
    if (v.s === scope && v.k && typeof v.k === 'object' && Object.values(v.k).every((x) => typeof x === 'string' || typeof x === 'number')) return v.k;
  } catch {
    /* fall through */
  }
  throw ValidationError.field('query.nextToken', 'is not a token this list issued');
}

// Identifiers: a type prefix and a ULID (time-ordered, 26 Crockford base32 characters, lower-cased
// so they are also valid scheduler account names). e.g. "prop-01jd3x8e0c7k9m2n4p6q8r0s2t".
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function ulid(now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[rnd[i] % 32];
  return time + rand;
}

export function newId(prefix: string, now?: number): string {
  return `${prefix}-${ulid(now)}`;
}

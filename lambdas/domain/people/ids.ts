// Deterministic ids where one person may hold only one of a thing: an enrolment per instance, an
// application per internship, a grant per (role, scope, person). A retry or a duplicate then
// lands on the same item, and a conditional write refuses the second. 26 base32 characters of a
// SHA-256, in the shape of KAIRR's other ids (prefix-<26>).
import { createHash } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function stableId(prefix: string, ...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  let out = '';
  for (let i = 0; i < 26; i++) out += ALPHABET[h[i] % 32];
  return `${prefix}-${out}`;
}

export const enrolmentId = (instanceId: string, sub: string) => stableId('enr', instanceId, sub);
export const applicationId = (internshipId: string, sub: string) => stableId('app', internshipId, sub);
export const grantId = (role: string, scopeType: string, scopeId: string, sub: string) => stableId('grt', role, scopeType, scopeId, sub);
export const mentorId = (sub: string) => stableId('mnt', sub);

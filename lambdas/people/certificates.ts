// Certificate verification, for anyone: the certificate item AND its audit chain. Every event of
// the certificate's stream must hash to itself and link to the one before (seq 1, 2, ... from the
// genesis hash), the first must be its issue, and the latest event's `after` digest must be the
// digest of the certificate as stored now. An edited item, or an event edited, removed or
// reordered, makes `valid` false and names what does not hold. An id KAIRR never issued is a 404.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, auditTable } from '../shared/store/client';
import { auditStream, peopleKeys } from '../shared/store/keys';
import { eventOfItem, subjectState } from '../shared/store/write-path';
import { eventHashMatches, GENESIS_HASH, type AuditEvent } from '../domain/audit/event';
import { digestOf } from '../domain/audit/jcs';
import { KairrError } from '../domain/errors';
import type { Certificate } from '../domain/people';
import { getItem, strip } from './store';

export class CertificateNotFoundError extends KairrError {
  constructor(id: string) {
    super(404, 'certificate_not_found', `No certificate "${id}" exists: KAIRR has not issued a certificate with this id.`, [{ path: 'certificateId', problem: 'was never issued by KAIRR' }]);
  }
}

async function streamOf(stream: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(new QueryCommand({ TableName: auditTable(), KeyConditionExpression: 'pk = :s', ExpressionAttributeValues: { ':s': stream }, ConsistentRead: true, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []).map((i) => eventOfItem(i as Record<string, unknown>)));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

export interface Verification {
  valid: boolean;
  status: 'valid' | 'revoked' | 'tampered';
  certificate: { id: string; course: { id: string; name: { ko: string; en: string } }; instanceId: string; displayName: string; completedOn: string; issuer: 'KAIRR' };
  evidence: { stream: string; events: { seq: number; action: string; time: string; hash: string }[]; headHash: string | null };
  problems: string[];
}

export async function verifyCertificate(id: string): Promise<Verification> {
  const item = await getItem(peopleKeys.certificate(id));
  if (!item) throw new CertificateNotFoundError(id);
  const cert = strip<Certificate>(item);
  const stream = auditStream('certificate', id);
  const events = await streamOf(stream);
  const problems: string[] = [];
  let prev = GENESIS_HASH;
  events.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push(`event ${i + 1} of the chain has seq ${e.seq}`);
    if (!eventHashMatches(e)) problems.push(`event seq ${e.seq} does not hash to its recorded hash`);
    if (e.prevHash !== prev) problems.push(`event seq ${e.seq} does not link to the event before it`);
    prev = e.hash;
  });
  if (!events.length) problems.push('the certificate has no audit events');
  else {
    if (events[0].action !== 'certificate.issue') problems.push(`the chain starts with ${events[0].action}, not certificate.issue`);
    const last = events[events.length - 1];
    if (last.after !== digestOf(subjectState(item))) problems.push('the certificate as stored is not the one its latest audit event recorded');
    if (Number(item.auditSeq) !== last.seq) problems.push(`the certificate's chain head (${String(item.auditSeq)}) is not its latest event (${last.seq})`);
  }
  const status = problems.length ? 'tampered' : cert.status === 'revoked' ? 'revoked' : 'valid';
  return {
    valid: status === 'valid',
    status,
    certificate: { id: cert.id, course: { id: cert.courseId, name: cert.courseName }, instanceId: cert.instanceId, displayName: cert.displayName, completedOn: cert.completedOn, issuer: 'KAIRR' },
    evidence: { stream, events: events.map((e) => ({ seq: e.seq, action: e.action, time: e.time, hash: e.hash })), headHash: events.length ? events[events.length - 1].hash : null },
    problems,
  };
}

// Completion, in bulk: the course's instructors (or the provider's managers, or admins) mark
// enrolled learners completed or no-show once the instance has started. Every learner named must
// be enrolled in THIS instance, or the whole request is refused (422 not_enrolled, naming each)
// and nothing is written. A completion issues a certificate (its own audited subject, so its
// verification reads its own chain) and, for a course that qualifies for starter access, records
// the qualification that qualifiesForStarter(sub) reads. Marking the same outcome again is a no-op.
import type { Caller } from '../shared/http/caller';
import { peopleKeys } from '../shared/store/keys';
import { commit, retryOnStale, type AuditContext, type Change, type SideWrite } from '../shared/store/write-path';
import { RuleViolationError } from '../domain/errors';
import { newId } from '../domain/ids';
import { dayOf, type Certificate, type CompletionsBody, type Enrolment } from '../domain/people';
import { asInstructor } from './access';
import { readInstanceAndCourse } from './enrolments';
import { certificateItem, enrolmentItem, getItem, queryPrefix, strip } from './store';

/** Learners per transaction: enrolment + certificate (each with its event) + qualification = 5 items. */
const CHUNK = 18;

export interface CompletionResult {
  enrolmentId: string;
  state: Enrolment['state'];
  certificateId?: string;
  changed: boolean;
}

export async function completeLearners(c: Caller, instanceId: string, body: CompletionsBody, requestId: string, now = new Date()): Promise<CompletionResult[]> {
  const { inst, course } = await readInstanceAndCourse(instanceId);
  const role = await asInstructor(c, course, 'mark completion');
  if (now.getTime() < Date.parse(inst.startDate)) throw new RuleViolationError(`The instance has not started yet (it starts at ${inst.startDate})`, [{ path: 'instanceId', problem: `starts at ${inst.startDate}` }], 'instance_not_started');
  const seen = new Map<string, number>();
  const problems: { path: string; problem: string }[] = [];
  const read = await Promise.all(body.learners.map((l) => getItem(peopleKeys.enrolment(l.enrolmentId))));
  body.learners.forEach((l, i) => {
    const path = `learners[${i}].enrolmentId`;
    if (seen.has(l.enrolmentId)) problems.push({ path, problem: `repeats learners[${seen.get(l.enrolmentId)}]` });
    seen.set(l.enrolmentId, i);
    const e = read[i] ? strip<Enrolment>(read[i]!) : null;
    if (!e || e.instanceId !== instanceId) problems.push({ path, problem: 'is not an enrolment in this instance' });
    else if (e.state !== 'enrolled' && e.state !== l.outcome) problems.push({ path, problem: `is not enrolled (it is ${e.state})` });
  });
  if (problems.length) throw new RuleViolationError('Only enrolled learners can be marked completed or no-show', problems, 'not_enrolled');
  const completedOn = body.completedOn ?? dayOf(now);
  const ctx: AuditContext = { actor: { sub: c.sub, role }, requestId, now };
  const results: CompletionResult[] = [];
  for (let i = 0; i < body.learners.length; i += CHUNK) {
    const chunk = body.learners.slice(i, i + CHUNK);
    results.push(
      ...(await retryOnStale(async () => {
        const out: CompletionResult[] = [];
        const changes: Change[] = [];
        const sideWrites: SideWrite[] = [];
        for (const l of chunk) {
          const item = await getItem(peopleKeys.enrolment(l.enrolmentId));
          const e = strip<Enrolment>(item!);
          if (e.state === l.outcome) {
            out.push({ enrolmentId: e.id, state: e.state, certificateId: e.certificateId, changed: false });
            continue;
          }
          if (e.state !== 'enrolled') throw new RuleViolationError('Only enrolled learners can be marked completed or no-show', [{ path: 'learners', problem: `${e.id} is ${e.state}` }], 'not_enrolled');
          const at = now.toISOString();
          const next: Enrolment = { ...e, state: l.outcome, updatedAt: at, history: [...e.history, { state: l.outcome, at, by: c.sub }] };
          if (l.outcome === 'completed') {
            const cert: Certificate = {
              id: newId('cert'),
              enrolmentId: e.id,
              courseId: course.id,
              courseName: course.name,
              instanceId,
              displayName: e.displayName,
              completedOn,
              issuedAt: at,
              issuedBy: c.sub,
              learnerSub: e.learnerSub,
              status: 'valid',
              qualifiesForStarter: course.qualifiesForStarter,
            };
            next.completedOn = completedOn;
            next.certificateId = cert.id;
            changes.push({ subject: { type: 'certificate', id: cert.id }, before: null, after: certificateItem(cert), action: 'certificate.issue', details: { enrolmentId: e.id, courseId: course.id, completedOn } });
            if (course.qualifiesForStarter) {
              sideWrites.push({ put: { ...peopleKeys.starterQualification(e.learnerSub, course.id), courseId: course.id, certificateId: cert.id, instanceId, completedOn } });
            }
          }
          changes.push({
            subject: { type: 'enrolment', id: e.id },
            before: item,
            after: enrolmentItem(next),
            action: `enrolment.${l.outcome === 'completed' ? 'complete' : 'no-show'}`,
            details: { from: 'enrolled', to: l.outcome, ...(next.certificateId ? { certificateId: next.certificateId } : {}) },
          });
          out.push({ enrolmentId: e.id, state: l.outcome, certificateId: next.certificateId, changed: true });
        }
        if (changes.length) await commit(ctx, { changes, sideWrites });
        return out;
      })),
    );
  }
  return results;
}

export interface StarterQualification {
  qualifies: boolean;
  via: { courseId: string; certificateId: string; instanceId: string; completedOn: string }[];
}

/**
 * Whether a person completed a course that qualifies for starter access: the query the approval
 * capability's fast track will ask (docs/people.md, "Completion opens the door").
 */
export async function qualifiesForStarter(sub: string): Promise<StarterQualification> {
  const items = await queryPrefix(peopleKeys.starterQualificationsOf(sub), 'COURSE#');
  const via = items.map((it) => ({ courseId: String(it.courseId), certificateId: String(it.certificateId), instanceId: String(it.instanceId), completedOn: String(it.completedOn) }));
  return { qualifies: via.length > 0, via };
}

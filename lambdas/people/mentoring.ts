// Mentoring: researchers offer themselves as mentors (fields, expertise, languages, capacity,
// availability); mentees ask by topic; KAIRR suggests mentors deterministically with reasons
// (domain/people/mentoring.ts); the mentee picks one and the match starts, counted against the
// mentor's capacity on the mentor's own audited item (so two mentees cannot take the last place);
// either side ends it; sessions are logged by date and topic only.
import type { Caller } from '../shared/http/caller';
import { runtimeConfig } from '../shared/config';
import { peopleGsi, peopleKeys } from '../shared/store/keys';
import { commit, retryOnStale, type SideWrite } from '../shared/store/write-path';
import { NotFoundError, RuleViolationError } from '../domain/errors';
import { newId } from '../domain/ids';
import { isPriority, placesFor, suggestMentors, type Match, type MenteeRequest, type MenteeRequestBody, type Mentor, type MentorBody, type PriorityPolicy, type Suggestion } from '../domain/people';
import { asResearcher } from './access';
import { snapshotOf } from './org-directory';
import { getItem, matchItem, menteeRequestItem, mentorItem, mustGet, queryAllIndex, strip } from './store';

export function priorityPolicy(): PriorityPolicy {
  const p = runtimeConfig().policy.people ?? { priorityOrgTypes: ['sme', 'startup'], heldShare: 0.25 };
  return { orgTypes: p.priorityOrgTypes, heldShare: p.heldShare };
}

const ctx = (c: Caller, requestId: string, reason?: string) => ({ actor: { sub: c.sub, role: 'researcher' }, requestId, reason: reason ?? null });

export async function offerMentoring(c: Caller, body: MentorBody, requestId: string): Promise<Mentor> {
  asResearcher(c, 'offer mentoring');
  return retryOnStale(async () => {
    const item = await getItem(peopleKeys.mentor(c.sub));
    const prev = item ? strip<Mentor>(item) : null;
    const active = prev?.active ?? 0;
    if (body.capacity < active) throw new RuleViolationError(`You mentor ${active} mentees now; capacity cannot go below that`, [{ path: 'capacity', problem: `is below your ${active} active matches` }], 'capacity_below_active');
    const { active: offering, ...rest } = body;
    const m: Mentor = { sub: c.sub, displayName: c.name ?? c.username ?? c.sub, ...rest, offering, active, updatedAt: new Date().toISOString() };
    await commit(ctx(c, requestId), { changes: [{ subject: { type: 'mentor', id: c.sub }, before: item, after: mentorItem(m), action: prev ? 'mentor.update' : 'mentor.offer', details: { capacity: m.capacity, offering: m.offering } }] });
    return m;
  });
}

export async function readMentor(sub: string): Promise<Mentor> {
  return (await mustGet<Mentor>(peopleKeys.mentor(sub), 'Mentor profile', sub)).value;
}

export async function askForMentoring(c: Caller, body: MenteeRequestBody, requestId: string, record: (r: MenteeRequest) => SideWrite[]): Promise<MenteeRequest> {
  asResearcher(c, 'ask for mentoring');
  const org = await snapshotOf(c.sub);
  const at = new Date().toISOString();
  const r: MenteeRequest = { id: newId('mrq'), menteeSub: c.sub, displayName: c.name ?? c.username ?? c.sub, ...body, ...org, state: 'open', createdAt: at, updatedAt: at };
  await commit(ctx(c, requestId), {
    changes: [{ subject: { type: 'mentee-request', id: r.id }, before: null, after: menteeRequestItem(r), action: 'mentoring.ask', details: { field: r.field, languages: r.languages } }],
    sideWrites: record(r),
  });
  return r;
}

/** The mentee's own request (anyone else's is answered like a missing one). */
export async function ownRequest(c: Caller, id: string): Promise<{ value: MenteeRequest; item: Record<string, unknown> }> {
  const got = await mustGet<MenteeRequest>(peopleKeys.menteeRequest(id), 'Mentoring request', id);
  if (got.value.menteeSub !== c.sub) throw new NotFoundError('Mentoring request', id);
  return got;
}

export async function suggestionsFor(c: Caller, id: string): Promise<{ request: MenteeRequest; priority: boolean; suggestions: Suggestion[] }> {
  const { value: r } = await ownRequest(c, id);
  const mentors = (await queryAllIndex('gsi1', peopleGsi.mentors)).map((it) => strip<Mentor>(it));
  const policy = priorityPolicy();
  return { request: r, priority: isPriority(r.orgType, policy), suggestions: suggestMentors(r, mentors, policy) };
}

export async function matchWith(c: Caller, requestId: string, mentorSub: string, reqId: string, record: (m: Match) => SideWrite[] = () => []): Promise<Match> {
  return retryOnStale(async () => {
    const { value: r, item: rItem } = await ownRequest(c, requestId);
    if (r.state !== 'open') throw new RuleViolationError(`The request is ${r.state}`, [{ path: 'requestId', problem: `is ${r.state}` }], 'request_not_open');
    if (mentorSub === c.sub) throw new RuleViolationError('You cannot mentor yourself', [{ path: 'mentorSub', problem: 'is you' }], 'self_match');
    const mItem = await getItem(peopleKeys.mentor(mentorSub));
    if (!mItem) throw new RuleViolationError('No such mentor', [{ path: 'mentorSub', problem: 'does not offer mentoring' }], 'not_a_mentor');
    const m = strip<Mentor>(mItem);
    const policy = priorityPolicy();
    const priority = isPriority(r.orgType, policy);
    if (!m.offering) throw new RuleViolationError('This mentor does not take mentees now', [{ path: 'mentorSub', problem: 'is not offering mentoring now' }], 'not_offering');
    if (placesFor(m, priority, policy) <= 0) {
      const held = m.capacity - m.active > 0;
      throw new RuleViolationError(
        held ? "The mentor's remaining places are held for SME and startup mentees" : `The mentor is at capacity (${m.active} of ${m.capacity})`,
        [{ path: 'mentorSub', problem: held ? 'has only places held for SME and startup mentees' : `is at capacity (${m.active} of ${m.capacity})` }],
        'mentor_over_capacity',
      );
    }
    const at = new Date().toISOString();
    const usesHeld = priority && m.capacity - m.active <= Math.floor(m.capacity * policy.heldShare);
    const match: Match = {
      id: newId('mtc'),
      requestId: r.id,
      mentorSub,
      menteeSub: c.sub,
      mentorName: m.displayName,
      menteeName: r.displayName,
      topic: r.topic,
      state: 'active',
      priorityPlace: usesHeld,
      startedAt: at,
      sessions: [],
      orgId: r.orgId,
      orgType: r.orgType,
      region: r.region,
    };
    const nextM: Mentor = { ...m, active: m.active + 1, updatedAt: at };
    const nextR: MenteeRequest = { ...r, state: 'matched', matchId: match.id, updatedAt: at };
    await commit(ctx(c, reqId), {
      changes: [
        { subject: { type: 'mentoring-match', id: match.id }, before: null, after: matchItem(match), action: 'mentoring.match', details: { mentorSub, requestId: r.id, priorityPlace: usesHeld } },
        { subject: { type: 'mentor', id: mentorSub }, before: mItem, after: mentorItem(nextM), action: 'mentor.take', details: { active: [m.active, nextM.active], capacity: m.capacity } },
        { subject: { type: 'mentee-request', id: r.id }, before: rItem as never, after: menteeRequestItem(nextR), action: 'mentoring.matched', details: { matchId: match.id } },
      ],
      sideWrites: record(match),
    });
    return match;
  });
}

/** A match, for its mentor or mentee only; `side` says which one the caller is. */
export async function ownMatch(c: Caller, id: string): Promise<{ value: Match; item: Record<string, unknown>; side: 'mentor' | 'mentee' }> {
  const got = await mustGet<Match>(peopleKeys.match(id), 'Mentoring match', id);
  const side = got.value.mentorSub === c.sub ? 'mentor' : got.value.menteeSub === c.sub ? 'mentee' : null;
  if (!side) throw new NotFoundError('Mentoring match', id);
  return { ...got, side };
}

export async function endMatch(c: Caller, id: string, reason: string | undefined, reqId: string): Promise<Match> {
  return retryOnStale(async () => {
    const { value: m, item, side } = await ownMatch(c, id);
    if (m.state === 'ended') return m;
    const mentorItemNow = await getItem(peopleKeys.mentor(m.mentorSub));
    const mentor = strip<Mentor>(mentorItemNow!);
    const at = new Date().toISOString();
    const next: Match = { ...m, state: 'ended', endedAt: at, endedBy: side };
    const nextMentor: Mentor = { ...mentor, active: Math.max(0, mentor.active - 1), updatedAt: at };
    await commit(ctx(c, reqId, reason), {
      changes: [
        { subject: { type: 'mentoring-match', id }, before: item as never, after: matchItem(next), action: 'mentoring.end', details: { endedBy: side } },
        { subject: { type: 'mentor', id: m.mentorSub }, before: mentorItemNow, after: mentorItem(nextMentor), action: 'mentor.release', details: { active: [mentor.active, nextMentor.active] } },
      ],
    });
    return next;
  });
}

export async function logSession(c: Caller, id: string, s: { date: string; topic: string }, reqId: string): Promise<Match> {
  return retryOnStale(async () => {
    const { value: m, item, side } = await ownMatch(c, id);
    if (m.state !== 'active') throw new RuleViolationError('Sessions are logged on active matches only', [{ path: 'matchId', problem: 'has ended' }], 'match_ended');
    if (s.date < m.startedAt.slice(0, 10)) throw new RuleViolationError('A session cannot be before the match started', [{ path: 'date', problem: `is before the match started (${m.startedAt.slice(0, 10)})` }], 'session_before_match');
    if (m.sessions.length >= 200) throw new RuleViolationError('A match holds at most 200 logged sessions', [{ path: 'date', problem: 'the match has 200 sessions logged' }], 'too_many_sessions');
    const next: Match = { ...m, sessions: [...m.sessions, { date: s.date, topic: s.topic, loggedBy: side, at: new Date().toISOString() }] };
    await commit(ctx(c, reqId), { changes: [{ subject: { type: 'mentoring-match', id }, before: item as never, after: matchItem(next), action: 'mentoring.session', details: { date: s.date } }] });
    return next;
  });
}

export async function myMentoring(c: Caller): Promise<{ requests: MenteeRequest[]; asMentee: Match[]; asMentor: Match[] }> {
  const [reqs, mentee, mentor] = await Promise.all([queryAllIndex('gsi1', peopleGsi.menteeRequestsOf(c.sub)), queryAllIndex('gsi1', peopleGsi.matchesOfMentee(c.sub)), queryAllIndex('gsi2', peopleGsi.matchesOfMentor(c.sub))]);
  return { requests: reqs.map((i) => strip<MenteeRequest>(i)), asMentee: mentee.map((i) => strip<Match>(i)), asMentor: mentor.map((i) => strip<Match>(i)) };
}

// The people capability's signed-in routes: thin adapters from the route specs to the services.
// Someone else's enrolment, application, request or match is answered like a missing one.
import { createHandler } from '../shared/http/router';
import { hasRole, type Caller } from '../shared/http/caller';
import { idempotent, type StoredResponse } from '../shared/store/idempotency';
import { peopleGsi, peopleKeys } from '../shared/store/keys';
import type { SideWrite } from '../shared/store/write-path';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import type { Application, Course, Enrolment, Instance, Match } from '../domain/people';
import { peopleApi } from './api';
import { asHost, asInstructor, asManager, isStaffReader } from './access';
import { completeLearners, qualifiesForStarter } from './completions';
import { createCourse, createInstance, updateCourse, updateInstance } from './courses';
import { enrol, readInstanceAndCourse, waitlistPosition, withdraw } from './enrolments';
import { grantRole, listGrants, revokeRole } from './grants';
import { apply, applicationsTo, createInternship, decide, setInternshipStatus, withdrawApplication } from './internships';
import { askForMentoring, endMatch, logSession, matchWith, myMentoring, offerMentoring, ownMatch, ownRequest, readMentor, suggestionsFor } from './mentoring';
import { declareAffiliation, putOrg } from './orgs';
import { participation } from './report-source';
import { mustGet, queryAllIndex, strip } from './store';
import { applicationView, enrolmentView, hostApplicationView, publicCourse, publicInstance, publicInternship, rosterView } from './views';

const replayed = (r: boolean): Record<string, string> => (r ? { 'idempotent-replayed': 'true' } : {});

/** A create under an Idempotency-Key: the service commits the stored response with its change. */
async function create<T>(op: string, c: Caller, key: string | undefined, request: unknown, run: (record: (v: T) => SideWrite[]) => Promise<T>, view: (v: T) => unknown, status = 201) {
  const res = await idempotent({ operation: `people.${op}`, callerSub: c.sub, key, request }, async (record) => {
    let body: unknown;
    await run((v) => ((body = view(v)), record({ status, body } as StoredResponse)));
    return { status, body };
  });
  return { status: res.status, body: res.body, headers: replayed(res.replayed) };
}

async function readableEnrolment(c: Caller, id: string): Promise<Enrolment> {
  const { value: e } = await mustGet<Enrolment>(peopleKeys.enrolment(id), 'Enrolment', id);
  if (e.learnerSub === c.sub || isStaffReader(c)) return e;
  const { course } = await readInstanceAndCourse(e.instanceId);
  await asInstructor(c, course, 'see enrolments').catch(() => {
    throw new NotFoundError('Enrolment', id);
  });
  return e;
}

export const handler = createHandler(peopleApi, {
  // ---- courses and instances ----
  createCourse: ({ caller, body, requestId, idempotencyKey }) =>
    create(
      'course',
      caller,
      idempotencyKey,
      body,
      (rec) => createCourse(caller, body, requestId, rec),
      (c: Course) => publicCourse(c, null),
    ),
  async updateCourse({ caller, params, body, requestId }) {
    return { body: publicCourse(await updateCourse(caller, params.courseId, body, requestId), null) };
  },
  createInstance: ({ caller, params, body, requestId, idempotencyKey }) =>
    create(
      'instance',
      caller,
      idempotencyKey,
      { params, body },
      (rec) => createInstance(caller, params.courseId, body, requestId, rec),
      (i: Instance) => publicInstance(i, { capacity: i.capacity, enrolled: 0, waiting: 0, nextTicket: 0 }),
    ),
  async updateInstance({ caller, params, body, requestId }) {
    return { body: publicInstance(await updateInstance(caller, params.instanceId, body, requestId), null) };
  },

  // ---- enrolment ----
  enrol: ({ caller, params, body, requestId, idempotencyKey }) =>
    create(
      'enrol',
      caller,
      idempotencyKey,
      { params, body },
      (rec) => enrol(caller, params.instanceId, body.motivation, requestId, rec),
      (e: Enrolment) => enrolmentView(e),
    ).then(async (r) => {
      // The waitlist place is read after the commit (it is not part of the stored response).
      const b = r.body as ReturnType<typeof enrolmentView>;
      if (b.state !== 'waitlisted') return r;
      const { value } = await mustGet<Enrolment>(peopleKeys.enrolment(b.id), 'Enrolment', b.id);
      return { ...r, body: { ...b, waitlistPosition: await waitlistPosition(value) } };
    }),
  async roster({ caller, params }) {
    const { course } = await readInstanceAndCourse(params.instanceId);
    if (!isStaffReader(caller)) await asInstructor(caller, course, 'see the roster');
    const all = (await queryAllIndex('gsi2', peopleGsi.roster(params.instanceId))).map((it) => strip<Enrolment>(it));
    const waitlist = all.filter((e) => e.state === 'waitlisted').sort((a, b) => a.ticket - b.ticket);
    const counts = Object.fromEntries(['enrolled', 'waitlisted', 'completed', 'withdrawn', 'no-show'].map((s) => [s, all.filter((e) => e.state === s).length]));
    return { body: { instanceId: params.instanceId, counts, enrolments: all.filter((e) => e.state !== 'waitlisted').map(rosterView), waitlist: waitlist.map((e, i) => ({ ...rosterView(e), waitlistPosition: i + 1 })) } };
  },
  async complete({ caller, params, body, requestId }) {
    return { body: { results: await completeLearners(caller, params.instanceId, body, requestId) } };
  },
  async getEnrolment({ caller, params }) {
    const e = await readableEnrolment(caller, params.enrolmentId);
    return { body: enrolmentView(e, await waitlistPosition(e)) };
  },
  async withdraw({ caller, params, body, requestId }) {
    const { value: e } = await mustGet<Enrolment>(peopleKeys.enrolment(params.enrolmentId), 'Enrolment', params.enrolmentId);
    const role = e.learnerSub === caller.sub ? 'researcher' : hasRole(caller, 'admin') ? 'admin' : null;
    if (!role) throw new NotFoundError('Enrolment', params.enrolmentId);
    return { body: enrolmentView(await withdraw(caller, params.enrolmentId, role, requestId, body.reason)) };
  },

  // ---- roles and organisations ----
  async grantRole({ caller, body, requestId }) {
    const { grant, created } = await grantRole(caller, body, requestId);
    return { status: created ? 201 : 200, body: grant };
  },
  async listRoles({ caller, query }) {
    if (!isStaffReader(caller) && query.sub !== caller.sub) {
      if (query.orgId) await asManager(caller, query.orgId, 'see its grants');
      else if (query.courseId) {
        const { value: course } = await mustGet<Course>(peopleKeys.course(query.courseId), 'Course', query.courseId);
        await asManager(caller, course.providerOrgId, 'see its grants');
      } else if (query.sub) throw new ForbiddenError("Only staff may see another person's grants");
    }
    return { body: { items: await listGrants(query.sub || query.orgId || query.courseId ? query : { sub: caller.sub }) } };
  },
  async revokeRole({ caller, params, body, requestId }) {
    return { body: await revokeRole(caller, params.grantId, body?.reason, requestId) };
  },
  async putOrg({ caller, params, body, requestId }) {
    const { org, created } = await putOrg(caller, params.orgId, body, requestId);
    return { status: created ? 201 : 200, body: org };
  },
  async putAffiliation({ caller, body, requestId }) {
    return { body: await declareAffiliation(caller, body.orgId, requestId) };
  },
  async myEnrolments({ caller }) {
    const items = (await queryAllIndex('gsi1', peopleGsi.enrolmentsOf(caller.sub))).map((it) => strip<Enrolment>(it));
    return { body: { items: await Promise.all(items.map(async (e) => enrolmentView(e, await waitlistPosition(e)))) } };
  },
  async myApplications({ caller }) {
    return { body: { items: (await queryAllIndex('gsi1', peopleGsi.applicationsOf(caller.sub))).map((it) => applicationView(strip<Application>(it))) } };
  },
  async myMentoring({ caller }) {
    return { body: await myMentoring(caller) };
  },
  async myStarterQualification({ caller }) {
    return { body: { sub: caller.sub, ...(await qualifiesForStarter(caller.sub)) } };
  },
  async starterQualification({ params }) {
    return { body: { sub: params.sub, ...(await qualifiesForStarter(params.sub)) } };
  },
  async participation() {
    return { body: await participation() };
  },

  // ---- internships ----
  createInternship: ({ caller, body, requestId, idempotencyKey }) => create('internship', caller, idempotencyKey, body, (rec) => createInternship(caller, body, requestId, rec), publicInternship),
  async updateInternship({ caller, params, body, requestId }) {
    return { body: publicInternship(await setInternshipStatus(caller, params.internshipId, body.status, body.reason, requestId)) };
  },
  apply: ({ caller, params, body, requestId, idempotencyKey }) => create('apply', caller, idempotencyKey, { params, body }, (rec) => apply(caller, params.internshipId, body.statement, requestId, rec), applicationView),
  async applications({ caller, params }) {
    return { body: { items: (await applicationsTo(caller, params.internshipId)).map(hostApplicationView) } };
  },
  async getApplication({ caller, params }) {
    const { value: a } = await mustGet<Application>(peopleKeys.application(params.applicationId), 'Application', params.applicationId);
    if (a.applicantSub === caller.sub) return { body: applicationView(a) };
    if (!isStaffReader(caller))
      await asHost(caller, a.hostOrgId, 'see applications').catch(() => {
        throw new NotFoundError('Application', params.applicationId);
      });
    return { body: hostApplicationView(a) };
  },
  async decide({ caller, params, body, requestId }) {
    return { body: hostApplicationView(await decide(caller, params.applicationId, body.decision, body.reason, requestId)) };
  },
  async withdrawApplication({ caller, params, requestId }) {
    return { body: applicationView(await withdrawApplication(caller, params.applicationId, requestId)) };
  },

  // ---- mentoring ----
  async putMentor({ caller, body, requestId }) {
    return { body: await offerMentoring(caller, body, requestId) };
  },
  async getMentor({ caller }) {
    return { body: await readMentor(caller.sub) };
  },
  askMentoring: ({ caller, body, requestId, idempotencyKey }) =>
    create(
      'ask',
      caller,
      idempotencyKey,
      body,
      (rec) => askForMentoring(caller, body, requestId, rec),
      (r) => r,
    ),
  async getMentoringRequest({ caller, params }) {
    return { body: (await ownRequest(caller, params.requestId)).value };
  },
  async suggestMentors({ caller, params }) {
    return { body: await suggestionsFor(caller, params.requestId) };
  },
  match: ({ caller, params, body, requestId, idempotencyKey }) =>
    create(
      'match',
      caller,
      idempotencyKey,
      { params, body },
      (rec) => matchWith(caller, params.requestId, body.mentorSub, requestId, rec),
      (m: Match) => m,
    ),
  async getMatch({ caller, params }) {
    return { body: (await ownMatch(caller, params.matchId)).value };
  },
  async endMatch({ caller, params, body, requestId }) {
    return { body: await endMatch(caller, params.matchId, body.reason, requestId) };
  },
  async logSession({ caller, params, body, requestId }) {
    return { status: 201, body: await logSession(caller, params.matchId, body, requestId) };
  },
});

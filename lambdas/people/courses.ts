// Courses and their instances: created and edited by admins and the provider organisation's
// managers; read by anyone once published. An instance's seat counter is created with it.
import type { Caller } from '../shared/http/caller';
import { hasRole } from '../shared/http/caller';
import { runtimeConfig } from '../shared/config';
import { peopleGsi, peopleKeys } from '../shared/store/keys';
import { commit, retryOnStale, type AuditContext, type SideWrite } from '../shared/store/write-path';
import { ForbiddenError, NotFoundError, RuleViolationError, ValidationError } from '../domain/errors';
import { newId } from '../domain/ids';
import { findResource, parseResourceKey } from '../domain/catalogue';
import { instanceProblems, type Course, type CreateCourseBody, type CreateInstanceBody, type Instance, type UpdateCourseBody, type UpdateInstanceBody } from '../domain/people';
import { asManager, holds } from './access';
import { orgDirectory } from './org-directory';
import { batchGet, courseItem, instanceItem, mustGet, queryAllIndex, strip } from './store';
import { fillFreeSeats } from './enrolments';

const ctxOf = (c: Caller, role: string, requestId: string, reason?: string | null): AuditContext => ({ actor: { sub: c.sub, role }, requestId, reason: reason ?? null });

async function checkReferences(b: { prerequisites?: string[]; resources?: string[] }, selfId?: string): Promise<void> {
  const problems: { path: string; problem: string }[] = [];
  (b.resources ?? []).forEach((r, i) => {
    const rk = parseResourceKey(r);
    if (!rk || !findResource(runtimeConfig().sites, rk.siteId, rk.resourceId)) problems.push({ path: `resources[${i}]`, problem: `"${r}" is not a resource of any site` });
  });
  const pre = b.prerequisites ?? [];
  const found = new Set((pre.length ? await batchGet(pre.map((id) => peopleKeys.course(id))) : []).map((it) => String(it.id)));
  pre.forEach((id, i) => {
    if (id === selfId) problems.push({ path: `prerequisites[${i}]`, problem: 'is this course itself' });
    else if (!found.has(id)) problems.push({ path: `prerequisites[${i}]`, problem: `"${id}" is not a course in the catalogue` });
  });
  if (problems.length) throw new ValidationError(problems, `The course is invalid: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`);
}

export async function createCourse(c: Caller, body: CreateCourseBody, requestId: string, record: (course: Course) => SideWrite[]): Promise<Course> {
  if (!(await orgDirectory().get(body.providerOrgId))) throw ValidationError.field('providerOrgId', `"${body.providerOrgId}" is not an organisation in the directory`);
  const role = await asManager(c, body.providerOrgId, 'create its courses');
  if (body.qualifiesForStarter && !hasRole(c, 'admin')) throw new ForbiddenError('Only admins may mark a course as qualifying for starter access');
  await checkReferences(body);
  const now = new Date().toISOString();
  const course: Course = { ...body, id: newId('crs'), status: 'draft', createdAt: now, updatedAt: now, createdBy: c.sub };
  await commit(ctxOf(c, role, requestId), {
    changes: [{ subject: { type: 'course', id: course.id }, before: null, after: courseItem(course), action: 'course.create', details: { providerOrgId: course.providerOrgId, qualifiesForStarter: course.qualifiesForStarter } }],
    sideWrites: record(course),
  });
  return course;
}

const STATUS_MOVES: Record<Course['status'], Course['status'][]> = { draft: ['published', 'archived'], published: ['draft', 'archived'], archived: [] };

export async function updateCourse(c: Caller, id: string, body: UpdateCourseBody, requestId: string): Promise<Course> {
  return retryOnStale(async () => {
    const { value: course, item } = await mustGet<Course>(peopleKeys.course(id), 'Course', id);
    const role = await asManager(c, course.providerOrgId, 'edit its courses');
    if (body.qualifiesForStarter !== undefined && body.qualifiesForStarter !== course.qualifiesForStarter && !hasRole(c, 'admin')) throw new ForbiddenError('Only admins may change whether a course qualifies for starter access');
    if (body.status && body.status !== course.status && !STATUS_MOVES[course.status].includes(body.status))
      throw new RuleViolationError(`A ${course.status} course cannot become ${body.status}`, [{ path: 'status', problem: `cannot change from ${course.status} to ${body.status}` }], 'invalid_transition');
    await checkReferences({ prerequisites: body.prerequisites }, id);
    const { reason, ...fields } = body;
    const next: Course = { ...course, ...fields, updatedAt: new Date().toISOString() };
    const action = body.status && body.status !== course.status ? `course.${body.status === 'published' ? 'publish' : body.status === 'archived' ? 'archive' : 'unpublish'}` : 'course.update';
    await commit(ctxOf(c, role, requestId, reason), { changes: [{ subject: { type: 'course', id }, before: item, after: courseItem(next), action, details: { fields: Object.keys(fields).sort() } }] });
    return next;
  });
}

export async function readPublishedCourse(id: string): Promise<Course> {
  const { value } = await mustGet<Course>(peopleKeys.course(id), 'Course', id);
  // A draft or archived course is answered like a missing one on the public catalogue.
  if (value.status !== 'published') throw new NotFoundError('Course', id);
  return value;
}

export async function instancesOf(courseId: string): Promise<Instance[]> {
  return (await queryAllIndex('gsi1', peopleGsi.instancesOf(courseId))).map((i) => strip<Instance>(i));
}

export async function createInstance(c: Caller, courseId: string, body: CreateInstanceBody, requestId: string, record: (i: Instance) => SideWrite[]): Promise<Instance> {
  const { value: course } = await mustGet<Course>(peopleKeys.course(courseId), 'Course', courseId);
  const role = await asManager(c, course.providerOrgId, 'schedule its courses');
  if (course.status === 'archived') throw new RuleViolationError('The course is archived', [{ path: 'courseId', problem: 'is archived; no new instances' }], 'course_archived');
  const mode = body.mode ?? course.mode;
  const problems = instanceProblems(body, mode);
  const grants = await Promise.all(body.instructors.map((p) => holds(p.sub, 'instructor', 'course', courseId)));
  grants.forEach((ok, i) => ok || problems.push({ path: `instructors[${i}].sub`, problem: 'does not hold the instructor role on this course' }));
  if (problems.length) throw new ValidationError(problems, `The instance is invalid: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`);
  const now = new Date().toISOString();
  const iso = (s: string) => new Date(s).toISOString();
  const inst: Instance = {
    id: newId('cin'),
    courseId,
    providerOrgId: course.providerOrgId,
    startDate: iso(body.startDate),
    endDate: iso(body.endDate),
    enrolmentOpens: iso(body.enrolmentOpens),
    enrolmentCloses: iso(body.enrolmentCloses),
    capacity: body.capacity,
    mode,
    language: body.language ?? course.languages[0],
    ...(body.place ? { place: { ...body.place, country: body.place.country ?? 'KR' } } : {}),
    ...(body.link ? { link: body.link } : {}),
    instructors: body.instructors,
    status: 'scheduled',
    createdAt: now,
    updatedAt: now,
  };
  const seats = { ...peopleKeys.seats(inst.id), capacity: inst.capacity, enrolled: 0, waiting: 0, nextTicket: 0 };
  await commit(ctxOf(c, role, requestId), {
    changes: [{ subject: { type: 'course-instance', id: inst.id }, before: null, after: instanceItem(inst), action: 'instance.create', details: { courseId, capacity: inst.capacity, startDate: inst.startDate, endDate: inst.endDate } }],
    sideWrites: [{ put: seats, condition: { expression: 'attribute_not_exists(pk)' } }, ...record(inst)],
  });
  return inst;
}

export async function updateInstance(c: Caller, id: string, body: UpdateInstanceBody, requestId: string): Promise<Instance> {
  const updated = await retryOnStale(async () => {
    const { value: inst, item } = await mustGet<Instance>(peopleKeys.instance(id), 'Course instance', id);
    const role = await asManager(c, inst.providerOrgId, 'change its course instances');
    const { reason, ...fields } = body;
    const next: Instance = { ...inst, ...fields, updatedAt: new Date().toISOString() };
    if (body.enrolmentCloses) {
      next.enrolmentCloses = new Date(body.enrolmentCloses).toISOString();
      const p = instanceProblems({ ...next, instructors: [] }, next.mode).filter((x) => x.path === 'enrolmentCloses');
      if (p.length) throw new ValidationError(p);
    }
    const sideWrites: SideWrite[] = [];
    if (body.capacity !== undefined && body.capacity !== inst.capacity) {
      sideWrites.push({
        update: { key: peopleKeys.seats(id), expression: 'SET #cap = :cap', names: { '#cap': 'capacity' }, values: { ':cap': body.capacity } },
        condition: { expression: 'enrolled <= :cap' },
        failure: () => new RuleViolationError('The capacity is below the learners already enrolled', [{ path: 'capacity', problem: 'is below the number of learners already enrolled' }], 'capacity_below_enrolled'),
      });
    }
    await commit(ctxOf(c, role, requestId, reason), {
      changes: [
        {
          subject: { type: 'course-instance', id },
          before: item,
          after: instanceItem(next),
          action: body.status === 'cancelled' && inst.status !== 'cancelled' ? 'instance.cancel' : 'instance.update',
          details: { fields: Object.keys(fields).sort(), ...(body.capacity !== undefined ? { capacity: [inst.capacity, body.capacity] } : {}) },
        },
      ],
      sideWrites,
    });
    return next;
  });
  // More seats: the waitlist moves up in order.
  if (body.capacity !== undefined) await fillFreeSeats(id, { actor: { sub: c.sub, role: 'system' }, requestId, reason: 'capacity raised' });
  return updated;
}

// The public face of the programmes (no token): the course catalogue, search, each course as
// Bioschemas JSON-LD, instances with their seats, internship postings, provider organisations,
// and certificate verification. Served by its own read-only function (lib/people).
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ERROR_RESPONSES, ErrorSchema, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { COURSE_LEVELS, COURSE_MODES, Field, Lang, OrgId, PeopleId } from '../domain/people';

const Obj = z.record(z.string(), z.unknown());
const NotFound = { 404: { description: 'No such item (or not published)', schema: ErrorSchema } };

export const CourseParams = z.strictObject({ courseId: PeopleId('crs') });
export const InstanceParams = z.strictObject({ instanceId: PeopleId('cin') });
export const InternshipParams = z.strictObject({ internshipId: PeopleId('int') });
export const OrgParams = z.strictObject({ orgId: OrgId });

export const CourseQuery = z.strictObject({
  q: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
  field: z.optional(Field),
  level: z.optional(z.enum(COURSE_LEVELS)),
  mode: z.optional(z.enum(COURSE_MODES)),
  language: z.optional(Lang),
  provider: z.optional(OrgId),
  keyword: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(60))),
  qualifiesForStarter: z.optional(z.enum(['true', 'false'])),
  limit: LimitQuery,
  nextToken: NextTokenQuery,
});

export const catalogueApi = defineApi({
  listCourses: {
    method: 'GET',
    path: '/v1/programmes/courses',
    tag: 'programmes',
    auth: 'public',
    query: CourseQuery,
    summary: 'Search and filter the published courses (Korean-aware: Hangul bigrams, Latin words)',
    responses: { 200: { description: 'Courses, best match first', schema: z.object({ items: z.array(Obj), total: z.number(), nextToken: z.optional(z.string()) }) }, ...ERROR_RESPONSES },
  },
  getCourse: {
    method: 'GET',
    path: '/v1/programmes/courses/{courseId}',
    tag: 'programmes',
    auth: 'public',
    params: CourseParams,
    summary: 'A published course with its instances and their seats',
    responses: { 200: { description: 'The course', schema: Obj }, ...ERROR_RESPONSES, ...NotFound },
  },
  getCourseJsonLd: {
    method: 'GET',
    path: '/v1/programmes/courses/{courseId}/jsonld',
    tag: 'programmes',
    auth: 'public',
    params: CourseParams,
    summary: 'The course as Bioschemas Course 1.0-RELEASE JSON-LD (for TeSS-style harvesters)',
    responses: { 200: { description: 'JSON-LD', contentTypes: ['application/ld+json'] }, ...ERROR_RESPONSES, ...NotFound },
  },
  getInstance: {
    method: 'GET',
    path: '/v1/programmes/instances/{instanceId}',
    tag: 'programmes',
    auth: 'public',
    params: InstanceParams,
    summary: 'A course instance: dates, place or link, instructors, capacity, seats taken and the waitlist length',
    responses: { 200: { description: 'The instance', schema: Obj }, ...ERROR_RESPONSES, ...NotFound },
  },
  verifyCertificate: {
    method: 'GET',
    path: '/v1/certificates/{certificateId}',
    tag: 'programmes',
    auth: 'public',
    params: z.strictObject({ certificateId: PeopleId('cert') }),
    summary: 'Verify a certificate against the audit trail (its chain is re-hashed on every call)',
    responses: { 200: { description: 'The certificate and the evidence: valid, revoked or tampered', schema: Obj }, ...ERROR_RESPONSES, 404: { description: 'KAIRR never issued a certificate with this id', schema: ErrorSchema } },
  },
  listInternships: {
    method: 'GET',
    path: '/v1/internships',
    tag: 'internships',
    auth: 'public',
    query: z.strictObject({ field: z.optional(Field), hostOrgId: z.optional(OrgId), status: z.optional(z.enum(['open', 'closed', 'all'])) }),
    summary: 'Internship postings (open ones unless asked)',
    responses: { 200: { description: 'Postings, newest first', schema: z.object({ items: z.array(Obj) }) }, ...ERROR_RESPONSES },
  },
  getInternship: {
    method: 'GET',
    path: '/v1/internships/{internshipId}',
    tag: 'internships',
    auth: 'public',
    params: InternshipParams,
    summary: 'An internship posting with its places and how many are taken',
    responses: { 200: { description: 'The posting', schema: Obj }, ...ERROR_RESPONSES, ...NotFound },
  },
  getOrg: {
    method: 'GET',
    path: '/v1/people/orgs/{orgId}',
    tag: 'people',
    auth: 'public',
    params: OrgParams,
    summary: 'An organisation of the directory (course providers and internship hosts)',
    responses: { 200: { description: 'The organisation', schema: Obj }, ...ERROR_RESPONSES, ...NotFound },
  },
});

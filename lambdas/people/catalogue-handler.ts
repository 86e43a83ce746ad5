// The public programmes catalogue and certificate verification (no token): a read-only function.
import { createHandler } from '../shared/http/router';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { runtimeConfig } from '../shared/config';
import { peopleGsi, peopleKeys } from '../shared/store/keys';
import { NotFoundError } from '../domain/errors';
import { courseJsonLd, searchCourses, type Course, type Instance, type Seats } from '../domain/people';
import { catalogueApi } from './catalogue-api';
import { instancesOf, readPublishedCourse } from './courses';
import { verifyCertificate } from './certificates';
import { listInternships, readInternship } from './internships';
import { orgDirectory } from './org-directory';
import { batchGet, getItem, mustGet, queryAllIndex, strip } from './store';
import { publicCourse, publicInstance, publicInternship } from './views';

async function seatsOf(ids: string[]): Promise<Map<string, Seats>> {
  const items = ids.length ? await batchGet(ids.map((id) => peopleKeys.seats(id))) : [];
  return new Map(items.map((it) => [String(it.pk).slice('CINST#'.length), strip<Seats>(it)]));
}

/** Where this API is reached (JSON-LD @id and url values): the Host the caller used. */
function baseUrlOf(headers: Record<string, string>): string {
  const proto = headers['x-forwarded-proto'] ?? (headers.host?.startsWith('127.0.0.1') || headers.host?.startsWith('localhost') ? 'http' : 'https');
  return `${proto}://${headers.host ?? 'kairr.invalid'}`;
}

const resourceNames = () => Object.fromEntries(runtimeConfig().sites.flatMap((s) => s.resources.map((r) => [`${s.id}/${r.id}`, `${s.name}: ${r.name}`])));

export const handler = createHandler(catalogueApi, {
  async listCourses({ query }) {
    const courses = (await queryAllIndex('gsi1', peopleGsi.publishedCourses)).map((it) => strip<Course>(it));
    const ranked = searchCourses(courses, { ...query, qualifiesForStarter: query.qualifiesForStarter === undefined ? undefined : query.qualifiesForStarter === 'true' });
    const scope = 'programme-courses';
    const offset = Number(decodeToken(query.nextToken, scope)?.o ?? 0);
    const limit = query.limit ?? 20;
    const page = ranked.slice(offset, offset + limit);
    const orgs = await orgDirectory().getMany(page.map((r) => r.course.providerOrgId));
    return {
      body: {
        items: page.map((r) => ({ ...publicCourse(r.course, orgs.get(r.course.providerOrgId) ?? null), score: r.score })),
        total: ranked.length,
        nextToken: offset + limit < ranked.length ? encodeToken({ o: offset + limit }, scope) : undefined,
      },
    };
  },

  async getCourse({ params }) {
    const course = await readPublishedCourse(params.courseId);
    const [instances, provider] = await Promise.all([instancesOf(course.id), orgDirectory().get(course.providerOrgId)]);
    const seats = await seatsOf(instances.map((i) => i.id));
    return { body: { ...publicCourse(course, provider), instances: instances.map((i) => publicInstance(i, seats.get(i.id) ?? null)) } };
  },

  async getCourseJsonLd({ params, headers }) {
    const course = await readPublishedCourse(params.courseId);
    const [instances, provider, pre] = await Promise.all([
      instancesOf(course.id),
      orgDirectory().get(course.providerOrgId),
      course.prerequisites.length ? batchGet(course.prerequisites.map((id) => peopleKeys.course(id))) : Promise.resolve([]),
    ]);
    const prerequisites = pre.map((it) => strip<Course>(it)).filter((c) => c.status === 'published');
    const doc = courseJsonLd(course, instances, { baseUrl: baseUrlOf(headers), provider, prerequisites, resourceNames: resourceNames() });
    return { text: JSON.stringify(doc), contentType: 'application/ld+json; charset=utf-8' };
  },

  async getInstance({ params }) {
    const { value: inst } = await mustGet<Instance>(peopleKeys.instance(params.instanceId), 'Course instance', params.instanceId);
    await readPublishedCourse(inst.courseId).catch(() => {
      throw new NotFoundError('Course instance', params.instanceId);
    });
    const seats = await getItem(peopleKeys.seats(inst.id), false);
    return { body: publicInstance(inst, seats ? strip<Seats>(seats) : null) };
  },

  async verifyCertificate({ params }) {
    return { body: await verifyCertificate(params.certificateId) };
  },

  async listInternships({ query }) {
    return { body: { items: (await listInternships(query)).map(publicInternship) } };
  },

  async getInternship({ params }) {
    return { body: publicInternship(await readInternship(params.internshipId)) };
  },

  async getOrg({ params }) {
    const org = await orgDirectory().get(params.orgId);
    if (!org) throw new NotFoundError('Organisation', params.orgId);
    return { body: org };
  },
});

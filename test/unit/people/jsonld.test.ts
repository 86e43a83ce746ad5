// Each course renders as Bioschemas JSON-LD that a harvester can read. Checked offline: jsonld.js
// expands the document with a document loader that serves ONLY the shipped schema.org context
// (any other URL fails the test), then the expanded graph must carry the properties the Course
// 1.0-RELEASE and CourseInstance 1.0-RELEASE profiles require, as schema.org IRIs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jsonld from 'jsonld';
import { courseJsonLd, COURSE_PROFILE, INSTANCE_PROFILE, type Course, type Instance } from '../../../lambdas/domain/people';

const CONTEXT = JSON.parse(readFileSync(join(__dirname, '../../../lambdas/domain/people/contexts/schema-org.jsonld'), 'utf8'));
const SHIPPED = new Set(['https://schema.org/', 'https://schema.org', 'http://schema.org/', 'http://schema.org']);
const loader = async (url: string) => {
  if (!SHIPPED.has(url)) throw new Error(`the test loader serves only the shipped context, not ${url}`);
  return { contextUrl: undefined, documentUrl: url, document: CONTEXT };
};

const S = 'http://schema.org/';
type Node = Record<string, unknown[]>;

async function expand(doc: object): Promise<Node> {
  const out = (await jsonld.expand(doc as never, { documentLoader: loader as never })) as unknown as Node[];
  expect(out).toHaveLength(1);
  return out[0];
}

const course: Course = {
  id: 'crs-01jd3x8e0c7k9m2n4p6q8r0s2t',
  providerOrgId: 'kisti',
  code: 'HPC201',
  name: { ko: 'AI를 위한 HPC', en: 'HPC for AI' },
  description: { ko: '슈퍼컴퓨터에서 모델을 학습합니다.', en: 'Training models on a supercomputer.' },
  audience: ['researchers'],
  level: 'intermediate',
  prerequisites: ['crs-01jd3x8e0c7k9m2n4p6q8r0s2v'],
  keywords: ['HPC', 'Slurm', '병렬처리'],
  field: 'computer-science',
  teaches: ['Submit Slurm jobs'],
  mode: 'hybrid',
  languages: ['ko', 'en'],
  resources: ['kisti6/gh200'],
  timeRequired: 'P3D',
  qualifiesForStarter: true,
  status: 'published',
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  createdBy: 'x',
};
const inst = (o: Partial<Instance> = {}): Instance => ({
  id: 'cin-01jd3x8e0c7k9m2n4p6q8r0s2t',
  courseId: course.id,
  providerOrgId: 'kisti',
  startDate: '2026-12-10T00:00:00.000Z',
  endDate: '2026-12-12T09:00:00.000Z',
  enrolmentOpens: '2026-11-01T00:00:00.000Z',
  enrolmentCloses: '2026-12-09T00:00:00.000Z',
  capacity: 30,
  mode: 'hybrid',
  language: 'ko',
  place: { name: 'KISTI', locality: 'Yuseong-gu', region: 'Daejeon', country: 'KR' },
  link: 'https://meet.example/hpc',
  instructors: [{ sub: 's', name: 'Kim Instructor' }],
  status: 'scheduled',
  createdAt: 'x',
  updatedAt: 'x',
  ...o,
});
const ctx = {
  baseUrl: 'https://api.kairr.example',
  provider: { id: 'kisti', names: { ko: '한국과학기술정보연구원', en: 'KISTI' }, orgType: 'research-institute' as const, region: 'Daejeon', verified: true },
  prerequisites: [{ id: 'crs-01jd3x8e0c7k9m2n4p6q8r0s2v', name: { ko: '리눅스', en: 'Linux basics' } }],
  resourceNames: { 'kisti6/gh200': 'KISTI-6: GH200' },
};

describe('Bioschemas JSON-LD', () => {
  it('expands with the shipped context to a schema:Course with every required property, in both languages', async () => {
    const n = await expand(courseJsonLd(course, [inst(), inst({ id: 'cin-01jd3x8e0c7k9m2n4p6q8r0s2w', mode: 'online', place: undefined })], ctx));
    expect(n['@type']).toEqual([`${S}Course`]);
    for (const p of ['name', 'description', 'keywords']) expect(n[`${S}${p}`]?.length).toBeGreaterThan(0);
    expect(n[`${S}name`]).toEqual(
      expect.arrayContaining([
        { '@value': 'HPC for AI', '@language': 'en' },
        { '@value': 'AI를 위한 HPC', '@language': 'ko' },
      ]),
    );
    expect(n['http://purl.org/dc/terms/conformsTo']).toEqual([expect.objectContaining({ '@id': COURSE_PROFILE })]);
    for (const p of ['about', 'coursePrerequisites', 'educationalLevel', 'hasCourseInstance', 'mentions', 'provider', 'teaches', 'timeRequired', 'url']) expect(n[`${S}${p}`]?.length).toBeGreaterThan(0);
    expect(n[`${S}url`]).toEqual([{ '@id': 'https://api.kairr.example/v1/programmes/courses/crs-01jd3x8e0c7k9m2n4p6q8r0s2t' }]);
    const instances = n[`${S}hasCourseInstance`] as Node[];
    expect(instances).toHaveLength(2);
    for (const i of instances) {
      expect(i['@type']).toEqual([`${S}CourseInstance`]);
      for (const p of ['courseMode', 'location', 'startDate', 'endDate', 'inLanguage', 'instructor', 'offers']) expect(i[`${S}${p}`]?.length).toBeGreaterThan(0);
      expect(i['http://purl.org/dc/terms/conformsTo']).toEqual([expect.objectContaining({ '@id': INSTANCE_PROFILE })]);
    }
    expect((instances[0][`${S}location`] as Node[]).map((l) => l['@type'][0])).toEqual([`${S}Place`, `${S}VirtualLocation`]);
    expect((instances[1][`${S}courseMode`] as Node[])[0]).toEqual({ '@value': 'online' });
  });

  it('refuses any context it does not ship (so the check is offline)', async () => {
    await expect(expand({ ...courseJsonLd(course, [], ctx), '@context': 'https://example.org/other' })).rejects.toThrow();
  });

  it('a document missing a required property is caught by the same check', async () => {
    const doc = courseJsonLd(course, [], ctx) as Record<string, unknown>;
    delete doc.keywords;
    const n = await expand(doc);
    expect(n[`${S}keywords`]).toBeUndefined();
  });
});

// People over HTTP against the running KAIRR (the local runtime by default): a course is
// published, learners enrol (one is waitlisted and moves up when a place frees), a completion's
// certificate verifies publicly, an intern is selected, and a mentor is suggested with reasons.
// The starter fast track is test/e2e/people-starter.test.ts; the other access-tied steps of the
// issue (classroom allocations, interns in a host allocation) are the next wave: docs/people.md.
import { as, call, mint, tokenFor, withToken } from './support/client';

const run = `${process.pid}-${Date.now().toString(36)}`;
// The shared client has no PUT; this file's own, in the same shape.
const withPut = (token: string) => ({ ...withToken(token), put: (path: string, body: unknown) => call('PUT', path, { token, body }) });
const person = async (name: string) => withPut(await mint({ sub: `e2e-${name}-${run}`, groups: ['researcher'], preferred_username: name, name: `E2E ${name}` }));
const admin = () => withPut(tokenFor('admin'));
const iso = (days: number) => new Date(Date.now() + days * 86400_000).toISOString();

describe('people over HTTP', () => {
  it('publishes a course, enrols with a waitlist that moves up, and issues a certificate anyone can verify', async () => {
    const orgId = `e2e-org-${run}`.toLowerCase();
    expect((await admin().put(`/v1/people/orgs/${orgId}`, { names: { ko: '이투이', en: 'E2E Institute' }, orgType: 'research-institute', region: 'Daejeon', verified: true })).status).toBe(201);
    const manager = await person('manager');
    const instructorSub = `e2e-instructor-${run}`;
    const instructor = withToken(await mint({ sub: instructorSub, groups: ['researcher'], name: 'E2E Instructor' }));
    expect((await as('admin').post('/v1/people/roles', { role: 'org-manager', orgId, sub: `e2e-manager-${run}` })).status).toBe(201);
    const course = await manager.post('/v1/programmes/courses', {
      providerOrgId: orgId,
      name: { ko: 'GPU 사용법', en: 'Using GPUs' },
      description: { ko: 'GPU 작업 제출', en: 'Submitting GPU jobs' },
      audience: ['researchers'],
      level: 'beginner',
      keywords: ['GPU', '슬럼'],
      field: 'computer-science',
      teaches: ['Submit a GPU job'],
      mode: 'online',
      languages: ['ko'],
    });
    expect(course.status).toBe(201);
    expect((await manager.post('/v1/people/roles', { role: 'instructor', courseId: course.body.id, sub: instructorSub })).status).toBe(201);
    expect((await manager.patch(`/v1/programmes/courses/${course.body.id}`, { status: 'published' })).status).toBe(200);
    const inst = await manager.post(`/v1/programmes/courses/${course.body.id}/instances`, {
      startDate: iso(-0.01),
      endDate: iso(2),
      enrolmentOpens: iso(-1),
      enrolmentCloses: iso(1),
      capacity: 1,
      link: 'https://meet.kairr.example/e2e',
      instructors: [{ sub: instructorSub, name: 'E2E Instructor' }],
    });
    expect(inst.status).toBe(201);
    // Public, without a token: the catalogue finds it in Korean, and its JSON-LD is served.
    const found = await call('GET', `/v1/programmes/courses?q=${encodeURIComponent('슬럼을')}`);
    expect(found.body.items.map((c: { id: string }) => c.id)).toContain(course.body.id);
    const ld = await call('GET', `/v1/programmes/courses/${course.body.id}/jsonld`);
    expect(ld.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(ld.body).toMatchObject({ '@type': 'Course', hasCourseInstance: [expect.objectContaining({ '@type': 'CourseInstance', courseMode: 'online' })] });

    const [a, b] = [await person('learner-a'), await person('learner-b')];
    const ea = await a.post(`/v1/programmes/instances/${inst.body.id}/enrolments`, {}, { 'idempotency-key': `e2e-enrol-${run}` });
    const eb = await b.post(`/v1/programmes/instances/${inst.body.id}/enrolments`, {});
    expect([ea.body.state, eb.body.state]).toEqual(['enrolled', 'waitlisted']);
    expect(eb.body.waitlistPosition).toBe(1);
    expect((await a.post(`/v1/programmes/instances/${inst.body.id}/enrolments`, {}, { 'idempotency-key': `e2e-enrol-${run}` })).headers.get('idempotent-replayed')).toBe('true');
    expect((await a.post(`/v1/programmes/enrolments/${ea.body.id}/withdraw`, {})).body.state).toBe('withdrawn');
    expect((await b.get(`/v1/programmes/enrolments/${eb.body.id}`)).body.state).toBe('enrolled');

    const done = await instructor.post(`/v1/programmes/instances/${inst.body.id}/completions`, { learners: [{ enrolmentId: eb.body.id, outcome: 'completed' }] });
    expect(done.status).toBe(200);
    const certId = done.body.results[0].certificateId;
    const v = await call('GET', `/v1/certificates/${certId}`);
    expect(v.body).toMatchObject({ valid: true, certificate: { id: certId, displayName: 'E2E learner-b', course: { id: course.body.id } } });
    const missing = await call('GET', '/v1/certificates/cert-00000000000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('certificate_not_found');
    expect((await b.post(`/v1/programmes/instances/${inst.body.id}/completions`, { learners: [{ enrolmentId: eb.body.id, outcome: 'completed' }] })).status).toBe(403);
    expect((await call('POST', `/v1/programmes/instances/${inst.body.id}/enrolments`, { body: {} })).status).toBe(401);
  });

  it('selects an intern and suggests a mentor with the reasons', async () => {
    const orgId = `e2e-host-${run}`.toLowerCase();
    await admin().put(`/v1/people/orgs/${orgId}`, { names: { ko: '스타트업', en: 'Startup' }, orgType: 'startup', region: 'Seoul', verified: true });
    const host = await person('host');
    await as('admin').post('/v1/people/roles', { role: 'host', orgId, sub: `e2e-host-${run}` });
    const day = (d: number) => iso(d).slice(0, 10);
    const posting = await host.post('/v1/internships', {
      hostOrgId: orgId,
      title: { ko: '인턴', en: 'Intern' },
      description: { ko: '설명', en: 'Desc' },
      field: 'computer-science',
      period: { start: day(30), end: day(60) },
      places: 1,
      requirements: [],
      applicationDeadline: iso(20),
    });
    expect(posting.status).toBe(201);
    const student = await person('student');
    const app = await student.post(`/v1/internships/${posting.body.id}/applications`, { statement: 'I would like to learn distributed training at a startup.' });
    expect((await host.post(`/v1/internship-applications/${app.body.id}/decision`, { decision: 'selected' })).body.state).toBe('selected');
    expect((await student.get('/v1/people/me/applications')).body.items).toEqual([expect.objectContaining({ id: app.body.id, state: 'selected' })]);

    const mentor = await person('mentor');
    expect((await mentor.put('/v1/mentoring/mentors/me', { fields: ['computer-science'], expertise: ['분산학습'], languages: ['ko'], capacity: 2, availability: 'Fridays' })).status).toBe(200);
    const req = await student.post('/v1/mentoring/requests', { topic: '분산학습 입문', field: 'computer-science', languages: ['ko'] });
    const sug = await student.get(`/v1/mentoring/requests/${req.body.id}/suggestions`);
    const mine = sug.body.suggestions.find((s: { mentorSub: string }) => s.mentorSub === `e2e-mentor-${run}`);
    expect(mine.reasons).toEqual(expect.arrayContaining(['offers computer-science', 'speaks ko of ko']));
    expect((await student.post(`/v1/mentoring/requests/${req.body.id}/match`, { mentorSub: `e2e-mentor-${run}` })).status).toBe(201);
  });
});

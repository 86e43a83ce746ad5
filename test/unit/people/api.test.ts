// The people API in-process: every route both ways (who may, who may not), internships, mentoring,
// role grants, the catalogue's search and the participation report.
import { admin, anon, as, auditor, caller, courseBody, instanceBody, newOrg, paths, peopleFixture, scenario, unique } from './support';
import type { TestTables } from '../../support/dynamo';

let t: TestTables;
beforeAll(async () => {
  t = await peopleFixture();
});
afterAll(async () => t?.drop());

const researcher = () => caller(unique('r'));
const day = (offset: number) => new Date(Date.now() + offset * 86400_000).toISOString().slice(0, 10);

describe('catalogue', () => {
  it('is public, lists only published courses, searches in Korean, and hides drafts', async () => {
    const s = await scenario({ course: { name: { ko: '초거대 모델 학습 기법', en: 'Techniques for training very large models' }, keywords: ['LLM', '학습기법'] } });
    const found = await anon.get(`/v1/programmes/courses?q=${encodeURIComponent('학습기법을')}`);
    expect(found.status).toBe(200);
    expect(found.body.items.map((c: any) => c.id)).toContain(s.courseId);
    const c = found.body.items.find((x: any) => x.id === s.courseId);
    expect(c.provider).toMatchObject({ id: s.orgId, orgType: 'university', region: 'Daejeon' });
    expect((await anon.get(`/v1/programmes/courses?q=zzzqqq`)).body.items).toEqual([]);
    expect((await anon.get(`/v1/programmes/courses?level=expert`)).status).toBe(400);
    const draft = await as(s.manager).post('/v1/programmes/courses', courseBody(s.orgId));
    expect((await anon.get(`/v1/programmes/courses/${draft.body.id}`)).status).toBe(404);
    const one = await anon.get(`/v1/programmes/courses/${s.courseId}`);
    expect(one.body.instances).toEqual([expect.objectContaining({ id: s.instanceId, seats: { capacity: 2, enrolled: 0, free: 2, waitlisted: 0 } })]);
    const ld = await anon.get(`/v1/programmes/courses/${s.courseId}/jsonld`);
    expect(ld.headers['content-type']).toMatch(/^application\/ld\+json/);
    expect(JSON.parse(ld.text)).toMatchObject({ '@type': 'Course', '@id': `https://kairr.test/v1/programmes/courses/${s.courseId}` });
  });

  it('pages with an opaque token and refuses a forged one', async () => {
    const orgId = await newOrg();
    const m = caller(unique('m'));
    await as(admin).post('/v1/people/roles', { role: 'org-manager', orgId, sub: m.sub });
    for (let i = 0; i < 3; i++) {
      const c = await as(m).post('/v1/programmes/courses', courseBody(orgId, { keywords: ['pagingtest'] }));
      await as(m).patch(`/v1/programmes/courses/${c.body.id}`, { status: 'published' });
    }
    const p1 = await anon.get('/v1/programmes/courses?keyword=pagingtest&limit=2');
    expect(p1.body.items).toHaveLength(2);
    const p2 = await anon.get(`/v1/programmes/courses?keyword=pagingtest&limit=2&nextToken=${encodeURIComponent(p1.body.nextToken)}`);
    expect(p2.body.items).toHaveLength(1);
    expect(new Set([...p1.body.items, ...p2.body.items].map((c: any) => c.id)).size).toBe(3);
    expect((await anon.get('/v1/programmes/courses?nextToken=forged')).status).toBe(400);
  });

  it('names every bad field of a course and an instance', async () => {
    const s = await scenario();
    const bad = await as(s.manager).post('/v1/programmes/courses', courseBody(s.orgId, { name: { ko: '이름' }, level: 'expert', resources: ['spc/h999'], prerequisites: ['crs-00000000000000000000000000'] }));
    expect(bad.status).toBe(400);
    expect(paths(bad)).toEqual(expect.arrayContaining(['name.en', 'level']));
    const refs = await as(s.manager).post('/v1/programmes/courses', courseBody(s.orgId, { resources: ['spc/h999'], prerequisites: ['crs-00000000000000000000000000'] }));
    expect(paths(refs)).toEqual(['resources[0]', 'prerequisites[0]']);
    const inst = await as(s.manager).post(`/v1/programmes/courses/${s.courseId}/instances`, instanceBody({ endDate: new Date(Date.now() - 86400_000).toISOString(), link: undefined, instructors: [{ sub: 'nobody', name: 'N' }] }));
    expect(inst.status).toBe(400);
    expect(paths(inst)).toEqual(expect.arrayContaining(['endDate', 'link', 'instructors[0].sub']));
    expect((await as(s.manager).post('/v1/programmes/courses', courseBody('no-such-org'))).body.error.details[0].path).toBe('providerOrgId');
  });
});

describe('who may do what', () => {
  it('courses and instances: admins and the provider managers, not other researchers, instructors or auditors', async () => {
    const s = await scenario();
    const other = researcher();
    for (const who of [other, s.instructor]) {
      expect((await as(who).post('/v1/programmes/courses', courseBody(s.orgId))).status).toBe(403);
      expect((await as(who).patch(`/v1/programmes/courses/${s.courseId}`, { level: 'advanced' })).status).toBe(403);
      expect((await as(who).post(`/v1/programmes/courses/${s.courseId}/instances`, instanceBody())).status).toBe(403);
      expect((await as(who).patch(`/v1/programmes/instances/${s.instanceId}`, { capacity: 9 })).status).toBe(403);
    }
    expect((await as(auditor).post('/v1/programmes/courses', courseBody(s.orgId))).status).toBe(403);
    expect((await anon.post('/v1/programmes/courses', courseBody(s.orgId))).status).toBe(401);
    expect((await as(admin).post('/v1/programmes/courses', courseBody(s.orgId))).status).toBe(201);
    expect((await as(s.manager).patch(`/v1/programmes/courses/${s.courseId}`, { level: 'advanced' })).status).toBe(200);
    expect((await as(admin).patch(`/v1/programmes/instances/${s.instanceId}`, { capacity: 3 })).status).toBe(200);
  });

  it('enrolment: researchers enrol themselves; the roster is for instructors, managers and staff only', async () => {
    const s = await scenario();
    const l = researcher();
    expect((await as(auditor).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {})).status).toBe(403);
    expect((await as(admin).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {})).status).toBe(403);
    expect((await anon.post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {})).status).toBe(401);
    const e = await as(l).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {});
    expect(e.status).toBe(201);
    for (const who of [s.instructor, s.manager, admin, auditor]) expect((await as(who).get(`/v1/programmes/instances/${s.instanceId}/enrolments`)).status).toBe(200);
    expect((await as(researcher()).get(`/v1/programmes/instances/${s.instanceId}/enrolments`)).status).toBe(403);
    expect((await as(l).get(`/v1/programmes/instances/${s.instanceId}/enrolments`)).status).toBe(403);
    // Someone else's enrolment is answered like a missing one.
    expect((await as(researcher()).get(`/v1/programmes/enrolments/${e.body.id}`)).status).toBe(404);
    expect((await as(s.instructor).get(`/v1/programmes/enrolments/${e.body.id}`)).status).toBe(200);
    expect((await as(researcher()).post(`/v1/programmes/enrolments/${e.body.id}/withdraw`, {})).status).toBe(404);
    expect((await as(s.instructor).post(`/v1/programmes/enrolments/${e.body.id}/withdraw`, {})).status).toBe(404);
    // Completion: instructors, managers and admins; not the learner.
    expect((await as(l).post(`/v1/programmes/instances/${s.instanceId}/completions`, { learners: [{ enrolmentId: e.body.id, outcome: 'completed' }] })).status).toBe(403);
    expect((await as(admin).post(`/v1/programmes/enrolments/${e.body.id}/withdraw`, { reason: 'duplicate account' })).body.state).toBe('withdrawn');
  });

  it('grants: org managers by admins only; instructors and hosts by admins or the organisation managers; revocation takes effect', async () => {
    const s = await scenario();
    const x = researcher();
    expect((await as(s.manager).post('/v1/people/roles', { role: 'org-manager', orgId: s.orgId, sub: x.sub })).status).toBe(403);
    const otherOrg = await newOrg('startup', 'Busan');
    expect((await as(s.manager).post('/v1/people/roles', { role: 'host', orgId: otherOrg, sub: x.sub })).status).toBe(403);
    expect((await as(s.instructor).post('/v1/people/roles', { role: 'instructor', courseId: s.courseId, sub: x.sub })).status).toBe(403);
    const g = await as(s.manager).post('/v1/people/roles', { role: 'instructor', courseId: s.courseId, sub: x.sub });
    expect(g.status).toBe(201);
    expect((await as(s.manager).post('/v1/people/roles', { role: 'instructor', courseId: s.courseId, sub: x.sub })).status).toBe(200);
    expect((await as(x).get(`/v1/programmes/instances/${s.instanceId}/enrolments`)).status).toBe(200);
    expect((await as(x).get('/v1/people/roles')).body.items.map((i: any) => i.id)).toEqual([g.body.id]);
    expect((await as(x).get(`/v1/people/roles?sub=${s.manager.sub}`)).status).toBe(403);
    expect((await as(s.manager).get(`/v1/people/roles?courseId=${s.courseId}`)).body.items).toHaveLength(2);
    expect((await as(x).del(`/v1/people/roles/${g.body.id}`, {})).status).toBe(403);
    expect((await as(s.manager).del(`/v1/people/roles/${g.body.id}`, { reason: 'left the team' })).body.status).toBe('revoked');
    expect((await as(x).get(`/v1/programmes/instances/${s.instanceId}/enrolments`)).status).toBe(403);
    const bad = await as(admin).post('/v1/people/roles', { role: 'instructor', orgId: s.orgId, sub: x.sub });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'courseId', problem: 'is required for the instructor role' }]);
  });

  it('organisations: admins keep the directory; anyone reads it; researchers declare their own affiliation', async () => {
    const r = researcher();
    expect((await as(r).put('/v1/people/orgs/some-org', { names: { ko: '가', en: 'A' }, orgType: 'sme', region: 'Seoul', verified: true })).status).toBe(403);
    const id = await newOrg('sme', 'Seoul');
    expect((await anon.get(`/v1/people/orgs/${id}`)).body).toMatchObject({ id, orgType: 'sme', region: 'Seoul' });
    expect((await as(r).put('/v1/people/me/affiliation', { orgId: id })).status).toBe(200);
    expect((await as(r).put('/v1/people/me/affiliation', { orgId: 'nowhere' })).body.error.details[0].path).toBe('orgId');
    expect((await as(admin).put('/v1/people/me/affiliation', { orgId: id })).status).toBe(403);
  });

  it('the participation report is for admins, auditors and chairs', async () => {
    for (const who of [admin, auditor, caller('chair', ['chair'])]) expect((await as(who).get('/v1/people/reports/participation')).status).toBe(200);
    expect((await as(researcher()).get('/v1/people/reports/participation')).status).toBe(403);
    expect((await anon.get('/v1/people/reports/participation')).status).toBe(401);
  });
});

describe('internships', () => {
  async function hostSetup() {
    const orgId = await newOrg('startup', 'Seoul');
    const host = researcher();
    expect((await as(admin).post('/v1/people/roles', { role: 'host', orgId, sub: host.sub })).status).toBe(201);
    const body = {
      hostOrgId: orgId,
      title: { ko: 'LLM 인턴', en: 'LLM intern' },
      description: { ko: '설명', en: 'Work on pretraining' },
      field: 'computer-science',
      period: { start: day(30), end: day(90) },
      places: 1,
      requirements: ['Python'],
      applicationDeadline: new Date(Date.now() + 20 * 86400_000).toISOString(),
    };
    return { orgId, host, body };
  }

  it('a host posts, students apply once, the host selects within the places, applicants see their state', async () => {
    const { host, body } = await hostSetup();
    expect((await as(researcher()).post('/v1/internships', body)).status).toBe(403);
    const p = await as(host).post('/v1/internships', body);
    expect(p.status).toBe(201);
    expect((await anon.get('/v1/internships')).body.items.map((i: any) => i.id)).toContain(p.body.id);
    const [a, b] = [researcher(), researcher()];
    const statement = 'I have trained small transformers and want to learn pretraining at scale.';
    const ra = await as(a).post(`/v1/internships/${p.body.id}/applications`, { statement });
    const rb = await as(b).post(`/v1/internships/${p.body.id}/applications`, { statement });
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect((await as(a).post(`/v1/internships/${p.body.id}/applications`, { statement })).status).toBe(409);
    expect((await as(a).post(`/v1/internships/${p.body.id}/applications`, { statement: 'short' })).status).toBe(400);
    expect((await as(a).get(`/v1/internships/${p.body.id}/applications`)).status).toBe(403);
    expect((await as(host).get(`/v1/internships/${p.body.id}/applications`)).body.items).toHaveLength(2);
    expect((await as(a).post(`/v1/internship-applications/${ra.body.id}/decision`, { decision: 'selected' })).status).toBe(403);
    expect((await as(host).post(`/v1/internship-applications/${ra.body.id}/decision`, { decision: 'selected' })).body.state).toBe('selected');
    const full = await as(host).post(`/v1/internship-applications/${rb.body.id}/decision`, { decision: 'selected' });
    expect(full.status).toBe(422);
    expect(full.body.error.code).toBe('places_full');
    expect((await as(a).get('/v1/people/me/applications')).body.items).toEqual([expect.objectContaining({ id: ra.body.id, state: 'selected' })]);
    expect((await as(b).get(`/v1/internship-applications/${ra.body.id}`)).status).toBe(404);
    // The selected intern withdraws: the place frees for the other.
    expect((await as(a).post(`/v1/internship-applications/${ra.body.id}/withdraw`, {})).body.state).toBe('withdrawn');
    expect((await as(host).post(`/v1/internship-applications/${rb.body.id}/decision`, { decision: 'selected' })).body.state).toBe('selected');
    expect((await anon.get(`/v1/internships/${p.body.id}`)).body).toMatchObject({ places: 1, selected: 1, free: 0 });
  });

  it("refuses a period outside the host allocation's dates, naming the field", async () => {
    const { host, body } = await hostSetup();
    const { PutCommand } = require('@aws-sdk/lib-dynamodb');
    const { keys } = require('../../../lambdas/shared/store/keys');
    const allocId = 'alloc-01jd3x8e0c7k9m2n4p6q8r0s2t';
    await t.doc.send(new PutCommand({ TableName: t.names.main, Item: { ...keys.allocation(allocId), id: allocId, startDate: day(0), endDate: day(60) } }));
    const r = await as(host).post('/v1/internships', { ...body, hostAllocationId: allocId });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'period_outside_allocation', details: [{ path: 'period.end', problem: `is after the host allocation ends (${day(60)})` }] });
    expect((await as(host).post('/v1/internships', { ...body, period: { start: day(30), end: day(50) }, hostAllocationId: allocId })).status).toBe(201);
    expect((await as(host).post('/v1/internships', { ...body, hostAllocationId: 'alloc-00000000000000000000000000' })).body.error.details[0].path).toBe('hostAllocationId');
  });
});

describe('mentoring', () => {
  const offer = { fields: ['computer-science'], expertise: ['분산학습', 'LLM pretraining'], languages: ['ko', 'en'], capacity: 1, availability: 'Tuesday evenings' };

  it('suggests mentors with reasons, matches within capacity, either side ends, sessions by date and topic only', async () => {
    const [mentor, mentee, second] = [researcher(), researcher(), researcher()];
    expect((await as(mentor).put('/v1/mentoring/mentors/me', offer)).status).toBe(200);
    const req = await as(mentee).post('/v1/mentoring/requests', { topic: '분산학습 설정이 어렵습니다', field: 'computer-science', languages: ['ko'] });
    expect(req.status).toBe(201);
    const sug = await as(mentee).get(`/v1/mentoring/requests/${req.body.id}/suggestions`);
    const mine = sug.body.suggestions.find((x: any) => x.mentorSub === mentor.sub);
    expect(mine.reasons).toEqual(expect.arrayContaining(['offers computer-science', 'speaks ko of ko', '1 of 1 places free']));
    expect((await as(second).get(`/v1/mentoring/requests/${req.body.id}/suggestions`)).status).toBe(404);
    const m = await as(mentee).post(`/v1/mentoring/requests/${req.body.id}/match`, { mentorSub: mentor.sub });
    expect(m.status).toBe(201);
    const req2 = await as(second).post('/v1/mentoring/requests', { topic: 'LLM pretraining', field: 'computer-science', languages: ['en'] });
    const over = await as(second).post(`/v1/mentoring/requests/${req2.body.id}/match`, { mentorSub: mentor.sub });
    expect(over.status).toBe(422);
    expect(over.body.error).toMatchObject({ code: 'mentor_over_capacity', details: [{ path: 'mentorSub', problem: 'is at capacity (1 of 1)' }] });
    expect((await as(mentor).put('/v1/mentoring/mentors/me', { ...offer, capacity: 0 })).body.error.code).toBe('capacity_below_active');
    const withNotes = await as(mentor).post(`/v1/mentoring/matches/${m.body.id}/sessions`, { date: day(0), topic: 'FSDP setup', notes: 'private' });
    expect(withNotes.status).toBe(400);
    expect(paths(withNotes)).toEqual(['notes']);
    const logged = await as(mentor).post(`/v1/mentoring/matches/${m.body.id}/sessions`, { date: day(0), topic: 'FSDP setup' });
    expect(logged.body.sessions).toEqual([expect.objectContaining({ date: day(0), topic: 'FSDP setup', loggedBy: 'mentor' })]);
    expect((await as(second).get(`/v1/mentoring/matches/${m.body.id}`)).status).toBe(404);
    expect((await as(mentee).post(`/v1/mentoring/matches/${m.body.id}/end`, { reason: 'done' })).body).toMatchObject({ state: 'ended', endedBy: 'mentee' });
    expect((await as(mentor).get('/v1/mentoring/mentors/me')).body.active).toBe(0);
    expect((await as(second).post(`/v1/mentoring/requests/${req2.body.id}/match`, { mentorSub: mentor.sub })).status).toBe(201);
    expect((await as(auditor).put('/v1/mentoring/mentors/me', offer)).status).toBe(403);
  });

  it('holds places for SME and startup mentees', async () => {
    const mentor = researcher();
    await as(mentor).put('/v1/mentoring/mentors/me', { ...offer, capacity: 4 });
    const fill = async (orgType: string) => {
      const who = researcher();
      await as(who).put('/v1/people/me/affiliation', { orgId: await newOrg(orgType) });
      const r = await as(who).post('/v1/mentoring/requests', { topic: 'distributed training', field: 'computer-science', languages: ['en'] });
      return as(who).post(`/v1/mentoring/requests/${r.body.id}/match`, { mentorSub: mentor.sub });
    };
    for (let i = 0; i < 3; i++) expect((await fill('university')).status).toBe(201);
    const held = await fill('university');
    expect(held.status).toBe(422);
    expect(held.body.error.details[0].problem).toBe('has only places held for SME and startup mentees');
    const sme = await fill('sme');
    expect(sme.status).toBe(201);
    expect(sme.body.priorityPlace).toBe(true);
    const report = await as(auditor).get('/v1/people/reports/participation');
    expect(report.body.byOrgType.find((g: any) => g.key === 'sme').mentoringMatches).toBeGreaterThanOrEqual(1);
  });
});

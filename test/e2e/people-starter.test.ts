// Completion opens the door, over HTTP against the local runtime: a learner completes a course
// that qualifies for starter access, and their starter proposal in a call that leaves their org
// type out is approved on the fast track (policy.approval.trainingStarter, 'fast-track' by
// default), naming the certificate; the same proposal from someone without the course is refused
// as before; a trainedOnly call refuses them outright (422 training_required); the fairness report
// counts the award. Roles both ways for what is new: trainedOnly on calls (admins only).
import { callBody, createCall, createProposal, devClient, identity, proposalBody, runId, stateOf, suiteTarget, type ApprovalTarget, type Client } from './approval-support';

let t: ApprovalTarget;
let admin: Client;
beforeAll(() => {
  t = suiteTarget();
  admin = devClient(t, 'admin');
});

const iso = (days: number) => new Date(Date.now() + days * 86400_000).toISOString();
/** Declared by a PI the registry knows no org for: the call handles them as a startup. */
const startupPi = { name: 'Park Seo-yeon', email: `seoyeon-${runId}@tiny.example`, institution: 'Tiny AI', orgType: 'startup' };

/** An admin publishes a qualifying course with an instance under way; the learner enrols and is marked completed. */
async function completeQualifyingCourse(learner: Client): Promise<{ courseId: string; certificateId: string }> {
  const orgId = `e2e-academy-${runId}`;
  const org = await admin.call('PUT', `/v1/people/orgs/${orgId}`, { names: { ko: '아카데미', en: 'E2E Academy' }, orgType: 'public-agency', region: 'Daejeon', verified: true });
  expect([200, 201]).toContain(org.status);
  const course = await admin.post('/v1/programmes/courses', {
    providerOrgId: orgId,
    name: { ko: 'GPU 입문', en: 'GPUs for newcomers' },
    description: { ko: 'GPU 작업 제출', en: 'Submitting GPU jobs' },
    audience: ['researchers'],
    level: 'beginner',
    keywords: ['GPU'],
    field: 'computer-science',
    teaches: ['Submit a GPU job'],
    mode: 'online',
    languages: ['ko'],
    qualifiesForStarter: true,
  });
  expect(course.status).toBe(201);
  expect((await admin.post('/v1/people/roles', { role: 'instructor', courseId: course.body.id, sub: admin.sub })).status).toBe(201);
  expect((await admin.patch(`/v1/programmes/courses/${course.body.id}`, { status: 'published' })).status).toBe(200);
  const inst = await admin.post(`/v1/programmes/courses/${course.body.id}/instances`, {
    startDate: iso(-0.01),
    endDate: iso(2),
    enrolmentOpens: iso(-1),
    enrolmentCloses: iso(1),
    capacity: 5,
    link: 'https://meet.kairr.example/e2e-starter',
    instructors: [{ sub: admin.sub, name: 'E2E Admin' }],
  });
  expect({ status: inst.status, error: inst.body.error }).toEqual({ status: 201, error: undefined });
  const enrolment = await learner.post(`/v1/programmes/instances/${inst.body.id}/enrolments`, {});
  expect(enrolment.body.state).toBe('enrolled');
  const done = await admin.post(`/v1/programmes/instances/${inst.body.id}/completions`, { learners: [{ enrolmentId: enrolment.body.id, outcome: 'completed' }] });
  expect(done.status).toBe(200);
  const q = await learner.get('/v1/people/me/starter-qualification');
  expect(q.body.qualifies).toBe(true);
  return { courseId: course.body.id, certificateId: done.body.results[0].certificateId };
}

it('a completed qualifying course fast-tracks a starter proposal the call would refuse by org type; without it the proposal is refused; the fairness report counts it', async () => {
  const call = await createCall(admin, callBody([], { kind: 'starter', eligibleOrgTypes: ['university'] }));
  const learner = await identity(t, 'e2e-trainee', ['researcher']);
  const { courseId, certificateId } = await completeQualifyingCourse(learner);

  const p = await createProposal(learner, proposalBody(call.id, { credits: { 'spc/h200': 60 }, pi: startupPi }));
  expect((await learner.post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
  const approved = await stateOf(learner, p.id, 'approved');
  expect(approved).toMatchObject({ tier: 'starter', decision: { outcome: 'approve', automatic: true, credits: { 'spc/h200': 60 }, via: { kind: 'training', certificateId, courseId } } });

  const outsider = await identity(t, 'e2e-untrained', ['researcher']);
  const draft = await createProposal(outsider, proposalBody(call.id, { credits: { 'spc/h200': 60 }, pi: { ...startupPi, email: `other-${runId}@tiny.example` } }));
  const refused = await outsider.post(`/v1/proposals/${draft.id}/submit`);
  expect(refused.status).toBe(422);
  expect(refused.body.error.details).toEqual([{ path: 'pi.orgType', problem: expect.stringMatching(/"startup" .*may not apply/) }]);

  const report = await devClient(t, 'auditor').get(`/v1/reports/fairness?callId=${call.id}`);
  expect(report.status).toBe(200);
  expect(report.body.starterAwardsThroughTraining).toEqual({ total: 1, byOrgType: [{ key: 'startup', awards: 1 }] });
});

it('a trainedOnly starter call refuses a draft from someone without a qualifying course (422 training_required); only admins set trainedOnly', async () => {
  for (const role of ['researcher', 'chair', 'auditor', 'reviewer']) {
    expect((await devClient(t, role).post('/v1/calls', callBody([], { kind: 'starter', trainedOnly: true }))).status).toBe(403);
  }
  const call = await createCall(admin, callBody([], { kind: 'starter', trainedOnly: true }));
  expect(call.trainedOnly).toBe(true);
  expect((await devClient(t, 'chair').patch(`/v1/calls/${call.id}`, { trainedOnly: false })).status).toBe(403);

  const outsider = await identity(t, 'e2e-not-trained', ['researcher']);
  const res = await outsider.post('/v1/proposals', proposalBody(call.id, { credits: { 'spc/h200': 50 } }));
  expect(res.status).toBe(422);
  expect(res.body.error).toMatchObject({ code: 'training_required', details: [{ path: 'callId', problem: expect.stringMatching(/admits only people who completed a course that qualifies/) }] });
  expect((await outsider.get(`/v1/proposals?callId=${call.id}`)).body.items).toEqual([]);
});

// Enrolment against DynamoDB Local: seats, the ordered waitlist, promotion when a place frees,
// the window, capacity changes, concurrency, completion in bulk and certificates.
import { admin, anon, as, caller, paths, peopleFixture, scenario, unique } from './support';
import type { TestTables } from '../../support/dynamo';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { peopleKeys } from '../../../lambdas/shared/store/keys';

let t: TestTables;
beforeAll(async () => {
  t = await peopleFixture();
});
afterAll(async () => t?.drop());

const learner = () => caller(unique('learner'));
const seats = async (instanceId: string) => (await t.doc.send(new GetCommand({ TableName: t.names.main, Key: peopleKeys.seats(instanceId), ConsistentRead: true }))).Item!;

describe('enrolment', () => {
  it('enrols within capacity, waitlists beyond it in order, and moves the head up when a place frees', async () => {
    const s = await scenario();
    const [a, b, c, d] = [learner(), learner(), learner(), learner()];
    const ra = await as(a).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {});
    const rb = await as(b).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {});
    const rc = await as(c).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {});
    const rd = await as(d).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {});
    expect([ra.status, rb.status, rc.status, rd.status]).toEqual([201, 201, 201, 201]);
    expect([ra.body.state, rb.body.state, rc.body.state, rd.body.state]).toEqual(['enrolled', 'enrolled', 'waitlisted', 'waitlisted']);
    expect([rc.body.waitlistPosition, rd.body.waitlistPosition]).toEqual([1, 2]);
    expect(await seats(s.instanceId)).toMatchObject({ capacity: 2, enrolled: 2, waiting: 2 });

    const w = await as(b).post(`/v1/programmes/enrolments/${rb.body.id}/withdraw`, { reason: 'cannot attend' });
    expect(w.body.state).toBe('withdrawn');
    expect((await as(c).get(`/v1/programmes/enrolments/${rc.body.id}`)).body).toMatchObject({ state: 'enrolled' });
    expect((await as(d).get(`/v1/programmes/enrolments/${rd.body.id}`)).body).toMatchObject({ state: 'waitlisted', waitlistPosition: 1 });
    expect(await seats(s.instanceId)).toMatchObject({ enrolled: 2, waiting: 1 });
    // The public view counts seats, never names.
    const pub = await anon.get(`/v1/programmes/instances/${s.instanceId}`);
    expect(pub.body.seats).toEqual({ capacity: 2, enrolled: 2, free: 0, waitlisted: 1 });
    expect(JSON.stringify(pub.body)).not.toContain(a.sub);
  });

  it('a waitlisted learner who withdraws leaves the waitlist; the others keep their order', async () => {
    const s = await scenario({ instance: { capacity: 1 } });
    const ls = [learner(), learner(), learner(), learner()];
    const rs = [];
    for (const l of ls) rs.push(await as(l).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {}));
    await as(ls[2]).post(`/v1/programmes/enrolments/${rs[2].body.id}/withdraw`, {});
    const roster = await as(s.instructor).get(`/v1/programmes/instances/${s.instanceId}/enrolments`);
    expect(roster.body.waitlist.map((e: any) => [e.learnerSub, e.waitlistPosition])).toEqual([
      [ls[1].sub, 1],
      [ls[3].sub, 2],
    ]);
    expect(await seats(s.instanceId)).toMatchObject({ enrolled: 1, waiting: 2 });
  });

  it('raising the capacity moves the waitlist up in order; lowering it below the enrolled is refused', async () => {
    const s = await scenario({ instance: { capacity: 1 } });
    const ls = [learner(), learner(), learner()];
    for (const l of ls) await as(l).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {});
    const up = await as(s.manager).patch(`/v1/programmes/instances/${s.instanceId}`, { capacity: 2 });
    expect(up.status).toBe(200);
    expect(await seats(s.instanceId)).toMatchObject({ capacity: 2, enrolled: 2, waiting: 1 });
    const roster = await as(s.manager).get(`/v1/programmes/instances/${s.instanceId}/enrolments`);
    expect(roster.body.enrolments.map((e: any) => e.learnerSub).sort()).toEqual([ls[0].sub, ls[1].sub].sort());
    const down = await as(s.manager).patch(`/v1/programmes/instances/${s.instanceId}`, { capacity: 1 });
    expect(down.status).toBe(422);
    expect(down.body.error.code).toBe('capacity_below_enrolled');
    expect(paths(down)).toEqual(['capacity']);
    expect(await seats(s.instanceId)).toMatchObject({ capacity: 2 });
  });

  it('refuses an enrolment outside its window (named 422), a second enrolment (409), and replays an Idempotency-Key', async () => {
    const early = await scenario({ instance: { enrolmentOpens: new Date(Date.now() + 86400_000).toISOString() } });
    const l = learner();
    const r = await as(l).post(`/v1/programmes/instances/${early.instanceId}/enrolments`, {});
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'outside_enrolment_window', details: [{ path: 'instanceId', problem: expect.stringMatching(/^enrolment opens at /) }] });
    const s = await scenario();
    const key = { 'idempotency-key': unique('enrol-key') };
    const first = await as(l).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, { motivation: 'I run an SME' }, key);
    const again = await as(l).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, { motivation: 'I run an SME' }, key);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await seats(s.instanceId)).toMatchObject({ enrolled: 1 });
    const dup = await as(l).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {});
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('already_enrolled');
    expect((await as(l).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, { colour: 'blue' })).status).toBe(400);
    expect((await as(l).post(`/v1/programmes/instances/cin-00000000000000000000000000/enrolments`, {})).status).toBe(404);
  });

  it('never over-enrols under concurrency: 40 learners at once for 15 seats', async () => {
    const s = await scenario({ instance: { capacity: 15 } });
    const ls = Array.from({ length: 40 }, learner);
    const rs = await Promise.all(ls.map((l) => as(l).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {})));
    expect(rs.map((r) => r.status).every((x) => x === 201)).toBe(true);
    const states = rs.map((r) => r.body.state);
    expect(states.filter((x) => x === 'enrolled')).toHaveLength(15);
    expect(states.filter((x) => x === 'waitlisted')).toHaveLength(25);
    const positions = rs.filter((r) => r.body.state === 'waitlisted').map((r) => r.body.waitlistPosition);
    expect(new Set(positions).size).toBeGreaterThan(1);
    expect(await seats(s.instanceId)).toMatchObject({ enrolled: 15, waiting: 25 });
    const roster = await as(admin).get(`/v1/programmes/instances/${s.instanceId}/enrolments`);
    expect(roster.body.waitlist.map((e: any) => e.waitlistPosition)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const tickets = roster.body.waitlist.map((e: any) => e.ticket);
    expect([...tickets].sort((x: number, y: number) => x - y)).toEqual(tickets);
    // Five enrolled learners withdraw at once: the five at the head move up, nobody else.
    const enrolled = rs.filter((r) => r.body.state === 'enrolled').slice(0, 5);
    const head = roster.body.waitlist
      .slice(0, 5)
      .map((e: any) => e.id)
      .sort();
    await Promise.all(enrolled.map((r) => as(ls[rs.indexOf(r)]).post(`/v1/programmes/enrolments/${r.body.id}/withdraw`, {})));
    const after = await as(admin).get(`/v1/programmes/instances/${s.instanceId}/enrolments`);
    expect(after.body.counts).toMatchObject({ enrolled: 15, waitlisted: 20, withdrawn: 5 });
    const promoted = after.body.enrolments
      .filter((e: any) => e.history.some((h: any) => h.state === 'waitlisted') && e.state === 'enrolled')
      .map((e: any) => e.id)
      .sort();
    expect(promoted).toEqual(head);
    expect(await seats(s.instanceId)).toMatchObject({ enrolled: 15, waiting: 20 });
  });
});

describe('completion and certificates', () => {
  const started = () => ({ startDate: new Date(Date.now() - 3600_000).toISOString(), enrolmentOpens: new Date(Date.now() - 7200_000).toISOString(), capacity: 5 });

  it('instructors complete learners in bulk; each certificate verifies for anyone against the audit trail', async () => {
    const s = await scenario({ instance: started(), course: { qualifiesForStarter: false } });
    const ls = [learner(), learner(), learner()];
    const es = [];
    for (const l of ls) es.push((await as(l).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {})).body);
    const res = await as(s.instructor).post(`/v1/programmes/instances/${s.instanceId}/completions`, {
      learners: [
        { enrolmentId: es[0].id, outcome: 'completed' },
        { enrolmentId: es[1].id, outcome: 'completed' },
        { enrolmentId: es[2].id, outcome: 'no-show' },
      ],
      completedOn: '2026-12-01',
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => r.state)).toEqual(['completed', 'completed', 'no-show']);
    const certId = res.body.results[0].certificateId;
    expect(certId).toMatch(/^cert-/);
    const v = await anon.get(`/v1/certificates/${certId}`);
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({
      valid: true,
      status: 'valid',
      problems: [],
      certificate: { id: certId, displayName: `Name of ${ls[0].sub}`, completedOn: '2026-12-01', course: { id: s.courseId, name: { en: 'Introduction to distributed GPU training' } } },
    });
    expect(v.body.evidence.events).toEqual([expect.objectContaining({ seq: 1, action: 'certificate.issue' })]);
    expect(v.body.certificate.learnerSub).toBeUndefined();
    // Again: a no-op, no second certificate.
    const again = await as(s.instructor).post(`/v1/programmes/instances/${s.instanceId}/completions`, { learners: [{ enrolmentId: es[0].id, outcome: 'completed' }] });
    expect(again.body.results).toEqual([{ enrolmentId: es[0].id, state: 'completed', certificateId: certId, changed: false }]);
  });

  it('says plainly that a certificate id does not exist, and catches a tampered certificate', async () => {
    const missing = await anon.get('/v1/certificates/cert-00000000000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'certificate_not_found', message: expect.stringContaining('KAIRR has not issued a certificate with this id') });
    expect((await anon.get('/v1/certificates/not-a-cert')).status).toBe(400);
    const s = await scenario({ instance: started() });
    const l = learner();
    const e = (await as(l).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {})).body;
    const certId = (await as(s.instructor).post(`/v1/programmes/instances/${s.instanceId}/completions`, { learners: [{ enrolmentId: e.id, outcome: 'completed' }] })).body.results[0].certificateId;
    const key = peopleKeys.certificate(certId);
    const item = (await t.doc.send(new GetCommand({ TableName: t.names.main, Key: key }))).Item!;
    await t.doc.send(new PutCommand({ TableName: t.names.main, Item: { ...item, displayName: 'Someone Else' } }));
    const v = await anon.get(`/v1/certificates/${certId}`);
    expect(v.body).toMatchObject({ valid: false, status: 'tampered', certificate: { displayName: 'Someone Else' } });
    expect(v.body.problems).toEqual(['the certificate as stored is not the one its latest audit event recorded']);
  });

  it('refuses to complete someone not enrolled, naming each, and writes nothing; before the start too', async () => {
    const s = await scenario({ instance: { ...started(), capacity: 1 } });
    const [a, b] = [learner(), learner()];
    const ea = (await as(a).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {})).body;
    const eb = (await as(b).post(`/v1/programmes/instances/${s.instanceId}/enrolments`, {})).body;
    expect(eb.state).toBe('waitlisted');
    const r = await as(s.instructor).post(`/v1/programmes/instances/${s.instanceId}/completions`, {
      learners: [
        { enrolmentId: ea.id, outcome: 'completed' },
        { enrolmentId: eb.id, outcome: 'completed' },
        { enrolmentId: 'enr-00000000000000000000000000', outcome: 'completed' },
      ],
    });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('not_enrolled');
    expect(r.body.error.details).toEqual([
      { path: 'learners[1].enrolmentId', problem: 'is not enrolled (it is waitlisted)' },
      { path: 'learners[2].enrolmentId', problem: 'is not an enrolment in this instance' },
    ]);
    expect((await as(a).get(`/v1/programmes/enrolments/${ea.id}`)).body.state).toBe('enrolled');
    const future = await scenario();
    const ef = (await as(a).post(`/v1/programmes/instances/${future.instanceId}/enrolments`, {})).body;
    const nr = await as(future.instructor).post(`/v1/programmes/instances/${future.instanceId}/completions`, { learners: [{ enrolmentId: ef.id, outcome: 'completed' }] });
    expect(nr.status).toBe(422);
    expect(nr.body.error.code).toBe('instance_not_started');
  });

  it('completing a qualifying course makes the learner qualify for starter access', async () => {
    const orgCourse = await scenario({ instance: started() });
    const l = learner();
    expect((await as(l).get('/v1/people/me/starter-qualification')).body).toEqual({ sub: l.sub, qualifies: false, via: [] });
    // Only admins may mark a course as qualifying.
    expect((await as(orgCourse.manager).patch(`/v1/programmes/courses/${orgCourse.courseId}`, { qualifiesForStarter: true })).status).toBe(403);
    expect((await as(admin).patch(`/v1/programmes/courses/${orgCourse.courseId}`, { qualifiesForStarter: true })).status).toBe(200);
    const e = (await as(l).post(`/v1/programmes/instances/${orgCourse.instanceId}/enrolments`, {})).body;
    const cert = (await as(orgCourse.instructor).post(`/v1/programmes/instances/${orgCourse.instanceId}/completions`, { learners: [{ enrolmentId: e.id, outcome: 'completed' }], completedOn: '2026-12-02' })).body.results[0].certificateId;
    const q = await as(l).get('/v1/people/me/starter-qualification');
    expect(q.body).toEqual({ sub: l.sub, qualifies: true, via: [{ courseId: orgCourse.courseId, certificateId: cert, instanceId: orgCourse.instanceId, completedOn: '2026-12-02' }] });
    expect((await as(admin).get(`/v1/people/starter-qualification/${l.sub}`)).body.qualifies).toBe(true);
    expect((await as(l).get(`/v1/people/starter-qualification/${l.sub}`)).status).toBe(403);
  });
});

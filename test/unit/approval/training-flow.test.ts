// Completion opens the door, in-process: the real approval ASL on the local Step Functions
// service, the real API and flow handlers, DynamoDB Local. A person's qualification is the item a
// qualifying completion writes (docs/people.md; the e2e test makes it by completing a course).
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { peopleKeys } from '../../../lambdas/shared/store/keys';
import { fairnessReport } from '../../../lambdas/audit/reports';
import { readFairnessInputs } from '../../../lambdas/audit/report-sources';
import { useStageConfig } from '../../support/config';
import { auditEvents } from '../../support/invoke';
import { admin, approvalFixture, as, callBody, caller, enteredStates, memberOf, newCall, newProposal, proposalState, type ApprovalFixture } from './support';

let fx: ApprovalFixture;
beforeAll(async () => {
  fx = await approvalFixture();
});
afterAll(async () => {
  useStageConfig('local');
  await fx?.stop();
});

let n = 0;
/** A researcher whose verified affiliation is a startup (the registry's type). */
const startupResearcher = () => memberOf('Tiny AI', `trainee-${++n}`);
const startupPi = { name: 'Park Seo-yeon', email: 'seoyeon@startup.example', institution: 'Tiny AI', orgType: 'startup' };

async function completeQualifyingCourse(sub: string, certificateId = `cert-${sub}`) {
  await fx.tables.doc.send(
    new PutCommand({ TableName: fx.tables.names.main, Item: { ...peopleKeys.starterQualification(sub, 'course-gpu-101'), courseId: 'course-gpu-101', certificateId, instanceId: 'cinst-1', completedOn: '2026-11-20' } }),
  );
  return certificateId;
}

/** A starter call that leaves startups out. */
const universitiesOnly = (over: Record<string, unknown> = {}) => newCall({ kind: 'starter', eligibleOrgTypes: ['university'], ...over });
const executionOf = (id: string) => `${fx.machineArn.replace(':stateMachine:', ':execution:')}:${id}-r1`;

describe('fast-track (the default)', () => {
  it("approves a trained startup researcher's starter proposal in a call that excludes startups, recording the certificate (Check → AutoApprove → Award)", async () => {
    const call = await universitiesOnly();
    const r = startupResearcher();
    const certificateId = await completeQualifyingCourse(r.sub);
    const p = await newProposal(r, call.id, { credits: { 'spc/h200': 80 }, pi: startupPi });

    expect((await as(r).post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
    const done = await fx.sfn.executions.waitFor(executionOf(p.id));

    expect(enteredStates(fx.sfn.executions.history(done.executionArn))).toEqual(['Check', 'CheckPassed', 'AutoApprove', 'AutoApproved', 'Award', 'Awarded']);
    const approved = (await as(r).get(`/v1/proposals/${p.id}`)).body;
    expect(approved).toMatchObject({ state: 'approved', tier: 'starter', decision: { outcome: 'approve', automatic: true, credits: { 'spc/h200': 80 }, via: { kind: 'training', certificateId, courseId: 'course-gpu-101' } } });
    expect(approved.decision.reason).toMatch(/through training/);
    const event = (await auditEvents('proposal.auto-approve')).find((e) => e.stream === `proposal/${p.id}`);
    expect(event?.details).toMatchObject({ viaTraining: certificateId });

    const inputs = await readFairnessInputs({ callId: call.id });
    const report = fairnessReport(inputs.calls, inputs.proposals, { filters: { callId: call.id }, generatedAt: 't', source: inputs.source });
    expect(report.starterAwardsThroughTraining).toEqual({ total: 1, byOrgType: [{ key: 'startup', awards: 1 }] });
  });

  it('changes nothing for the untrained: the excluded org type is still refused at submission, naming pi.orgType', async () => {
    const call = await universitiesOnly();
    const r = startupResearcher();
    const p = await newProposal(r, call.id, { credits: { 'spc/h200': 80 }, pi: startupPi });

    const res = await as(r).post(`/v1/proposals/${p.id}/submit`);

    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'incomplete', details: [{ path: 'pi.orgType', problem: expect.stringMatching(/"startup" .*may not apply/) }] });
    expect((await as(r).get(`/v1/proposals/${p.id}`)).body.state).toBe('draft');
  });

  it('records no training route for a trained researcher the call admits anyway', async () => {
    const call = await universitiesOnly();
    const r = memberOf('KAIST', `trained-uni-${++n}`);
    await completeQualifyingCourse(r.sub);
    const p = await newProposal(r, call.id, { credits: { 'spc/h200': 50 } });
    await as(r).post(`/v1/proposals/${p.id}/submit`);

    const approved = await proposalState(r, p.id, 'approved');

    expect(approved.decision.via).toBeUndefined();
    expect(approved.decision.reason).not.toMatch(/through training/);
  });

  it('still allows one active starter allocation: a second trained starter proposal goes to review', async () => {
    const call = await universitiesOnly();
    const r = startupResearcher();
    await completeQualifyingCourse(r.sub);
    const first = await newProposal(r, call.id, { credits: { 'spc/h200': 40 }, pi: startupPi });
    await as(r).post(`/v1/proposals/${first.id}/submit`);
    await proposalState(r, first.id, 'approved');

    const second = await newProposal(r, call.id, { credits: { 'spc/h200': 40 }, pi: startupPi, title: 'A second small project' });
    await as(r).post(`/v1/proposals/${second.id}/submit`);

    const inReview = await proposalState(r, second.id, 'in-review');
    expect(inReview).toMatchObject({ tier: 'standard', tierNote: expect.stringMatching(/already hold an active starter allocation/) });
    expect(inReview.decision).toBeUndefined();
    await as(r).post(`/v1/proposals/${second.id}/withdraw`);
  });

  it('still keeps the starter limit: a trained researcher asking above it is refused on write (400 credits)', async () => {
    const call = await universitiesOnly();
    const r = startupResearcher();
    await completeQualifyingCourse(r.sub);

    const res = await as(r).post('/v1/proposals', { callId: call.id, title: 'Too big for a starter', credits: { 'spc/h200': 150 } });

    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'credits', problem: expect.stringMatching(/above the starter tier's limit of 100/) }]);
  });
});

describe('a trainedOnly starter call', () => {
  it('refuses a draft from someone without a qualifying completion (422 training_required) and admits the trained, approving via training', async () => {
    const call = await newCall({ kind: 'starter', trainedOnly: true });
    expect(call.trainedOnly).toBe(true);
    const untrained = memberOf('KAIST', `untrained-${++n}`);
    const refused = await as(untrained).post('/v1/proposals', { callId: call.id, title: 'May I?', credits: { 'spc/h200': 50 } });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'training_required', details: [{ path: 'callId', problem: expect.stringMatching(/admits only people who completed a course that qualifies/) }] });

    const trained = memberOf('KAIST', `trained-${++n}`);
    const certificateId = await completeQualifyingCourse(trained.sub);
    const p = await newProposal(trained, call.id, { credits: { 'spc/h200': 50 } });
    await as(trained).post(`/v1/proposals/${p.id}/submit`);

    const approved = await proposalState(trained, p.id, 'approved');
    expect(approved.decision.via).toEqual({ kind: 'training', certificateId, courseId: 'course-gpu-101' });
  });

  it('may only be a starter call, and only admins set it', async () => {
    const open = await as(admin).post('/v1/calls', callBody({ trainedOnly: true }));
    expect(open.status).toBe(400);
    expect(open.body.error.details).toEqual([{ path: 'trainedOnly', problem: expect.stringMatching(/only for a starter call/) }]);
    for (const who of [caller('res-x', ['researcher']), caller('chair-x', ['chair']), caller('aud-x', ['auditor'])]) {
      expect((await as(who).post('/v1/calls', callBody({ kind: 'starter', trainedOnly: true }))).status).toBe(403);
    }
    const call = await newCall({ kind: 'starter' });
    expect(call.trainedOnly).toBe(false);
    expect((await as(caller('chair-y', ['chair'])).patch(`/v1/calls/${call.id}`, { trainedOnly: true })).status).toBe(403);
    const patched = await as(admin).patch(`/v1/calls/${call.id}`, { trainedOnly: true });
    expect(patched.status).toBe(200);
    expect(patched.body.trainedOnly).toBe(true);
  });
});

describe('other policies', () => {
  afterEach(() => {
    useStageConfig('local');
  });

  it('admit: training opens trainedOnly calls only; the excluded org type is refused as before', async () => {
    useStageConfig('local', (c) => ({ ...c, policy: { ...c.policy, approval: { ...c.policy.approval, trainingStarter: 'admit' } } }));
    const call = await universitiesOnly();
    const r = startupResearcher();
    await completeQualifyingCourse(r.sub);
    const p = await newProposal(r, call.id, { credits: { 'spc/h200': 80 }, pi: startupPi });

    const res = await as(r).post(`/v1/proposals/${p.id}/submit`);

    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([{ path: 'pi.orgType', problem: expect.stringMatching(/may not apply/) }]);
  });

  it('off: a trainedOnly call admits no one, trained or not (fails closed)', async () => {
    const call = await newCall({ kind: 'starter', trainedOnly: true });
    useStageConfig('local', (c) => ({ ...c, policy: { ...c.policy, approval: { ...c.policy.approval, trainingStarter: 'off' } } }));
    const trained = memberOf('KAIST', `trained-off-${++n}`);
    await completeQualifyingCourse(trained.sub);

    const res = await as(trained).post('/v1/proposals', { callId: call.id, title: 'Training is off', credits: { 'spc/h200': 50 } });

    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'training_required', details: [{ path: 'callId', problem: expect.stringMatching(/trainingStarter is off/) }] });
  });
});

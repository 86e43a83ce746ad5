// The training rules of the starter tier (lambdas/domain/approval/training.ts): plain function
// calls, no DynamoDB. Each case names the policy, the call and the person's qualification.
import { admissionProblem, checkProposal, fastTrackWaiver, qualifyingCertificate, trainingMatters, trainingRoute, type TrainingQualification } from '../../../lambdas/domain/approval';
import type { Call, Proposal } from '../../../lambdas/domain/approval/model';

const startupPi = { name: 'Park', email: 'park@startup.example', institution: 'Tiny AI', orgType: 'startup' as const };
const uniPi = { ...startupPi, orgType: 'university' as const };
/** The registry's type wins over the declared one (effectiveOrgType). */
const registeredStartup = { ...uniPi, affiliation: { orgId: 'tiny-ai', orgName: 'Tiny AI', orgType: 'startup' as const, verified: true } } as never;

const call = (over: Partial<Call> = {}) => ({ id: 'call-1', kind: 'starter' as const, eligibleOrgTypes: ['university' as const], trainedOnly: false, ...over });
const trained: TrainingQualification = {
  qualifies: true,
  via: [
    { courseId: 'course-b', certificateId: 'cert-2', completedOn: '2026-03-02' },
    { courseId: 'course-a', certificateId: 'cert-1', completedOn: '2026-03-01' },
    { courseId: 'course-c', certificateId: 'cert-0', completedOn: '2026-03-02' },
  ],
};
const untrained: TrainingQualification = { qualifies: false, via: [] };

describe('qualifyingCertificate', () => {
  it('names the earliest completion, then the smallest certificate id, whatever the order read', () => {
    expect(qualifyingCertificate(trained)).toEqual({ kind: 'training', certificateId: 'cert-1', courseId: 'course-a' });
    expect(qualifyingCertificate({ qualifies: true, via: trained.via.filter((v) => v.completedOn === '2026-03-02') })).toEqual({ kind: 'training', certificateId: 'cert-0', courseId: 'course-c' });
    expect(qualifyingCertificate({ qualifies: true, via: [...trained.via].reverse() })?.certificateId).toBe('cert-1');
  });
  it('is null without a qualifying completion', () => {
    expect(qualifyingCertificate(untrained)).toBeNull();
    expect(qualifyingCertificate(null)).toBeNull();
  });
});

describe('fastTrackWaiver (fast-track: training stands in for org-type eligibility)', () => {
  it('waives an excluded org type of a trained starter PI, naming the certificate', () => {
    expect(fastTrackWaiver('fast-track', 'starter', call(), startupPi, trained)).toEqual({ kind: 'training', certificateId: 'cert-1', courseId: 'course-a' });
    expect(fastTrackWaiver('fast-track', 'starter', call(), registeredStartup, trained)?.certificateId).toBe('cert-1');
  });
  it('waives nothing for the untrained, a standard request, another policy, or an org type the call takes', () => {
    expect(fastTrackWaiver('fast-track', 'starter', call(), startupPi, untrained)).toBeNull();
    expect(fastTrackWaiver('fast-track', 'standard', call(), startupPi, trained)).toBeNull();
    expect(fastTrackWaiver('admit', 'starter', call(), startupPi, trained)).toBeNull();
    expect(fastTrackWaiver('off', 'starter', call(), startupPi, trained)).toBeNull();
    expect(fastTrackWaiver('fast-track', 'starter', call(), uniPi, trained)).toBeNull();
  });
});

describe('admissionProblem (a trainedOnly starter call)', () => {
  it('admits the trained and refuses the untrained, naming the call and the reason', () => {
    expect(admissionProblem('admit', call({ trainedOnly: true }), trained)).toBeNull();
    expect(admissionProblem('fast-track', call({ trainedOnly: true }), trained)).toBeNull();
    expect(admissionProblem('admit', call({ trainedOnly: true }), untrained)).toEqual({ path: 'callId', problem: 'call call-1 admits only people who completed a course that qualifies for starter access; you have completed none' });
  });
  it('fails closed when training is off: a trainedOnly call admits no one', () => {
    expect(admissionProblem('off', call({ trainedOnly: true }), trained)?.problem).toMatch(/trainingStarter is off/);
  });
  it('leaves any other call alone, under every policy', () => {
    for (const policy of ['admit', 'fast-track', 'off'] as const) expect(admissionProblem(policy, call(), untrained)).toBeNull();
  });
});

describe('trainingMatters and trainingRoute (how an approval was reached)', () => {
  it('reads a qualification only where training can change the outcome', () => {
    expect(trainingMatters('fast-track', 'starter', call(), startupPi)).toBe(true);
    expect(trainingMatters('fast-track', 'starter', call(), uniPi)).toBe(false);
    expect(trainingMatters('admit', 'starter', call(), startupPi)).toBe(false);
    expect(trainingMatters('admit', 'starter', call({ trainedOnly: true }), uniPi)).toBe(true);
    expect(trainingMatters('off', 'starter', call({ trainedOnly: true }), startupPi)).toBe(false);
    expect(trainingMatters('fast-track', 'standard', call(), startupPi)).toBe(false);
  });
  it('is the fast track for an excluded org type, the admission for a trainedOnly call, and null when training was not needed', () => {
    expect(trainingRoute('fast-track', 'starter', call(), startupPi, trained)?.certificateId).toBe('cert-1');
    expect(trainingRoute('admit', 'starter', call({ trainedOnly: true }), uniPi, trained)?.certificateId).toBe('cert-1');
    expect(trainingRoute('fast-track', 'starter', call(), uniPi, trained)).toBeNull();
    expect(trainingRoute('fast-track', 'starter', call(), startupPi, untrained)).toBeNull();
    expect(trainingRoute('off', 'starter', call(), startupPi, trained)).toBeNull();
  });
});

describe('checkProposal with the waiver', () => {
  const full = {
    id: 'prop-1',
    callId: 'call-1',
    ownerSub: 's',
    state: 'draft',
    round: 0,
    title: 'T',
    abstract: 'A',
    field: 'cs',
    pi: startupPi,
    team: [],
    datasets: [],
    models: [],
    workload: { purpose: 'hpc-simulation' },
    requestedMc: {},
    durationMonths: 3,
    justification: 'J',
    createdAt: '',
    updatedAt: '',
  } as unknown as Proposal;
  const c = { ...call(), opensAt: '2026-01-01T00:00:00.000Z', closesAt: '2027-01-01T00:00:00.000Z', capacityMc: {}, maxRequestMc: 1, tiers: { starter: { maxMc: 1 } } } as unknown as Call;
  const orgProblems = (waived: boolean) => checkProposal(full, c, [], '2026-06-01T00:00:00.000Z', { orgTypeWaived: waived }).filter((p) => p.path === 'pi.orgType');
  it('drops the org-type problem only when waived, keeping every other check', () => {
    expect(orgProblems(false)).toEqual([{ path: 'pi.orgType', problem: '"startup" may not apply to call call-1 (eligible: university)' }]);
    expect(orgProblems(true)).toEqual([]);
    expect(checkProposal(full, c, [], '2026-06-01T00:00:00.000Z', { orgTypeWaived: true }).map((p) => p.path)).toContain('credits');
  });
});

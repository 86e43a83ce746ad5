// The approval domain's pure rules, without storage: tiers, request and completeness checks,
// conflicts, reviewer picking by field and load, score aggregation, and capacity with floors.
import { loadStageConfig } from '../../../lib/config/load';
import {
  aggregateScores,
  assertAwardFits,
  availableForMc,
  checkProposal,
  completenessProblems,
  conflictOf,
  endDateAfter,
  heldForOthersMc,
  pickReviewers,
  release,
  requestProblems,
  reserve,
  tierFor,
  windowState,
  type Call,
  type PoolReviewer,
  type Proposal,
} from '../../../lambdas/domain/approval';
import { RuleViolationError } from '../../../lambdas/domain/errors';

const sites = loadStageConfig('local').sites;

function call(over: Partial<Call> = {}): Call {
  return {
    id: 'call-1',
    title: 'Call',
    description: '',
    kind: 'open',
    opensAt: '2026-01-01T00:00:00.000Z',
    closesAt: '2026-03-01T00:00:00.000Z',
    capacityMc: { 'spc/h200': 10_000_000, 'kisti6/gh200': 1_000_000 },
    awardedMc: {},
    awardedByOrgTypeMc: {},
    tiers: { starter: { maxMc: 100_000 }, standard: { maxMc: 2_000_000, reviewers: 2, minReviews: 2 }, flagship: { reviewers: 4, minReviews: 3 } },
    eligibleOrgTypes: ['university', 'startup'],
    maxRequestMc: 5_000_000,
    fairnessFloors: {},
    reviewerPool: [],
    reviewDeadlineHours: 72,
    decisionDeadlineDays: 30,
    createdAt: '',
    updatedAt: '',
    createdBy: 'admin',
    ...over,
  };
}

function proposal(over: Partial<Proposal> = {}): Proposal {
  return {
    id: 'prop-01aaaaaaaaaaaaaaaaaaaaaaaa',
    callId: 'call-1',
    ownerSub: 'pi-1',
    state: 'draft',
    round: 0,
    title: 'A title',
    abstract: 'An abstract',
    field: 'physics',
    pi: {
      name: 'PI',
      email: 'pi@kaist.example',
      institution: 'KAIST',
      orgType: 'university',
      username: 'pi',
      affiliation: { status: 'verified', orgId: 'kaist', orgType: 'university', orgName: 'KAIST', source: 'email', candidates: ['kaist'], evidence: [{ source: 'email', value: 'kaist.ac.kr' }], resolvedAt: '' },
    },
    team: [{ name: 'Co', email: 'co@snu.example', institution: 'SNU', role: 'co-investigator', sub: 'co-1' }],
    workload: { purpose: 'hpc-simulation', precision: 'fp64', dataset: { sizeGB: 10, location: { siteId: 'kisti6' } }, memoryPerGpuGB: 40, interconnect: 'high', totalPflop: 100 },
    requestedMc: { 'kisti6/gh200': 500_000 },
    durationMonths: 6,
    datasets: [],
    models: [],
    justification: 'Because.',
    createdAt: '',
    updatedAt: '',
    ...over,
  };
}

/** A pool reviewer; their registry org is the lower-cased institution (conflicts compare org ids, not names). */
const reviewer = (sub: string, institution: string, fields = ['physics'], maxLoad = 3, email?: string): PoolReviewer => ({
  sub,
  name: sub,
  institution,
  orgId: institution.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
  fields,
  maxLoad,
  ...(email ? { email } : {}),
});

describe('tiers and windows', () => {
  it('puts a total in the tier whose threshold it is under; a starter call takes only starter requests', () => {
    const c = call();
    expect([50_000, 100_000, 100_001, 2_000_000, 2_000_001].map((mc) => tierFor(mc, c))).toEqual(['starter', 'starter', 'standard', 'standard', 'flagship']);
    expect(tierFor(100_001, call({ tiers: { ...c.tiers, starter: { maxMc: 0 } } }))).toBe('standard');
    expect(tierFor(50_000, call({ tiers: { ...c.tiers, starter: { maxMc: 0 } } }))).toBe('standard');
    expect(tierFor(9_000_000, call({ kind: 'starter' }))).toBe('starter');
  });

  it('is open from opensAt (inclusive) to closesAt (exclusive)', () => {
    const c = call();
    expect(['2025-12-31T23:59:59Z', '2026-01-01T00:00:00Z', '2026-02-28T23:59:59Z', '2026-03-01T00:00:00Z'].map((t) => windowState(c, t))).toEqual(['upcoming', 'open', 'open', 'closed']);
  });

  it('computes an end date months later, clamped to the end of a shorter month', () => {
    expect(endDateAfter('2026-01-31', 1)).toBe('2026-02-28');
    expect(endDateAfter('2026-11-15', 3)).toBe('2027-02-15');
  });
});

describe('requests and completeness', () => {
  it('names every problem of a request: unknown site, unknown resource, not offered, not positive, over the call and tier limits', () => {
    const c = call({ capacityMc: { 'spc/h200': 10_000_000 } });
    expect(requestProblems({ 'nowhere/x1': 1, 'spc/h999': 1, 'kisti6/gh200': 1, 'spc/h200': 0 }, c, sites).map((p) => p.path)).toEqual(['credits.nowhere/x1', 'credits.spc/h999', 'credits.kisti6/gh200', 'credits.spc/h200']);
    expect(requestProblems({ 'spc/h200': 6_000_000 }, c, sites)).toEqual([{ path: 'credits', problem: 'totals 6000 credits, more than the 5000 one proposal may ask in this call' }]);
    expect(requestProblems({ 'spc/h200': 200_000 }, c, sites, 'starter')).toEqual([{ path: 'credits', problem: "totals 200 credits, above the starter tier's limit of 100" }]);
    expect(requestProblems({ 'spc/h200': 3_000_000 }, c, sites, 'standard')[0].problem).toMatch(/standard tier's limit of 2000/);
    expect(requestProblems({ 'spc/h200': 3_000_000 }, c, sites, 'flagship')).toEqual([]);
    expect(requestProblems({}, c, sites)).toEqual([{ path: 'credits', problem: 'must request at least one resource' }]);
  });

  it('lists what a draft lacks before it can be submitted (the model size only for AI purposes)', () => {
    expect(completenessProblems(proposal())).toEqual([]);
    expect(
      completenessProblems(proposal({ abstract: undefined, requestedMc: {}, workload: { purpose: 'fine-tuning', precision: 'bf16', dataset: { sizeGB: 1, location: { uri: 's3://x/y' } }, memoryPerGpuGB: 80, interconnect: 'none' } })).map(
        (p) => p.path,
      ),
    ).toEqual(['abstract', 'workload.modelParameters', 'credits']);
  });

  it('checks eligibility and the window at the time of submission', () => {
    const c = call();
    expect(checkProposal(proposal(), c, sites, '2026-02-01T00:00:00Z')).toEqual([]);
    // the registry's type decides where the PI's claims matched an org; what they declared, only where none did
    expect(checkProposal(proposal({ pi: { ...proposal().pi!, orgType: 'enterprise' } }), c, sites, '2026-02-01T00:00:00Z')).toEqual([]);
    const enterprise = { ...proposal().pi!.affiliation!, orgType: 'enterprise' as const, orgName: 'Big Co' };
    expect(checkProposal(proposal({ pi: { ...proposal().pi!, orgType: 'university', affiliation: enterprise } }), c, sites, '2026-02-01T00:00:00Z')).toEqual([
      { path: 'pi.orgType', problem: expect.stringMatching(/^"enterprise" \(the registry's type of Big Co\) may not apply/) },
    ]);
    expect(checkProposal(proposal({ pi: { ...proposal().pi!, orgType: 'enterprise', affiliation: undefined } }), c, sites, '2026-02-01T00:00:00Z').map((p) => p.path)).toEqual(['pi.orgType']);
    expect(checkProposal(proposal(), c, sites, '2026-03-02T00:00:00Z')).toEqual([{ path: 'callId', problem: 'call call-1 closed at 2026-03-01T00:00:00.000Z' }]);
  });
});

describe('conflicts of interest', () => {
  const p = proposal();
  it("recognises the PI, the team (by sub or e-mail), a declared conflict and the PI's organisation (by registry id)", () => {
    expect(conflictOf({ sub: 'pi-1' }, p, new Set())).toBe('pi');
    expect(conflictOf({ sub: 'co-1' }, p, new Set())).toBe('team');
    expect(conflictOf({ sub: 'other', email: 'CO@snu.example' }, p, new Set())).toBe('team');
    expect(conflictOf({ sub: 'x' }, p, new Set(['x']))).toBe('declared');
    expect(conflictOf({ sub: 'y', orgIds: ['postech', 'kaist'] }, p, new Set())).toBe('institution');
    expect(conflictOf({ sub: 'z', orgIds: ['postech'] }, p, new Set())).toBeNull();
  });

  it('never decides by what anyone typed: a PI cannot evade a conflict, nor create one, by the institution they write', () => {
    // the PI writes a rival's name: the rival's reviewers are not excluded (they would be, on free text)
    const rival = proposal({ pi: { ...proposal().pi!, institution: 'POSTECH' } });
    expect(conflictOf({ sub: 'r', orgIds: ['postech'] }, rival, new Set())).toBeNull();
    // the PI writes a variant of their own institution's name: their colleagues are still excluded
    const evasive = proposal({ pi: { ...proposal().pi!, institution: 'K.A.I.S.T. (Daejeon campus)' } });
    expect(conflictOf({ sub: 'k', orgIds: ['kaist'] }, evasive, new Set())).toBe('institution');
    // an unmatched PI is in no org: only the PI, team and declared conflicts apply
    const unmatched = proposal({ pi: { ...proposal().pi!, affiliation: { status: 'unmatched', candidates: [], evidence: [], resolvedAt: '' } } });
    expect(conflictOf({ sub: 'k', orgIds: ['kaist'] }, unmatched, new Set())).toBeNull();
  });
});

describe('picking reviewers', () => {
  const p = { ...proposal(), field: 'physics' };
  const base = { proposal: p, declared: new Set<string>(), exclude: new Set<string>(), loads: {} as Record<string, number> };

  it('never picks a conflicted reviewer or one at their maximum load; field first, then the least loaded', () => {
    const pool = [
      reviewer('same-inst', 'KAIST'),
      reviewer('on-team', 'SNU', ['physics'], 3, 'co@snu.example'),
      reviewer('busy', 'GIST', ['physics'], 2),
      reviewer('loaded', 'UNIST', ['physics']),
      reviewer('idle', 'POSTECH', ['physics']),
      reviewer('other-field', 'Ajou', ['biology']),
    ];
    const { picked, passedOver } = pickReviewers({ ...base, pool, loads: { busy: 2, loaded: 1 }, count: 3 });
    expect(picked.map((r) => r.sub)).toEqual(['idle', 'loaded', 'other-field']);
    expect(passedOver).toEqual([
      { sub: 'same-inst', reason: 'institution' },
      { sub: 'on-team', reason: 'team' },
      { sub: 'busy', reason: 'at-max-load' },
    ]);
  });

  it("prefers the previous round's panel among equals, and excludes those already tried", () => {
    const pool = ['r1', 'r2', 'r3', 'r4'].map((s, i) => reviewer(s, `Inst ${i}`));
    expect(
      pickReviewers({ ...base, pool, prefer: new Set(['r3', 'r4']), count: 2 })
        .picked.map((r) => r.sub)
        .sort(),
    ).toEqual(['r3', 'r4']);
    expect(pickReviewers({ ...base, pool, exclude: new Set(['r1', 'r2', 'r3']), count: 2 }).picked.map((r) => r.sub)).toEqual(['r4']);
  });

  it('spreads equal reviewers across proposals (a stable per-proposal tie-break), not always the same one', () => {
    const pool = ['a', 'b', 'c', 'd', 'e', 'f'].map((s, i) => reviewer(s, `Inst ${i}`));
    const firsts = new Set(Array.from({ length: 30 }, (_, i) => pickReviewers({ ...base, proposal: { ...p, id: `prop-${i}` }, pool, count: 1 }).picked[0].sub));
    expect(firsts.size).toBeGreaterThan(2);
    const again = pickReviewers({ ...base, pool, count: 3 }).picked.map((r) => r.sub);
    expect(pickReviewers({ ...base, pool, count: 3 }).picked.map((r) => r.sub)).toEqual(again);
  });
});

describe('scores', () => {
  it('averages each criterion and the overall score, counts recommendations, and reports quorum and spread', () => {
    const s = (m: number, f: number, i: number, r: number) => ({ merit: m, feasibility: f, impact: i, resourceJustification: r });
    const summary = aggregateScores(
      [
        { scores: s(5, 4, 5, 4), recommendation: 'approve' },
        { scores: s(3, 3, 2, 2), recommendation: 'revise' },
        { scores: s(4, 4, 4, 4), recommendation: 'approve' },
      ],
      2,
    );
    expect(summary).toEqual({ count: 3, minReviews: 2, quorum: true, means: { merit: 4, feasibility: 3.67, impact: 3.67, resourceJustification: 3.33 }, overall: 3.67, spread: 2, recommendations: { approve: 2, revise: 1 } });
    expect(aggregateScores([{ scores: s(5, 5, 5, 5), recommendation: 'approve' }], 2)).toMatchObject({ count: 1, quorum: false });
  });
});

describe('capacity and fairness floors', () => {
  const c = call({ capacityMc: { 'spc/h200': 1_000_000 }, fairnessFloors: { startup: 0.2, university: 0.5 } });

  it("holds back the other org types' unmet floors from an award", () => {
    expect(heldForOthersMc(c, 'university', 'spc/h200')).toBe(200_000);
    expect(availableForMc(c, 'university')).toEqual({ 'spc/h200': 800_000 });
    expect(availableForMc(c, 'enterprise')).toEqual({ 'spc/h200': 300_000 });
    const after = reserve(c, { orgType: 'startup', requestedMc: { 'spc/h200': 200_000 }, awardMc: { 'spc/h200': 150_000 } });
    expect(heldForOthersMc(after, 'university', 'spc/h200')).toBe(50_000);
    expect(after.awardedMc).toEqual({ 'spc/h200': 150_000 });
    expect(release(after, 'startup', { 'spc/h200': 150_000 }).awardedMc).toEqual({ 'spc/h200': 0 });
  });

  it('an award to an affiliation that is not verified counts towards no floor, and may not take what the floors hold', () => {
    // null: the PI's affiliation is not verified; every floor (startup 200, university 500) stays held
    expect(availableForMc(c, null)).toEqual({ 'spc/h200': 300_000 });
    const after = reserve(c, { orgType: null, requestedMc: { 'spc/h200': 300_000 }, awardMc: { 'spc/h200': 300_000 } });
    expect(after.awardedByOrgTypeMc).toEqual({ unverified: { 'spc/h200': 300_000 } });
    expect(heldForOthersMc(after, 'university', 'spc/h200')).toBe(200_000); // the startup floor is still all held
    expect(() => assertAwardFits(c, { orgType: null, requestedMc: { 'spc/h200': 400_000 }, awardMc: { 'spc/h200': 400_000 } })).toThrow(/only 300 are left for an affiliation that is not verified/);
    expect(release(after, null, { 'spc/h200': 300_000 }).awardedByOrgTypeMc).toEqual({ unverified: { 'spc/h200': 0 } });
  });

  it('refuses an award above the request, the remaining capacity, or the floors, naming the resource', () => {
    const fits = (orgType: 'university' | 'enterprise', mc: number) => () => assertAwardFits(c, { orgType, requestedMc: { 'spc/h200': 2_000_000 }, awardMc: { 'spc/h200': mc } });
    expect(fits('university', 800_000)).not.toThrow();
    expect(fits('university', 800_001)).toThrow(RuleViolationError);
    expect(fits('enterprise', 400_000)).toThrow(/only 300 are left for enterprise once the other org types' fairness floors are kept/);
    expect(() => assertAwardFits(c, { orgType: 'university', requestedMc: { 'spc/h200': 100_000 }, awardMc: { 'spc/h200': 100_001 } })).toThrow(RuleViolationError);
    try {
      assertAwardFits(call(), { orgType: 'university', requestedMc: {}, awardMc: { 'spc/h200': 20_000_000 } });
    } catch (e) {
      expect((e as RuleViolationError).details).toEqual([{ path: 'credits.spc/h200', problem: 'was not requested by the proposal' }]);
    }
  });
});

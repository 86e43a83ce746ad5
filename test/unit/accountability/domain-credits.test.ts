// Tranches, outcomes, report limits, the idle rule and reclaims: pure, with the clock moved by the test.
import { DEFAULT_POLICY, DEFAULT_IDLE_RULE, type AccountabilityPolicy } from '../../../lambdas/domain/accountability/policy';
import { releaseTranche, splitTranches, tranchesReleasedBy } from '../../../lambdas/domain/accountability/tranches';
import { checkOutcomes, countOutcomes, normalizeDoi, type OutcomeInput } from '../../../lambdas/domain/accountability/outcomes';
import { checkSubmission, measure, wordCount, type ReportBody } from '../../../lambdas/domain/accountability/reports';
import { buildReports } from '../../../lambdas/domain/accountability/schedule';
import { applyReclaim, checkReclaim, evaluateIdle, plannedShare, proposeReclaim } from '../../../lambdas/domain/accountability/idle';
import type { Allocation } from '../../../lambdas/domain/ledger/model';
import type { OpContext } from '../../../lambdas/domain/ledger/operations';
import { checkConsistency } from '../../../lambdas/domain/ledger/operations';
import { KairrError } from '../../../lambdas/domain/errors';

let n = 0;
const ctx = (now = '2026-03-01T00:00:00.000Z'): OpContext => ({ now, actor: { sub: 'chair-1', role: 'chair' }, reason: 'test', ref: 'r', overdraftMc: 0, newEntryId: () => `le-${String(++n).padStart(4, '0')}` });
const twoTranches: AccountabilityPolicy = {
  ...DEFAULT_POLICY,
  tranches: [
    { share: 0.5, releaseOn: 'start' },
    { share: 0.5, releaseOn: 'report-accepted' },
  ],
};

function alloc(resources: Allocation['resources'], state: Allocation['state'] = 'active'): Allocation {
  return {
    id: 'alloc-1',
    state,
    title: 't',
    piSub: 'pi',
    institution: 'KAIST',
    orgType: 'university',
    field: 'cs',
    proposalId: null,
    callId: null,
    tier: null,
    startDate: '2026-01-01',
    endDate: '2026-12-31',
    members: [],
    resources,
    schedulerAccounts: {},
    createdAt: '',
    updatedAt: '',
    entryCount: 1,
  };
}
const acct = (awardedMc: number, usedMc: number) => ({ awardedMc, balanceMc: awardedMc - usedMc, usedMc, overLimitMc: 0, exhausted: awardedMc - usedMc <= 0 });
const rejectCode = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof KairrError ? `${e.status} ${e.code}` : String(e);
  }
  return 'no error';
};

describe('tranches', () => {
  it('splits an award into exact parts (the last takes the remainder) and names the report that releases the second', () => {
    const t = splitTranches(
      {
        ...DEFAULT_POLICY,
        tranches: [
          { share: 1 / 3, releaseOn: 'start' },
          { share: 1 / 3, releaseOn: 'manual' },
          { share: 1 / 3, releaseOn: 'report-accepted', report: 'month-3' },
        ],
      },
      { 'spc/h200': 1000_001, 'kisti6/gh200': 2 },
    );
    expect(t.map((x) => x.amountsMc)).toEqual([
      { 'spc/h200': 333_333, 'kisti6/gh200': 0 },
      { 'spc/h200': 333_333, 'kisti6/gh200': 0 },
      { 'spc/h200': 333_335, 'kisti6/gh200': 2 },
    ]);
    expect(t[2]).toMatchObject({ trancheId: 't3', releaseOn: 'report-accepted', report: 'month-3' });
    expect(splitTranches(twoTranches, { 'spc/h200': 800_000 })[1]).toMatchObject({ report: 'month-1', amountsMc: { 'spc/h200': 400_000 } });
  });

  it('releases a tranche as ledger entries that keep the balance equal to the sum of entries, and refuses a second release', () => {
    const [, t2] = splitTranches(twoTranches, { 'spc/h200': 800_000 });
    const start = alloc({ 'spc/h200': acct(400_000, 400_000) }, 'exhausted');
    const entries0 = [
      { entryId: 'le-0', allocationId: 'alloc-1', kind: 'award' as const, resource: 'spc/h200', amountMc: 400_000, overLimit: false, time: '', actor: { sub: 's', role: 'system' }, reason: null, ref: null },
      { entryId: 'le-u', allocationId: 'alloc-1', kind: 'usage' as const, resource: 'spc/h200', amountMc: -400_000, overLimit: false, time: '', actor: { sub: 's', role: 'system' }, reason: null, ref: null },
    ];
    const r = releaseTranche({ ...start, entryCount: 2 }, t2, ctx());
    expect(r.allocation.state).toBe('active');
    expect(r.allocation.resources['spc/h200']).toMatchObject({ awardedMc: 800_000, balanceMc: 400_000, exhausted: false });
    expect(r.entries).toEqual([expect.objectContaining({ kind: 'tranche', resource: 'spc/h200', amountMc: 400_000 })]);
    expect(checkConsistency(r.allocation, [...entries0, ...r.entries], []).ok).toBe(true);
    expect(r.explanation.figures).toMatchObject({ trancheId: 't2', share: 0.5, credits: 400 });
    expect(rejectCode(() => releaseTranche(r.allocation, { ...t2, releasedAt: '2026-03-01T00:00:00Z' }, ctx()))).toBe('409 tranche_already_released');
    expect(rejectCode(() => releaseTranche(alloc(start.resources, 'expired'), t2, ctx()))).toBe('422 allocation_ended');
    expect(tranchesReleasedBy([t2], 'month-1')).toHaveLength(1);
    expect(tranchesReleasedBy([{ ...t2, releasedAt: 'x' }], 'month-1')).toHaveLength(0);
  });
});

describe('outcomes', () => {
  it('accepts DOIs with resolver prefixes, in any case, and refuses malformed ones with a named 400', () => {
    expect(normalizeDoi('https://doi.org/10.1145/3580305.3599256')).toBe('10.1145/3580305.3599256');
    expect(normalizeDoi('doi:10.48550/arXiv.2303.08774')).toBe('10.48550/arxiv.2303.08774');
    for (const bad of ['10.12/abc', '11.1145/x', '10.1145', 'arXiv:2303.08774', '10.1145/ spaced']) expect(normalizeDoi(bad)).toBeUndefined();
    const list: OutcomeInput[] = [
      { kind: 'publication', doi: '10.1145/3580305.3599256', title: 'A', venue: 'KDD', year: 2026 },
      { kind: 'publication', doi: '10.1145/ bad', title: 'B', venue: 'KDD', year: 2026 },
    ];
    try {
      checkOutcomes(list);
      throw new Error('accepted');
    } catch (e) {
      expect(e).toMatchObject({ status: 400, code: 'malformed_doi', details: [{ path: 'outcomes[1].doi' }] });
    }
  });

  it('counts the same publication or dataset once, and adds up people trained by level', () => {
    const list = checkOutcomes([
      { kind: 'publication', doi: 'https://doi.org/10.1145/3580305.3599256', title: 'A', venue: 'KDD', year: 2026 },
      { kind: 'publication', doi: '10.1145/3580305.3599256', title: 'A again', venue: 'KDD', year: 2026 },
      { kind: 'dataset', catalogueId: 'ds-kowiki' },
      { kind: 'model', catalogueId: 'model-ko-7b' },
      { kind: 'people-trained', count: 2, level: 'phd' },
      { kind: 'people-trained', count: 3, level: 'phd' },
      { kind: 'startup', name: 'Hangul AI', foundedYear: 2026 },
    ]);
    expect(countOutcomes(list)).toEqual({ publications: 1, datasets: 1, models: 1, software: 0, patents: 0, startups: 1, peopleTrained: 5 });
  });
});

describe('report limits', () => {
  const [month1, , , final] = buildReports({ ...DEFAULT_POLICY, progressReports: { atMonths: [1, 3, 9], wordLimit: 100 } }, '2026-01-01', '2026-12-31');
  const body = (words: number, extra: Partial<ReportBody> = {}): ReportBody => ({ language: 'en', progress: Array.from({ length: words }, (_, i) => `word${i}`).join(' '), nextPlan: 'Train the 7B model.', outcomes: [], ...extra });

  it('counts Korean and English words alike, and pages from words plus attachments', () => {
    expect(wordCount('한국어 언어 모델을 학습했다. We trained it, then evaluated — twice.')).toBe(10);
    expect(measure(body(0, { progress: 'a '.repeat(1001), nextPlan: undefined, attachments: [{ artifactId: 'ds-1', version: '1.0.0', uploadId: 'upl-1', name: 'fig.pdf', pages: 2 }] }), 500)).toEqual({ words: 1001, pages: 5 });
  });

  it('refuses a report for a period not yet open, one over its word or page limit, and a progress report without a plan', () => {
    expect(rejectCode(() => checkSubmission(final, body(10), new Date('2026-06-01T00:00:00Z'), 500))).toBe('422 report_period_not_open');
    expect(rejectCode(() => checkSubmission(month1, body(101), new Date('2026-01-20T00:00:00Z'), 500))).toBe('422 report_over_limit');
    expect(rejectCode(() => checkSubmission(final, body(1600), new Date('2027-01-05T00:00:00Z'), 500))).toBe('422 report_over_limit'); // 4 pages > 3
    expect(rejectCode(() => checkSubmission(month1, body(10, { nextPlan: ' ' }), new Date('2026-01-20T00:00:00Z'), 500))).toBe('422 report_incomplete');
    expect(rejectCode(() => checkSubmission({ ...month1, status: 'accepted' }, body(10), new Date('2026-01-20T00:00:00Z'), 500))).toBe('409 report_already_accepted');
    expect(rejectCode(() => checkSubmission({ ...month1, status: 'submitted' }, body(10), new Date('2026-01-20T00:00:00Z'), 500))).toBe('409 report_under_review');
    expect(checkSubmission(month1, body(96), new Date('2026-01-20T00:00:00Z'), 500).measure.words).toBe(100);
  });
});

describe('the idle rule', () => {
  const facts = (usedMc: number, state = 'active') => ({ state, startDate: '2026-01-01', endDate: '2026-12-31', resources: { 'spc/h200': acct(364_000, usedMc) } });
  const day = (d: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + d * 86_400_000);

  it("plans evenly over the dates, or along the PI's points", () => {
    expect(plannedShare({ startDate: '2026-01-01', endDate: '2026-12-31' }, new Date('2026-07-02T00:00:00Z'))).toBeCloseTo(182 / 364, 6);
    const plan = { points: [{ date: '2026-07-02', share: 0.1 }] };
    expect(plannedShare({ startDate: '2026-01-01', endDate: '2026-12-31' }, new Date('2026-04-02T00:00:00Z'), plan)).toBeCloseTo(0.05, 2);
    expect(plannedShare({ startDate: '2026-01-01', endDate: '2026-12-31' }, new Date('2026-10-01T00:00:00Z'), plan)).toBeCloseTo(0.1 + 0.9 * (91 / 182), 2);
  });

  it('watches a run of days behind plan, warns after the window, proposes a return after the grace period', () => {
    let state = {};
    const actions: string[] = [];
    for (let d = 1; d <= 46; d++) {
      const out = evaluateIdle(facts(0), state, DEFAULT_IDLE_RULE, day(d));
      state = out.action === 'propose' ? { ...out.state, openReclaimId: 'reclaim-1' } : out.state;
      // only changes of state are reported (and written): a day like the one before is 'none'
      if (out.action !== 'none') actions.push(`${d}:${out.action}`);
    }
    expect(actions).toEqual(['1:watch', '31:warn', '45:propose']);
    const started = evaluateIdle(facts(0), {}, DEFAULT_IDLE_RULE, day(1));
    expect(started.explanation!.figures).toMatchObject({ plannedCredits: 1, usedCredits: 0, ratio: 0, threshold: 0.2, plan: 'even', behindSince: '2026-01-02' });
  });

  it('clears the run the first day back on plan (keeping an open proposal for the chair), is quiet after a rejection, and ignores held or ended allocations', () => {
    const behind = { behindSince: day(1).toISOString(), warnedAt: day(10).toISOString(), openReclaimId: 'reclaim-1' };
    const onPlan = evaluateIdle(facts(30_000), behind, DEFAULT_IDLE_RULE, day(30));
    expect(onPlan.action).toBe('clear');
    expect(onPlan.state).toEqual({ openReclaimId: 'reclaim-1' });
    expect(onPlan.explanation!.summary).toMatch(/^Back on plan: Used 30 of the 30 credits/);
    expect(evaluateIdle(facts(0), { quietUntil: day(40).toISOString() }, DEFAULT_IDLE_RULE, day(35)).action).toBe('none');
    expect(evaluateIdle(facts(0), { quietUntil: day(40).toISOString() }, DEFAULT_IDLE_RULE, day(41)).action).toBe('watch');
    expect(evaluateIdle(facts(0, 'suspended'), behind, DEFAULT_IDLE_RULE, day(30)).action).toBe('none');
  });

  it('proposes a share of the shortfall, never more than the balance not held for running jobs', () => {
    const f = { startDate: '2026-01-01', endDate: '2026-12-31', resources: { 'spc/h200': acct(364_000, 10_000), 'kisti6/gh200': acct(36_400, 0) } };
    const p = proposeReclaim(f, DEFAULT_IDLE_RULE, day(182), { 'spc/h200': 300_000 })!;
    // h200: planned 182, used 10: shortfall 172, half is 86, but only 54 are free of the 300 held
    expect(p.proposedMc).toEqual({ 'spc/h200': 54_000, 'kisti6/gh200': 9_000 });
    expect(p.explanation.figures).toMatchObject({ proposedCredits: 63, 'held.spc/h200': 300, 'free.spc/h200': 54 });
    expect(proposeReclaim(f, { ...DEFAULT_IDLE_RULE, minimumCredits: 100 }, day(182), { 'spc/h200': 300_000 })).toBeNull();
  });

  it('refuses a return of more than the unused balance or of credits held for running jobs, and applies a fitting one', () => {
    const a = alloc({ 'spc/h200': acct(364_000, 10_000) });
    expect(rejectCode(() => checkReclaim(a, { 'spc/h200': 400_000 }, {}))).toBe('422 reclaim_exceeds_unused');
    expect(rejectCode(() => checkReclaim(a, { 'spc/h200': 100_000 }, { 'spc/h200': 300_000 }))).toBe('422 reclaim_of_held_credits');
    const r = applyReclaim(a, { 'spc/h200': 54_000 }, { 'spc/h200': 300_000 }, ctx());
    expect(r.allocation.resources['spc/h200']).toMatchObject({ awardedMc: 310_000, balanceMc: 300_000, usedMc: 10_000 });
    expect(r.entries).toEqual([expect.objectContaining({ kind: 'reclaim', amountMc: -54_000 })]);
  });
});

// The public record's aggregates and privacy rules: pure, checked against figures worked by hand.
import { awardCsvRow, awardView, gini, isListed, publicStats, quarterOf, statsCsv, topShare, type AwardFacts, type DecidedProposal } from '../../../lambdas/domain/accountability/public-record';
import { emptyCounts } from '../../../lambdas/domain/accountability/outcomes';

const award = (id: string, org: string, orgType: string, region: string, field: string, awardedMc: number, usedMc: number, extra: Partial<AwardFacts> = {}): AwardFacts => ({
  allocationId: id,
  callId: 'call-a',
  title: `Project ${id}`,
  abstract: 'An abstract.',
  field,
  organisation: org,
  orgType,
  region,
  startDate: '2026-02-10',
  endDate: '2027-02-10',
  state: 'active',
  resources: { 'spc/h200': { awardedMc, usedMc } },
  committedMc: awardedMc,
  outcomes: emptyCounts(),
  listing: { showPi: false },
  ...extra,
});

describe('concentration', () => {
  it('computes the Gini coefficient and the top-k share', () => {
    expect(gini([5, 5, 5, 5])).toBe(0);
    // one of four holds everything: (n-1)/n
    expect(gini([0, 0, 0, 10])).toBe(0.75);
    // 1,2,3,4: sum |xi-xj| over ordered pairs = 20, / (2 * 16 * 2.5) = 0.25
    expect(gini([1, 2, 3, 4])).toBe(0.25);
    expect(gini([7])).toBe(0);
    expect(gini([])).toBeNull();
    expect(topShare([1, 2, 3, 4], 2)).toBe(0.7);
    expect(
      topShare(
        Array.from({ length: 20 }, () => 1),
        10,
      ),
    ).toBe(0.5);
    expect(topShare([], 10)).toBeNull();
  });
});

describe('aggregates', () => {
  const awards = [
    award('a1', 'KAIST', 'university', 'Daejeon', 'cs', 600_000, 100_000),
    award('a2', 'KAIST', 'university', 'Daejeon', 'biology', 200_000, 50_000, { startDate: '2026-05-01', outcomes: { ...emptyCounts(), publications: 2 } }),
    award('a3', 'Hangul AI', 'startup', 'Seoul', 'cs', 200_000, 0, { listing: { showPi: false, unlisted: { reason: 'stealth', requestedAt: '', state: 'accepted' } } }),
    award('b1', 'KISTI', 'research-institute', 'Daejeon', 'physics', 500_000, 0, { callId: 'call-b' }),
  ];
  const decided: DecidedProposal[] = [
    { callId: 'call-a', orgType: 'university', region: 'Daejeon', field: 'cs', organisation: 'KAIST', approved: true },
    { callId: 'call-a', orgType: 'university', region: 'Daejeon', field: 'biology', organisation: 'KAIST', approved: true },
    { callId: 'call-a', orgType: 'startup', region: 'Seoul', field: 'cs', organisation: 'Hangul AI', approved: true },
    { callId: 'call-a', orgType: 'startup', region: 'Busan', field: 'cs', organisation: 'Busan Robotics', approved: false },
    { callId: 'call-a', orgType: 'sme', region: 'Seoul', field: 'cs', organisation: 'Seoul Vision', approved: false },
  ];

  it('per call: awards, credits, success rates by org type, region and field, over time, and concentration (unlisted counted)', () => {
    const s = publicStats(awards, decided, 'call-a');
    expect(s).toMatchObject({ callId: 'call-a', awards: 3, creditsAwarded: 1000, creditsUsed: 150, proposalsDecided: 5, approved: 3, successRate: 0.6 });
    expect(s.byOrgType.map((g) => [g.key, g.awards, g.creditsAwarded, g.proposalsDecided, g.successRate])).toEqual([
      ['sme', 0, 0, 1, 0],
      ['startup', 1, 200, 2, 0.5],
      ['university', 2, 800, 2, 1],
    ]);
    expect(s.byRegion.map((g) => [g.key, g.successRate])).toEqual([
      ['Busan', 0],
      ['Daejeon', 1],
      ['Seoul', 0.5],
    ]);
    expect(s.byField.find((g) => g.key === 'biology')!.outcomes.publications).toBe(2);
    expect(s.overTime.map((g) => [g.key, g.awards, g.creditsAwarded])).toEqual([
      ['2026-Q1', 2, 800],
      ['2026-Q2', 1, 200],
    ]);
    // KAIST 800, Hangul AI 200: Gini over the two = 0.3; with two unfunded applicants (0, 0) = 0.65
    expect(s.concentration).toEqual({ organisations: 2, top10Share: 1, gini: 0.3, giniIncludingUnfunded: 0.65 });
    expect(s.byCall).toEqual([]);
  });

  it('over all calls, with a group per call', () => {
    const s = publicStats(awards, decided, null);
    expect(s.awards).toBe(4);
    expect(s.byCall.map((g) => [g.key, g.awards, g.creditsAwarded])).toEqual([
      ['call-a', 3, 1000],
      ['call-b', 1, 500],
    ]);
    expect(statsCsv(s).split('\r\n')[0]).toBe('callId,dimension,group,awards,creditsAwarded,creditsUsed,proposalsDecided,approved,successRate,publications,datasets,models,software,patents,startups,peopleTrained');
    expect(statsCsv(s)).toContain(',call,call-b,1,500,0,0,0,,0,0,0,0,0,0,0\r\n');
  });

  it('shows an award without personal data; the PI only when they opted in; unlisted until the chair decides', () => {
    const v = awardView(award('a1', 'KAIST', 'university', 'Daejeon', 'cs', 600_000, 100_000));
    expect(Object.keys(v).sort()).toEqual(['abstract', 'allocationId', 'callId', 'credits', 'endDate', 'field', 'orgType', 'organisation', 'outcomes', 'region', 'resources', 'startDate', 'state', 'title']);
    expect(v.credits).toEqual({ awarded: 600, used: 100, committed: 600 });
    expect(awardView(award('a1', 'KAIST', 'university', 'Daejeon', 'cs', 1, 0, { listing: { showPi: true, piName: 'Kim Ji-woo' } })).pi).toBe('Kim Ji-woo');
    expect(isListed({ showPi: false })).toBe(true);
    expect(isListed({ showPi: false, unlisted: { reason: 'r', requestedAt: '', state: 'requested' } })).toBe(false);
    expect(isListed({ showPi: false, unlisted: { reason: 'r', requestedAt: '', state: 'rejected' } })).toBe(true);
    expect(awardCsvRow(awardView(award('a9', '=HYPERLINK("x")', 'sme', 'Seoul', 'cs', 1000, 0)))).toContain(`"'=HYPERLINK(""x"")"`);
    expect(quarterOf('2026-12-31')).toBe('2026-Q4');
  });
});

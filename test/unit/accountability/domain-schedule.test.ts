// Report schedules, reminders and holds: pure functions over the record and a clock the test moves.
import { AccountabilityPolicySchema, DEFAULT_POLICY, type AccountabilityPolicy } from '../../../lambdas/domain/accountability/policy';
import { buildReports, dueActions, holdCanLift, markReminded, nextActionAt, timesOf } from '../../../lambdas/domain/accountability/schedule';
import type { AccountabilityRecord } from '../../../lambdas/domain/accountability/model';
import { addMonths } from '../../../lambdas/domain/accountability/dates';

const policy = (p: Partial<AccountabilityPolicy> = {}): AccountabilityPolicy => ({ ...DEFAULT_POLICY, ...p });
const at = (iso: string) => new Date(iso);

function record(p = policy(), start = '2026-01-31', end = '2027-01-31'): AccountabilityRecord {
  return {
    allocationId: 'alloc-x',
    callId: 'call-x',
    proposalId: null,
    purpose: null,
    policy: p,
    startDate: start,
    endDate: end,
    committedMc: {},
    reports: buildReports(p, start, end),
    tranches: [],
    idle: {},
    createdAt: `${start}T00:00:00Z`,
    updatedAt: `${start}T00:00:00Z`,
  };
}

describe('schedule', () => {
  it('puts reports at 1, 3 and 9 months and a final report 30 days after the end, each period following the last', () => {
    const r = buildReports(policy(), '2026-01-31', '2027-01-31');
    expect(r.map((x) => [x.reportId, x.periodStart, x.periodEnd, x.dueDate, x.opensOn])).toEqual([
      ['month-1', '2026-01-31', '2026-02-28', '2026-02-28', '2026-01-31'], // 31 Jan + 1 month = 28 Feb
      ['month-3', '2026-02-28', '2026-04-30', '2026-04-30', '2026-02-28'],
      ['month-9', '2026-04-30', '2026-10-31', '2026-10-31', '2026-04-30'],
      ['final', '2026-10-31', '2027-01-31', '2027-03-02', '2026-10-31'],
    ]);
    expect(r[0]).toMatchObject({ wordLimit: 3000, status: 'pending', version: 0, reminded: [] });
    expect(r[3]).toMatchObject({ kind: 'final', pageLimit: 3 });
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
  });

  it('drops progress reports that fall at or after the end (the final report covers them) and opens reports N days before due when asked', () => {
    const p = policy({ progressReports: { atMonths: [1, 3, 9], opensDaysBeforeDue: 10 } });
    const r = buildReports(p, '2026-01-01', '2026-07-01');
    expect(r.map((x) => x.reportId)).toEqual(['month-1', 'month-3', 'final']);
    expect(r[0].opensOn).toBe('2026-01-22');
    // never before its period begins
    expect(r[1].opensOn).toBe('2026-03-22');
  });

  it('refuses a policy whose tranches do not add up, start with a report, or wait for a report the schedule lacks', () => {
    const bad = AccountabilityPolicySchema.safeParse({
      ...DEFAULT_POLICY,
      tranches: [
        { share: 0.5, releaseOn: 'report-accepted' },
        { share: 0.4, releaseOn: 'report-accepted', report: 'month-7' },
      ],
    });
    expect(bad.success).toBe(false);
    const msgs = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        'tranches: shares add up to 0.9, not 1',
        'tranches.0.releaseOn: must be "start": the first tranche is the award itself',
        'tranches.1.report: "month-7" is not a report of this schedule (month-1, month-3, month-9, final)',
      ]),
    );
    expect(AccountabilityPolicySchema.safeParse({ ...DEFAULT_POLICY, progressReports: { atMonths: [3, 1] } }).success).toBe(false);
    expect(
      AccountabilityPolicySchema.safeParse({
        ...DEFAULT_POLICY,
        tranches: [
          { share: 0.5, releaseOn: 'start' },
          { share: 0.5, releaseOn: 'report-accepted' },
        ],
      }).success,
    ).toBe(true);
  });
});

describe('reminders and holds as the clock moves', () => {
  const rec0 = record(policy({ graceDays: 14, reminders: { daysBefore: 7 } }));
  const month1 = rec0.reports[0]; // due 2026-02-28

  it('reminds 7 days before, on the date, and the day after; then holds after the grace period', () => {
    expect(timesOf(month1, rec0.policy)).toEqual({ before: '2026-02-21T00:00:00.000Z', on: '2026-02-28T00:00:00.000Z', overdue: '2026-03-01T00:00:00.000Z', hold: '2026-03-15T00:00:00.000Z' });
    expect(dueActions(rec0, at('2026-02-20T23:59:59Z'), { allocationState: 'active' })).toEqual([]);
    let rec = rec0;
    const seen: string[] = [];
    for (const t of ['2026-02-21T00:05:00Z', '2026-02-25T00:05:00Z', '2026-02-28T00:05:00Z', '2026-03-01T00:05:00Z', '2026-03-10T00:05:00Z', '2026-03-15T00:05:00Z']) {
      const actions = dueActions(rec, at(t), { allocationState: 'active' });
      for (const a of actions) seen.push(`${t.slice(0, 10)} ${a.type === 'remind' ? `${a.reportId}:${a.stage}` : `hold:${a.reportIds.join(',')}`}`);
      rec = markReminded(rec, actions);
    }
    expect(seen).toEqual(['2026-02-21 month-1:before', '2026-02-28 month-1:on', '2026-03-01 month-1:overdue', '2026-03-15 hold:month-1']);
    const hold = dueActions(rec, at('2026-03-15T00:05:00Z'), { allocationState: 'active' }).find((a) => a.type === 'hold')!;
    expect(hold.explanation.figures).toEqual({ reportIds: 'month-1', dueDate: '2026-02-28', daysOverdue: 15, graceDays: 14 });
    expect(hold.explanation.summary).toContain('New jobs are refused; running jobs finish');
  });

  it('a job that ran late sends only the latest stage, and nothing for a submitted report', () => {
    const late = dueActions(rec0, at('2026-03-02T00:00:00Z'), { allocationState: 'active' });
    expect(late.map((a) => (a.type === 'remind' ? a.stage : a.type))).toEqual(['overdue']);
    expect(late[0].explanation.figures).toMatchObject({ daysOverdue: 2, holdOn: '2026-03-15' });
    const after = markReminded(rec0, late);
    expect(after.reports[0].reminded).toEqual(['before', 'on', 'overdue']);
    const submitted = { ...rec0, reports: rec0.reports.map((r, i) => (i === 0 ? { ...r, status: 'submitted' as const } : r)) };
    expect(dueActions(submitted, at('2026-03-20T00:00:00Z'), { allocationState: 'active' })).toEqual([]);
  });

  it('does not hold an allocation that is suspended by someone else, expired, or already held', () => {
    for (const s of ['suspended', 'expired', 'provisioning-failed']) expect(dueActions(rec0, at('2026-03-16T00:00:00Z'), { allocationState: s }).some((a) => a.type === 'hold')).toBe(false);
    const held = { ...rec0, hold: { since: '2026-03-15T00:00:00Z', reportIds: ['month-1'], fromState: 'active' as const, explanation: { summary: '', figures: {} } } };
    expect(dueActions(held, at('2026-03-16T00:00:00Z'), { allocationState: 'suspended' }).some((a) => a.type === 'hold')).toBe(false);
  });

  it('gives a returned report a new due date, and reminds again for it', () => {
    const returned = { ...rec0, reports: rec0.reports.map((r, i) => (i === 0 ? { ...r, status: 'returned' as const, resubmitBy: '2026-03-20', reminded: [] } : r)) };
    expect(dueActions(returned, at('2026-03-15T00:05:00Z'), { allocationState: 'active' }).map((a) => a.type === 'remind' && a.stage)).toEqual(['before']);
    expect(dueActions(returned, at('2026-04-04T00:05:00Z'), { allocationState: 'active' }).map((a) => a.type)).toEqual(['remind', 'hold']);
  });

  it('knows the next instant to look again, and when the hold may be lifted', () => {
    expect(nextActionAt(rec0, at('2026-02-01T00:00:00Z'))).toBe('2026-02-21T00:00:00.000Z');
    const reminded = markReminded(rec0, dueActions(rec0, at('2026-03-01T00:05:00Z'), { allocationState: 'active' }));
    expect(nextActionAt(reminded, at('2026-03-01T00:05:00Z'))).toBe('2026-03-15T00:00:00.000Z');
    const allDone = { ...rec0, reports: rec0.reports.map((r) => ({ ...r, status: 'accepted' as const })) };
    expect(nextActionAt(allDone, at('2026-03-01T00:05:00Z'))).toBeNull();
    expect(nextActionAt(allDone, at('2026-03-01T00:05:00Z'), ['2026-03-08T00:00:00.000Z'])).toBe('2026-03-08T00:00:00.000Z');

    const held = { ...rec0, hold: { since: '2026-03-15T00:00:00Z', reportIds: ['month-1'], fromState: 'active' as const, explanation: { summary: '', figures: {} } } };
    expect(holdCanLift(held, at('2026-03-16T00:00:00Z'))).toBe(false);
    const accepted = { ...held, reports: held.reports.map((r, i) => (i === 0 ? { ...r, status: 'accepted' as const } : r)) };
    expect(holdCanLift(accepted, at('2026-03-16T00:00:00Z'))).toBe(true);
    // another report past its grace keeps the hold
    expect(holdCanLift(accepted, at('2026-05-16T00:00:00Z'))).toBe(false);
    expect(holdCanLift(rec0, at('2026-03-16T00:00:00Z'))).toBe(false);
  });
});

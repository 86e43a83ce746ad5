// Report obligations from a call's schedule, and what is due when: reminders before the due date,
// on it, and once overdue; a hold once the grace period has passed. Pure: the daily job asks
// `dueActions` what to do at its own clock, and stores `nextActionAt` so it visits only the
// allocations that have something to do (a timer index, not a scan).
import { addDays, addMonths, laterOf, startOf } from './dates';
import type { AccountabilityPolicy } from './policy';
import type { AccountabilityRecord, Explanation, ReminderStage, ReportObligation } from './model';

export function buildReports(p: AccountabilityPolicy, startDate: string, endDate: string): ReportObligation[] {
  const out: ReportObligation[] = [];
  let periodStart = startDate;
  for (const m of p.progressReports.atMonths) {
    const due = addMonths(startDate, m);
    // a progress report due at or after the end is covered by the final report
    if (due >= endDate) break;
    out.push(obligation(`month-${m}`, 'progress', periodStart, due, due, p.progressReports, p.progressReports.opensDaysBeforeDue));
    periodStart = due;
  }
  if (p.finalReport) {
    out.push(obligation('final', 'final', periodStart, endDate, addDays(endDate, p.finalReport.withinDaysAfterEnd), p.finalReport, undefined));
  }
  return out;
}

function obligation(reportId: string, kind: 'progress' | 'final', periodStart: string, periodEnd: string, dueDate: string, limits: { wordLimit?: number; pageLimit?: number }, opensBefore: number | undefined): ReportObligation {
  const opensOn = opensBefore === undefined ? periodStart : laterOf(periodStart, addDays(dueDate, -opensBefore));
  return {
    reportId,
    kind,
    periodStart,
    periodEnd,
    opensOn,
    dueDate,
    ...(limits.wordLimit !== undefined ? { wordLimit: limits.wordLimit } : {}),
    ...(limits.pageLimit !== undefined ? { pageLimit: limits.pageLimit } : {}),
    status: 'pending',
    version: 0,
    reminded: [],
  };
}

/** The due date in force: a returned report is due again later. */
export function effectiveDue(r: ReportObligation): string {
  return r.resubmitBy ? laterOf(r.dueDate, r.resubmitBy) : r.dueDate;
}

/** Outstanding: the PI still owes it (never submitted, or returned). */
export const outstanding = (r: ReportObligation) => r.status === 'pending' || r.status === 'returned';

export interface ReportTimes {
  before: string;
  on: string;
  overdue: string;
  hold: string;
}

/** Instants of the reminders and of the hold, from the effective due date. */
export function timesOf(r: ReportObligation, p: AccountabilityPolicy): ReportTimes {
  const due = effectiveDue(r);
  return {
    before: startOf(addDays(due, -p.reminders.daysBefore)),
    on: startOf(due),
    overdue: startOf(addDays(due, 1)),
    hold: startOf(addDays(due, 1 + p.graceDays)),
  };
}

export type DueAction = { type: 'remind'; reportId: string; stage: ReminderStage; dueDate: string; explanation: Explanation } | { type: 'hold'; reportIds: string[]; explanation: Explanation };

const daysLate = (due: string, now: Date) => Math.floor((now.getTime() - Date.parse(startOf(addDays(due, 1)))) / 86_400_000) + 1;

/**
 * What is due at `now`. Only the latest reminder stage reached is sent (a job that ran late does
 * not send "in 7 days" after the date has passed), and each stage once per due date.
 */
export function dueActions(rec: AccountabilityRecord, now: Date, opts: { allocationState: string }): DueAction[] {
  const p = rec.policy;
  const t = now.toISOString();
  const actions: DueAction[] = [];
  const late: ReportObligation[] = [];
  for (const r of rec.reports) {
    if (!outstanding(r)) continue;
    const times = timesOf(r, p);
    const due = effectiveDue(r);
    const stage: ReminderStage | undefined = t >= times.overdue ? 'overdue' : t >= times.on ? 'on' : t >= times.before ? 'before' : undefined;
    if (stage && !r.reminded.includes(stage)) {
      const figures = {
        reportId: r.reportId,
        dueDate: due,
        ...(stage === 'overdue' ? { daysOverdue: daysLate(due, now), graceDays: p.graceDays, holdOn: times.hold.slice(0, 10) } : {}),
        ...(stage === 'before' ? { daysLeft: p.reminders.daysBefore } : {}),
      };
      const summary =
        stage === 'before'
          ? `The ${r.reportId} report is due on ${due}, in ${p.reminders.daysBefore} days`
          : stage === 'on'
            ? `The ${r.reportId} report is due today (${due})`
            : `The ${r.reportId} report was due on ${due} and is overdue; the allocation goes on hold on ${times.hold.slice(0, 10)} (grace period ${p.graceDays} days) unless it is submitted`;
      actions.push({ type: 'remind', reportId: r.reportId, stage, dueDate: due, explanation: { summary, figures } });
    }
    if (t >= times.hold) late.push(r);
  }
  // A hold needs something to hold: an ended allocation is blocked already; one that is already
  // held, or suspended by someone else, is left as it is.
  if (late.length && !rec.hold && (opts.allocationState === 'active' || opts.allocationState === 'exhausted')) {
    const first = late[0];
    const due = effectiveDue(first);
    actions.push({
      type: 'hold',
      reportIds: late.map((r) => r.reportId),
      explanation: {
        summary: `On hold: the ${late.map((r) => r.reportId).join(', ')} report${late.length > 1 ? 's were' : ' was'} due on ${due} and ${late.length > 1 ? 'are' : 'is'} still outstanding after the ${p.graceDays}-day grace period. New jobs are refused; running jobs finish. Accepting the report lifts the hold.`,
        figures: { reportIds: late.map((r) => r.reportId).join(','), dueDate: due, daysOverdue: daysLate(due, now), graceDays: p.graceDays },
      },
    });
  }
  return actions;
}

/** The record after sending reminders (the hold is applied by the caller, with the allocation). */
export function markReminded(rec: AccountabilityRecord, actions: DueAction[]): AccountabilityRecord {
  const byReport = new Map<string, ReminderStage>();
  for (const a of actions) if (a.type === 'remind') byReport.set(a.reportId, a.stage);
  return {
    ...rec,
    reports: rec.reports.map((r) => {
      const stage = byReport.get(r.reportId);
      if (!stage) return r;
      // reaching a later stage counts the earlier ones as done (they are past)
      const upTo = ['before', 'on', 'overdue'].slice(0, ['before', 'on', 'overdue'].indexOf(stage) + 1) as ReminderStage[];
      return { ...r, reminded: [...new Set([...r.reminded, ...upTo])] };
    }),
  };
}

/**
 * The next instant at which the record has something to do, or null: the next reminder or the
 * hold of an outstanding report, and an automatic reclaim's deadline. The daily job keeps it in a
 * sparse index and reads only the records whose time has come.
 */
export function nextActionAt(rec: AccountabilityRecord, now: Date, extra: (string | undefined)[] = []): string | null {
  const t = now.toISOString();
  const candidates: string[] = [];
  for (const r of rec.reports) {
    if (!outstanding(r)) continue;
    const times = timesOf(r, rec.policy);
    for (const stage of ['before', 'on', 'overdue'] as const) if (!r.reminded.includes(stage)) candidates.push(times[stage]);
    if (!rec.hold) candidates.push(times.hold);
  }
  for (const e of [...extra, rec.idle.reclaimApplyAfter]) if (e) candidates.push(e);
  // something already past (a hold refused because the allocation was suspended) is looked at again tomorrow
  const next = candidates.map((c) => (c <= t ? new Date(now.getTime() + 86_400_000).toISOString() : c)).sort()[0];
  return next ?? null;
}

/** Whether the hold may be lifted: none of the reports that caused it, nor any other, is still late. */
export function holdCanLift(rec: AccountabilityRecord, now: Date): boolean {
  if (!rec.hold) return false;
  const t = now.toISOString();
  for (const r of rec.reports) {
    const caused = rec.hold.reportIds.includes(r.reportId);
    if (caused && r.status !== 'accepted') return false;
    if (!caused && outstanding(r) && t >= timesOf(r, rec.policy).hold) return false;
  }
  return true;
}

// What a call asks of the allocations it awards: a report schedule with limits, reminders, a grace
// period before a hold, credits released in tranches, and the idle rule. Set once per call by an
// admin; each allocation keeps the copy in force when it was awarded, so editing the call later
// never changes the rules a running award was given.
import * as z from 'zod/mini';

const Days = (max: number) => z.int().check(z.minimum(0), z.maximum(max));
const Share = z.number().check(z.gt(0), z.maximum(1));

export const TRANCHE_TRIGGERS = ['start', 'report-accepted', 'manual'] as const;
export const RECLAIM_MODES = ['chair', 'automatic'] as const;

export const IdleRuleSchema = z.strictObject({
  /** Behind plan when the credits used are under this share of the credits planned by now. */
  threshold: z.number().check(z.gt(0), z.lt(1)),
  /** ...for this many days in a row: then a warning. */
  windowDays: z.int().check(z.minimum(1), z.maximum(365)),
  /** Days after the warning before credits are proposed for return. */
  graceDays: Days(365),
  /** Share of the shortfall (planned minus used) proposed for return, capped by the free balance. */
  reclaimShare: Share,
  /** 'chair': the chair confirms each return; 'automatic': applied after responseDays unless the PI answers. */
  mode: z.enum(RECLAIM_MODES),
  /** Days the PI has to answer an automatic proposal (an answer sends it to the chair instead). */
  responseDays: Days(90),
  /** Proposals smaller than this (credits) are not made. */
  minimumCredits: z.number().check(z.nonnegative()),
});
export type IdleRule = z.infer<typeof IdleRuleSchema>;

export const DEFAULT_IDLE_RULE: IdleRule = { threshold: 0.2, windowDays: 30, graceDays: 14, reclaimShare: 0.5, mode: 'chair', responseDays: 7, minimumCredits: 1 };

const Limits = {
  wordLimit: z.optional(z.int().check(z.minimum(50), z.maximum(100_000))),
  pageLimit: z.optional(z.int().check(z.minimum(1), z.maximum(200))),
};

export const AccountabilityPolicySchema = z
  .strictObject({
    /** Progress reports this many months after the start (e.g. [1, 3, 9], NAIRR's pilot). */
    progressReports: z.strictObject({
      atMonths: z.array(z.int().check(z.minimum(1), z.maximum(120))).check(z.maxLength(24)),
      ...Limits,
      /** A report may be submitted this many days before it is due; omitted: once its period has begun. */
      opensDaysBeforeDue: z.optional(Days(365)),
    }),
    /** A final report within this many days of the end (e.g. 30, at most 3 pages). */
    finalReport: z.nullable(z.strictObject({ withinDaysAfterEnd: z.int().check(z.minimum(1), z.maximum(365)), ...Limits })),
    reminders: z.strictObject({ daysBefore: z.int().check(z.minimum(1), z.maximum(90)) }),
    /** Days a report may be overdue before the allocation is put on hold. */
    graceDays: Days(365),
    /** A returned report is due again this many days after it was returned (or at its due date, if later). */
    resubmitDays: z.int().check(z.minimum(1), z.maximum(180)),
    /** Words counted as a page, to hold reports to a page limit. */
    wordsPerPage: z.int().check(z.minimum(100), z.maximum(2000)),
    /** In release order; the shares add up to 1. The first is released at the start. */
    tranches: z
      .array(
        z.strictObject({
          share: Share,
          releaseOn: z.enum(TRANCHE_TRIGGERS),
          /** For 'report-accepted': the report (default: the first progress report). */
          report: z.optional(z.string().check(z.regex(/^(month-\d{1,3}|final)$/))),
        }),
      )
      .check(z.minLength(1), z.maxLength(12)),
    idle: IdleRuleSchema,
  })
  .check(
    z.superRefine((p, ctx) => {
      const months = p.progressReports.atMonths;
      months.forEach((m, i) => {
        if (i > 0 && m <= months[i - 1]) ctx.addIssue({ code: 'custom', path: ['progressReports', 'atMonths', i], message: `must be after ${months[i - 1]} (months ascend)` });
      });
      const total = p.tranches.reduce((s, t) => s + t.share, 0);
      if (Math.abs(total - 1) > 1e-9) ctx.addIssue({ code: 'custom', path: ['tranches'], message: `shares add up to ${Math.round(total * 1e6) / 1e6}, not 1` });
      if (p.tranches[0] && p.tranches[0].releaseOn !== 'start') ctx.addIssue({ code: 'custom', path: ['tranches', 0, 'releaseOn'], message: 'must be "start": the first tranche is the award itself' });
      const ids = new Set([...months.map((m) => `month-${m}`), ...(p.finalReport ? ['final'] : [])]);
      p.tranches.forEach((t, i) => {
        if (i > 0 && t.releaseOn === 'start') ctx.addIssue({ code: 'custom', path: ['tranches', i, 'releaseOn'], message: 'only the first tranche is released at the start' });
        if (t.releaseOn !== 'report-accepted' && t.report !== undefined) ctx.addIssue({ code: 'custom', path: ['tranches', i, 'report'], message: `applies only to releaseOn "report-accepted"` });
        if (t.releaseOn === 'report-accepted') {
          const r = t.report ?? (months.length ? `month-${months[0]}` : undefined);
          if (!r || !ids.has(r))
            ctx.addIssue({ code: 'custom', path: ['tranches', i, 'report'], message: r ? `"${r}" is not a report of this schedule (${[...ids].join(', ') || 'none'})` : 'names no report, and the schedule has no progress report' });
        }
      });
    }),
  );
export type AccountabilityPolicy = z.infer<typeof AccountabilityPolicySchema>;

/** NAIRR's pilot: reports at 1, 3 and 9 months, a final report of at most 3 pages within 30 days. */
export const DEFAULT_POLICY: AccountabilityPolicy = {
  progressReports: { atMonths: [1, 3, 9], wordLimit: 3000 },
  finalReport: { withinDaysAfterEnd: 30, pageLimit: 3 },
  reminders: { daysBefore: 7 },
  graceDays: 14,
  resubmitDays: 14,
  wordsPerPage: 500,
  tranches: [{ share: 1, releaseOn: 'start' }],
  idle: DEFAULT_IDLE_RULE,
};

/** The report a 'report-accepted' tranche waits for. */
export function trancheReport(p: AccountabilityPolicy, index: number): string | undefined {
  const t = p.tranches[index];
  if (t?.releaseOn !== 'report-accepted') return undefined;
  return t.report ?? `month-${p.progressReports.atMonths[0]}`;
}

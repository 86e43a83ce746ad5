// Self-service within limits. Small supplements and extensions are approved without a human, but
// only up to a cumulative amount per allocation and period: ten requests of 499 credits under a
// 500-credit threshold are one 499 and nine for the chair, not 4,990 credits nobody looked at.
// Pure: the ledger keeps the running totals on the allocation item (Allocation.autoApproved), so
// they are read and written in the same serialised commit as the credits themselves.

export type AutoApprovePeriod = 'month' | 'quarter' | 'year';

export interface AutoApproved {
  /** The period these totals are for, e.g. "2026-Q4", "2026-11", "2026". */
  period: string;
  supplementMc: number;
  extensionDays: number;
}

export interface AutoApprovePolicy {
  autoApprovePeriod: AutoApprovePeriod;
  /** Largest single request approved automatically. */
  supplementAutoApproveCredits: number;
  extensionAutoApproveDays: number;
  /** Cumulative, per allocation and period. */
  supplementAutoApproveCreditsPerPeriod: number;
  extensionAutoApproveDaysPerPeriod: number;
}

export function periodOf(now: Date, period: AutoApprovePeriod): string {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth() + 1;
  if (period === 'year') return String(y);
  if (period === 'month') return `${y}-${String(m).padStart(2, '0')}`;
  return `${y}-Q${Math.ceil(m / 3)}`;
}

/** The totals of the current period (a total of an earlier period counts for nothing). */
export function currentTotals(prev: AutoApproved | undefined, now: Date, period: AutoApprovePeriod): AutoApproved {
  const p = periodOf(now, period);
  return prev && prev.period === p ? prev : { period: p, supplementMc: 0, extensionDays: 0 };
}

export type AutoDecision = { automatic: true; totals: AutoApproved } | { automatic: false; why: string };

/**
 * Whether a supplement of `supplementMc` or an extension of `extensionDays` is approved at once,
 * and the period's totals after it. Both limits apply: the single request and the running total.
 */
export function autoApproval(req: { supplementMc?: number; extensionDays?: number }, prev: AutoApproved | undefined, policy: AutoApprovePolicy, now: Date): AutoDecision {
  const t = currentTotals(prev, now, policy.autoApprovePeriod);
  if (req.supplementMc !== undefined) {
    const credits = req.supplementMc / 1000;
    if (credits > policy.supplementAutoApproveCredits) return { automatic: false, why: `more than ${policy.supplementAutoApproveCredits} credits in one request` };
    const after = t.supplementMc + req.supplementMc;
    if (after > policy.supplementAutoApproveCreditsPerPeriod * 1000) {
      return {
        automatic: false,
        why: `${t.supplementMc / 1000} credits were approved automatically in ${t.period} already; with this request it would be ${after / 1000}, over the ${policy.supplementAutoApproveCreditsPerPeriod} allowed per period`,
      };
    }
    return { automatic: true, totals: { ...t, supplementMc: after } };
  }
  const days = req.extensionDays ?? 0;
  if (days > policy.extensionAutoApproveDays) return { automatic: false, why: `more than ${policy.extensionAutoApproveDays} days in one request` };
  const after = t.extensionDays + days;
  if (after > policy.extensionAutoApproveDaysPerPeriod) {
    return {
      automatic: false,
      why: `${t.extensionDays} days of extension were approved automatically in ${t.period} already; with this request it would be ${after}, over the ${policy.extensionAutoApproveDaysPerPeriod} allowed per period`,
    };
  }
  return { automatic: true, totals: { ...t, extensionDays: after } };
}

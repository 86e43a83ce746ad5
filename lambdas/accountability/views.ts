// What the API shows: credits as decimals, due dates and reminder times, holds and idle figures.
import { fromMc, type Mc } from '../domain/ledger/money';
import type { AccountabilityRecord, ReclaimProposal, ReportObligation } from '../domain/accountability/model';
import { effectiveDue, outstanding, timesOf } from '../domain/accountability/schedule';
import type { ReportVersion } from './store';

const credits = (m: Record<string, Mc> | undefined) =>
  Object.fromEntries(
    Object.entries(m ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, fromMc(v)]),
  );

export function reportView(r: ReportObligation, rec: AccountabilityRecord, now: Date, latest?: ReportVersion) {
  const times = timesOf(r, rec.policy);
  const t = now.toISOString();
  return {
    reportId: r.reportId,
    kind: r.kind,
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    opensOn: r.opensOn,
    dueDate: effectiveDue(r),
    status: r.status,
    overdue: outstanding(r) && t >= times.overdue,
    holdsOn: outstanding(r) ? times.hold.slice(0, 10) : null,
    reminders: { before: times.before, on: times.on, overdue: times.overdue, sent: r.reminded },
    ...(r.wordLimit !== undefined ? { wordLimit: r.wordLimit } : {}),
    ...(r.pageLimit !== undefined ? { pageLimit: r.pageLimit } : {}),
    version: r.version,
    ...(r.submittedAt ? { submittedAt: r.submittedAt } : {}),
    ...(r.reviewedAt ? { reviewedAt: r.reviewedAt, reviewedBy: r.reviewedBy } : {}),
    ...(r.comments ? { comments: r.comments } : {}),
    ...(latest ? { latest: { version: latest.version, submittedAt: latest.submittedAt, words: latest.measure.words, pages: latest.measure.pages, body: latest.body } } : {}),
  };
}

export function reclaimView(r: ReclaimProposal) {
  return {
    reclaimId: r.reclaimId,
    allocationId: r.allocationId,
    state: r.state,
    mode: r.mode,
    proposed: credits(r.proposedMc),
    ...(r.appliedMc ? { applied: credits(r.appliedMc) } : {}),
    explanation: r.explanation,
    proposedAt: r.proposedAt,
    ...(r.applyAfter ? { applyAfter: r.applyAfter } : {}),
    ...(r.response ? { response: r.response } : {}),
    ...(r.decision ? { decision: r.decision } : {}),
  };
}

export function recordView(rec: AccountabilityRecord, now: Date, reclaims: ReclaimProposal[] = []) {
  return {
    allocationId: rec.allocationId,
    callId: rec.callId,
    policy: rec.policy,
    committed: credits(rec.committedMc),
    reports: rec.reports.map((r) => reportView(r, rec, now)),
    tranches: rec.tranches.map((t) => ({
      trancheId: t.trancheId,
      share: t.share,
      releaseOn: t.releaseOn,
      ...(t.report ? { report: t.report } : {}),
      credits: credits(t.amountsMc),
      released: !!t.releasedAt,
      ...(t.releasedAt ? { releasedAt: t.releasedAt, releaseReason: t.releaseReason } : {}),
    })),
    hold: rec.hold ? { since: rec.hold.since, reportIds: rec.hold.reportIds, explanation: rec.hold.explanation } : null,
    idle: { ...rec.idle },
    plan: rec.plan ?? null,
    reclaims: reclaims.map(reclaimView),
  };
}

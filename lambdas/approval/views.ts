// What each audience sees. Credits go out as decimals (millicredits inside). The researcher sees the
// decision and the reviews' comments, never who wrote them; a reviewer sees the proposal, never the
// other reviews or the decision; task tokens and internal bookkeeping never leave the store.
import { fromMc, type Mc } from '../domain/ledger/money';
import { assignmentId, sumMc, windowState, type Assignment, type Call, type DecisionRecord, type PoolReviewer, type Proposal } from '../domain/approval';
import * as lifecycle from '../domain/approval/lifecycle';
import { remainingMc } from '../domain/approval/capacity';
import { affiliationFlags } from '../domain/identity/affiliation'; // identity

const credits = (m: Record<string, Mc> | undefined) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, fromMc(v)]));

export function callView(c: Call, opts: { staff: boolean; now?: Date }) {
  const rem = remainingMc(c);
  return {
    id: c.id,
    title: c.title,
    description: c.description,
    kind: c.kind,
    opensAt: c.opensAt,
    closesAt: c.closesAt,
    status: windowState(c, opts.now ?? new Date()),
    capacity: Object.keys(c.capacityMc)
      .sort()
      .map((r) => ({ resource: r, capacity: fromMc(c.capacityMc[r]), awarded: fromMc(c.awardedMc[r] ?? 0), remaining: fromMc(rem[r]) })),
    tiers: {
      starter: { maxCredits: fromMc(c.tiers.starter.maxMc) },
      standard: { maxCredits: fromMc(c.tiers.standard.maxMc), reviewers: c.tiers.standard.reviewers, minReviews: c.tiers.standard.minReviews },
      flagship: { maxCredits: fromMc(c.maxRequestMc), reviewers: c.tiers.flagship.reviewers, minReviews: c.tiers.flagship.minReviews },
    },
    eligibleOrgTypes: c.eligibleOrgTypes,
    maxRequestCredits: fromMc(c.maxRequestMc),
    fairnessFloors: c.fairnessFloors as Record<string, number>,
    trainedOnly: c.trainedOnly === true, // people
    reviewDeadlineHours: c.reviewDeadlineHours,
    decisionDeadlineDays: c.decisionDeadlineDays,
    ...(opts.staff
      ? {
          reviewerPool: c.reviewerPool,
          awardedByOrgType: Object.fromEntries(Object.entries(c.awardedByOrgTypeMc).map(([t, m]) => [t, credits(m)])),
        }
      : {}),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export function decisionView(d: DecisionRecord | undefined) {
  if (!d) return undefined;
  return { round: d.round, outcome: d.outcome, ...(d.creditsMc ? { credits: credits(d.creditsMc) } : {}), reason: d.reason, decidedAt: d.decidedAt, automatic: d.automatic, ...(d.via ? { via: d.via } : {}) };
}

export type Audience = 'owner' | 'reviewer' | 'staff';

export function proposalView(p: Proposal, audience: Audience, extra: { conflicted?: boolean } = {}) {
  const base = {
    id: p.id,
    callId: p.callId,
    state: p.state,
    ...(p.stage ? { stage: p.stage } : {}),
    round: p.round,
    ...(p.tier ? { tier: p.tier } : {}),
    ...(p.requestedTier ? { requestedTier: p.requestedTier } : {}),
    title: p.title,
    abstract: p.abstract,
    field: p.field,
    pi: p.pi,
    team: p.team as unknown as Record<string, unknown>[],
    workload: p.workload as unknown as Record<string, unknown> | undefined,
    credits: credits(p.requestedMc),
    totalCredits: fromMc(sumMc(p.requestedMc)),
    ...(p.recommend !== undefined ? { recommend: p.recommend } : {}),
    ...(p.recommendation ? { recommendation: p.recommendation } : {}),
    durationMonths: p.durationMonths,
    datasets: p.datasets as unknown as Record<string, unknown>[],
    models: p.models as unknown as Record<string, unknown>[],
    justification: p.justification,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    ...(p.submittedAt ? { submittedAt: p.submittedAt } : {}),
  };
  if (audience === 'reviewer') return base;
  return {
    ...base,
    ...(audience === 'staff' ? { ownerSub: p.ownerSub } : {}),
    ...(p.checkProblems ? { checkProblems: p.checkProblems } : {}),
    ...(p.tierNote ? { tierNote: p.tierNote } : {}),
    ...(p.reviewSummary && (audience === 'staff' || lifecycle.isDecided(p)) ? { reviewSummary: p.reviewSummary } : {}),
    ...(p.decision ? { decision: decisionView(p.decision) } : {}),
    ...(p.allocationId ? { allocationId: p.allocationId } : {}),
    ...(p.error ? { error: p.error } : {}),
    ...(extra.conflicted !== undefined ? { conflicted: extra.conflicted } : {}),
    // ---- identity: the chair is told when the PI's affiliation counts towards no floor ----
    ...(audience === 'staff' && p.pi ? { affiliationFlags: affiliationFlags(p.pi.affiliation, p.pi) } : {}),
    // ---- end identity ----
  };
}

/**
 * A chair's view of a proposal they are conflicted on: no panel scores (the list and GET of one
 * proposal alike), so a conflicted chair learns nothing of how the panel judged it.
 */
export function staffProposalView(p: Proposal, chairOnly: boolean, conflicted: boolean | undefined) {
  const view: Record<string, unknown> = proposalView(p, 'staff', conflicted === undefined ? {} : { conflicted });
  if (chairOnly && conflicted) delete view.reviewSummary;
  return view;
}

/** The decision and the reviews of the decided round, with the reviewers anonymous ("Reviewer 1", ...). */
export function decisionResponse(p: Proposal, reviews: Assignment[]) {
  const decided = lifecycle.decisionStands(p);
  const round = p.decision?.round ?? p.round;
  const shown = decided
    ? reviews
        .filter((a) => a.round === round && a.status === 'submitted' && a.review)
        .sort((a, b) => a.slot - b.slot || a.seq - b.seq)
        .map((a, i) => ({ reviewer: `Reviewer ${i + 1}`, scores: a.review!.scores, comments: a.review!.comments, recommendation: a.review!.recommendation, submittedAt: a.review!.submittedAt }))
    : [];
  return {
    proposalId: p.id,
    state: p.state,
    decision: decisionView(p.decision) ?? null,
    reviewSummary: decided ? (p.reviewSummary ?? null) : null,
    reviews: shown,
    allocationId: p.allocationId ?? null,
  };
}

export function assignmentView(a: Assignment, p?: Pick<Proposal, 'title' | 'field'>) {
  return {
    assignmentId: assignmentId(a),
    proposalId: a.proposalId,
    callId: a.callId,
    ...(p ? { title: p.title, field: p.field } : {}),
    round: a.round,
    status: a.status,
    assignedAt: a.assignedAt,
    deadline: a.deadline,
    ...(a.remindedAt ? { remindedAt: a.remindedAt } : {}),
    ...(a.closedAt ? { closedAt: a.closedAt } : {}),
    ...(a.closeReason ? { closeReason: a.closeReason } : {}),
    ...(a.review ? { review: a.review as unknown as Record<string, unknown> } : {}),
  };
}

export function staffReviewView(a: Assignment, pool: readonly PoolReviewer[]) {
  const r = pool.find((x) => x.sub === a.reviewerSub);
  return {
    assignmentId: assignmentId(a),
    reviewerSub: a.reviewerSub,
    ...(r ? { reviewerName: r.name } : {}),
    round: a.round,
    slot: a.slot,
    status: a.status,
    origin: a.origin,
    assignedAt: a.assignedAt,
    deadline: a.deadline,
    ...(a.closeReason ? { closeReason: a.closeReason } : {}),
    ...(a.review ? { review: a.review as unknown as Record<string, unknown> } : {}),
  };
}

// Training and the starter tier (docs/approval.md, "Training and the starter tier"): what
// completing a course that qualifies for starter access opens, under the stage's
// policy.approval.trainingStarter. Pure rules over a qualification the people capability reads
// (lambdas/people/index.ts qualifiesForStarter); the proposals API and the flow call them and
// never decide on their own, so the submit check, the flow's Check and AutoApprove agree.
import { effectiveOrgType, type Call, type PrincipalInvestigator, type Tier, type TrainingVia } from './model';
import type { Problem } from './rules';

export const TRAINING_STARTER_POLICIES = ['admit', 'fast-track', 'off'] as const;
export type TrainingStarterPolicy = (typeof TRAINING_STARTER_POLICIES)[number];

/** The shape of people's qualifiesForStarter(sub): each completion of a qualifying course. */
export interface TrainingQualification {
  qualifies: boolean;
  via: { courseId: string; certificateId: string; completedOn: string }[];
}

/**
 * The certificate an award rests on: the earliest completion (then the smallest id), so a retried
 * step, the check and the approval all name the same one.
 */
export function qualifyingCertificate(q: TrainingQualification | null): TrainingVia | null {
  if (!q?.qualifies || !q.via.length) return null;
  const [first] = [...q.via].sort((a, b) => (a.completedOn === b.completedOn ? (a.certificateId < b.certificateId ? -1 : 1) : a.completedOn < b.completedOn ? -1 : 1));
  return { kind: 'training', certificateId: first.certificateId, courseId: first.courseId };
}

/** Whether the call would refuse the PI's org type (the check's eligibility rule). */
export function orgTypeExcluded(call: Pick<Call, 'eligibleOrgTypes'>, pi: Pick<PrincipalInvestigator, 'orgType' | 'affiliation'> | undefined): boolean {
  return !!pi && !call.eligibleOrgTypes.includes(effectiveOrgType(pi));
}

/**
 * Whether a qualification is worth reading for this proposal at all: only a starter proposal can
 * be opened by training, and only where the policy and the call let training matter. Everyone
 * else's submission and approval read nothing more than before.
 */
export function trainingMatters(policy: TrainingStarterPolicy, tier: Tier | undefined, call: Pick<Call, 'trainedOnly' | 'eligibleOrgTypes'>, pi: Pick<PrincipalInvestigator, 'orgType' | 'affiliation'> | undefined): boolean {
  if (policy === 'off' || tier !== 'starter') return false;
  return !!call.trainedOnly || (policy === 'fast-track' && orgTypeExcluded(call, pi));
}

/**
 * Fast track: training stands in for the call's org-type eligibility of a starter proposal. The
 * certificate it rests on, or null (then the usual eligibility rule applies unchanged).
 */
export function fastTrackWaiver(
  policy: TrainingStarterPolicy,
  tier: Tier | undefined,
  call: Pick<Call, 'eligibleOrgTypes'>,
  pi: Pick<PrincipalInvestigator, 'orgType' | 'affiliation'> | undefined,
  q: TrainingQualification | null,
): TrainingVia | null {
  if (policy !== 'fast-track' || tier !== 'starter' || !orgTypeExcluded(call, pi)) return null;
  return qualifyingCertificate(q);
}

/**
 * Admission to a starter call that admits the trained only (call.trainedOnly): the problem that
 * refuses a proposal (422 training_required), or null. Fails closed: with training switched off
 * on the stage, such a call admits no one rather than everyone.
 */
export function admissionProblem(policy: TrainingStarterPolicy, call: Pick<Call, 'id' | 'trainedOnly'>, q: TrainingQualification | null): Problem | null {
  if (!call.trainedOnly) return null;
  if (policy === 'off') return { path: 'callId', problem: `call ${call.id} admits only people who completed a qualifying course, and training opens no starter access on this stage (policy.approval.trainingStarter is off)` };
  if (!qualifyingCertificate(q)) return { path: 'callId', problem: `call ${call.id} admits only people who completed a course that qualifies for starter access; you have completed none` };
  return null;
}

/**
 * How a starter approval was reached through training, or null when training was not needed: the
 * call admits the trained only, or the fast track waived the org type. A trained researcher the
 * call admits anyway is approved in their own right (not counted as reached through training).
 */
export function trainingRoute(
  policy: TrainingStarterPolicy,
  tier: Tier | undefined,
  call: Pick<Call, 'trainedOnly' | 'eligibleOrgTypes'>,
  pi: Pick<PrincipalInvestigator, 'orgType' | 'affiliation'> | undefined,
  q: TrainingQualification | null,
): TrainingVia | null {
  if (!trainingMatters(policy, tier, call, pi)) return null;
  if (call.trainedOnly) return qualifyingCertificate(q);
  return fastTrackWaiver(policy, tier, call, pi, q);
}

// The allocation-request model: calls, proposals, review assignments, reviews and decisions.
// Plain data, no AWS imports: the store persists exactly these shapes, the flow and the API read
// them, and the rules in this folder are pure functions over them. Credits are integer millicredits.
import type { Mc } from '../ledger/money';
import type { DecisionOutcome, FlowStage, ProposalState } from './lifecycle';
// ---- identity ----
import type { Affiliation } from '../identity/affiliation';
// ---- end identity ----

import { ORG_TYPES, type OrgType } from '../org-types';

export { ORG_TYPES, type OrgType };

// The proposal's states, flow stages and decision outcomes belong to its lifecycle (lifecycle.ts);
// they are re-exported here, where the rest of the model's vocabulary is.
export { PROPOSAL_STATES, FINAL_STATES, FLOW_STAGES, DECISION_OUTCOMES } from './lifecycle';
export type { ProposalState, FlowStage, DecisionOutcome } from './lifecycle';

export const TIERS = ['starter', 'standard', 'flagship'] as const;
export type Tier = (typeof TIERS)[number];

export const PURPOSES = ['pretraining', 'fine-tuning', 'inference', 'hpc-simulation', 'ai-for-science'] as const;
export type Purpose = (typeof PURPOSES)[number];
export const PRECISIONS = ['fp64', 'tf32', 'bf16', 'fp16', 'fp8'] as const;
export type Precision = (typeof PRECISIONS)[number];
export const INTERCONNECT_NEEDS = ['none', 'moderate', 'high'] as const;
export type InterconnectNeed = (typeof INTERCONNECT_NEEDS)[number];
export const TEAM_ROLES = ['co-investigator', 'researcher', 'student', 'engineer'] as const;

export const CRITERIA = ['merit', 'feasibility', 'impact', 'resourceJustification'] as const;
export type Criterion = (typeof CRITERIA)[number];
export const REVIEW_RECOMMENDATIONS = ['approve', 'approve-reduced', 'revise', 'reject'] as const;
export type ReviewRecommendation = (typeof REVIEW_RECOMMENDATIONS)[number];

export const ASSIGNMENT_STATUSES = ['assigned', 'submitted', 'conflicted', 'replaced', 'timed-out', 'cancelled'] as const;
export type AssignmentStatus = (typeof ASSIGNMENT_STATUSES)[number];

export const CALL_KINDS = ['open', 'starter'] as const;
export type CallKind = (typeof CALL_KINDS)[number];

export interface PoolReviewer {
  sub: string;
  name: string;
  /** Used to recognise the reviewer on a proposal's team list (by e-mail). */
  email?: string;
  /** A display name; conflicts of interest use orgId. */
  institution: string;
  // ---- identity ----
  /** The reviewer's organisation in the registry: a PI of the same org is a conflict. */
  orgId?: string;
  // ---- end identity ----
  /** Fields of science the reviewer covers. */
  fields: string[];
  /** The most open assignments the reviewer takes at once. */
  maxLoad: number;
}

export interface TierPolicy {
  /** Requests totalling at most this are starter requests (0: this call has no starter tier). */
  starter: { maxMc: Mc };
  standard: { maxMc: Mc; reviewers: number; minReviews: number };
  /** Above standard, up to the call's maxRequestMc. */
  flagship: { reviewers: number; minReviews: number };
}

export interface Call {
  id: string;
  title: string;
  description: string;
  kind: CallKind;
  opensAt: string;
  closesAt: string;
  /** Per resource key ("spc/h200"). */
  capacityMc: Record<string, Mc>;
  /** Reserved by approvals (awarded, or being awarded), per resource. Never above capacity. */
  awardedMc: Record<string, Mc>;
  /**
   * The same, split by the org type each award counts towards for the fairness floors; awards to
   * an affiliation that is not verified count towards none ("unverified").
   */
  awardedByOrgTypeMc: Partial<Record<OrgType | 'unverified', Record<string, Mc>>>;
  tiers: TierPolicy;
  eligibleOrgTypes: OrgType[];
  /** The most one proposal may ask, in total. */
  maxRequestMc: Mc;
  /** Smallest share (0..1) of each resource's capacity kept for an org type. */
  fairnessFloors: Partial<Record<OrgType, number>>;
  /** A starter call that admits only people who completed a qualifying course (training.ts). */
  trainedOnly?: boolean;
  reviewerPool: PoolReviewer[];
  reviewDeadlineHours: number;
  decisionDeadlineDays: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
}

export interface TeamMember {
  name: string;
  email: string;
  institution: string;
  role: (typeof TEAM_ROLES)[number];
  /** The member's KAIRR identity, when they have one (then they become an allocation member). */
  sub?: string;
  /** LEGACY (refused on input since site accounts): kept only so older stored proposals still read. */
  username?: string;
}

export type DatasetLocation = { siteId: string } | { uri: string };

export interface WorkloadProfile {
  purpose: Purpose;
  /** Model size, parameters (required for the AI purposes). */
  modelParameters?: number;
  precision: Precision;
  dataset: { sizeGB: number; location: DatasetLocation };
  /** Memory needed per GPU, GB. */
  memoryPerGpuGB: number;
  interconnect: InterconnectNeed;
  nodes?: number;
  /** Work size, for the recommender: tokens to train on, tokens to serve, or PFLOP of compute. */
  trainingTokens?: number;
  inferenceTokens?: number;
  totalPflop?: number;
}

export interface NeededItem {
  name: string;
  /** A data hub / model repository id, when it is catalogued. */
  catalogueId?: string;
  uri?: string;
}

export interface PrincipalInvestigator {
  name: string;
  email: string;
  /** What the researcher typed: a display name only. */
  institution: string;
  /** The org type the researcher declared: used only where the registry knows no org for them (and flagged). */
  orgType: OrgType;
  // ---- identity ----
  /** The PI's organisation as KAIRR resolved it from their verified claims (set on every write and on submit). */
  affiliation?: Affiliation;
  // ---- end identity ----
  /** LEGACY (refused on input since site accounts): a name older proposals carried; never used. */
  username?: string;
}

export interface RecommendationNote {
  resource: string;
  credits: number;
  generatedAt: string;
  basis: string[];
}

export interface ScoreSummary {
  count: number;
  minReviews: number;
  quorum: boolean;
  means: Record<Criterion, number>;
  overall: number;
  spread: number;
  recommendations: Partial<Record<ReviewRecommendation, number>>;
}

export interface DecisionRecord {
  round: number;
  outcome: DecisionOutcome;
  /** Awarded per resource (approve only). */
  creditsMc?: Record<string, Mc>;
  reason: string;
  decidedBy: string;
  decidedAt: string;
  /** True for the starter tier's automatic approval and the check's automatic rejection. */
  automatic: boolean;
  // ---- identity ----
  /** The org type the award counts towards for the fairness floors (null: none, the affiliation is not verified). */
  floorOrgType?: OrgType | null;
  // ---- end identity ----
  /** people: a starter approval reached through training (training.ts trainingRoute). */
  via?: TrainingVia;
}

/** How an approval was reached through training: the certificate and course it rests on. */
export interface TrainingVia {
  kind: 'training';
  certificateId: string;
  courseId: string;
}

export interface Proposal {
  id: string;
  callId: string;
  ownerSub: string;
  state: ProposalState;
  stage?: FlowStage;
  /** Submissions so far (a revision's resubmission is round 2, ...). */
  round: number;
  /** The tier the researcher asked for; otherwise it follows from the total. */
  requestedTier?: Tier;
  /** The tier the flow works with (set on submit). */
  tier?: Tier;
  title: string;
  abstract?: string;
  field?: string;
  pi?: PrincipalInvestigator;
  team: TeamMember[];
  workload?: WorkloadProfile;
  requestedMc?: Record<string, Mc>;
  /** KAIRR filled the request from the recommender. */
  recommend?: boolean;
  recommendation?: RecommendationNote;
  durationMonths?: number;
  datasets: NeededItem[];
  models: NeededItem[];
  justification?: string;
  createdAt: string;
  updatedAt: string;
  submittedAt?: string;
  executionArn?: string;
  /** Why the check refused it. */
  checkProblems?: { path: string; problem: string }[];
  /** Why the starter tier did not approve it automatically. */
  tierNote?: string;
  reviewSummary?: ScoreSummary;
  decision?: DecisionRecord;
  /** Capacity reserved on the call by an approval that is not yet awarded. */
  reservedMc?: Record<string, Mc>;
  allocationId?: string;
  error?: { code: string; message: string; at: string };
}

export interface Review {
  scores: Record<Criterion, number>;
  comments: string;
  /** Comments for the committee only; never shown to the researcher. */
  confidentialComments?: string;
  recommendation: ReviewRecommendation;
  submittedAt: string;
}

export interface Assignment {
  proposalId: string;
  callId: string;
  round: number;
  slot: number;
  seq: number;
  reviewerSub: string;
  status: AssignmentStatus;
  /** Why this reviewer got the slot: first pick, or who/what they replace. */
  origin: 'initial' | 'timeout' | 'conflict' | 'chair';
  assignedAt: string;
  deadline: string;
  remindedAt?: string;
  closedAt?: string;
  closeReason?: string;
  review?: Review;
  /** The waiting flow task's token (set while the flow waits on this assignment). */
  taskToken?: string;
}

export const assignmentId = (a: Pick<Assignment, 'proposalId' | 'round' | 'slot' | 'seq'>) => `${a.proposalId}.${a.round}.${a.slot}.${a.seq}`;

export function parseAssignmentId(id: string): { proposalId: string; round: number; slot: number; seq: number } | undefined {
  const m = /^([a-z]+-[0-9a-z]{26})\.(\d{1,2})\.(\d{1,2})\.(\d{1,2})$/.exec(id);
  return m ? { proposalId: m[1], round: Number(m[2]), slot: Number(m[3]), seq: Number(m[4]) } : undefined;
}

export interface DecisionItem {
  proposalId: string;
  round: number;
  /** The chair's waiting task. */
  taskToken?: string;
  openedAt: string;
  deadline: string;
  decision?: DecisionRecord;
}

export function sumMc(m: Record<string, Mc> | undefined): Mc {
  return Object.values(m ?? {}).reduce((s, v) => s + v, 0);
}

// ---- identity ----
/** The org type a proposal is handled as: the registry's, when its PI's affiliation matched an org; else what they declared. */
export function effectiveOrgType(pi: Pick<PrincipalInvestigator, 'orgType' | 'affiliation'>): OrgType {
  return pi.affiliation?.orgType ?? pi.orgType;
}
// ---- end identity ----

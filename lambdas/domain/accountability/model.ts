// The accountability record of one allocation: its report obligations, tranches, hold, idle-rule
// state and reclaim proposals. Plain data; the store persists exactly this shape (one item per
// allocation, plus immutable report versions, outcomes and reclaim proposals beside it).
import type { Mc } from '../ledger/money';
import type { AccountabilityPolicy } from './policy';

export const REPORT_STATUSES = ['pending', 'submitted', 'accepted', 'returned'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];
export const REMINDER_STAGES = ['before', 'on', 'overdue'] as const;
export type ReminderStage = (typeof REMINDER_STAGES)[number];

/** Why something happened, with the figures that made it happen (shown to the PI, the chair and auditors). */
export interface Explanation {
  summary: string;
  figures: Record<string, number | string | null>;
}

export interface ReportObligation {
  /** "month-1", "month-3", ..., "final" */
  reportId: string;
  kind: 'progress' | 'final';
  /** The period it reports on. */
  periodStart: string;
  periodEnd: string;
  /** The first date it may be submitted. */
  opensOn: string;
  /** When it is due (a returned report gets a later one: see effectiveDue). */
  dueDate: string;
  wordLimit?: number;
  pageLimit?: number;
  status: ReportStatus;
  /** Submissions so far (version n is REPORT#<id>#<n>). */
  version: number;
  submittedAt?: string;
  submittedBy?: string;
  reviewedAt?: string;
  reviewedBy?: string;
  comments?: string;
  /** Set when it was returned: due again at this date. */
  resubmitBy?: string;
  /** Reminder stages already sent for the current due date. */
  reminded: ReminderStage[];
}

export interface Tranche {
  trancheId: string;
  share: number;
  releaseOn: 'start' | 'report-accepted' | 'manual';
  report?: string;
  /** Credits of this tranche per resource key, mc. */
  amountsMc: Record<string, Mc>;
  releasedAt?: string;
  releasedBy?: string;
  /** Why it was released (the accepted report, a chair's release). */
  releaseReason?: string;
}

export interface Hold {
  since: string;
  /** The reports whose lateness put the allocation on hold. */
  reportIds: string[];
  /** The state the allocation had before (restored when the hold is lifted, unless the ledger moved it). */
  fromState: 'active' | 'exhausted';
  explanation: Explanation;
}

export interface IdleState {
  /** The first daily evaluation of the current run of days behind plan (cleared the first day back on plan). */
  behindSince?: string;
  warnedAt?: string;
  warning?: Explanation;
  /** The reclaim proposal waiting for an answer, if any. */
  openReclaimId?: string;
  /** When that proposal is applied automatically (the call's policy), unless the PI answers first. */
  reclaimApplyAfter?: string;
  /** After a chair rejects a proposal, no new warning before this instant. */
  quietUntil?: string;
}

/** A plan the PI gives instead of the linear one: the share of the credits to be used by each date. */
export interface BurnPlan {
  points: { date: string; share: number }[];
  reason: string;
  setAt: string;
}

export interface AccountabilityRecord {
  allocationId: string;
  callId: string | null;
  proposalId: string | null;
  /** The proposal's purpose (outcomes are linked to it). */
  purpose: string | null;
  policy: AccountabilityPolicy;
  /** 'call': the call's policy at the award; 'stage-default': no call policy (only the idle rule applies). */
  policySource?: 'call' | 'stage-default';
  startDate: string;
  endDate: string;
  /** The whole award, every tranche, per resource (mc). */
  committedMc: Record<string, Mc>;
  reports: ReportObligation[];
  tranches: Tranche[];
  hold?: Hold;
  idle: IdleState;
  plan?: BurnPlan;
  createdAt: string;
  updatedAt: string;
}

export const RECLAIM_STATES = ['proposed', 'answered', 'applied', 'rejected', 'withdrawn'] as const;
export type ReclaimState = (typeof RECLAIM_STATES)[number];

export interface ReclaimProposal {
  reclaimId: string;
  allocationId: string;
  callId: string | null;
  state: ReclaimState;
  mode: 'chair' | 'automatic';
  /** Proposed per resource, mc. */
  proposedMc: Record<string, Mc>;
  /** Applied per resource (the chair may lower it), mc. */
  appliedMc?: Record<string, Mc>;
  explanation: Explanation;
  proposedAt: string;
  /** An automatic proposal is applied at this instant unless the PI answers. */
  applyAfter?: string;
  response?: { reason: string; by: string; at: string };
  decision?: { outcome: 'confirm' | 'reject'; by: string; at: string; comment: string; automatic: boolean };
}

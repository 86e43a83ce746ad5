// Key builders for the main table: every pk/sk/gsi value is made here, from one prefix map, so
// access patterns are designed in one place and no handler concatenates keys by hand.
// The patterns each key serves are listed in README.md ("Data design").

export const PREFIX = {
  call: 'CALL',
  proposal: 'PROP',
  allocation: 'ALLOC',
  ledger: 'LE',
  usage: 'USAGE',
  job: 'JOB',
  idempotency: 'IDEMP',
  site: 'SITE',
  owner: 'OWNER',
  reviewer: 'REVIEWER',
  member: 'MEMBER',
  state: 'STATE',
  plan: 'PLAN',
  export: 'EXPORT',
  connector: 'CONNECTOR',
} as const;

export interface ItemKey {
  pk: string;
  sk: string;
}

/** The audit stream (hash chain) of a subject: one chain per subject. */
export function auditStream(type: string, id: string): string {
  return `${type}/${id}`;
}

export const gsi = {
  memberOf: (sub: string) => `${PREFIX.member}#${sub}`,
  allocationsInState: (state: string) => `ALLOCSTATE#${state}`,
  allAllocations: 'ALLOCATIONS',
};

export const keys = {
  allocation: (id: string): ItemKey => ({ pk: `${PREFIX.allocation}#${id}`, sk: PREFIX.allocation }),
  /** Ledger entries live in their allocation's partition; entry ids are ULIDs, so sk order is time order. */
  ledgerEntry: (allocationId: string, entryId: string): ItemKey => ({ pk: `${PREFIX.allocation}#${allocationId}`, sk: `${PREFIX.ledger}#${entryId}` }),
  ledgerPrefix: (allocationId: string) => ({ pk: `${PREFIX.allocation}#${allocationId}`, skPrefix: `${PREFIX.ledger}#` }),
  /** One item per job: what it has been charged so far (the idempotency record of usage). */
  jobUsage: (siteId: string, cluster: string, jobId: string): ItemKey => ({ pk: `${PREFIX.usage}#${siteId}#${cluster}#${jobId}`, sk: PREFIX.usage }),
  /** Membership index: lets a member find the allocations they belong to (gsi1: MEMBER#sub). */
  allocationMember: (allocationId: string, sub: string): ItemKey => ({ pk: `${PREFIX.allocation}#${allocationId}`, sk: `${PREFIX.member}#${sub}` }),
  /** Scheduler account → allocation and resource (usage reports name the account). */
  schedulerAccount: (siteId: string, account: string): ItemKey => ({ pk: `ACCOUNT#${siteId}#${account}`, sk: 'ACCOUNT' }),
  idempotency: (scope: string, sub: string, key: string): ItemKey => ({ pk: `${PREFIX.idempotency}#${scope}#${sub}#${key}`, sk: PREFIX.idempotency }),
  site: (siteId: string): ItemKey => ({ pk: `${PREFIX.site}#${siteId}`, sk: PREFIX.site }),
  /** A site's latest queue snapshot per resource, written by its connector: {queue: {resourceKey: {pendingJobs, estimatedWaitHours}}, updatedAt}. */
  siteStatus: (siteId: string): ItemKey => ({ pk: `${PREFIX.site}#${siteId}`, sk: 'STATUS' }),
  /** A call's stored award plans (pk per call; sk per plan, ULID ids so newest sorts last). */
  awardPlan: (callId: string, planId: string): ItemKey => ({ pk: `${PREFIX.plan}#${callId}`, sk: `${PREFIX.plan}#${planId}` }),
  awardPlansOf: (callId: string) => `${PREFIX.plan}#${callId}`,
  /** A catalogue dataset (data hub): where it lives. */
  dataset: (datasetId: string): ItemKey => ({ pk: `DATASET#${datasetId}`, sk: 'DATASET' }),
};

// ---- approval (calls, proposals, reviews, decisions) -----------------------------------------
// Calls: CALL#id/CALL, listed by gsi1 "CALLS" (gsi1sk = closesAt#id, so open calls are a range).
// Proposals: PROP#id/PROP; a researcher's by gsi1 OWNER#sub; by state by gsi2 PROPSTATE#state
// (gsi2sk = callId#submittedAt#id). Assignments, decisions and declared conflicts live in their
// proposal's partition; a reviewer's assignments by gsi1 ASSIGNED#sub. One load counter per reviewer.
const pad2 = (n: number) => String(n).padStart(2, '0');

export const approvalGsi = {
  allCalls: 'CALLS',
  proposalsOf: (sub: string) => `${PREFIX.owner}#${sub}`,
  proposalsInState: (state: string) => `PROPSTATE#${state}`,
  assignmentsOf: (sub: string) => `ASSIGNED#${sub}`,
};

export const approvalKeys = {
  call: (id: string): ItemKey => ({ pk: `${PREFIX.call}#${id}`, sk: PREFIX.call }),
  proposal: (id: string): ItemKey => ({ pk: `${PREFIX.proposal}#${id}`, sk: PREFIX.proposal }),
  /** One reviewer's turn on one review slot of one round; seq grows when the slot is handed to someone else. */
  assignment: (proposalId: string, round: number, slot: number, seq: number): ItemKey => ({ pk: `${PREFIX.proposal}#${proposalId}`, sk: `ASSIGN#${pad2(round)}#${pad2(slot)}#${pad2(seq)}` }),
  /** Prefix of a proposal's assignments: all, one round's, or one slot's. */
  assignmentPrefix: (proposalId: string, round?: number, slot?: number) => ({
    pk: `${PREFIX.proposal}#${proposalId}`,
    skPrefix: `ASSIGN#${round === undefined ? '' : `${pad2(round)}#${slot === undefined ? '' : `${pad2(slot)}#`}`}`,
  }),
  /** The committee decision of one round (holds the chair's task token while it waits). */
  decision: (proposalId: string, round: number): ItemKey => ({ pk: `${PREFIX.proposal}#${proposalId}`, sk: `DECISION#${pad2(round)}` }),
  /** A conflict of interest someone declared on a proposal. */
  conflict: (proposalId: string, sub: string): ItemKey => ({ pk: `${PREFIX.proposal}#${proposalId}`, sk: `CONFLICT#${sub}` }),
  conflictPrefix: (proposalId: string) => ({ pk: `${PREFIX.proposal}#${proposalId}`, skPrefix: 'CONFLICT#' }),
  /** Open assignments of one reviewer, across calls (the "current load"). */
  reviewerLoad: (sub: string): ItemKey => ({ pk: `${PREFIX.reviewer}#${sub}`, sk: 'LOAD' }),
  /** The researcher's one starter allocation (which proposal holds it). */
  starterHolder: (sub: string): ItemKey => ({ pk: `${PREFIX.owner}#${sub}`, sk: 'STARTER' }),
};
// ---- end approval ----

// ---- connectors (provisioning, job dispatch, usage collection, reconciliation) ---------------
// Jobs dispatched through KAIRR live in their allocation's partition (JOB#<jobId>; job ids are
// ULIDs, so sk order is dispatch order). An Idempotency-Key of a dispatch points at its job.
// Each site's connector state (usage watermark, last reconciler run) is one item per concern.
export const connectorKeys = {
  job: (allocationId: string, jobId: string): ItemKey => ({ pk: `${PREFIX.allocation}#${allocationId}`, sk: `${PREFIX.job}#${jobId}` }),
  jobPrefix: (allocationId: string) => ({ pk: `${PREFIX.allocation}#${allocationId}`, skPrefix: `${PREFIX.job}#` }),
  dispatchKey: (allocationId: string, sub: string, key: string): ItemKey => keys.idempotency(`jobs:${allocationId}`, sub, key),
  usageWatermark: (siteId: string): ItemKey => ({ pk: `${PREFIX.connector}#${siteId}`, sk: 'USAGE' }),
  reconcileRun: (siteId: string): ItemKey => ({ pk: `${PREFIX.connector}#${siteId}`, sk: 'RECONCILE' }),
  /** One accounting writer at a time per site (connectors/accounting-lease.ts); not audited, expires by itself. */
  accountingLease: (siteId: string): ItemKey => ({ pk: `${PREFIX.connector}#${siteId}`, sk: 'ACCOUNTING_LEASE' }),
};
// ---- end connectors ----

// ---- accountability (reports, tranches, holds, idle credits, the public record) --------------
// One record per allocation in the allocation's partition (ALLOC#id / ACCT), beside its report
// versions, outcomes, reclaim proposals and public listing (sk ACCT#...). A call's accountability
// policy lives in the call's partition. Sparse indexes:
//   gsi1 ACCT-TIMER   / <nextActionAt>#<allocationId>  records with a reminder, hold or automatic
//                                                      return due: the daily job reads only those due
//   gsi2 ACCT-WATCH   / <allocationId>                 records the idle rule is watching (behind plan,
//                                                      warned, a return proposed) or with the PI's plan
//   gsi1 PUBLIC-AWARDS / <startDate>#<allocationId>     listed awards, newest first (the public record);
//        PUBLIC-UNLISTED / ...                          the others (counted in the aggregates, never shown)
//   gsi2 PUBLIC-CALL#<callId> / <startDate>#<allocationId>  the same, one call's
//   gsi1 ACCT-POLICIES / <callId>                       every call's accountability policy (the idle scan's rules)
// The public aggregates are one item per call (and one over all calls), rewritten by the daily job.
const pad3 = (n: number) => String(n).padStart(3, '0');

export const accountabilityGsi = {
  timers: 'ACCT-TIMER',
  watch: 'ACCT-WATCH',
  policies: 'ACCT-POLICIES',
  publicAwards: 'PUBLIC-AWARDS',
  unlistedAwards: 'PUBLIC-UNLISTED',
  publicAwardsOfCall: (callId: string) => `PUBLIC-CALL#${callId}`,
};

export const accountabilityKeys = {
  callPolicy: (callId: string): ItemKey => ({ pk: `${PREFIX.call}#${callId}`, sk: 'ACCOUNTABILITY' }),
  record: (allocationId: string): ItemKey => ({ pk: `${PREFIX.allocation}#${allocationId}`, sk: 'ACCT' }),
  /** One immutable item per submission of a report (versions 1, 2, ... after returns). */
  reportVersion: (allocationId: string, reportId: string, version: number): ItemKey => ({ pk: `${PREFIX.allocation}#${allocationId}`, sk: `ACCT#REPORT#${reportId}#${pad3(version)}` }),
  reportVersionPrefix: (allocationId: string, reportId?: string) => ({ pk: `${PREFIX.allocation}#${allocationId}`, skPrefix: `ACCT#REPORT#${reportId === undefined ? '' : `${reportId}#`}` }),
  /** An outcome, by its identity (a DOI, a catalogue id...), so the same one listed twice is one item. */
  outcome: (allocationId: string, outcomeKey: string): ItemKey => ({ pk: `${PREFIX.allocation}#${allocationId}`, sk: `ACCT#OUTCOME#${outcomeKey}` }),
  outcomePrefix: (allocationId: string) => ({ pk: `${PREFIX.allocation}#${allocationId}`, skPrefix: 'ACCT#OUTCOME#' }),
  reclaim: (allocationId: string, reclaimId: string): ItemKey => ({ pk: `${PREFIX.allocation}#${allocationId}`, sk: `ACCT#RECLAIM#${reclaimId}` }),
  reclaimPrefix: (allocationId: string) => ({ pk: `${PREFIX.allocation}#${allocationId}`, skPrefix: 'ACCT#RECLAIM#' }),
  /** What the public record shows of the award, and the PI's listing preferences. */
  listing: (allocationId: string): ItemKey => ({ pk: `${PREFIX.allocation}#${allocationId}`, sk: 'ACCT#PUBLIC' }),
  publicStats: (callId: string | null): ItemKey => ({ pk: 'PUBLIC-STATS', sk: callId ?? 'ALL' }),
};
// ---- end accountability ----

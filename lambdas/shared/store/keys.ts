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

// ---- datahub (datasets, models, versions, manifests, locations, uploads, the search index) ------
// An artifact's partition holds the artifact (ART), its versions (VER#<padded version>, so key
// order is version order), their locations (LOC#...), uploads (UPL#...), one index item per
// steward (STEWARD#sub, gsi1 DHSTEWARD#sub) and its search-index state (INDEX). A version's files
// live in a partition of their own (DHMAN#id#version, sk F#<path>): path order, paged reads, and
// 200,000 files never crowd the artifact's partition. Versions in curation review are on gsi2
// (DHVSTATE#curation-review). The search index (docs/datahub.md, "Search"): one posting item per
// term and chunk of 1,000 document numbers (DHIX#kind#term / chunk; number sets d and s), one
// summary item per document (DHDOC#kind#docNo) and a document counter per kind (DHSEQ#kind).
const dhVersion = (v: string) => v.split('.').map((n) => n.padStart(6, '0')).join('.');

export const datahubKeys = {
  artifact: (id: string): ItemKey => ({ pk: `DHART#${id}`, sk: 'ART' }),
  version: (id: string, version: string): ItemKey => ({ pk: `DHART#${id}`, sk: `VER#${dhVersion(version)}` }),
  versionPrefix: (id: string) => ({ pk: `DHART#${id}`, skPrefix: 'VER#' }),
  location: (id: string, version: string, locationId: string): ItemKey => ({ pk: `DHART#${id}`, sk: `LOC#${dhVersion(version)}#${locationId}` }),
  locationPrefix: (id: string, version: string) => ({ pk: `DHART#${id}`, skPrefix: `LOC#${dhVersion(version)}#` }),
  upload: (id: string, version: string, uploadId: string): ItemKey => ({ pk: `DHART#${id}`, sk: `UPL#${dhVersion(version)}#${uploadId}` }),
  uploadPrefix: (id: string, version: string) => ({ pk: `DHART#${id}`, skPrefix: `UPL#${dhVersion(version)}#` }),
  steward: (id: string, sub: string): ItemKey => ({ pk: `DHART#${id}`, sk: `STEWARD#${sub}` }),
  indexState: (id: string): ItemKey => ({ pk: `DHART#${id}`, sk: 'INDEX' }),
  manifestFile: (id: string, version: string, path: string): ItemKey => ({ pk: `DHMAN#${id}#${version}`, sk: `F#${path}` }),
  manifestPrefix: (id: string, version: string) => ({ pk: `DHMAN#${id}#${version}`, skPrefix: 'F#' }),
  posting: (kind: string, term: string, chunk: number): ItemKey => ({ pk: `DHIX#${kind}#${term}`, sk: String(chunk).padStart(6, '0') }),
  postingPartition: (kind: string, term: string) => `DHIX#${kind}#${term}`,
  searchDoc: (kind: string, docNo: number): ItemKey => ({ pk: `DHDOC#${kind}#${docNo}`, sk: 'DOC' }),
  docCounter: (kind: string): ItemKey => ({ pk: `DHSEQ#${kind}`, sk: 'SEQ' }),
};

export const datahubGsi = {
  stewardOf: (sub: string) => `DHSTEWARD#${sub}`,
  versionsInState: (state: string) => `DHVSTATE#${state}`,
};
// ---- end datahub ----

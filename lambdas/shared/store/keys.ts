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

// ---- lineage (OpenLineage run events and the graph built from them) -------------------------
// One item per node (LINEAGE#<nodeId>/NODE) holding its neighbours as two string sets, `up` and
// `down`, so a query reads a whole frontier with BatchGetItem (100 nodes a request) instead of
// one Query per node. A node with more neighbours than an item should hold keeps the rest as edge
// items in its own partition (UP#<id> / DOWN#<id>) and a flag on the node item, read with a Query
// only for such hubs. The events themselves: LINEAGE#RUN#<runId>/EVENT#<eventTime>#<eventType>.
export const lineageKeys = {
  node: (nodeId: string): ItemKey => ({ pk: `LINEAGE#${nodeId}`, sk: 'NODE' }),
  edge: (nodeId: string, direction: 'up' | 'down', neighbour: string): ItemKey => ({ pk: `LINEAGE#${nodeId}`, sk: `${direction.toUpperCase()}#${neighbour}` }),
  edgePrefix: (nodeId: string, direction: 'up' | 'down') => ({ pk: `LINEAGE#${nodeId}`, skPrefix: `${direction.toUpperCase()}#` }),
  event: (runId: string, eventTime: string, eventType: string): ItemKey => ({ pk: `LINEAGE#RUN#${runId}`, sk: `EVENT#${eventTime}#${eventType}` }),
  eventsOf: (runId: string) => ({ pk: `LINEAGE#RUN#${runId}`, skPrefix: 'EVENT#' }),
};
// ---- end lineage ----
// ---- people (programmes, enrolment, certificates, internships, mentoring, role grants) ------
// Courses COURSE#id/COURSE: published ones by gsi1 PPLCOURSES, all by gsi2 PPLCOURSESTATE#status.
// Instances CINST#id/CINST by course (gsi1 PPLINST#courseId, sk startDate); each instance's
// partition also holds its seat counter (SEATS) and its waitlist in ticket order (WAIT#ticket),
// read with consistent queries. Enrolments ENROL#id/ENROL (id = hash of instance and person):
// a learner's by gsi1, an instance's roster by gsi2 (sk state#ticket). Grants are KAIRR items,
// one per (role, scope, person). The org directory item (PPLORG#id) is the interim org record
// OrgDirectory reads until the trust capability's registry lands (lambdas/people/org-directory.ts).
const pad10 = (n: number) => String(n).padStart(10, '0');

export const peopleGsi = {
  publishedCourses: 'PPLCOURSES',
  coursesInState: (status: string) => `PPLCOURSESTATE#${status}`,
  instancesOf: (courseId: string) => `PPLINST#${courseId}`,
  enrolmentsOf: (sub: string) => `PPLENROLOF#${sub}`,
  roster: (instanceId: string) => `PPLROSTER#${instanceId}`,
  grantsOf: (sub: string) => `PPLGRANTOF#${sub}`,
  grantsOn: (scopeType: string, scopeId: string) => `PPLGRANTON#${scopeType}#${scopeId}`,
  internships: 'PPLINTERNSHIPS',
  internshipsOfHost: (orgId: string) => `PPLINTERNHOST#${orgId}`,
  applicationsOf: (sub: string) => `PPLAPPOF#${sub}`,
  applicationsTo: (internshipId: string) => `PPLAPPTO#${internshipId}`,
  mentors: 'PPLMENTORS',
  menteeRequestsOf: (sub: string) => `PPLMREQOF#${sub}`,
  matchesOfMentee: (sub: string) => `PPLMATCHMENTEE#${sub}`,
  matchesOfMentor: (sub: string) => `PPLMATCHMENTOR#${sub}`,
};

export const peopleKeys = {
  org: (orgId: string): ItemKey => ({ pk: `PPLORG#${orgId}`, sk: 'ORG' }),
  affiliation: (sub: string): ItemKey => ({ pk: `PPLAFFIL#${sub}`, sk: 'AFFIL' }),
  course: (id: string): ItemKey => ({ pk: `COURSE#${id}`, sk: 'COURSE' }),
  instance: (id: string): ItemKey => ({ pk: `CINST#${id}`, sk: 'CINST' }),
  /** The instance's seat counter: capacity, enrolled, waiting, nextTicket (changed with ADD, never read-modify-written). */
  seats: (instanceId: string): ItemKey => ({ pk: `CINST#${instanceId}`, sk: 'SEATS' }),
  waitEntry: (instanceId: string, ticket: number): ItemKey => ({ pk: `CINST#${instanceId}`, sk: `WAIT#${pad10(ticket)}` }),
  waitPrefix: (instanceId: string) => ({ pk: `CINST#${instanceId}`, skPrefix: 'WAIT#' }),
  enrolment: (id: string): ItemKey => ({ pk: `ENROL#${id}`, sk: 'ENROL' }),
  certificate: (id: string): ItemKey => ({ pk: `CERT#${id}`, sk: 'CERT' }),
  /** One item per qualifying course a person completed: qualifiesForStarter(sub) reads the partition. */
  starterQualification: (sub: string, courseId: string): ItemKey => ({ pk: `PPLSTARTER#${sub}`, sk: `COURSE#${courseId}` }),
  starterQualificationsOf: (sub: string) => `PPLSTARTER#${sub}`,
  grant: (id: string): ItemKey => ({ pk: `PPLGRANT#${id}`, sk: 'GRANT' }),
  internship: (id: string): ItemKey => ({ pk: `INTERN#${id}`, sk: 'INTERN' }),
  /** The posting's selection counter: places, selected. */
  internshipPlaces: (id: string): ItemKey => ({ pk: `INTERN#${id}`, sk: 'PLACES' }),
  application: (id: string): ItemKey => ({ pk: `INTERNAPP#${id}`, sk: 'APP' }),
  mentor: (sub: string): ItemKey => ({ pk: `MENTOR#${sub}`, sk: 'MENTOR' }),
  menteeRequest: (id: string): ItemKey => ({ pk: `MREQ#${id}`, sk: 'MREQ' }),
  match: (id: string): ItemKey => ({ pk: `MATCH#${id}`, sk: 'MATCH' }),
  ticketOrder: pad10,
};
// ---- end people ----
// ---- identity (organisation registry, people: KAIRR role assignments, affiliations, links) ----
// An org: ORG#id/ORG, listed by gsi1 "ORGS" (gsi1sk = English name#id). One match item per e-mail
// domain, home organisation and entity id (ORGMATCH#kind#value), written with the org in one
// transaction and conditioned on not existing, so two orgs can never claim the same domain. A
// person: PERSON#sub/PERSON (roles KAIRR assigns, an admin-recorded affiliation, or a link to
// another subject: aliasOf); listed by gsi1 "PEOPLE".
export const identityGsi = {
  allOrgs: 'ORGS',
  allPeople: 'PEOPLE',
};

export const identityKeys = {
  org: (orgId: string): ItemKey => ({ pk: `ORG#${orgId}`, sk: 'ORG' }),
  orgMatch: (kind: string, value: string): ItemKey => ({ pk: `ORGMATCH#${kind}#${value}`, sk: 'ORGMATCH' }),
  person: (sub: string): ItemKey => ({ pk: `PERSON#${sub}`, sk: 'PERSON' }),
};
// ---- end identity ----
// ---- site accounts, dispatch holds, parked usage ------------------------------------------------
// A person's login at a site: SITEACCT#<site>#<sub>/SITEACCT (an audited subject), listed per site
// and state by gsi1 (SITEACCTS#<site> / <state>#<requestedAt>#<sub>). The username guard
// SITEUSER#<site>#<username> makes a login belong to one person only (written in the same
// transaction as the account). Dispatch holds: one counter per allocation and resource in the
// allocation's partition; once a job has a scheduler id, its remaining hold sits beside the job's
// usage item, where ingestion reads it in the same round trip. Parked usage: reports the ledger
// refused, per site, until an operator replays them.
export const siteAccountGsi = {
  ofSite: (siteId: string) => `SITEACCTS#${siteId}`,
  sortKey: (state: string, requestedAt: string, sub: string) => `${state}#${requestedAt}#${sub}`,
};

export const trustKeys = {
  siteAccount: (siteId: string, sub: string): ItemKey => ({ pk: `SITEACCT#${siteId}#${sub}`, sk: 'SITEACCT' }),
  siteUsername: (siteId: string, username: string): ItemKey => ({ pk: `SITEUSER#${siteId}#${username}`, sk: 'SITEUSER' }),
  /** Credits held by an allocation's jobs in flight on one resource (a counter, not audited on its own). */
  dispatchHold: (allocationId: string, resourceKey: string): ItemKey => ({ pk: `${PREFIX.allocation}#${allocationId}`, sk: `HOLD#${resourceKey}` }),
  /** The remaining hold of one submitted job, keyed like its usage (keys.jobUsage). */
  jobHold: (siteId: string, cluster: string, jobId: string): ItemKey => ({ pk: `${PREFIX.usage}#${siteId}#${cluster}#${jobId}`, sk: 'HOLD' }),
  parkedUsage: (siteId: string, cluster: string, jobId: string): ItemKey => ({ pk: `PARKED#${siteId}`, sk: `${cluster}#${jobId}` }),
  parkedUsagePrefix: (siteId: string) => `PARKED#${siteId}`,
  /** A refused attempt to choose a scheduler user (or another trust rule), audited as a subject of its own. */
  refusal: (id: string): ItemKey => ({ pk: `REFUSAL#${id}`, sk: 'REFUSAL' }),
};
// ---- end site accounts, dispatch holds, parked usage ----
// ---- datahub (datasets, models, versions, manifests, locations, uploads, the search index) ------
// An artifact's partition holds the artifact (ART), its versions (VER#<padded version>, so key
// order is version order), their locations (LOC#...), uploads (UPL#...), one index item per
// steward (STEWARD#sub, gsi1 DHSTEWARD#sub) and its search-index state (INDEX). A version's files
// live in a partition of their own (DHMAN#id#version, sk F#<path>): path order, paged reads, and
// 200,000 files never crowd the artifact's partition. Versions in curation review are on gsi2
// (DHVSTATE#curation-review). The search index (docs/datahub.md, "Search"): one posting item per
// term and chunk of 1,000 document numbers (DHIX#kind#term / chunk; number sets d and s), one
// summary item per document (DHDOC#kind#docNo) and a document counter per kind (DHSEQ#kind).
const dhVersion = (v: string) =>
  v
    .split('.')
    .map((n) => n.padStart(6, '0'))
    .join('.');

export const datahubKeys = {
  artifact: (id: string): ItemKey => ({ pk: `DHART#${id}`, sk: 'ART' }),
  version: (id: string, version: string): ItemKey => ({ pk: `DHART#${id}`, sk: `VER#${dhVersion(version)}` }),
  versionPrefix: (id: string) => ({ pk: `DHART#${id}`, skPrefix: 'VER#' }),
  location: (id: string, version: string, locationId: string): ItemKey => ({ pk: `DHART#${id}`, sk: `LOC#${dhVersion(version)}#${locationId}` }),
  locationPrefix: (id: string, version: string) => ({ pk: `DHART#${id}`, skPrefix: `LOC#${dhVersion(version)}#` }),
  /** Every location of every version of an artifact (one Query of its partition). */
  allLocationsPrefix: (id: string) => ({ pk: `DHART#${id}`, skPrefix: 'LOC#' }),
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
  // a verification job of one site location (docs/datahub.md, "Verification at the sites"): one
  // partition per location, so its verifications (and whether one still runs) are one Query
  verification: (id: string, version: string, locationId: string, verificationId: string): ItemKey => ({ pk: `DHVERIFY#${id}@${version}#${locationId}`, sk: `VFY#${verificationId}` }),
  verificationPrefix: (id: string, version: string, locationId: string) => ({ pk: `DHVERIFY#${id}@${version}#${locationId}`, skPrefix: 'VFY#' }),
  // access applications (gsi1 DHAPPS#datasetId: the committee's queue by state and date; gsi2
  // DHAPPLICANT#sub), permits (gsi1 DHDSPERMITS#datasetId, gsi2 DHSITEPERMITS#siteId, both by end),
  // one permit index item per (user, dataset, site) so a caller's permit for a dataset is one
  // Query, and one read-audit subject per dataset (reads of restricted locations and downloads)
  application: (appId: string): ItemKey => ({ pk: `DHAPP#${appId}`, sk: 'APP' }),
  permit: (permitId: string): ItemKey => ({ pk: `DHPERMIT#${permitId}`, sk: 'PERMIT' }),
  permitIndex: (sub: string, datasetId: string, siteId: string, end: string, permitId: string): ItemKey => ({ pk: `DHPERMITS#${sub}`, sk: `P#${datasetId}#${siteId}#${end}#${permitId}` }),
  permitIndexPrefix: (sub: string, datasetId?: string) => ({ pk: `DHPERMITS#${sub}`, skPrefix: datasetId ? `P#${datasetId}#` : 'P#' }),
  readAudit: (datasetId: string): ItemKey => ({ pk: `DHACCESS#${datasetId}`, sk: 'ACCESS' }),
};

export const datahubGsi = {
  stewardOf: (sub: string) => `DHSTEWARD#${sub}`,
  versionsInState: (state: string) => `DHVSTATE#${state}`,
  /** gsi2: verification jobs still running at a site, so whatever learns that jobs ended there settles them. */
  verificationsRunningAt: (siteId: string) => `DHVERIFYING#${siteId}`,
  applicationsOf: (datasetId: string) => `DHAPPS#${datasetId}`,
  applicationsBy: (sub: string) => `DHAPPLICANT#${sub}`,
  permitsOfDataset: (datasetId: string) => `DHDSPERMITS#${datasetId}`,
  permitsAtSite: (siteId: string) => `DHSITEPERMITS#${siteId}`,
};
// ---- end datahub ----
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
// ---- pipelines (pipeline runs and their declared stages) -------------------------------------
// A pipeline's partition holds the pipeline item (PIPE: its plan, each stage's run, the state, the
// doorbell's version and task token: everything the flow changes, so one audited item serialises
// every writer of one pipeline) and one item per declared stage (STAGE#<stageId>: the stage as
// submitted, scripts included; written once on create and never changed), so the flow's Plan reads
// one small item and the read API one Query. The doorbell (DOORBELL) holds the waiting flow's task
// token outside the audited item, so a flow that waits every few seconds adds no audit events. gsi1: an owner's pipelines newest first; gsi2: every
// pipeline newest first (admins).
export const pipelineKeys = {
  pipeline: (id: string): ItemKey => ({ pk: `PIPE#${id}`, sk: 'PIPE' }),
  stage: (id: string, stageId: string): ItemKey => ({ pk: `PIPE#${id}`, sk: `STAGE#${stageId}` }),
  partition: (id: string) => `PIPE#${id}`,
  stagePrefix: (id: string) => ({ pk: `PIPE#${id}`, skPrefix: 'STAGE#' }),
  /** The waiting flow's task token and the pipeline version it waits on: not audited (a token is no fact about the pipeline). */
  doorbell: (id: string): ItemKey => ({ pk: `PIPE#${id}`, sk: 'DOORBELL' }),
  /** A running stage's job the site's stage watcher looks out for (gsi1 `waitingAt(site)`): not audited, removed once its end is recorded. */
  watch: (id: string, stageId: string): ItemKey => ({ pk: `PIPE#${id}`, sk: `WATCH#${stageId}` }),
  /** When a site's stage watcher last ran: Plan waits long only while every site it waits on is watched. */
  watcher: (siteId: string): ItemKey => ({ pk: `PIPEWATCHER#${siteId}`, sk: 'WATCHER' }),
};
export const pipelineGsi = {
  ownedBy: (sub: string) => `PIPEOWNER#${sub}`,
  all: 'PIPELINES',
  /** gsi1: the stages waiting on a job at a site (sk `<pipelineId>#<stageId>`): the watcher's one Query. */
  waitingAt: (siteId: string) => `PIPEWAIT#${siteId}`,
};
// ---- end pipelines ----

// The allocation and ledger model shared by the approval flow (which creates allocations), the
// ledger (which moves credits) and the connectors (which provision and report usage).
// Plain data: the store modules persist exactly these shapes.
import type { Mc } from './money';
import type { AutoApproved } from './self-service';

export const ALLOCATION_STATES = ['pending-provisioning', 'active', 'exhausted', 'expired', 'suspended', 'provisioning-failed', 'closed'] as const;
export type AllocationState = (typeof ALLOCATION_STATES)[number];

/** States in which the scheduler lets the allocation's members run jobs. */
export const RUNNABLE_STATES: readonly AllocationState[] = ['active'];

export const ENTRY_KINDS = [
  'award',
  'supplement',
  'usage',
  'adjustment',
  'refund',
  'exchange-out',
  'exchange-in',
  'expiry',
  // ---- accountability ----
  // a later tranche of an award released (+), and idle credits returned to the call (-)
  'tranche',
  'reclaim',
  // ---- end accountability ----
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface ResourceAccount {
  /** Credits awarded (award + supplements), mc. */
  awardedMc: Mc;
  /** The spendable balance: the sum of this resource's non-over-limit entries, mc. */
  balanceMc: Mc;
  /** Usage charged against the balance so far (positive), mc. */
  usedMc: Mc;
  /** Usage that did not fit and was recorded over the limit (positive), mc. */
  overLimitMc: Mc;
  /** No credits left to run on: set when a debit did not fit (or the balance reached the floor); cleared by new credits. */
  exhausted: boolean;
}

export interface Member {
  sub: string;
  /**
   * LEGACY: the scheduler user name a requester typed before site accounts existed. Never used to
   * run anything: logins are site accounts (domain/site-accounts.ts), which only the site creates.
   * Read only by the migration (connectors/site-accounts/migrate.ts).
   */
  username?: string;
  role: 'pi' | 'member';
  addedAt: string;
}

export interface Allocation {
  id: string;
  state: AllocationState;
  /** Why the state is what it is (e.g. the provisioning error), when that matters. */
  stateReason?: string;
  title: string;
  piSub: string;
  institution: string;
  orgType: string;
  /** The PI's organisation in the registry (identity): a chair of it is conflicted on the allocation's requests. */
  orgId?: string;
  field: string;
  proposalId: string | null;
  callId: string | null;
  tier: string | null;
  startDate: string;
  endDate: string;
  members: Member[];
  /** By resource key ("spc/h200"). */
  resources: Record<string, ResourceAccount>;
  /** Scheduler account per resource key, once provisioned. */
  schedulerAccounts: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** Bumped by every ledger entry; used to order and count entries. */
  entryCount: number;
  /** What was approved automatically in the current period (self-service.ts); absent before the first. */
  autoApproved?: AutoApproved;
}

export interface JobCharge {
  siteId: string;
  cluster: string;
  jobId: string;
  /** Change of this job's charge in this entry (positive = more usage). */
  deltaMc: Mc;
  /** The job's total charge after this entry. */
  totalMc: Mc;
  rev: number;
}

export interface LedgerEntry {
  entryId: string;
  allocationId: string;
  kind: EntryKind;
  resource: string;
  /** Signed: + adds to the balance (award, supplement, refund, exchange-in), - takes from it. */
  amountMc: Mc;
  /** A usage entry that did not fit: it is counted in overLimitMc, not in the balance. */
  overLimit: boolean;
  time: string;
  actor: { sub: string; role: string };
  reason: string | null;
  /** The request, proposal or batch this entry belongs to. */
  ref: string | null;
  /** For usage entries: the jobs and how each one's charge changed. */
  jobs?: JobCharge[];
  /** For exchanges: the other side's resource. */
  counterpart?: string;
  /** The allocation's audit seq this entry was written with (entries up to an item's seq are its ledger). */
  allocSeq?: number;
}

/** One job's charge so far, kept for idempotency: a report is charged only by its difference. */
export interface JobUsageState {
  siteId: string;
  cluster: string;
  jobId: string;
  allocationId: string;
  resource: string;
  /** Total charged so far, split by where it went. */
  balanceMc: Mc;
  overLimitMc: Mc;
  rev: number;
  /** The latest report's figures. */
  gpus: number;
  elapsedSeconds: number;
  start: string;
  end: string | null;
  user: string;
  account: string;
  rate: number;
  updatedAt: string;
  /** The allocation's audit seq of the commit that last changed this job's charge. */
  allocSeq?: number;
}

export function emptyAccount(): ResourceAccount {
  return { awardedMc: 0, balanceMc: 0, usedMc: 0, overLimitMc: 0, exhausted: false };
}

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
};

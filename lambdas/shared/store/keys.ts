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

export const keys = {
  idempotency: (scope: string, sub: string, key: string): ItemKey => ({ pk: `${PREFIX.idempotency}#${scope}#${sub}#${key}`, sk: PREFIX.idempotency }),
  site: (siteId: string): ItemKey => ({ pk: `${PREFIX.site}#${siteId}`, sk: PREFIX.site }),
};

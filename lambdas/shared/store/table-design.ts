// The DynamoDB table design, stated once. The CDK tables construct builds the tables from it, the
// local runtime creates them from the synthesized template, and tests create them from it too.
// Access patterns and the reasoning are in README.md ("Data design").

export interface KeyAttr {
  name: string;
  type: 'S' | 'N';
}

export interface IndexDesign {
  indexName: string;
  partitionKey: KeyAttr;
  sortKey?: KeyAttr;
  /** ALL unless stated. */
  projection?: 'ALL' | 'KEYS_ONLY';
}

export interface TableDesign {
  /** Logical name; the env var that carries the physical name is TABLE_<logicalName upper-cased>. */
  logicalName: string;
  partitionKey: KeyAttr;
  sortKey?: KeyAttr;
  indexes: IndexDesign[];
  ttlAttribute?: string;
}

/**
 * Main: one table for every mutable entity (calls, proposals, reviews, allocations, usage records,
 * jobs, idempotency records, connector state). Keys come from keys.ts only.
 */
export const MAIN_TABLE: TableDesign = {
  logicalName: 'main',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: [
    // gsi1: "the things of an owner / in a collection, newest first" (e.g. a researcher's proposals,
    // a reviewer's assignments, a call's proposals, the open calls).
    { indexName: 'gsi1', partitionKey: { name: 'gsi1pk', type: 'S' }, sortKey: { name: 'gsi1sk', type: 'S' } },
    // gsi2: "the things in a state" (e.g. allocations by state for the expiry job, proposals by call and state).
    { indexName: 'gsi2', partitionKey: { name: 'gsi2pk', type: 'S' }, sortKey: { name: 'gsi2sk', type: 'S' } },
  ],
  ttlAttribute: 'ttl',
};

/**
 * Audit: append-only, hash-chained events. pk = stream (one chain per subject), sk = seq.
 * No Lambda role may update or delete these items (asserted by the infra tests).
 */
export const AUDIT_TABLE: TableDesign = {
  logicalName: 'audit',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'N' },
  indexes: [
    // byTime: events of a UTC day in time order (exports, GET /v1/audit/events with a time range).
    { indexName: 'byTime', partitionKey: { name: 'tpk', type: 'S' }, sortKey: { name: 'tsk', type: 'S' } },
    // byActor: what one person did, in time order.
    { indexName: 'byActor', partitionKey: { name: 'apk', type: 'S' }, sortKey: { name: 'tsk', type: 'S' } },
  ],
};

export const TABLES: TableDesign[] = [MAIN_TABLE, AUDIT_TABLE];

export function tableEnvName(design: TableDesign): string {
  return `TABLE_${design.logicalName.toUpperCase()}`;
}

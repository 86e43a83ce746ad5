// The ledger's face: all that other capabilities may use of allocations and their ledger. Re-exports
// only (no code of its own, no module-level work), so a bundle that imports one name from here
// carries what it did when it imported the module behind it (bench:bundles checks that).
export { allocationOf, commitLedger, getAllocation, getAllocationItem, mutateAllocation, newEntryId, type LedgerWrite } from './store';
export { canSee } from './views';
export { createAllocation } from './service';
// The usage-ingest contract, answered to the connectors' usage collector.
export type { IngestResult } from './ingest-result';
export { LedgerIngestEventSchema, LedgerIngestResponseSchema, type LedgerIngestEvent, type LedgerIngestResponse } from './contract';

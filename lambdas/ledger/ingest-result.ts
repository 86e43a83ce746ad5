// The outcome of one usage report, as the ledger answers the connectors (the usage-ingest contract).
// Its own module so that the parking of rejected reports (parked.ts) and ingest.ts, which parks,
// can both name it without importing each other.
import type { Rejection } from '../domain/ledger/validate-usage';
import type { UsageOutcome } from '../domain/ledger/usage';

export interface IngestResult {
  index: number;
  jobId: string;
  status: UsageOutcome | 'rejected' | 'failed';
  /** Credits this report added (or took back) for the job. */
  deltaCredits?: number;
  overLimit?: boolean;
  reason?: Rejection | { code: 'retry'; path: ''; problem: string };
}

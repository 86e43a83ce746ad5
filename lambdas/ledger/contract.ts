// The usage-ingest contract: what a connector sends when it invokes the ledger function directly
// (connectors/usage/ledger-client.ts) and what the ledger answers (ledger/handler.ts). One schema for
// both sides: the client parses its event before sending and the answer on return, the ledger
// parses the event before it reads or writes anything. The API route (api.ts) uses the same report
// and answer schemas, so a site posting usage and a connector invoking the ledger meet one shape.
import * as z from 'zod/mini';

export const UsageReportSchema = z.strictObject({
  cluster: z.string().check(z.minLength(1), z.maxLength(64)),
  jobId: z.string().check(z.minLength(1), z.maxLength(64)),
  account: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  allocationId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  resource: z.string().check(z.minLength(1), z.maxLength(64)),
  user: z.string().check(z.minLength(1), z.maxLength(64)),
  gpus: z.number().check(z.int()),
  start: z.iso.datetime({ offset: true }),
  end: z.optional(z.nullable(z.iso.datetime({ offset: true }))),
  elapsedSeconds: z.number().check(z.int()),
  /** KAIRR's dispatch id, for a job KAIRR dispatched (its Slurm job name is kairr.<dispatchId>): its hold is released as it is charged. */
  dispatchId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/))),
});

/**
 * Reports per direct invocation. The collector sends batches of 1,000 (connectors/usage/collect.ts
 * BATCH_SIZE), about 300 KB: well inside Lambda's 6 MB synchronous payload. The API allows 500.
 */
export const MAX_EVENT_RECORDS = 1000;

export const LedgerIngestEventSchema = z.strictObject({
  source: z.literal('kairr.connector'),
  action: z.literal('ingestUsage'),
  siteId: z.string().check(z.minLength(1), z.maxLength(64)),
  records: z.array(UsageReportSchema).check(z.minLength(1), z.maxLength(MAX_EVENT_RECORDS)),
  requestId: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

export const IngestResultSchema = z.object({
  index: z.number().check(z.int(), z.minimum(0)),
  jobId: z.string(),
  status: z.enum(['accepted', 'duplicate', 'corrected', 'rejected', 'failed']),
  deltaCredits: z.optional(z.number()),
  overLimit: z.optional(z.boolean()),
  reason: z.optional(z.object({ code: z.string(), path: z.string(), problem: z.string() })),
});

export const LedgerIngestResponseSchema = z.object({
  results: z.array(IngestResultSchema),
  summary: z.record(z.string(), z.number()),
});

export type LedgerIngestEvent = z.infer<typeof LedgerIngestEventSchema>;
export type LedgerIngestResponse = z.infer<typeof LedgerIngestResponseSchema>;

/** Whether an event is meant as a connector's usage batch (then it must match the contract, or is refused). */
export function isConnectorUsageEvent(e: unknown): boolean {
  return !!e && typeof e === 'object' && (e as { source?: unknown }).source === 'kairr.connector';
}

// Hands usage reports to the ledger, which alone writes charges: a direct, synchronous invocation
// of the ledger function ({source:'kairr.connector', action:'ingestUsage'}; the ledger grants the
// connectors' role lambda:InvokeFunction). Tests and the benchmark may route the same event to the
// ledger's handler in-process instead (useLedgerIngest); it is still the ledger that writes.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { requireEnv } from '../../shared/config';
import type { UsageReport } from '../../domain/ledger/validate-usage';
import type { IngestResult } from '../../ledger';

export interface LedgerIngestEvent {
  source: 'kairr.connector';
  action: 'ingestUsage';
  siteId: string;
  records: UsageReport[];
  requestId?: string;
}

export interface LedgerIngestResponse {
  results: IngestResult[];
  summary: Record<string, number>;
}

export type LedgerIngest = (event: LedgerIngestEvent) => Promise<LedgerIngestResponse>;

/** The ledger function's answer was an error (its FunctionError), or no answer at all. */
export class LedgerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerUnavailableError';
  }
}

let client: LambdaClient | undefined;
let override: LedgerIngest | undefined;

export function useLedgerIngest(f: LedgerIngest | undefined): void {
  override = f;
}

export async function ingestThroughLedger(event: LedgerIngestEvent): Promise<LedgerIngestResponse> {
  if (override) return override(event);
  client ??= new LambdaClient({ maxAttempts: 3 });
  const out = await client.send(new InvokeCommand({ FunctionName: requireEnv('LEDGER_FUNCTION_NAME'), InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }));
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) {
    let message = text;
    try {
      message = (JSON.parse(text) as { errorMessage?: string }).errorMessage ?? text;
    } catch {
      /* keep the raw text */
    }
    throw new LedgerUnavailableError(`the ledger refused the usage batch (${out.FunctionError}): ${message.slice(0, 300)}`);
  }
  const body = JSON.parse(text) as LedgerIngestResponse;
  if (!Array.isArray(body?.results)) throw new LedgerUnavailableError('the ledger answered without results');
  return body;
}

// Hands usage reports to the ledger, which alone writes charges: a direct, synchronous invocation
// of the ledger function ({source:'kairr.connector', action:'ingestUsage'}; the ledger grants the
// connectors' role lambda:InvokeFunction). Tests and the benchmark may route the same event to the
// ledger's handler in-process instead (useLedgerIngest); it is still the ledger that writes.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { requireEnv } from '../../shared/config';
import { issuesToDetails, parseEvent } from '../../shared/validation';
import { LedgerIngestEventSchema, LedgerIngestResponseSchema, type LedgerIngestEvent, type LedgerIngestResponse } from '../../ledger';

export type { LedgerIngestEvent, LedgerIngestResponse };

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
  // the same schema the ledger parses with: a bad batch fails here, naming the field, not over there
  const checked = parseEvent(LedgerIngestEventSchema, event, 'the usage batch for the ledger');
  if (override) return answerOf(await override(checked));
  client ??= new LambdaClient({ maxAttempts: 3 });
  const out = await client.send(new InvokeCommand({ FunctionName: requireEnv('LEDGER_FUNCTION_NAME'), InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(checked)) }));
  return readAnswer(out.Payload ? Buffer.from(out.Payload).toString('utf8') : '', out.FunctionError);
}

/** The ledger's answer to an invocation (its payload text, and FunctionError when it threw). */
export function readAnswer(text: string, functionError?: string): LedgerIngestResponse {
  if (functionError) {
    let message = text;
    try {
      message = (JSON.parse(text) as { errorMessage?: string }).errorMessage ?? text;
    } catch {
      /* keep the raw text */
    }
    throw new LedgerUnavailableError(`the ledger refused the usage batch (${functionError}): ${message.slice(0, 300)}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new LedgerUnavailableError(`the ledger answered with something that is not JSON: ${text.slice(0, 100)}`);
  }
  return answerOf(body);
}

function answerOf(body: unknown): LedgerIngestResponse {
  const res = LedgerIngestResponseSchema.safeParse(body);
  // an answer we cannot read is no answer: the collector keeps its watermark and sends the batch again
  if (!res.success)
    throw new LedgerUnavailableError(
      `the ledger's answer does not match the usage contract: ${issuesToDetails(res.error.issues)
        .slice(0, 3)
        .map((d) => `${d.path || '(answer)'} ${d.problem}`)
        .join('; ')}`,
    );
  return res.data;
}

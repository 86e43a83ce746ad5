// The Step Functions API's own rules for what callers send: ARNs, names, the execution input's
// size and JSON, task tokens, and paging (nextToken), with the errors AWS answers.
import type * as Sfn from '@aws-sdk/client-sfn';
import type { JsonValue } from './definition';
import { SfnApiError } from './errors';

export const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:\s]+$/;
export const EXECUTION_ARN = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:(execution|express):[^:\s]+:[^:\s]+$/;
// Step Functions names: 1-80 characters, none of whitespace, brackets, wildcards, these
// specials " # % \ ^ | ~ ` $ & , ; : / or control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: Step Functions names may not hold control characters; this refuses them
export const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/u;
const MAX_INPUT_BYTES = 256 * 1024;

export function parseExecutionInput(input: string): JsonValue {
  if (Buffer.byteLength(input, 'utf8') > MAX_INPUT_BYTES) throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input exceeds 262144 bytes');
  try {
    return JSON.parse(input) as JsonValue;
  } catch {
    throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
  }
}

export function requireToken(token: unknown): string {
  if (typeof token !== 'string') throw new SfnApiError('ValidationException', "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null");
  return token;
}

export function paginate<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined): { items: T[]; nextToken?: string } {
  const pageSize = maxResults && maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  let offset = 0;
  if (nextToken) {
    try {
      offset = (JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')) as { offset: number }).offset;
    } catch {
      throw new SfnApiError('InvalidToken', 'Invalid Token: nextToken is not a token this service issued');
    }
    if (!Number.isInteger(offset) || offset < 0) throw new SfnApiError('InvalidToken', 'Invalid Token: nextToken is not a token this service issued');
  }
  const page = items.slice(offset, offset + pageSize);
  const next = offset + pageSize < items.length ? Buffer.from(JSON.stringify({ offset: offset + pageSize })).toString('base64url') : undefined;
  return { items: page, nextToken: next };
}

export function withoutExecutionData(event: Sfn.HistoryEvent): Sfn.HistoryEvent {
  const copy: Record<string, unknown> = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') {
      const { input: _input, output: _output, parameters: _parameters, ...rest } = value as Record<string, unknown>;
      copy[key] = rest;
    }
  }
  return copy as unknown as Sfn.HistoryEvent;
}

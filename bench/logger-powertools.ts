// bench:logger only: the Powertools Logger behind the same `logger` interface, to measure what taking the library would cost each bundle (see lambdas/shared/log.ts).
// Structured JSON logs through Powertools for AWS Lambda's Logger, one object per line, in the
// ecosystem's format (level, message, timestamp, service, cold_start, function_name,
// function_request_id, xray_trace_id): CloudWatch Logs Insights queries and tools written for
// Powertools read them as they are. Never log whole events or bodies: they may hold personal
// data. Handlers log what happened (route, status, ids), not what was sent.
//
// Request-id correlation needs no call in the handlers: the Lambda runtime keeps the current
// invocation in its InvokeStore (globalThis.awslambda.InvokeStore; the local runtime's worker does
// the same), and each log line picks the request id up from there. `logger` keeps the small
// interface the code calls (debug/info/warn/error with a fields object), so call sites never
// depend on the library.
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

type Fields = Record<string, unknown>;
type Level = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<string, 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

/** The library's logger itself, for what the small interface does not cover. */
export const powertoolsLogger = new Logger({
  // POWERTOOLS_SERVICE_NAME wins when set; otherwise the function's name.
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'kairr',
  logLevel: LEVELS[(process.env.LOG_LEVEL ?? 'info').toLowerCase()] ?? 'INFO',
});

interface InvokeStoreLike {
  getRequestId(): string;
}

/** The runtime's per-invocation store, when this code runs inside an invocation. */
function invokeStore(): InvokeStoreLike | undefined {
  return (globalThis as { awslambda?: { InvokeStore?: InvokeStoreLike } }).awslambda?.InvokeStore;
}

let correlated: string | undefined;

/** Adds the invocation's context once per invocation (its request id, from the runtime). */
function correlate(): void {
  const requestId = invokeStore()?.getRequestId();
  if (!requestId || requestId === '-' || requestId === correlated) return;
  correlated = requestId;
  const env = process.env;
  powertoolsLogger.addContext({
    awsRequestId: requestId,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? '',
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '',
    invokedFunctionArn: '',
  } as Context);
}

function emit(level: Level, message: string, fields?: Fields): void {
  correlate();
  if (fields === undefined) powertoolsLogger[level](message);
  else powertoolsLogger[level](message, fields);
}

export const logger = {
  debug: (m: string, f?: Fields) => emit('debug', m, f),
  info: (m: string, f?: Fields) => emit('info', m, f),
  warn: (m: string, f?: Fields) => emit('warn', m, f),
  error: (m: string, f?: Fields) => emit('error', m, f),
};

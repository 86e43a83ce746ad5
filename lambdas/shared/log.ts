// Structured JSON logs, one object per line, in the format of Powertools for AWS Lambda's Logger
// (level, message, timestamp, service, sampling_rate, cold_start, function_name,
// function_memory_size, function_request_id, xray_trace_id, then the fields), so CloudWatch Logs
// Insights queries and tools written for Powertools read them as they are. Never log whole events
// or bodies: they may hold personal data. Handlers log what happened (route, status, ids).
//
// Why not the library itself: bench:logger measured it at +23 KB in every bundle and ~+37 ms of
// cold start on this machine (under load), and the bundle target allows no handler to
// grow; this file is under 2 KB. The correlation it gives is kept: each line carries the request
// id of the invocation it belongs to, read from the Lambda runtime's InvokeStore
// (globalThis.awslambda.InvokeStore; the local runtime's worker provides the same), with no call
// in the handlers.
type Level = 'debug' | 'info' | 'warn' | 'error';
type Fields = Record<string, unknown>;
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** Keys of the format itself: a field of the same name never overwrites them (as in Powertools). */
const RESERVED = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'cold_start', 'function_name', 'function_memory_size', 'function_request_id', 'xray_trace_id']);

interface InvokeStoreLike {
  getRequestId(): string;
  getXRayTraceId?(): string | undefined;
}

function invokeStore(): InvokeStoreLike | undefined {
  return (globalThis as { awslambda?: { InvokeStore?: InvokeStoreLike } }).awslambda?.InvokeStore;
}

function threshold(): number {
  const lvl = (process.env.LOG_LEVEL ?? 'info').toLowerCase() as Level;
  return ORDER[lvl] ?? ORDER.info;
}

// The first invocation this environment serves is its cold start.
let firstRequestId: string | undefined;

function emit(level: Level, message: string, fields?: Fields): void {
  if (ORDER[level] < threshold()) return;
  const env = process.env;
  const store = invokeStore();
  const id = store?.getRequestId();
  const requestId = id && id !== '-' ? id : undefined;
  if (requestId) firstRequestId ??= requestId;
  const trace = store?.getXRayTraceId?.() ?? env._X_AMZN_TRACE_ID;
  const line: Fields = {
    level: level.toUpperCase(),
    message,
    timestamp: new Date().toISOString(),
    service: env.POWERTOOLS_SERVICE_NAME ?? env.AWS_LAMBDA_FUNCTION_NAME ?? 'kairr',
    sampling_rate: 0,
    ...(requestId ? { cold_start: requestId === firstRequestId, function_request_id: requestId } : {}),
    ...(env.AWS_LAMBDA_FUNCTION_NAME ? { function_name: env.AWS_LAMBDA_FUNCTION_NAME, function_memory_size: Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE) || undefined } : {}),
    ...(trace ? { xray_trace_id: /Root=([^;]+)/.exec(trace)?.[1] ?? trace } : {}),
  };
  for (const [k, v] of Object.entries(fields ?? {})) if (!RESERVED.has(k)) line[k] = v;
  const text = JSON.stringify(line);
  if (level === 'error' || level === 'warn') console.error(text);
  else console.log(text);
}

export const logger = {
  debug: (m: string, f?: Fields) => emit('debug', m, f),
  info: (m: string, f?: Fields) => emit('info', m, f),
  warn: (m: string, f?: Fields) => emit('warn', m, f),
  error: (m: string, f?: Fields) => emit('error', m, f),
};

// The ONE place where errors become HTTP responses, in the one shape from docs/domain.md:
//   {"error": {"code", "message", "details": [{"path", "problem"}]}}
// Unknown errors become a bare 500 and are logged; their message never reaches the client.
import { KairrError } from '../../domain/errors';
import { logger } from '../log';

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

export function errorBody(code: string, message: string, details: { path: string; problem: string }[] = []) {
  return { error: { code, message, details } };
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

export function errorResponse(err: unknown, requestId?: string): HttpResponse {
  if (err instanceof KairrError) {
    return json(err.status, errorBody(err.code, err.message, err.details));
  }
  logger.error('unhandled error', { requestId, error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
  return json(500, errorBody('internal', 'An internal error occurred. It has been logged; quote the request id when reporting it.', requestId ? [{ path: 'requestId', problem: requestId }] : []));
}

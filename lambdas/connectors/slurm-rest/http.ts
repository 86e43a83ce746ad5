// HTTP to slurmrestd: JWT headers, a timeout on every call, and errors sorted into the driver's kinds.
// slurmrestd answers HTTP 200 with an `errors` array for some failures, and 500 for most Slurm-side
// refusals, so the status alone does not tell a retryable failure from a permanent one.
import { AuthSchedulerError, NotFoundSchedulerError, PermanentSchedulerError, type SchedulerError, TransientSchedulerError } from '../driver';
import type { TokenSource } from './credentials';

export interface SlurmErrorEntry {
  code?: number;
  message: string;
}

export interface SlurmResponse {
  status: number;
  body: Record<string, unknown>;
  /** errors[] of the body (slurmrestd's own), normalized. */
  errors: SlurmErrorEntry[];
  warnings: string[];
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** The Slurm user to act as (default: the credentials' user). */
  actAs?: string;
  /** Statuses the caller handles itself instead of an exception (e.g. 404 while probing versions). */
  accept?: number[];
  timeoutMs?: number;
}

/**
 * Slurm error numbers that mean "a daemon behind slurmrestd is unreachable or busy": worth a retry.
 * (slurm_errno.h: 1001-1004 communication errors, 5004 socket timeout, 7000 slurmdbd connection,
 * 2017 is *not* here: it is an unknown job; nor is 7001, "Job(s) active, cancel job(s) before
 * remove", a refusal that holds until the jobs end: see SLURM_JOBS_RUNNING_ON_ASSOC.)
 */
export const TRANSIENT_SLURM_ERRORS = new Set([1001, 1002, 1003, 1004, 5004, 5005, 7000]);
/** ESLURM_JOBS_RUNNING_ON_ASSOC: an association with running jobs cannot be removed yet. */
export const SLURM_JOBS_RUNNING_ON_ASSOC = 7001;
/** ESLURM_INVALID_JOB_ID */
export const SLURM_INVALID_JOB_ID = 2017;

export class SlurmHttp {
  constructor(
    readonly baseUrl: string,
    private readonly tokens: TokenSource,
    readonly siteId: string,
    private readonly defaultTimeoutMs = 15_000,
  ) {}

  async request(method: 'GET' | 'POST' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<SlurmResponse> {
    const url = new URL(this.baseUrl.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const operation = `${method} ${path}`;
    const headers: Record<string, string> = { Accept: 'application/json', ...(await this.tokens.headers(opts.actAs)) };
    let payload: string | undefined;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(opts.body);
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(opts.timeoutMs ?? this.defaultTimeoutMs) });
      text = await res.text();
    } catch (e) {
      const why = (e as Error).name === 'TimeoutError' ? 'timed out' : describeNetworkError(e);
      throw new TransientSchedulerError(`slurmrestd at ${this.baseUrl} ${why} (${operation})`, {
        siteId: this.siteId,
        operation,
        cause: e,
      });
    }
    let body: Record<string, unknown> = {};
    if (text.trim().startsWith('{')) {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = {};
      }
    }
    const errors = normalizeErrors(body.errors);
    const warnings = normalizeWarnings(body.warnings);
    const out: SlurmResponse = { status: res.status, body, errors, warnings };
    if (res.ok || opts.accept?.includes(res.status)) return out;
    throw this.classify(res.status, errors, text, operation);
  }

  private classify(status: number, errors: SlurmErrorEntry[], text: string, operation: string): SchedulerError {
    const details = { siteId: this.siteId, operation, httpStatus: status, schedulerErrors: errors };
    const said = errors.map((e) => (e.code ? `${e.message} (${e.code})` : e.message)).join('; ') || text.slice(0, 200).trim();
    const msg = `slurmrestd ${operation} → HTTP ${status}${said ? `: ${said}` : ''}`;
    // 511: 24.11's slurmctld refused the token for the acting user (22.05 said 500 "unable to load")
    if (status === 401 || status === 403 || status === 511) return new AuthSchedulerError(msg, details);
    if (status === 502 || status === 503 || status === 504) return new TransientSchedulerError(msg, details);
    if (errors.some((e) => e.code === SLURM_INVALID_JOB_ID)) return new NotFoundSchedulerError(msg, details);
    if (errors.some((e) => e.code !== undefined && TRANSIENT_SLURM_ERRORS.has(e.code))) return new TransientSchedulerError(msg, details);
    if (status === 404) return new NotFoundSchedulerError(msg, details);
    // a 5xx without any Slurm error body is slurmrestd itself failing (e.g. crashing mid-request)
    if (status >= 500 && errors.length === 0) return new TransientSchedulerError(msg, details);
    return new PermanentSchedulerError(msg, details);
  }
}

function describeNetworkError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return `is unreachable${cause?.code ? ` (${cause.code})` : cause?.message ? ` (${cause.message})` : ''}`;
}

/** v0.0.38: {error, errno|error_number, description, source}; v0.0.40+: {description, error_number, error, source}. */
export function normalizeErrors(raw: unknown): SlurmErrorEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((e: Record<string, unknown>) => {
    const code = typeof e.error_number === 'number' ? e.error_number : typeof e.errno === 'number' ? e.errno : undefined;
    const parts = [e.description, e.error].filter((s): s is string => typeof s === 'string' && s.length > 0);
    return { ...(code !== undefined && code !== 0 ? { code } : {}), message: [...new Set(parts)].join(': ') || 'unknown error' };
  });
}

function normalizeWarnings(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((w: Record<string, unknown>) => String(w.description ?? w.warning ?? JSON.stringify(w)));
}

// The KAIRR API over fetch: a bearer token, JSON in and out, and every answer that is not a success
// turned into an ApiError with the error shape's named fields ({"error": {code, message, details}}).
// Answers are read through a zod schema that names only what the CLI uses and lets the rest pass,
// so a newer API with more fields still works, while a missing field the CLI relies on is an error.
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { ApiError, CliError } from './errors';
import type { Http, HttpResponse } from './transport';
import { msg } from './i18n';

const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.optional(z.array(z.object({ path: z.string(), problem: z.string() }))) }),
});

export interface RequestOptions<S extends z.ZodMiniType> {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  schema: S;
  /** POSTs that create something send one, so a retry of the same invocation never creates twice. */
  idempotent?: boolean;
  /**
   * Try again, with the same Idempotency-Key, when no answer came (a dropped connection) or the
   * answer is one of these statuses: the first try may have been done, and the key makes the
   * retry safe. Only for idempotent requests: a retry without a key could do the thing twice.
   */
  retryOn?: readonly number[];
}

/** The CLI's own retries of an idempotent request: three tries in all, 1 s and 2 s apart. */
export const RETRY_DELAYS_MS = [1000, 2000];

export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token: () => Promise<string | undefined>,
    private readonly fetchImpl: Http,
    private readonly sleep: (ms: number) => Promise<void> = async () => undefined,
  ) {}

  url(path: string, query: RequestOptions<z.ZodMiniType>['query'] = {}): string {
    const u = new URL(`${this.baseUrl.replace(/\/$/, '')}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async request<S extends z.ZodMiniType>(method: string, path: string, opts: RequestOptions<S>): Promise<z.infer<S>> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'kairr-cli/0.1' };
    const token = await this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    // one key per invocation: every retry below sends the same one
    if (opts.idempotent) headers['idempotency-key'] = randomUUID();
    const url = this.url(path, opts.query);
    const retryOn = opts.idempotent ? opts.retryOn : undefined;
    const init = { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) };
    let res: HttpResponse | undefined;
    for (let attempt = 0; ; attempt++) {
      const last = !retryOn || attempt >= RETRY_DELAYS_MS.length;
      try {
        res = await this.fetchImpl(url, init);
      } catch (e) {
        if (last) {
          const cause = (e as { cause?: { code?: string; message?: string } }).cause;
          throw new CliError(msg('unreachableApi', { url: this.baseUrl, reason: cause?.code ?? cause?.message ?? (e as Error).message }));
        }
        res = undefined;
      }
      if (res && (last || !retryOn?.includes(res.status))) break;
      await this.sleep(RETRY_DELAYS_MS[attempt]);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = ErrorBody.safeParse(json);
      if (err.success) throw new ApiError(res.status, err.data.error.code, err.data.error.message, err.data.error.details ?? [], json);
      throw new ApiError(res.status, `http_${res.status}`, text.trim().slice(0, 300) || res.statusText, [], json);
    }
    const parsed = opts.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(msg('unexpectedAnswer', { route: `${method} ${path}`, field: issue.path.join('.') || '(body)', reason: issue.message }));
    }
    return parsed.data as z.infer<S>;
  }

  get<S extends z.ZodMiniType>(path: string, schema: S, query?: RequestOptions<S>['query']) {
    return this.request('GET', path, { schema, query });
  }
}

/** A path segment from user input, encoded (ids never contain "/", but a typo must not change the route). */
export const seg = (s: string) => encodeURIComponent(s);

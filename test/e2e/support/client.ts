// A small HTTP client for the e2e suite: requests as a role's dev token, as a freshly minted
// identity, or with a raw Authorization header.
import { readFileSync } from 'node:fs';
import { checkAgainstCatalogue } from '../../support/response-check';
import type { E2eTarget } from './global-setup';

let cached: E2eTarget | undefined;
export function target(): E2eTarget {
  cached ??= JSON.parse(readFileSync(process.env.KAIRR_E2E_TARGET!, 'utf8')) as E2eTarget;
  return cached;
}

/**
 * describe() for tests that need the local runtime (its admin endpoint, its DynamoDB, the local
 * clusters). Against another target (KAIRR_API_URL) the block is skipped, visibly: jest reports
 * its tests as skipped, and the title says why; with CI=true it fails instead.
 */
export function describeLocal(title: string, reason: string, fn: () => void): void {
  if (target().local) describe(title, fn);
  // In CI the suite must run against the local runtime: a skip there would hide missing coverage.
  else if (process.env.CI === 'true') throw new Error(`${title}: CI=true runs the e2e suite against the local runtime only (${reason}); unset KAIRR_API_URL`);
  else describe.skip(`${title} [skipped against ${target().apiUrl}: ${reason}]`, fn);
}

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export async function call<T = any>(method: string, path: string, opts: { token?: string; authorization?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {}): Promise<Res<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  else if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await send(`${target().apiUrl}${path}`, { method, headers, body });
  const text = await res.text();
  // Every answer is held to its route's response spec; there is deliberately no switch to turn this off.
  checkAgainstCatalogue({ method, path, status: res.status, contentType: res.headers.get('content-type'), text });
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON (CSV) */
  }
  return { status: res.status, body: parsed as T, headers: res.headers, text };
}

/**
 * fetch, with one retry of a GET whose pooled keep-alive socket the server had just closed (undici:
 * UND_ERR_SOCKET "other side closed"). Seen when a test file's first request reuses the previous
 * file's idle socket at the server's keep-alive timeout on a loaded machine; a GET changes nothing,
 * so sending it again on a new socket is what a browser does too. `repeatable` marks a request other
 * than a GET that changes nothing either (minting a dev token). Any other failure is thrown.
 */
export async function send(url: string, init: RequestInit, repeatable = false): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    if (!(repeatable || (init.method ?? 'GET') === 'GET') || cause?.code !== 'UND_ERR_SOCKET') throw e;
    return fetch(url, init);
  }
}

export function tokenFor(role: string): string {
  const t = target().tokens[role];
  if (!t) throw new Error(`No token for role ${role} in the e2e target`);
  return t;
}

/** Mints a token for any identity (needs a dev issuer's mint endpoint). */
export async function mint(claims: { sub: string; groups: string[]; preferred_username?: string; expiresIn?: number; [k: string]: unknown }): Promise<string> {
  const url = target().tokenMintUrl;
  if (!url) throw new Error('This e2e target has no token mint (set KAIRR_TOKEN_MINT_URL)');
  const res = await send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(claims) }, true);
  if (!res.ok) throw new Error(`mint failed: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

export const as = (role: string) => ({
  get: <T = any>(path: string, headers?: Record<string, string>) => call<T>('GET', path, { token: tokenFor(role), headers }),
  post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', path, { token: tokenFor(role), body, headers }),
  patch: <T = any>(path: string, body?: unknown) => call<T>('PATCH', path, { token: tokenFor(role), body }),
  put: <T = any>(path: string, body?: unknown) => call<T>('PUT', path, { token: tokenFor(role), body }),
  del: <T = any>(path: string) => call<T>('DELETE', path, { token: tokenFor(role) }),
});

export const withToken = (token: string) => ({
  get: <T = any>(path: string) => call<T>('GET', path, { token }),
  post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', path, { token, body, headers }),
  patch: <T = any>(path: string, body?: unknown) => call<T>('PATCH', path, { token, body }),
  put: <T = any>(path: string, body?: unknown) => call<T>('PUT', path, { token, body }),
  del: <T = any>(path: string) => call<T>('DELETE', path, { token }),
});

function localAdmin(what: string): string {
  const url = target().localAdminUrl;
  if (!url) throw new Error(`${what} needs the local runtime's admin endpoint; this e2e target (${target().apiUrl}) has none`);
  return url;
}

/** Fires a scheduled rule now (by logical id or name), as its schedule would. Local runtime only. */
export async function runSchedule(rule: string, opts: { time?: string } = {}): Promise<{ ruleName: string; logicalId: string; eventId: string; time: string }> {
  // ---- accountability: opts.time fires the scheduled event as at that time ----
  const at = opts.time ? `?time=${encodeURIComponent(opts.time)}` : '';
  // ---- end accountability ----
  const res = await fetch(`${localAdmin('runSchedule')}/schedules/${encodeURIComponent(rule)}/run${at}`, { method: 'POST' });
  const body = (await res.json()) as { ruleName: string; logicalId: string; eventId: string; time: string; message?: string };
  if (!res.ok) throw new Error(`runSchedule(${rule}) failed: ${res.status} ${body.message ?? ''}`);
  return body;
}

/**
 * Waits until the local runtime has settled: event deliveries done, async Lambda invocations done,
 * every running execution parked (on a callback or a Wait). Rejects after timeoutMs. Local runtime only.
 */
export async function settle(timeoutMs = 30_000): Promise<void> {
  const res = await send(`${localAdmin('settle')}/idle?timeoutMs=${timeoutMs}`, {});
  if (!res.ok) throw new Error(`the local runtime did not settle: ${((await res.json()) as { message?: string }).message ?? res.status}`);
}

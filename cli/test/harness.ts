// Runs the CLI in-process (run() from main.ts) with captured stdout and stderr, an environment of
// the test's own (a temporary XDG_CONFIG_HOME, never the user's), and the fetch the test gives.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/main';
import type { Http } from '../src/transport';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export function tempConfigHome(): string {
  return mkdtempSync(join(tmpdir(), 'kairr-cli-test-'));
}

export interface KairrOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: Http;
  tty?: boolean;
  columns?: number;
  /** Called with each piece written to stderr, as it is written (to act on a login prompt). */
  onErr?: (s: string) => void;
  /** Sleep for real (an issuer that enforces its polling interval); by default sleeps are cut to 20 ms. */
  realSleep?: boolean;
  /** What standard input holds. */
  stdin?: string;
}

export async function kairr(args: string[], opts: KairrOptions = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await run(args, {
    out: { write: (s: string) => (out += s), isTTY: opts.tty, columns: opts.columns },
    err: { write: (s: string) => ((err += s), opts.onErr?.(s)), isTTY: opts.tty },
    env: { XDG_CONFIG_HOME: tempConfigHome(), ...opts.env },
    fetch: opts.fetch ?? (async () => Promise.reject(new Error('this test makes no request'))),
    stdin: () => opts.stdin ?? '',
    sleep: (ms) => new Promise((r) => setTimeout(r, opts.realSleep ? ms : Math.min(ms, 20))),
  });
  return { code, out, err };
}

export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A fetch that answers from a table of "METHOD /path" → [status, body] and records each request. */
export function fakeApi(routes: Record<string, [number, unknown] | ((r: Recorded) => [number, unknown])>): { fetch: typeof fetch; calls: Recorded[] } {
  const calls: Recorded[] = [];
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const rec: Recorded = { method: init?.method ?? 'GET', url: url.toString(), headers: (init?.headers ?? {}) as Record<string, string>, body: init?.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(rec);
    const route = routes[`${rec.method} ${url.pathname}`];
    if (!route) return new Response(JSON.stringify({ error: { code: 'not_found', message: `no route ${rec.method} ${url.pathname}`, details: [] } }), { status: 404 });
    const [status, body] = typeof route === 'function' ? route(rec) : route;
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: f as typeof fetch, calls };
}

// HTTP for the CLI on node:http(s), not fetch: Node 20's fetch loads undici on first use, which
// cost about a second of start-up on this 2-core machine (measured: a process doing one fetch, 1.4 s
// against 0.4 s for `node -e 0`; with http.get, 0.6 s). Only the part of fetch's shape the CLI uses,
// so tests can hand it fetch itself, or a fake.
import type { IncomingMessage } from 'node:http';

export interface HttpResponse {
  status: number;
  ok: boolean;
  statusText: string;
  text(): Promise<string>;
  /** Response headers (an upload reads a part's ETag); fetch's Headers, or the same lookup. */
  headers?: { get(name: string): string | null };
  /** The body as it arrives, with `stream: true` (fetch's Response has one always); read it or text(), not both. */
  body?: AsyncIterable<Uint8Array> | null;
}
export interface HttpInit {
  method?: string;
  headers?: Record<string, string>;
  /** Text, or bytes (a part of an upload). */
  body?: string | Uint8Array;
  /** Answer at the headers and stream the body (a download), instead of reading it whole first. */
  stream?: boolean;
}
export type Http = (url: string, init?: HttpInit) => Promise<HttpResponse>;

const headersOf = (res: IncomingMessage) => ({
  get: (name: string) => {
    const v = res.headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  },
});

export const nodeHttp: Http = (url, init = {}) =>
  new Promise((resolve, reject) => {
    const u = new URL(url);
    // required here, so a command that makes no request never loads them
    const mod = (u.protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
    const req = mod.request(u, { method: init.method ?? 'GET', headers: init.headers }, (res: IncomingMessage) => {
      if (init.stream) {
        const status = res.statusCode ?? 0;
        let text: Promise<string> | undefined;
        const readAll = async () => {
          const chunks: Buffer[] = [];
          for await (const c of res) chunks.push(c as Buffer);
          return Buffer.concat(chunks).toString('utf8');
        };
        return resolve({ status, ok: status >= 200 && status < 300, statusText: res.statusMessage ?? '', headers: headersOf(res), body: res, text: () => (text ??= readAll()) });
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status, ok: status >= 200 && status < 300, statusText: res.statusMessage ?? '', headers: headersOf(res), text: async () => text });
      });
    });
    // the shape fetch rejects with, so callers read the reason from `cause.code` either way
    req.on('error', (e) => reject(Object.assign(new TypeError('fetch failed'), { cause: e })));
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });

/**
 * Streams a response's body into a file, each chunk handed to onChunk first (a progress bar, a
 * hash); a transport without a body stream writes its text. Required here: only downloads need fs.
 */
export async function saveBody(res: HttpResponse, file: string, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const { createWriteStream, writeFileSync } = require('node:fs') as typeof import('node:fs');
  if (!res.body) {
    const buf = Buffer.from(await res.text(), 'utf8');
    onChunk(buf);
    writeFileSync(file, buf);
    return;
  }
  const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
  await pipeline(
    res.body,
    async function* (chunks: AsyncIterable<Uint8Array>) {
      for await (const chunk of chunks) {
        onChunk(chunk);
        yield chunk;
      }
    },
    createWriteStream(file),
  );
}

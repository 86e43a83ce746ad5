// Down: each manifest file from the hub's copy, hashed while streamed, kept only when it matches.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import type { Context } from '../context';
import type { ManifestFile } from '../datahub-schemas';
import { ApiError, CliError } from '../errors';
import { msg } from '../i18n';
import type { ProgressBar } from '../output';
import { type HttpResponse, saveBody } from '../transport';
import { MiB } from './files';
import type { Target } from './upload';
import { reasonOf, s3Code } from './errors';

// ---- down ---------------------------------------------------------------------------------------

export type PullStatus = 'downloaded' | 'present';

/** Where a manifest path goes under dir; a path that would leave it is refused. */
export function destinationOf(dir: string, path: string): string {
  const root = resolve(dir);
  const segments = path.split('/');
  const dest = resolve(root, ...segments);
  if (segments.some((s) => s === '..' || s === '' || s === '.') || !dest.startsWith(root + sep)) throw new CliError(msg('unsafePath', { path }));
  return dest;
}

async function sha256OfFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A file already at dest with the manifest's size and SHA-256 is not downloaded again. */
export async function isPresent(dest: string, f: ManifestFile): Promise<boolean> {
  try {
    const st = statSync(dest);
    return st.isFile() && st.size === f.bytes && (await sha256OfFile(dest)) === f.sha256;
  } catch {
    return false;
  }
}

function apiErrorOf(res: HttpResponse, text: string): ApiError {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const e = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') return new ApiError(res.status, e.code, e.message, Array.isArray(e.details) ? (e.details as ApiError['details']) : [], json);
  return new ApiError(res.status, `http_${res.status}`, text.trim().slice(0, 300) || res.statusText, [], json);
}

/**
 * Downloads one manifest file into dest: the API's redirect to the hub's copy is followed without
 * the bearer token (a presigned URL carries its own signature), the body streamed into dest's
 * temporary file while hashed. Kept (renamed into place) only with the manifest's size and
 * SHA-256; otherwise removed and refused, naming what arrived.
 */
export async function downloadFile(c: Context, t: Target, f: ManifestFile, dest: string, bar: ProgressBar): Promise<void> {
  const url = t.api.url(`${t.base}/files/${f.path.split('/').map(encodeURIComponent).join('/')}`);
  const fetchOnce = async (u: string, headers: Record<string, string>) => {
    try {
      return await c.io.fetch(u, { method: 'GET', headers, stream: true });
    } catch (e) {
      throw new CliError(msg('downloadInterrupted', { path: f.path, reason: reasonOf(e) }));
    }
  };
  let res = await fetchOnce(url, { authorization: `Bearer ${await c.token()}`, accept: 'application/json', 'user-agent': 'kairr-cli/0.1' });
  if ([301, 302, 303, 307, 308].includes(res.status)) {
    const location = res.headers?.get('location');
    await res.text().catch(() => ''); // read to the end, so the connection is freed
    if (!location) throw new CliError(msg('noRedirect', { path: f.path }));
    res = await fetchOnce(new URL(location, url).toString(), {});
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new CliError(msg('downloadFailed', { name: f.path, status: res.status, text: s3Code(text) || res.statusText }));
    }
  } else if (!res.ok) throw apiErrorOf(res, await res.text().catch(() => ''));
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.kairr-part`;
  const h = createHash('sha256');
  let bytes = 0;
  const count = (chunk: Uint8Array) => {
    h.update(chunk);
    bytes += chunk.byteLength;
    bar.add(chunk.byteLength);
  };
  try {
    await saveBody(res, tmp, count);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(msg('downloadInterrupted', { path: f.path, reason: reasonOf(e) }));
  }
  const sha256 = h.digest('hex');
  if (bytes !== f.bytes || sha256 !== f.sha256) {
    rmSync(tmp, { force: true });
    throw new CliError(msg('downloadMismatch', { path: f.path, bytes, sha256, wantBytes: f.bytes, wantSha256: f.sha256 }));
  }
  renameSync(tmp, dest);
}

/** A progress bar on a terminal, nothing elsewhere (output.ts). */

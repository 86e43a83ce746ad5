// Up: register files in the version's manifest, send them part by part to presigned URLs, complete.
import * as z from 'zod/mini';
import type { Context } from '../context';
import { ManifestFileSchema, UploadSchema, type ManifestFile, type Upload, type UploadPart } from '../datahub-schemas';
import { ApiError, CliError } from '../errors';
import type { Api } from '../http';
import { msg } from '../i18n';
import { type ProgressBar, progress } from '../output';
import { page } from '../schemas';
import type { HttpResponse } from '../transport';
import { type HashedFile, mediaTypeOf, readRange, sha256Of } from './files';
import type { UploadState } from './state';
import { reasonOf, s3Code } from './errors';

const ATTEMPTS = 3;

// ---- up -----------------------------------------------------------------------------------------

export interface Target {
  /** "/v1/datasets/ds-…/versions/1.0.0" */
  base: string;
  api: Api;
}

/** Every file of the manifest, page by page. */
export async function readManifest(t: Target): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  let nextToken: string | undefined;
  do {
    const p = await t.api.get(`${t.base}/manifest`, page(ManifestFileSchema), { limit: 1000, nextToken });
    files.push(...p.items);
    nextToken = p.nextToken;
  } while (nextToken);
  return files;
}

/**
 * Registers the files the manifest does not list yet, under new page numbers (1,000 files a page);
 * a file it lists with another size or SHA-256 is refused, naming it. Returns how many were added.
 */
export async function registerInManifest(t: Target, files: readonly HashedFile[], pages: readonly string[]): Promise<number> {
  const listed = new Map((await readManifest(t)).map((f) => [f.path, f]));
  const differ = files.filter((f) => listed.has(f.path) && (listed.get(f.path)!.sha256 !== f.sha256 || listed.get(f.path)!.bytes !== f.bytes));
  if (differ.length) throw new CliError(msg('manifestDiffers', { paths: differ.map((f) => f.path).join(', ') }));
  const missing = files.filter((f) => !listed.has(f.path));
  let next = Math.max(0, ...pages.map(Number).filter(Number.isFinite)) + 1;
  for (let i = 0; i < missing.length; i += 1000) {
    const chunk = missing.slice(i, i + 1000).map((f) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256, mediaType: mediaTypeOf(f.path) }));
    await t.api.request('PUT', `${t.base}/manifest/pages/${next++}`, { body: { files: chunk }, schema: z.unknown() });
  }
  return missing.length;
}

export interface UploadOutcome {
  upload: Record<string, unknown>;
  /** Bytes sent in this run, and parts S3 held already. */
  sent: number;
  held: number;
  resumed: boolean;
}

/**
 * Uploads one file: resumes its upload from the state when there is one the API still holds open,
 * else starts one; sends the parts S3 does not hold; completes. The state keeps the upload id from
 * the moment it exists, so an interruption anywhere after that resumes.
 */
export async function uploadFile(c: Context, t: Target, f: HashedFile, state: UploadState, bar: ProgressBar): Promise<UploadOutcome> {
  const s = state.get(f.path)!;
  if (s.done) {
    bar.add(f.bytes);
    return { upload: s.done, sent: 0, held: f.parts.length, resumed: true };
  }
  const resign = (uploadId: string) => t.api.get(`${t.base}/uploads/${encodeURIComponent(uploadId)}`, UploadSchema);
  let view: Upload | undefined;
  let resumed = false;
  if (s.uploadId) {
    try {
      view = await resign(s.uploadId);
      resumed = true;
    } catch (e) {
      // gone, verified, failed, stale, or S3 aborted it: a new upload
      if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 409)) throw e;
      progress(c.io.err, c.t(msg('uploadStartsOver', { path: f.path, reason: e.code })));
    }
  }
  if (!view) {
    view = await t.api.request('POST', `${t.base}/uploads`, { body: { path: f.path, parts: f.parts.map((p) => ({ bytes: p.bytes, sha256: p.sha256 })) }, schema: UploadSchema });
    state.put(f.path, { ...s, uploadId: view.uploadId });
  }
  const uploadId = view.uploadId;
  const etags = new Map<number, string>();
  for (const p of view.parts) if (p.uploaded && p.etag) etags.set(p.partNumber, p.etag);
  const held = etags.size;
  if (resumed) progress(c.io.err, c.t(msg('uploadResumes', { path: f.path, held, parts: view.parts.length })));
  const offsets: number[] = [];
  f.parts.reduce((o, p, i) => ((offsets[i] = o), o + p.bytes), 0);
  for (const p of view.parts) if (etags.has(p.partNumber)) bar.add(p.bytes);
  let sent = 0;
  for (let i = 0; i < view.parts.length; i++) {
    const partNumber = view.parts[i].partNumber;
    if (etags.has(partNumber)) continue;
    // URLs about to expire (an upload longer than their lifetime): fresh ones for what is left
    if (view.expiresAt && Date.parse(view.expiresAt) - Date.now() < 60_000) view = await resign(uploadId);
    let part: UploadPart = view.parts[i];
    const body = readRange(f.file, offsets[partNumber - 1], part.bytes);
    if (sha256Of(body) !== f.parts[partNumber - 1].sha256) throw new CliError(msg('fileChanged', { file: f.file }));
    let resigned = false;
    for (let attempt = 1; ; attempt++) {
      if (!part.url) throw new CliError(msg('noPartUrl', { path: f.path, part: partNumber }));
      let res: HttpResponse;
      try {
        res = await c.io.fetch(part.url, { method: 'PUT', headers: { ...part.headers, 'content-length': String(body.length) }, body });
      } catch (e) {
        if (attempt < ATTEMPTS) {
          await c.io.sleep(1000 * attempt);
          continue;
        }
        throw new CliError(msg('uploadInterrupted', { path: f.path, part: partNumber, reason: reasonOf(e) }));
      }
      const text = await res.text().catch(() => '');
      if (res.ok) {
        const etag = res.headers?.get('etag');
        if (!etag) throw new CliError(msg('noEtag', { path: f.path, part: partNumber }));
        etags.set(partNumber, etag);
        break;
      }
      // an expired or refused signature: sign again, once
      if (res.status === 403 && !resigned) {
        resigned = true;
        view = await resign(uploadId);
        part = view.parts[i];
        if (part.uploaded && part.etag) {
          etags.set(partNumber, part.etag);
          break;
        }
        continue;
      }
      if (res.status >= 500 && attempt < ATTEMPTS) {
        await c.io.sleep(1000 * attempt);
        continue;
      }
      throw new CliError(msg('uploadInterrupted', { path: f.path, part: partNumber, reason: `HTTP ${res.status} ${s3Code(text)}` }));
    }
    sent += part.bytes;
    bar.add(part.bytes);
  }
  let done: Upload;
  try {
    done = await t.api.request('POST', `${t.base}/uploads/${encodeURIComponent(uploadId)}`, { body: view.mode === 'multipart' ? { etags: view.parts.map((p) => etags.get(p.partNumber)!) } : {}, schema: UploadSchema });
  } catch (e) {
    // the hub refused the bytes and discarded them: the next run starts a new upload
    if (e instanceof ApiError && e.code === 'upload_checksum_mismatch') state.put(f.path, { ...state.get(f.path)!, uploadId: undefined });
    throw e;
  }
  state.put(f.path, { ...state.get(f.path)!, done: done as Record<string, unknown> });
  return { upload: done, sent, held, resumed };
}

// Moving files into and out of the data hub (docs/datahub.md "Getting data in", docs/cli.md).
//
// Up: each file is hashed once, SHA-256 of the whole and of each part (parts of --part-size, 8 MiB
// by default; a file of at most one part is a single PUT), registered in the version's manifest if
// it is not there yet, then uploaded part by part to the presigned URLs the API answers, with the
// headers it names (each part's x-amz-checksum-sha256, signed into the URL), and completed: the
// hub reads the object back and checks every digest. A resume state file remembers each file's
// upload id and digests (mode 0600), so running the same command again after an interruption asks
// the API which parts S3 holds (GET …/uploads/{uploadId}) and sends only the others.
//
// Down: the manifest's files, each from the hub's copy (the API's 302 to a presigned URL), streamed
// to a temporary file while hashed, and kept only when its size and SHA-256 are the manifest's; a
// file already there with the manifest's digest is not downloaded again.
import { createHash, type Hash } from 'node:crypto';
import { chmodSync, closeSync, createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as z from 'zod/mini';
import { configDir } from './config';
import type { Context } from './context';
import { ManifestFileSchema, UploadSchema, type ManifestFile, type Upload, type UploadPart } from './datahub-schemas';
import { ApiError, CliError, UsageError } from './errors';
import type { Api } from './http';
import { msg } from './i18n';
import { type ProgressBar, progress, progressBar } from './output';
import { page } from './schemas';
import type { HttpResponse } from './transport';

export const MiB = 1024 * 1024;
/** The AWS CLI's multipart chunk size; S3 takes parts of 5 MiB to 5 GiB (but the last), at most 10,000. */
export const DEFAULT_PART_MIB = 8;
const MAX_PARTS = 10_000;
const ATTEMPTS = 3;

// ---- which files -------------------------------------------------------------------------------

export interface LocalFile {
  /** Its path in the version's manifest (relative, "/"-separated, NFC). */
  path: string;
  /** Where it is on this machine. */
  file: string;
  bytes: number;
  mtimeMs: number;
}

/**
 * The files to upload, in path order: a FILE under its base name, a DIR's files (recursively,
 * following no directory links) by their paths inside it, each under PREFIX/ when one is given.
 */
export function localFiles(args: readonly string[], prefix?: string): LocalFile[] {
  const pre = prefix === undefined ? '' : prefix.replace(/^\/+|\/+$/g, '');
  if (pre.split('/').some((s) => s === '..' || s === '.')) throw new UsageError(msg('badPrefix', { prefix: prefix ?? '' }));
  const out = new Map<string, LocalFile>();
  const add = (file: string, rel: string[]) => {
    const path = [...(pre ? [pre] : []), ...rel].join('/').normalize('NFC');
    const st = statSync(file);
    const prev = out.get(path);
    if (prev && prev.file !== file) throw new UsageError(msg('samePathTwice', { path, a: prev.file, b: file }));
    out.set(path, { path, file, bytes: st.size, mtimeMs: st.mtimeMs });
  };
  const walk = (dir: string, rel: string[]) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full, [...rel, e.name]);
      else if (e.isFile() || (e.isSymbolicLink() && statSync(full).isFile())) add(full, [...rel, e.name]);
    }
  };
  for (const a of args) {
    const full = resolve(a);
    let st;
    try {
      st = lstatSync(full).isSymbolicLink() ? statSync(full) : lstatSync(full);
    } catch (e) {
      throw new UsageError(msg('cannotRead', { path: a, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }));
    }
    if (st.isDirectory()) walk(full, []);
    else if (st.isFile()) add(full, [basename(full)]);
    else throw new UsageError(msg('notFileOrDir', { path: a }));
  }
  if (!out.size) throw new UsageError(msg('noFiles', { paths: args.join(' ') }));
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The media type the manifest records, from the file name; application/octet-stream when unknown. */
export function mediaTypeOf(path: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
  const types: Record<string, string> = {
    json: 'application/json',
    jsonl: 'application/jsonl',
    ndjson: 'application/x-ndjson',
    jsonld: 'application/ld+json',
    csv: 'text/csv',
    tsv: 'text/tab-separated-values',
    txt: 'text/plain',
    md: 'text/markdown',
    yaml: 'application/yaml',
    yml: 'application/yaml',
    parquet: 'application/vnd.apache.parquet',
    arrow: 'application/vnd.apache.arrow.file',
    gz: 'application/gzip',
    zip: 'application/zip',
    tar: 'application/x-tar',
    zst: 'application/zstd',
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    wav: 'audio/wav',
    pdf: 'application/pdf',
    safetensors: 'application/octet-stream',
  };
  return types[ext] ?? 'application/octet-stream';
}

// ---- hashing ------------------------------------------------------------------------------------

export interface PartDigest {
  bytes: number;
  sha256: string;
}

export interface HashedFile extends LocalFile {
  sha256: string;
  partSize: number;
  parts: PartDigest[];
}

/** Bytes per part for a file: --part-size, raised when the file would need more than S3's 10,000 parts. */
export function partSizeFor(bytes: number, partMiB: number): number {
  const want = partMiB * MiB;
  return bytes <= want * MAX_PARTS ? want : Math.ceil(bytes / MAX_PARTS / MiB) * MiB;
}

/** One read of the file: the SHA-256 of the whole and of each part; onBytes counts what was read. */
export async function hashFile(f: LocalFile, partSize: number, onBytes: (n: number) => void = () => undefined): Promise<HashedFile> {
  const whole = createHash('sha256');
  const parts: PartDigest[] = [];
  let ph: Hash = createHash('sha256');
  let inPart = 0;
  let total = 0;
  for await (const chunk of createReadStream(f.file, { highWaterMark: MiB })) {
    let buf = chunk as Buffer;
    whole.update(buf);
    total += buf.length;
    onBytes(buf.length);
    while (buf.length) {
      const take = Math.min(partSize - inPart, buf.length);
      ph.update(buf.subarray(0, take));
      inPart += take;
      buf = buf.subarray(take);
      if (inPart === partSize) {
        parts.push({ bytes: partSize, sha256: ph.digest('hex') });
        ph = createHash('sha256');
        inPart = 0;
      }
    }
  }
  if (inPart > 0 || parts.length === 0) parts.push({ bytes: inPart, sha256: ph.digest('hex') });
  if (total !== f.bytes) throw new CliError(msg('fileChanged', { file: f.file }));
  return { ...f, sha256: whole.digest('hex'), partSize, parts };
}

function readRange(file: string, offset: number, bytes: number): Buffer {
  // its own memory, exactly the part (fetch sends a Buffer view's whole underlying memory)
  const buf = Buffer.alloc(bytes);
  const fd = openSync(file, 'r');
  try {
    let got = 0;
    while (got < bytes) {
      const n = readSync(fd, buf, got, bytes - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    if (got !== bytes) throw new CliError(msg('fileChanged', { file }));
  } finally {
    closeSync(fd);
  }
  return buf;
}

const sha256Of = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// ---- the resume state ---------------------------------------------------------------------------

const FileStateSchema = z.object({
  file: z.string(),
  bytes: z.number(),
  mtimeMs: z.number(),
  sha256: z.string(),
  partSize: z.number(),
  parts: z.array(z.object({ bytes: z.number(), sha256: z.string() })),
  /** The open upload of this file, once started. */
  uploadId: z.optional(z.string()),
  /** The verified upload, as the API answered it, once complete. */
  done: z.optional(z.record(z.string(), z.unknown())),
});
type FileState = z.infer<typeof FileStateSchema>;
const StateSchema = z.object({ version: z.literal(1), api: z.string(), artifactId: z.string(), artifactVersion: z.string(), files: z.record(z.string(), FileStateSchema) });
type StateData = z.infer<typeof StateSchema>;

/**
 * Where resume states are kept: $XDG_STATE_HOME/kairr/uploads/ when XDG_STATE_HOME is set, else the
 * CLI's config folder's uploads/ (beside credentials.json), as `gh` keeps its state in its config.
 */
export function uploadStateDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg?.startsWith('/')) return join(xdg, 'kairr', 'uploads');
  return join(configDir(env), 'uploads');
}

/** One upload command's memory, per API and version: each file's digests, its upload id, and whether it is done. */
export class UploadState {
  readonly file: string;
  private data: StateData;

  constructor(env: NodeJS.ProcessEnv, api: string, artifactId: string, artifactVersion: string) {
    const key = createHash('sha256').update(`${api}\n${artifactId}@${artifactVersion}`).digest('hex').slice(0, 32);
    this.file = join(uploadStateDir(env), `${artifactId}@${artifactVersion}-${key}.json`);
    const empty: StateData = { version: 1, api, artifactId, artifactVersion, files: {} };
    let data = empty;
    if (existsSync(this.file)) {
      // an unreadable state only costs the resumption: the upload starts over
      try {
        const parsed = StateSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
        if (parsed.success && parsed.data.api === api && parsed.data.artifactId === artifactId && parsed.data.artifactVersion === artifactVersion) data = parsed.data;
      } catch {
        data = empty;
      }
    }
    this.data = data;
  }

  get(path: string): FileState | undefined {
    return this.data.files[path];
  }

  put(path: string, s: FileState): void {
    this.data.files[path] = s;
    this.save();
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  /** Every file is uploaded: nothing left to resume. */
  remove(): void {
    rmSync(this.file, { force: true });
  }
}

/** The file's digests: remembered from an earlier run when the file is unchanged (size, time), else read. */
export async function digestsOf(f: LocalFile, partMiB: number, state: UploadState, onBytes: (n: number) => void): Promise<HashedFile> {
  const partSize = partSizeFor(f.bytes, partMiB);
  const s = state.get(f.path);
  if (s && s.file === f.file && s.bytes === f.bytes && s.mtimeMs === f.mtimeMs && s.partSize === partSize) {
    onBytes(f.bytes);
    return { ...f, sha256: s.sha256, partSize, parts: s.parts };
  }
  const h = await hashFile(f, partSize, onBytes);
  // a changed file forgets its earlier upload
  state.put(f.path, { file: f.file, bytes: f.bytes, mtimeMs: f.mtimeMs, sha256: h.sha256, partSize, parts: h.parts });
  return h;
}

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

const reasonOf = (e: unknown) => {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
};
const s3Code = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? text.trim().slice(0, 120);

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
    if (res.body) {
      await pipeline(
        res.body,
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            count(chunk);
            yield chunk;
          }
        },
        createWriteStream(tmp),
      );
    } else {
      // a transport without a body stream: what it has as text
      const buf = Buffer.from(await res.text(), 'utf8');
      count(buf);
      writeFileSync(tmp, buf);
    }
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
export const barFor = (c: Context, label: string, total: number) => progressBar(c.io.err, label, total);

// Which local files an upload sends, and their SHA-256 digests (of the whole and of each part).
import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CliError, UsageError } from '../errors';
import { msg } from '../i18n';

export const MiB = 1024 * 1024;
/** The AWS CLI's multipart chunk size; S3 takes parts of 5 MiB to 5 GiB (but the last), at most 10,000. */
export const DEFAULT_PART_MIB = 8;
const MAX_PARTS = 10_000;

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

export function readRange(file: string, offset: number, bytes: number): Buffer {
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

export const sha256Of = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// Manifest validation. A version's manifest is registered in pages (at most MAX_FILES_PER_PAGE
// files each, up to MAX_FILES in all), so a 100,000-file dataset never needs one huge request.
// Every problem names its field: files[3].path, files[7].sha256.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/jcs';
import type { ManifestFile, ManifestPage } from './model';

export const MANIFEST_LIMITS = {
  /** Files in one version, over all pages (the issue asks for at least 100,000). */
  maxFiles: 200_000,
  maxFilesPerPage: 1_000,
  /** Pages are numbered 1..maxPages. */
  maxPages: 1_000,
  /** UTF-8 bytes of a path: the file's DynamoDB sort key holds it (1,024 bytes at most, with its prefix). */
  maxPathBytes: 1_000,
  maxSegmentBytes: 255,
  /** Per file; larger than any real file system's file, below 2^53. */
  maxFileBytes: 2 ** 50,
} as const;

export const SHA256_HEX = /^[0-9a-f]{64}$/;
// RFC 6838 restricted names, lower case, no parameters.
export const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

export interface Problem {
  path: string;
  problem: string;
}

// Control characters (C0, DEL, C1) and the backslash, which some tools read as a separator.
// biome-ignore lint/suspicious/noControlCharactersInRegex: it matches control characters in order to refuse them
const BAD_CHAR = /[\u0000-\u001f\u007f-\u009f\\]/;

/** Why a manifest path is refused, or undefined when it is a clean relative path. */
export function pathProblem(p: string): string | undefined {
  if (p.length === 0) return 'must not be empty';
  if (p.startsWith('/')) return 'must be relative (it starts with "/")';
  if (/^[A-Za-z]:/.test(p)) return 'must be relative (it starts with a drive letter)';
  if (BAD_CHAR.test(p)) return 'must not contain control characters or "\\"';
  if (p.normalize('NFC') !== p) return 'must be in Unicode NFC (two spellings of one name would be two files)';
  if (Buffer.byteLength(p, 'utf8') > MANIFEST_LIMITS.maxPathBytes) return `must be at most ${MANIFEST_LIMITS.maxPathBytes} UTF-8 bytes`;
  const segments = p.split('/');
  for (const s of segments) {
    if (s === '..') return 'must not contain ".." (it would leave the version)';
    if (s === '.') return 'must not contain "." segments';
    if (s === '') return 'must not contain empty segments ("//" or a trailing "/")';
    if (Buffer.byteLength(s, 'utf8') > MANIFEST_LIMITS.maxSegmentBytes) return `has a segment longer than ${MANIFEST_LIMITS.maxSegmentBytes} bytes`;
  }
  return undefined;
}

export interface RawFile {
  path: string;
  bytes: number;
  sha256: string;
  mediaType: string;
}

/** Validates one page; returns the files normalised (lower-case SHA-256 and media type) or the problems. */
export function validatePage(files: readonly RawFile[], prefix = 'files'): { files: ManifestFile[]; problems: Problem[] } {
  const problems: Problem[] = [];
  if (files.length === 0) problems.push({ path: prefix, problem: 'must list at least one file' });
  if (files.length > MANIFEST_LIMITS.maxFilesPerPage) problems.push({ path: prefix, problem: `must list at most ${MANIFEST_LIMITS.maxFilesPerPage} files per page; register the rest in further pages` });
  const seen = new Map<string, number>();
  const out: ManifestFile[] = [];
  files.forEach((f, i) => {
    const at = `${prefix}[${i}]`;
    const pp = pathProblem(f.path);
    if (pp) problems.push({ path: `${at}.path`, problem: pp });
    else if (seen.has(f.path)) problems.push({ path: `${at}.path`, problem: `repeats ${prefix}[${seen.get(f.path)}].path` });
    else seen.set(f.path, i);
    if (!Number.isSafeInteger(f.bytes) || f.bytes < 0) problems.push({ path: `${at}.bytes`, problem: 'must be a whole number of bytes, 0 or more' });
    else if (f.bytes > MANIFEST_LIMITS.maxFileBytes) problems.push({ path: `${at}.bytes`, problem: `must be at most ${MANIFEST_LIMITS.maxFileBytes}` });
    const sha = f.sha256.toLowerCase();
    if (!SHA256_HEX.test(sha)) problems.push({ path: `${at}.sha256`, problem: 'must be a SHA-256 digest: 64 hexadecimal digits (as sha256sum prints it)' });
    const mt = f.mediaType.toLowerCase();
    if (!MEDIA_TYPE.test(mt)) problems.push({ path: `${at}.mediaType`, problem: 'must be a media type such as text/csv or application/octet-stream (no parameters)' });
    out.push({ path: f.path, bytes: f.bytes, sha256: sha, mediaType: mt });
  });
  return { files: out, problems };
}

export function pageDigest(files: readonly ManifestFile[]): string {
  return createHash('sha256')
    .update(canonicalJson(files.map((f) => [f.path, f.bytes, f.sha256, f.mediaType])))
    .digest('hex');
}

export function pageSummary(files: readonly ManifestFile[]): ManifestPage {
  return { files: files.length, bytes: files.reduce((s, f) => s + f.bytes, 0), digest: pageDigest(files) };
}

/** Totals over committed pages, and whether a new page keeps the version within its limits. */
export function totals(pages: Record<string, ManifestPage>): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const p of Object.values(pages)) (files += p.files), (bytes += p.bytes);
  return { files, bytes };
}

export function pageLimitProblem(pages: Record<string, ManifestPage>, pageNo: number, adding: number): Problem | undefined {
  if (!Number.isInteger(pageNo) || pageNo < 1 || pageNo > MANIFEST_LIMITS.maxPages) return { path: 'params.page', problem: `must be a page number from 1 to ${MANIFEST_LIMITS.maxPages}` };
  const { files } = totals(pages);
  if (files + adding > MANIFEST_LIMITS.maxFiles) return { path: 'files', problem: `would bring the manifest to ${files + adding} files, over its limit of ${MANIFEST_LIMITS.maxFiles}` };
  return undefined;
}

/** Keeps the distinct media types of a version (sorted, at most 50) for search and renderings. */
export function mergeFormats(have: readonly string[], files: readonly ManifestFile[]): string[] {
  const s = new Set(have);
  for (const f of files) if (s.size < 50) s.add(f.mediaType);
  return [...s].sort();
}

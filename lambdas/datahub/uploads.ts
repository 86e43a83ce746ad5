// Small artifacts upload into the hub's bucket through presigned URLs: one PUT for a one-part
// file, S3 multipart otherwise. The client states each part's size and SHA-256; each URL signs
// the part's x-amz-checksum-sha256 header, so S3 itself refuses a part whose bytes differ (400
// BadDigest) and a client cannot leave the header out (the signature covers it). KAIRR does not
// rely on that alone: completing an upload reads the object back and checks every part's and the
// whole file's SHA-256 and size against what was declared and against the manifest, so the check
// holds on emulators that ignore checksum headers too (fauxqs does: docs/datahub.md). A mismatch
// fails the upload (audited, the object is deleted) with a 422 naming the part; a version whose
// uploads are not all verified cannot leave draft (manifest.ts checkManifestForSubmit). An
// interrupted upload resumes (resumeUpload): S3 says which parts it holds (ListParts), and the
// others get fresh URLs, so a client sends only what is missing.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListPartsCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ConflictError, ForbiddenError, NotFoundError, PayloadTooLargeError, RuleViolationError, ValidationError } from '../domain/errors';
import { newId } from '../domain/ids';
import { canEdit, canReadVersion, type Viewer } from '../domain/datahub/access';
import { assertMutable } from '../domain/datahub/lifecycle';
import { SHA256_HEX, type Problem } from '../domain/datahub/manifest';
import type { Artifact, ArtifactKind, Location, Version } from '../domain/datahub/model';
import { datahubKeys } from '../shared/store/keys';
import type { AuditContext } from '../shared/store/write-path';
import { datahubConfig, hubBucket } from './config';
import { s3 } from './clients';
import { commitDatahub, getItem, locationItem, queryAllPrefix, readArtifactAndVersion, SUBJECT, uploadItem, uploadOf, type Upload } from './store';
import type { CreateUploadBody } from './schemas';

const MIN_PART = 5 * 1024 ** 2;
const MAX_PART = 5 * 1024 ** 3;
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const hexOf = (base64: string) => Buffer.from(base64, 'base64').toString('hex');

/** A presigned URL for one part: PutObject for a one-part file, UploadPart otherwise; each signs the part's SHA-256. */
function signPart(bucket: string, u: Pick<Upload, 'key' | 'mode' | 's3UploadId' | 'mediaType'>, p: Upload['parts'][number], ttlSeconds: number): Promise<string> {
  const sign = { expiresIn: ttlSeconds, unhoistableHeaders: new Set(['x-amz-checksum-sha256']) };
  if (u.mode === 'single') return getSignedUrl(s3(), new PutObjectCommand({ Bucket: bucket, Key: u.key, ContentLength: p.bytes, ContentType: u.mediaType, ChecksumSHA256: b64(p.sha256) }), sign);
  return getSignedUrl(s3(), new UploadPartCommand({ Bucket: bucket, Key: u.key, UploadId: u.s3UploadId, PartNumber: p.partNumber, ContentLength: p.bytes, ChecksumSHA256: b64(p.sha256) }), sign);
}
const partHeaders = (p: Upload['parts'][number]) => ({ 'x-amz-checksum-sha256': b64(p.sha256) });

export const objectKey = (id: string, version: string, path: string) => `${id}/${version}/${path}`;

function steward(a: Artifact, v: Version | undefined, viewer: Viewer, id: string, version: string): Version {
  if (!v || !canReadVersion(a, v.state, viewer)) throw new NotFoundError('Version', `${id}@${version}`);
  if (!canEdit(a, viewer)) throw new ForbiddenError('Only a steward of the artifact (or an admin) uploads its files');
  assertMutable(v, 'its files');
  return v;
}

async function manifestEntry(id: string, v: Version, path: string) {
  const it = await getItem(datahubKeys.manifestFile(id, v.version, path));
  if (!it || !v.pages[String(it.page)]) throw new RuleViolationError(`"${path}" is not in the version's manifest; register it in a manifest page first`, [{ path: 'path', problem: 'is not in the manifest' }], 'not_in_manifest');
  return { bytes: Number(it.bytes), sha256: String(it.sha256), mediaType: String(it.mediaType) };
}

export type UploadOut = Upload & { parts: (Upload['parts'][number] & { url?: string; headers?: Record<string, string>; uploaded?: boolean; etag?: string })[] };

export async function createUpload(kind: ArtifactKind, id: string, version: string, body: CreateUploadBody, viewer: Viewer, ctx: AuditContext): Promise<UploadOut> {
  const cur = await readArtifactAndVersion(kind, id, version);
  const v = steward(cur.artifact, cur.version, viewer, id, version);
  const f = await manifestEntry(id, v, body.path);
  const cfg = datahubConfig().upload;
  if (f.bytes > cfg.maxFileBytes)
    throw new PayloadTooLargeError(`"${body.path}" is ${f.bytes} bytes; hub uploads take files up to ${cfg.maxFileBytes} bytes: register larger data at a site instead`, [
      { path: 'path', problem: `is larger than ${cfg.maxFileBytes} bytes` },
    ]);
  const problems: Problem[] = [];
  const parts = body.parts.map((p, i) => ({ partNumber: i + 1, bytes: p.bytes, sha256: p.sha256.toLowerCase() }));
  parts.forEach((p, i) => {
    if (!SHA256_HEX.test(p.sha256)) problems.push({ path: `parts[${i}].sha256`, problem: 'must be a SHA-256 digest: 64 hexadecimal digits' });
    if (!Number.isSafeInteger(p.bytes) || p.bytes < 0) problems.push({ path: `parts[${i}].bytes`, problem: 'must be a whole number of bytes' });
    else if (parts.length > 1 && (p.bytes > MAX_PART || (i < parts.length - 1 && p.bytes < MIN_PART))) problems.push({ path: `parts[${i}].bytes`, problem: 'must be 5 MiB to 5 GiB (all parts but the last), as S3 multipart requires' });
  });
  const sum = parts.reduce((s, p) => s + p.bytes, 0);
  if (sum !== f.bytes) problems.push({ path: 'parts', problem: `add up to ${sum} bytes; the manifest says ${f.bytes}` });
  if (parts.length === 1 && parts[0].sha256 !== f.sha256) problems.push({ path: 'parts[0].sha256', problem: "is not the file's SHA-256 in the manifest" });
  if (problems.length) throw new ValidationError(problems);

  const bucket = hubBucket();
  const key = objectKey(id, version, body.path);
  const now = ctx.now ?? new Date();
  const expires = new Date(now.getTime() + cfg.urlTtlSeconds * 1000);
  const mode: Upload['mode'] = parts.length === 1 ? 'single' : 'multipart';
  let s3UploadId: string | undefined;
  if (mode === 'multipart') {
    const mp = await s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: f.mediaType, ChecksumAlgorithm: 'SHA256' }));
    s3UploadId = mp.UploadId!;
  }
  // One part's SHA-256 is the file's (checked above), so a single PUT signs the file's digest.
  const urls = await Promise.all(parts.map((p) => signPart(bucket, { key, mode, s3UploadId, mediaType: f.mediaType }, p, cfg.urlTtlSeconds)));
  const u: Upload = {
    uploadId: newId('upl'),
    artifactId: id,
    version,
    path: body.path,
    bytes: f.bytes,
    sha256: f.sha256,
    mediaType: f.mediaType,
    mode,
    ...(s3UploadId ? { s3UploadId } : {}),
    key,
    parts,
    state: 'open',
    createdAt: now.toISOString(),
    createdBy: ctx.actor.sub,
    updatedAt: now.toISOString(),
    expiresAt: expires.toISOString(),
  };
  await commitDatahub(ctx, {
    changes: [{ subject: SUBJECT.upload(u.uploadId), before: null, after: uploadItem(u), action: `${kind}.upload.start`, details: { version, path: u.path, bytes: u.bytes, sha256: u.sha256, parts: parts.length } }],
  });
  return { ...u, parts: parts.map((p, i) => ({ ...p, url: urls[i], headers: partHeaders(p) })) };
}

type Held = { etag: string; bytes?: number; sha256?: string };

/**
 * The parts S3 holds of an upload, by part number. Multipart: ListParts, every page (S3 answers up
 * to 1,000 parts a page). A one-part file: the object itself, if it was written since the upload
 * began (an older object under the same key is another upload's). NoSuchUpload: S3 aborted it
 * (the bucket's lifecycle aborts incomplete multipart uploads after two days).
 */
async function heldParts(bucket: string, u: Upload): Promise<Map<number, Held>> {
  const held = new Map<number, Held>();
  if (u.mode === 'single') {
    try {
      const h = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: u.key, ChecksumMode: 'ENABLED' }));
      // LastModified has whole seconds
      const since = Math.floor(Date.parse(u.createdAt) / 1000) * 1000;
      if (h.ETag && (h.LastModified?.getTime() ?? 0) >= since) held.set(1, { etag: h.ETag, bytes: h.ContentLength, ...(h.ChecksumSHA256 ? { sha256: hexOf(h.ChecksumSHA256) } : {}) });
    } catch (e) {
      if (!['NotFound', 'NoSuchKey'].includes((e as { name?: string }).name ?? '')) throw e;
    }
    return held;
  }
  let marker: string | undefined;
  do {
    let page;
    try {
      page = await s3().send(new ListPartsCommand({ Bucket: bucket, Key: u.key, UploadId: u.s3UploadId, ...(marker ? { PartNumberMarker: marker } : {}) }));
    } catch (e) {
      if ((e as { name?: string }).name !== 'NoSuchUpload') throw e;
      throw new ConflictError(`S3 no longer holds the upload of "${u.path}" (incomplete uploads are aborted after two days); start a new upload`, [{ path: 'uploadId', problem: 'is gone from S3' }], 'upload_expired');
    }
    for (const p of page.Parts ?? []) if (p.PartNumber && p.ETag) held.set(p.PartNumber, { etag: p.ETag, bytes: p.Size, ...(p.ChecksumSHA256 ? { sha256: hexOf(p.ChecksumSHA256) } : {}) });
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (marker);
  return held;
}

/**
 * Resumes an open upload: for each declared part, whether S3 holds it (at its declared size, and
 * SHA-256 where S3 states one; a part held otherwise is to be sent again, which replaces it) with
 * its ETag, or a fresh presigned URL and the headers to send. Reads only: nothing is written, so
 * nothing is audited; the stored expiresAt stays the first URLs'.
 */
export async function resumeUpload(kind: ArtifactKind, id: string, version: string, uploadId: string, viewer: Viewer, now = new Date()): Promise<UploadOut> {
  const cur = await readArtifactAndVersion(kind, id, version);
  const v = steward(cur.artifact, cur.version, viewer, id, version);
  const { upload: u } = await readUpload(id, v.version, uploadId);
  if (u.state !== 'open')
    throw new ConflictError(
      u.state === 'verified' ? `The upload of "${u.path}" is complete and verified; there is nothing to resume` : `The upload of "${u.path}" failed (${u.reason ?? 'checksum mismatch'}); start a new upload`,
      [{ path: 'uploadId', problem: `is ${u.state}, not open` }],
      'upload_not_open',
    );
  const f = await getItem(datahubKeys.manifestFile(id, v.version, u.path));
  if (!f || !v.pages[String(f.page)] || f.sha256 !== u.sha256 || Number(f.bytes) !== u.bytes)
    throw new ConflictError(
      `The manifest no longer states "${u.path}" as this upload declared it (${u.bytes} bytes, SHA-256 ${u.sha256}); start a new upload`,
      [{ path: 'uploadId', problem: 'is stale against the manifest' }],
      'upload_stale',
    );
  const bucket = hubBucket();
  const held = await heldParts(bucket, u);
  const ttl = datahubConfig().upload.urlTtlSeconds;
  const parts = await Promise.all(
    u.parts.map(async (p) => {
      const h = held.get(p.partNumber);
      if (h && (h.bytes === undefined || h.bytes === p.bytes) && (h.sha256 === undefined || h.sha256 === p.sha256)) return { ...p, uploaded: true, etag: h.etag };
      return { ...p, uploaded: false, url: await signPart(bucket, u, p, ttl), headers: partHeaders(p) };
    }),
  );
  return { ...u, parts, expiresAt: new Date(now.getTime() + ttl * 1000).toISOString() };
}

/** Reads the object once, hashing each declared part and the whole file. */
async function digestObject(bucket: string, key: string, parts: Upload['parts']): Promise<{ bytes: number; sha256: string; parts: string[] }> {
  const out = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const whole = createHash('sha256');
  const digests: string[] = [];
  let part = 0;
  let left = parts[0]?.bytes ?? 0;
  let ph = createHash('sha256');
  let total = 0;
  for await (const chunk of out.Body as Readable) {
    let buf = chunk as Buffer;
    whole.update(buf);
    total += buf.length;
    while (buf.length) {
      if (part >= parts.length) break;
      const take = Math.min(left, buf.length);
      ph.update(buf.subarray(0, take));
      buf = buf.subarray(take);
      left -= take;
      if (left === 0) {
        digests.push(ph.digest('hex'));
        part++;
        ph = createHash('sha256');
        left = parts[part]?.bytes ?? 0;
      }
    }
  }
  while (digests.length < parts.length) digests.push(ph.digest('hex')), (ph = createHash('sha256'));
  return { bytes: total, sha256: whole.digest('hex'), parts: digests };
}

export async function readUpload(id: string, version: string, uploadId: string) {
  const item = await getItem(datahubKeys.upload(id, version, uploadId));
  if (!item) throw new NotFoundError('Upload', uploadId);
  return { upload: uploadOf(item), item };
}

export async function completeUpload(kind: ArtifactKind, id: string, version: string, uploadId: string, etags: string[], viewer: Viewer, ctx: AuditContext): Promise<Upload> {
  const cur = await readArtifactAndVersion(kind, id, version);
  const v = steward(cur.artifact, cur.version, viewer, id, version);
  const { upload: u, item } = await readUpload(id, version, uploadId);
  if (u.state !== 'open') return u;
  const bucket = hubBucket();
  const problems: Problem[] = [];
  if (u.mode === 'multipart') {
    const withSums = datahubConfig().upload.completeWithPartChecksums;
    if (etags.length !== u.parts.length) throw ValidationError.field('etags', `must give the ETag of each of the ${u.parts.length} parts, in order`);
    try {
      await s3().send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: u.key,
          UploadId: u.s3UploadId,
          MultipartUpload: { Parts: u.parts.map((p, i) => ({ PartNumber: p.partNumber, ETag: etags[i], ...(withSums ? { ChecksumSHA256: b64(p.sha256) } : {}) })) },
        }),
      );
    } catch (e) {
      const name = (e as { name?: string }).name ?? 'error';
      if (!['InvalidPart', 'BadDigest', 'InvalidPartOrder', 'EntityTooSmall', 'NoSuchUpload', 'InvalidRequest'].includes(name)) throw e;
      problems.push({ path: 'etags', problem: `S3 refused to assemble the parts (${name}); upload the parts again` });
    }
  }
  if (!problems.length) {
    let got: Awaited<ReturnType<typeof digestObject>> | undefined;
    try {
      got = await digestObject(bucket, u.key, u.parts);
    } catch (e) {
      if ((e as { name?: string }).name !== 'NoSuchKey') throw e;
      problems.push({ path: 'uploadId', problem: 'nothing was uploaded yet: PUT the file (or its parts) to the URLs first' });
    }
    if (got) {
      if (got.bytes !== u.bytes) problems.push({ path: 'bytes', problem: `the object has ${got.bytes} bytes; the manifest says ${u.bytes}` });
      got.parts.forEach((d, i) => {
        if (u.mode === 'multipart' && d !== u.parts[i].sha256) problems.push({ path: `parts[${i}].sha256`, problem: `part ${i + 1}'s bytes have SHA-256 ${d}, not the declared ${u.parts[i].sha256}` });
      });
      if (got.sha256 !== u.sha256) problems.push({ path: 'sha256', problem: `the file's SHA-256 is ${got.sha256}, not ${u.sha256} as the manifest states` });
    }
  }
  const now = (ctx.now ?? new Date()).toISOString();
  if (problems.length) {
    if (problems[0].path === 'uploadId') throw new RuleViolationError('Nothing was uploaded yet', problems, 'upload_missing');
    const failed: Upload = { ...u, state: 'failed', reason: problems.map((p) => p.problem).join('; '), updatedAt: now };
    await s3()
      .send(new DeleteObjectCommand({ Bucket: bucket, Key: u.key }))
      .catch(() => undefined);
    await commitDatahub(ctx, { changes: [{ subject: SUBJECT.upload(u.uploadId), before: item, after: uploadItem(failed), action: `${kind}.upload.failed`, details: { path: u.path, problems } }] });
    throw new RuleViolationError(`The upload of "${u.path}" does not match its checksum; it was discarded`, problems, 'upload_checksum_mismatch');
  }
  const done: Upload = { ...u, state: 'verified', updatedAt: now };
  await commitDatahub(ctx, { changes: [{ subject: SUBJECT.upload(u.uploadId), before: item, after: uploadItem(done), action: `${kind}.upload.verified`, details: { path: u.path, sha256: u.sha256, bytes: u.bytes } }] });
  await recordHubCopy(kind, v, ctx);
  return done;
}

/** When every manifest file has a verified upload, the version has a verified copy in the hub. */
async function recordHubCopy(kind: ArtifactKind, v: Version, ctx: AuditContext): Promise<void> {
  const { pk, skPrefix } = datahubKeys.uploadPrefix(v.artifactId, v.version);
  const verified = new Set(
    (await queryAllPrefix(pk, skPrefix))
      .map(uploadOf)
      .filter((u) => u.state === 'verified')
      .map((u) => u.path),
  );
  if (verified.size < v.files) return;
  const key = datahubKeys.location(v.artifactId, v.version, 'hub');
  const before = await getItem(key);
  const now = (ctx.now ?? new Date()).toISOString();
  const l: Location = {
    artifactId: v.artifactId,
    version: v.version,
    locationId: 'hub',
    kind: 'hub',
    path: `${v.artifactId}/${v.version}`,
    state: 'verified',
    lastVerifiedAt: now,
    createdAt: (before?.createdAt as string) ?? now,
    createdBy: (before?.createdBy as string) ?? ctx.actor.sub,
    updatedAt: now,
  };
  await commitDatahub(ctx, { changes: [{ subject: SUBJECT.location(l), before, after: locationItem(l), action: `${kind}.location.verified`, details: { files: v.files, bytes: v.bytes } }] }).catch((e) => {
    if ((e as { code?: string }).code !== 'stale_write') throw e; // another completion recorded it
  });
}

export async function downloadUrl(id: string, version: string, path: string): Promise<string> {
  const loc = await getItem(datahubKeys.location(id, version, 'hub'));
  if (loc?.state !== 'verified') throw new ConflictError('The hub holds no verified copy of this version; see its locations', [{ path: 'version', problem: 'has no verified hub copy' }], 'no_hub_copy');
  const it = await getItem(datahubKeys.manifestFile(id, version, path));
  if (!it) throw new NotFoundError('File', `${id}@${version}/${path}`);
  return getSignedUrl(s3(), new GetObjectCommand({ Bucket: hubBucket(), Key: objectKey(id, version, path) }), { expiresIn: 300 });
}

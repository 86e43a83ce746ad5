// Small artifacts upload into the hub's bucket through presigned URLs: one PUT for a one-part
// file, S3 multipart otherwise. The client states each part's size and SHA-256; each URL signs
// the part's x-amz-checksum-sha256 header, so S3 itself refuses a part whose bytes differ (400
// BadDigest) and a client cannot leave the header out (the signature covers it). KAIRR does not
// rely on that alone: completing an upload reads the object back and checks every part's and the
// whole file's SHA-256 and size against what was declared and against the manifest, so the check
// holds on emulators that ignore checksum headers too (fauxqs does: docs/datahub.md). A mismatch
// fails the upload (audited, the object is deleted) with a 422 naming the part; a version whose
// uploads are not all verified cannot leave draft (manifest.ts checkManifestForSubmit).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
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

export type UploadOut = Upload & { parts: (Upload['parts'][number] & { url?: string; headers?: Record<string, string> })[] };

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
  const sign = { expiresIn: cfg.urlTtlSeconds, unhoistableHeaders: new Set(['x-amz-checksum-sha256']) };
  const mode: Upload['mode'] = parts.length === 1 ? 'single' : 'multipart';
  let s3UploadId: string | undefined;
  let urls: string[];
  if (mode === 'single') {
    urls = [await getSignedUrl(s3(), new PutObjectCommand({ Bucket: bucket, Key: key, ContentLength: f.bytes, ContentType: f.mediaType, ChecksumSHA256: b64(f.sha256) }), sign)];
  } else {
    const mp = await s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: f.mediaType, ChecksumAlgorithm: 'SHA256' }));
    s3UploadId = mp.UploadId!;
    urls = await Promise.all(parts.map((p) => getSignedUrl(s3(), new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: s3UploadId, PartNumber: p.partNumber, ContentLength: p.bytes, ChecksumSHA256: b64(p.sha256) }), sign)));
  }
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
  return { ...u, parts: parts.map((p, i) => ({ ...p, url: urls[i], headers: { 'x-amz-checksum-sha256': b64(p.sha256) } })) };
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

// Presigned uploads into the hub's bucket, against fauxqs (the local S3 emulator, real HTTP):
// single PUTs and multipart uploads with a SHA-256 per part, verified by reading the object back.
// fauxqs accepts presigned URLs and ignores checksum headers (it neither checks the signature nor
// x-amz-checksum-sha256; shown below), which is why KAIRR checks every part itself on completion.
// Resuming asks S3 which parts it holds (ListParts, which local/fauxqs-list-parts.mjs adds to fauxqs).
import { randomBytes } from 'node:crypto';
import { AbortMultipartUploadCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { datahubApi } from '../../../lambdas/datahub/api';
import { resetDatahubConfig } from '../../../lambdas/datahub/config';
import { readUpload } from '../../../lambdas/datahub/uploads';
import type { RouteSpec } from '../../../lambdas/shared/http/spec';
import { api, BUCKET, datahubFixture, DATASET, ROLE_CALLERS, sha, type Fixture } from './support';

const { steward, researcher, curator } = ROLE_CALLERS;
let fx: Fixture;
beforeAll(async () => {
  fx = await datahubFixture({ s3: true });
});
afterAll(async () => fx.stop());

const MiB = 1024 * 1024;

async function put(url: string, body: Buffer, headers: Record<string, string>): Promise<Response> {
  // A copy: fetch sends a Buffer view's whole underlying memory, not just the view.
  return fetch(url, { method: 'PUT', body: Uint8Array.from(body), headers: { ...headers, 'content-length': String(body.length) } });
}

async function draftWith(files: { path: string; data: Buffer; mediaType: string }[]): Promise<string> {
  const created = await api(steward, 'POST', '/v1/datasets', DATASET);
  const id = created.body.id;
  await api(steward, 'POST', `/v1/datasets/${id}/versions`, { version: '1.0.0' });
  const page = await api(steward, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1`, { files: files.map((f) => ({ path: f.path, bytes: f.data.length, sha256: sha(f.data), mediaType: f.mediaType })) });
  if (page.status !== 200) throw new Error(page.text);
  return id;
}

describe('uploads into the hub', () => {
  const small = Buffer.from('{"text":"안녕하세요"}\n');
  const big = randomBytes(11 * MiB + 123);
  const parts = [big.subarray(0, 5 * MiB), big.subarray(5 * MiB, 10 * MiB), big.subarray(10 * MiB)];
  let id: string;

  it('a single-part file: PUT to the presigned URL with the signed SHA-256 header, then complete', async () => {
    id = await draftWith([
      { path: 'data/small.jsonl', data: small, mediaType: 'application/jsonl' },
      { path: 'data/big.bin', data: big, mediaType: 'application/octet-stream' },
    ]);
    const u = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'data/small.jsonl', parts: [{ bytes: small.length, sha256: sha(small) }] });
    expect(u.status).toBe(201);
    expect(u.body).toMatchObject({ mode: 'single', state: 'open', parts: [{ partNumber: 1, headers: { 'x-amz-checksum-sha256': Buffer.from(sha(small), 'hex').toString('base64') } }] });
    const url = new URL(u.body.parts[0].url);
    expect(url.origin).toBe(fx.s3Endpoint);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('x-amz-checksum-sha256');
    expect((await put(u.body.parts[0].url, small, u.body.parts[0].headers)).status).toBe(200);
    const done = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads/${u.body.uploadId}`, {});
    expect(done).toMatchObject({ status: 200, body: { state: 'verified' } });
    const obj = await fx.s3!.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${id}/1.0.0/data/small.jsonl` }));
    expect(Buffer.from(await obj.Body!.transformToByteArray()).equals(small)).toBe(true);
  });

  it('a version with an upload still missing cannot leave draft', async () => {
    const r = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'submit' });
    expect(r.status).toBe(422);
    expect(r.body.error.details).toEqual([{ path: 'uploads', problem: expect.stringContaining('"data/big.bin" has no upload') }]);
  });

  it('a multipart file with a tampered part is refused naming the part, discarded, and blocks submission', async () => {
    const decl = parts.map((p) => ({ bytes: p.length, sha256: sha(p) }));
    const u = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'data/big.bin', parts: decl });
    expect(u.body.mode).toBe('multipart');
    const etags: string[] = [];
    for (const [i, p] of u.body.parts.entries()) {
      const body = i === 1 ? Buffer.concat([parts[1].subarray(0, 100), Buffer.from('X'), parts[1].subarray(101)]) : parts[i];
      const res = await put(p.url, body, p.headers);
      // fauxqs takes the tampered part: it does not check x-amz-checksum-sha256 (S3 would answer 400 BadDigest).
      expect(res.status).toBe(200);
      etags.push(res.headers.get('etag')!);
    }
    const done = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads/${u.body.uploadId}`, { etags });
    expect(done.status).toBe(422);
    expect(done.body.error).toMatchObject({ code: 'upload_checksum_mismatch' });
    expect(done.body.error.details.map((d: { path: string }) => d.path)).toEqual(['parts[1].sha256', 'sha256']);
    await expect(fx.s3!.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${id}/1.0.0/data/big.bin` }))).rejects.toThrow();
    const submit = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'submit' });
    expect(submit.status).toBe(422);
    expect(submit.body.error.details[0].problem).toContain('did not match its SHA-256');
  });

  it('uploaded again correctly, the version has a verified hub copy, is published, and downloads redirect to it', async () => {
    const decl = parts.map((p) => ({ bytes: p.length, sha256: sha(p) }));
    const u = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'data/big.bin', parts: decl });
    const etags: string[] = [];
    for (const [i, p] of u.body.parts.entries()) etags.push((await put(p.url, parts[i], p.headers)).headers.get('etag')!);
    expect((await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads/${u.body.uploadId}`, { etags })).body.state).toBe('verified');
    expect((await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'submit' })).status).toBe(200);
    expect((await api(curator, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'publish' })).status).toBe(200);
    const locs = await api(researcher, 'GET', `/v1/datasets/${id}/versions/1.0.0/locations`);
    expect(locs.body.items).toEqual([expect.objectContaining({ locationId: 'hub', kind: 'hub', state: 'verified', lastVerifiedAt: expect.any(String) })]);
    const dl = await api(researcher, 'GET', `/v1/datasets/${id}/versions/1.0.0/files/data/big.bin`);
    expect(dl.status).toBe(302);
    const got = Buffer.from(await (await fetch(dl.headers.location)).arrayBuffer());
    expect(sha(got)).toBe(sha(big));
    expect((await api(undefined, 'GET', `/v1/public/datasets/${id}/versions/1.0.0/manifest`)).body.items).toHaveLength(2);
  });

  it('refuses uploads of files not in the manifest, with parts that do not add up, or by a non-steward', async () => {
    const other = await draftWith([{ path: 'a.txt', data: small, mediaType: 'text/plain' }]);
    expect((await api(steward, 'POST', `/v1/datasets/${other}/versions/1.0.0/uploads`, { path: 'b.txt', parts: [{ bytes: 1, sha256: sha('x') }] })).body.error.code).toBe('not_in_manifest');
    const wrong = await api(steward, 'POST', `/v1/datasets/${other}/versions/1.0.0/uploads`, { path: 'a.txt', parts: [{ bytes: small.length + 1, sha256: 'zz' }] });
    expect(wrong.body.error.details.map((d: { path: string }) => d.path)).toEqual(['parts[0].sha256', 'parts', 'parts[0].sha256']);
    expect((await api(researcher, 'POST', `/v1/datasets/${other}/versions/1.0.0/uploads`, { path: 'a.txt', parts: [{ bytes: small.length, sha256: sha(small) }] })).status).toBe(404);
    const tiny = await api(steward, 'POST', `/v1/datasets/${other}/versions/1.0.0/uploads`, {
      path: 'a.txt',
      parts: [
        { bytes: 1, sha256: sha('a') },
        { bytes: small.length - 1, sha256: sha('b') },
      ],
    });
    expect(tiny.body.error.details).toEqual([{ path: 'parts[0].bytes', problem: expect.stringContaining('5 MiB') }]);
    const u = await api(steward, 'POST', `/v1/datasets/${other}/versions/1.0.0/uploads`, { path: 'a.txt', parts: [{ bytes: small.length, sha256: sha(small) }] });
    const early = await api(steward, 'POST', `/v1/datasets/${other}/versions/1.0.0/uploads/${u.body.uploadId}`, {});
    expect(early.body.error.code).toBe('upload_missing');
  });
});

describe('what fauxqs does with the part checksums S3 requires on completion', () => {
  it("with ChecksumSHA256 in CompleteMultipartUpload (as for S3) fauxqs assembles an empty object, and KAIRR's read-back check refuses it", async () => {
    const before = process.env.DATAHUB_CONFIG!;
    process.env.DATAHUB_CONFIG = JSON.stringify({ ...JSON.parse(before), upload: { completeWithPartChecksums: true } });
    resetDatahubConfig();
    try {
      const data = randomBytes(5 * MiB + 10);
      const parts = [Buffer.from(data.subarray(0, 5 * MiB)), Buffer.from(data.subarray(5 * MiB))];
      const id = await draftWith([{ path: 'x.bin', data, mediaType: 'application/octet-stream' }]);
      const u = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'x.bin', parts: parts.map((p) => ({ bytes: p.length, sha256: sha(p) })) });
      const etags: string[] = [];
      for (const [i, p] of u.body.parts.entries()) etags.push((await put(p.url, parts[i], p.headers)).headers.get('etag')!);
      const done = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads/${u.body.uploadId}`, { etags });
      expect(done.status).toBe(422);
      expect(done.body.error.details[0]).toEqual({ path: 'bytes', problem: `the object has 0 bytes; the manifest says ${data.length}` });
    } finally {
      process.env.DATAHUB_CONFIG = before;
      resetDatahubConfig();
    }
  });
});

describe('resuming an interrupted upload (GET …/uploads/{uploadId})', () => {
  const { admin, auditor } = ROLE_CALLERS;
  const data = randomBytes(11 * MiB + 7);
  const cut = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
  const decl = cut.map((p) => ({ bytes: p.length, sha256: sha(p) }));
  const resumeSpec = (datahubApi as Record<string, RouteSpec>).resumeArtifactUpload;
  const resume = async (caller: typeof steward | undefined, id: string, uploadId: string) => {
    const r = await api(caller, 'GET', `/v1/datasets/${id}/versions/1.0.0/uploads/${uploadId}`);
    const schema = resumeSpec.responses[r.status]?.schema;
    if (!schema) throw new Error(`resumeArtifactUpload has no ${r.status} answer: ${r.text}`);
    const parsed = schema.safeParse(r.body);
    if (!parsed.success) throw new Error(`resumeArtifactUpload ${r.status}: ${JSON.stringify(parsed.error.issues)}`);
    return r;
  };

  it('a multipart upload with parts 1 and 3 sent: S3 holds those (with their ETags), part 2 gets a fresh URL; sending it completes the upload', async () => {
    const id = await draftWith([{ path: 'm.bin', data, mediaType: 'application/octet-stream' }]);
    const u = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'm.bin', parts: decl });
    const etag1 = (await put(u.body.parts[0].url, cut[0], u.body.parts[0].headers)).headers.get('etag')!;
    const etag3 = (await put(u.body.parts[2].url, cut[2], u.body.parts[2].headers)).headers.get('etag')!;
    const r = await resume(steward, id, u.body.uploadId);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ uploadId: u.body.uploadId, state: 'open', mode: 'multipart', expiresAt: expect.any(String) });
    expect(r.body.parts.map((p: { partNumber: number; uploaded: boolean; etag?: string; url?: string }) => [p.partNumber, p.uploaded, p.etag, !!p.url])).toEqual([
      [1, true, etag1, false],
      [2, false, undefined, true],
      [3, true, etag3, false],
    ]);
    expect(r.body.parts[1].headers).toEqual({ 'x-amz-checksum-sha256': Buffer.from(decl[1].sha256, 'hex').toString('base64') });
    expect(new URL(r.body.parts[1].url).searchParams.get('partNumber')).toBe('2');
    const etag2 = (await put(r.body.parts[1].url, cut[1], r.body.parts[1].headers)).headers.get('etag')!;
    const done = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads/${u.body.uploadId}`, { etags: [etag1, etag2, etag3] });
    expect(done).toMatchObject({ status: 200, body: { state: 'verified' } });
    // verified: nothing to resume
    const after = await resume(steward, id, u.body.uploadId);
    expect(after.status).toBe(409);
    expect(after.body.error).toMatchObject({ code: 'upload_not_open', details: [{ path: 'uploadId', problem: 'is verified, not open' }] });
  });

  it('a part S3 holds with other bytes than declared is to be sent again (its SHA-256 as S3 states it differs)', async () => {
    const id = await draftWith([{ path: 't.bin', data, mediaType: 'application/octet-stream' }]);
    const u = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 't.bin', parts: decl });
    const tampered = Buffer.from(cut[0]);
    tampered[7] ^= 0xff;
    await put(u.body.parts[0].url, tampered, u.body.parts[0].headers);
    await put(u.body.parts[1].url, cut[1], u.body.parts[1].headers);
    const r = await resume(steward, id, u.body.uploadId);
    expect(r.body.parts.map((p: { uploaded: boolean }) => p.uploaded)).toEqual([false, true, false]);
  });

  it('a one-part file: not uploaded until the object is written after the upload began', async () => {
    const small = Buffer.from('{"a":1}\n');
    const id = await draftWith([{ path: 's.jsonl', data: small, mediaType: 'application/jsonl' }]);
    const u = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 's.jsonl', parts: [{ bytes: small.length, sha256: sha(small) }] });
    const before = await resume(steward, id, u.body.uploadId);
    expect(before.body.parts).toEqual([expect.objectContaining({ partNumber: 1, uploaded: false, url: expect.any(String), headers: u.body.parts[0].headers })]);
    await put(before.body.parts[0].url, small, before.body.parts[0].headers);
    const after = await resume(steward, id, u.body.uploadId);
    expect(after.body.parts).toEqual([expect.objectContaining({ partNumber: 1, uploaded: true, etag: expect.any(String) })]);
    expect(after.body.parts[0].url).toBeUndefined();
  });

  it('the steward and an admin may; another researcher is not shown the draft (404); a curator, an auditor and anonymous are refused', async () => {
    const id = await draftWith([{ path: 'x.bin', data, mediaType: 'application/octet-stream' }]);
    const u = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'x.bin', parts: decl });
    expect((await resume(steward, id, u.body.uploadId)).status).toBe(200);
    expect((await resume(admin, id, u.body.uploadId)).status).toBe(200);
    const other = await resume(researcher, id, u.body.uploadId);
    expect(other.status).toBe(404);
    expect(other.body.error.message).not.toContain('x.bin');
    expect((await resume(curator, id, u.body.uploadId)).status).toBe(403);
    expect((await resume(auditor, id, u.body.uploadId)).status).toBe(403);
    expect((await resume(undefined, id, u.body.uploadId)).status).toBe(401);
  });

  it('404 for an unknown upload; 409 for a failed one, one the manifest now states otherwise, and one S3 no longer holds', async () => {
    const id = await draftWith([{ path: 'f.bin', data, mediaType: 'application/octet-stream' }]);
    const unknown = await resume(steward, id, `upl-${'0'.repeat(26)}`);
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    // failed: parts that do not match, completed
    const bad = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'f.bin', parts: decl });
    const etags = [];
    for (const [i, p] of bad.body.parts.entries()) etags.push((await put(p.url, i === 0 ? Buffer.from(cut[1]) : cut[i], p.headers)).headers.get('etag')!);
    expect((await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads/${bad.body.uploadId}`, { etags })).status).toBe(422);
    expect((await resume(steward, id, bad.body.uploadId)).body.error.code).toBe('upload_not_open');
    // gone from S3 (aborted, as the bucket's lifecycle does after two days)
    const gone = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'f.bin', parts: decl });
    const { item } = await readUpload(id, '1.0.0', gone.body.uploadId);
    await fx.s3!.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: String(item.key), UploadId: String(item.s3UploadId) }));
    const expired = await resume(steward, id, gone.body.uploadId);
    expect(expired).toMatchObject({ status: 409, body: { error: { code: 'upload_expired' } } });
    // stale: the manifest's page replaced with another SHA-256 for the file
    const open = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'f.bin', parts: decl });
    expect((await api(steward, 'DELETE', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1`)).status).toBe(200);
    const page = await api(steward, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1`, { files: [{ path: 'f.bin', bytes: data.length, sha256: sha('other'), mediaType: 'application/octet-stream' }] });
    expect(page.status).toBe(200);
    const stale = await resume(steward, id, open.body.uploadId);
    expect(stale).toMatchObject({ status: 409, body: { error: { code: 'upload_stale', details: [{ path: 'uploadId', problem: 'is stale against the manifest' }] } } });
  });
});

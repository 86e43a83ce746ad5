// Presigned uploads into the hub's bucket, against fauxqs (the local S3 emulator, real HTTP):
// single PUTs and multipart uploads with a SHA-256 per part, verified by reading the object back.
// fauxqs accepts presigned URLs and ignores checksum headers (it neither checks the signature nor
// x-amz-checksum-sha256; shown below), which is why KAIRR checks every part itself on completion.
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { resetDatahubConfig } from '../../../lambdas/datahub/config';
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

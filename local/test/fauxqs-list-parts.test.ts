// S3 ListParts on the local fauxqs (fauxqs-list-parts.mjs), through the ordinary S3 client: the
// parts of an open multipart upload with their ETags, sizes and SHA-256, in pages; NoSuchUpload
// for an upload completed, aborted or never made; other GETs still reach fauxqs.
import { createHash } from 'node:crypto';
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, ListPartsCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { startFauxqs, type FauxqsProcess } from '../aws-services';

let fauxqs: FauxqsProcess;
let s3: S3Client;
beforeAll(async () => {
  fauxqs = await startFauxqs({ region: 'ap-northeast-2', buckets: ['b'], topics: [], queues: [] });
  s3 = new S3Client({
    endpoint: fauxqs.endpoint,
    region: 'ap-northeast-2',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => fauxqs.stop());

it('lists the parts S3 holds of an open upload, page by page, then NoSuchUpload once it is aborted', async () => {
  const Key = 'a/b c/ä.bin';
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b', Key, ChecksumAlgorithm: 'SHA256' }));
  const bodies = [Buffer.alloc(10, 1), Buffer.alloc(20, 2), Buffer.alloc(30, 3)];
  const etags: string[] = [];
  // parts 1 and 3 only
  for (const n of [1, 3]) etags[n] = (await s3.send(new UploadPartCommand({ Bucket: 'b', Key, UploadId, PartNumber: n, Body: bodies[n - 1] }))).ETag!;
  const all = await s3.send(new ListPartsCommand({ Bucket: 'b', Key, UploadId }));
  expect(all.IsTruncated).toBe(false);
  expect(all.Parts!.map((p) => [p.PartNumber, p.ETag, p.Size, p.ChecksumSHA256])).toEqual(
    [1, 3].map((n) => [
      n,
      etags[n],
      bodies[n - 1].length,
      createHash('sha256')
        .update(bodies[n - 1])
        .digest('base64'),
    ]),
  );
  const first = await s3.send(new ListPartsCommand({ Bucket: 'b', Key, UploadId, MaxParts: 1 }));
  expect([first.IsTruncated, first.NextPartNumberMarker, first.Parts!.map((p) => p.PartNumber)]).toEqual([true, '1', [1]]);
  const rest = await s3.send(new ListPartsCommand({ Bucket: 'b', Key, UploadId, MaxParts: 1, PartNumberMarker: first.NextPartNumberMarker }));
  expect([rest.IsTruncated, rest.Parts!.map((p) => p.PartNumber)]).toEqual([false, [3]]);
  await expect(s3.send(new ListPartsCommand({ Bucket: 'b', Key: 'other', UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
  await s3.send(new AbortMultipartUploadCommand({ Bucket: 'b', Key, UploadId }));
  await expect(s3.send(new ListPartsCommand({ Bucket: 'b', Key, UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
});

it('leaves every other request to fauxqs', async () => {
  await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'x.txt', Body: 'hello' }));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'x.txt' }));
  expect(await got.Body!.transformToString()).toBe('hello');
});

// An ExportSink that streams one file into S3 in bounded memory: chunks are gathered into parts of
// `partBytes` and sent as a multipart upload with at most `maxInFlight` parts uploading at once, so
// memory holds about (maxInFlight + 1) parts whatever the file's size. A file that stays under one
// part is sent with a single PutObject on close. abort() aborts the multipart upload, so a failed
// export leaves no partial object behind (and no manifest: the writer writes it last).
// Written against @aws-sdk/client-s3 directly (no lib-storage); works with S3 and with fauxqs.
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ExportSink } from '../domain/audit';

export interface S3SinkOptions {
  client: S3Client;
  bucket: string;
  key: string;
  contentType: string;
  /** Part size; S3 needs >= 5 MiB for every part but the last. Default 8 MiB. */
  partBytes?: number;
  /** Parts uploading concurrently. Default 2. */
  maxInFlight?: number;
}

const MIN_PART = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

export function s3UploadSink(o: S3SinkOptions): ExportSink & { readonly uploadId: string | undefined; readonly parts: number } {
  const partBytes = Math.max(MIN_PART, o.partBytes ?? 8 * 1024 * 1024);
  const maxInFlight = Math.max(1, o.maxInFlight ?? 2);
  let buffered: Uint8Array[] = [];
  let bufferedBytes = 0;
  let uploadId: string | undefined;
  const done: { PartNumber: number; ETag: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let closed = false;
  let started = 0;

  async function ensureUpload(): Promise<string> {
    if (!uploadId) {
      const out = await o.client.send(new CreateMultipartUploadCommand({ Bucket: o.bucket, Key: o.key, ContentType: o.contentType }));
      if (!out.UploadId) throw new Error(`S3 returned no UploadId for ${o.key}`);
      uploadId = out.UploadId;
    }
    return uploadId;
  }

  function takeBuffer(): Buffer {
    const body = Buffer.concat(buffered, bufferedBytes);
    buffered = [];
    bufferedBytes = 0;
    return body;
  }

  async function sendPart(body: Buffer): Promise<void> {
    const id = await ensureUpload();
    const partNumber = ++started;
    if (partNumber > MAX_PARTS) throw new Error(`${o.key}: more than ${MAX_PARTS} parts; raise partBytes`);
    const p = o.client
      .send(new UploadPartCommand({ Bucket: o.bucket, Key: o.key, UploadId: id, PartNumber: partNumber, Body: body, ContentLength: body.length }))
      .then((out) => {
        if (!out.ETag) throw new Error(`S3 returned no ETag for part ${partNumber} of ${o.key}`);
        done.push({ PartNumber: partNumber, ETag: out.ETag });
      })
      .catch((err) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    if (failure) throw failure;
  }

  return {
    get uploadId() {
      return uploadId;
    },
    get parts() {
      return done.length;
    },
    async write(chunk) {
      if (failure) throw failure;
      if (closed) throw new Error(`${o.key} is closed`);
      buffered.push(chunk);
      bufferedBytes += chunk.length;
      if (bufferedBytes >= partBytes) await sendPart(takeBuffer());
    },
    async close() {
      closed = true;
      if (failure) throw failure;
      if (!uploadId) {
        const body = takeBuffer();
        await o.client.send(new PutObjectCommand({ Bucket: o.bucket, Key: o.key, Body: body, ContentLength: body.length, ContentType: o.contentType }));
        return;
      }
      if (bufferedBytes > 0) await sendPart(takeBuffer());
      await Promise.all(inFlight);
      if (failure) throw failure;
      done.sort((a, b) => a.PartNumber - b.PartNumber);
      await o.client.send(new CompleteMultipartUploadCommand({ Bucket: o.bucket, Key: o.key, UploadId: uploadId, MultipartUpload: { Parts: done } }));
    },
    async abort() {
      closed = true;
      buffered = [];
      bufferedBytes = 0;
      await Promise.allSettled(inFlight);
      if (uploadId) await o.client.send(new AbortMultipartUploadCommand({ Bucket: o.bucket, Key: o.key, UploadId: uploadId })).catch(() => undefined);
    },
  };
}

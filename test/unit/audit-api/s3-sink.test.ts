// The multipart S3 sink against fauxqs: small files in one PUT, large ones in parts (in order,
// whatever order the parts finish in), an abort leaves nothing, and a failed part fails the file.
import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3UploadSink } from '../../../lambdas/audit/s3-sink';
import { EXPORT_BUCKET, auditFixture, type AuditFixture } from './support';

let fx: AuditFixture;
beforeAll(async () => {
  fx = await auditFixture();
});
afterAll(() => fx.stop());

const MiB = 1024 * 1024;

async function sha(key: string): Promise<string> {
  const got = await fx.s3.send(new GetObjectCommand({ Bucket: EXPORT_BUCKET, Key: key }));
  return createHash('sha256')
    .update(await got.Body!.transformToByteArray())
    .digest('hex');
}
async function exists(key: string): Promise<boolean> {
  return fx.s3.send(new HeadObjectCommand({ Bucket: EXPORT_BUCKET, Key: key })).then(
    () => true,
    () => false,
  );
}

describe('s3UploadSink', () => {
  it('sends a file smaller than a part with one PutObject', async () => {
    const sink = s3UploadSink({ client: fx.s3, bucket: EXPORT_BUCKET, key: 'sink/small.txt', contentType: 'text/plain' });
    await sink.write(Buffer.from('hello, '));
    await sink.write(Buffer.from('world\n'));
    await sink.close();
    expect(sink.uploadId).toBeUndefined();
    expect(await sha('sink/small.txt')).toBe(createHash('sha256').update('hello, world\n').digest('hex'));
  });

  it('streams a large file in parts of the given size, at most maxInFlight at once, reassembled in order', async () => {
    const hash = createHash('sha256');
    let inFlight = 0;
    let most = 0;
    // Count concurrent UploadPart calls on the real client.
    const counting = {
      send: async (cmd: { constructor: { name: string } }) => {
        const part = cmd.constructor.name === 'UploadPartCommand';
        if (part) most = Math.max(most, ++inFlight);
        try {
          return await fx.s3.send(cmd as never);
        } finally {
          if (part) inFlight--;
        }
      },
    } as unknown as S3Client;
    const sink = s3UploadSink({ client: counting, bucket: EXPORT_BUCKET, key: 'sink/large.bin', contentType: 'application/octet-stream', partBytes: 5 * MiB, maxInFlight: 2 });
    for (let i = 0; i < 23; i++) {
      const chunk = randomBytes(MiB / 2 + i); // uneven chunks: parts do not line up with them
      hash.update(chunk);
      await sink.write(chunk);
    }
    await sink.close();
    expect(sink.uploadId).toEqual(expect.any(String));
    expect(sink.parts).toBe(3); // 11.5+ MiB in parts of >= 5 MiB
    expect(most).toBeLessThanOrEqual(2);
    expect(await sha('sink/large.bin')).toBe(hash.digest('hex'));
  });

  it('leaves nothing behind when aborted', async () => {
    const sink = s3UploadSink({ client: fx.s3, bucket: EXPORT_BUCKET, key: 'sink/aborted.bin', contentType: 'application/octet-stream', partBytes: 5 * MiB });
    await sink.write(randomBytes(6 * MiB)); // one part uploaded
    await sink.abort!(new Error('export failed'));
    expect(await exists('sink/aborted.bin')).toBe(false);
    await expect(sink.write(Buffer.from('x'))).rejects.toThrow(/closed/);
  });

  it('fails the file when a part cannot be uploaded', async () => {
    const failing = {
      send: async (cmd: { constructor: { name: string } }) => {
        if (cmd.constructor.name === 'UploadPartCommand') throw Object.assign(new Error('SlowDown'), { name: 'SlowDown' });
        return fx.s3.send(cmd as never);
      },
    } as unknown as S3Client;
    const sink = s3UploadSink({ client: failing, bucket: EXPORT_BUCKET, key: 'sink/failed.bin', contentType: 'application/octet-stream', partBytes: 5 * MiB, maxInFlight: 1 });
    await expect(
      (async () => {
        for (let i = 0; i < 4; i++) await sink.write(randomBytes(3 * MiB));
        await sink.close();
      })(),
    ).rejects.toThrow('SlowDown');
    await sink.abort!(new Error('x'));
    expect(await exists('sink/failed.bin')).toBe(false);
  });
});

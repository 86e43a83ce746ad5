// The data hub's S3 client, created once per execution environment. Locally AWS_ENDPOINT_URL_S3
// points at fauxqs (path-style only), so presigned URLs point there too. The SDK's own optional
// checksums are off: uploads carry the SHA-256 KAIRR asks for, signed into each presigned URL.
import { S3Client } from '@aws-sdk/client-s3';

let client: S3Client | undefined;

export function s3(): S3Client {
  client ??= new S3Client({ forcePathStyle: !!process.env.AWS_ENDPOINT_URL_S3, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', maxAttempts: 4 });
  return client;
}

/** For tests: a client pointed at fauxqs. */
export function setS3(c: S3Client | undefined): void {
  client = c;
}

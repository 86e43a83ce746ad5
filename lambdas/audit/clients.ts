// The audit capability's AWS clients (S3, Lambda), created once per execution environment, and the
// resource names its grant helpers put in the environment (lib/audit/audit.ts).
//
// Locally (npm start, tests) AWS_ENDPOINT_URL_S3 points at fauxqs, which serves path-style URLs
// only; so do the presigned download URLs, which then work from the developer's machine.
import { S3Client } from '@aws-sdk/client-s3';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { requireEnv } from '../shared/config';

let s3Client: S3Client | undefined;
let lambdaClient: LambdaClient | undefined;

export function s3(): S3Client {
  s3Client ??= new S3Client({
    forcePathStyle: !!process.env.AWS_ENDPOINT_URL_S3,
    // Export files carry their own SHA-256 in the manifest (checked end to end by the verifier), so
    // the SDK's optional per-request CRC is not needed; anchors ask for SHA-256 explicitly (Object
    // Lock requires a checksum on PUT).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
  });
  return s3Client;
}

export function lambda(): LambdaClient {
  lambdaClient ??= new LambdaClient({ maxAttempts: 3 });
  return lambdaClient;
}

/** For tests and the benchmark: use given clients (e.g. pointed at fauxqs). */
export function setClients(c: { s3?: S3Client; lambda?: LambdaClient }): void {
  if ('s3' in c) s3Client = c.s3;
  if ('lambda' in c) lambdaClient = c.lambda;
}

/** The bucket that receives exports (EXPORT_BUCKET, set by Audit.bindExports). */
export const exportBucket = () => requireEnv('EXPORT_BUCKET');
/** The Object Lock bucket of the anchors (ANCHOR_BUCKET, set by Audit.bindAnchors). */
export const anchorBucket = () => requireEnv('ANCHOR_BUCKET');
/** The export worker's function name (EXPORT_WORKER_FUNCTION). */
export const exportWorkerFunction = () => requireEnv('EXPORT_WORKER_FUNCTION');

/** How long presigned download URLs live, seconds (EXPORT_URL_TTL_SECONDS, default 900). */
export function urlTtlSeconds(): number {
  const v = Number(process.env.EXPORT_URL_TTL_SECONDS ?? 900);
  return Number.isSafeInteger(v) && v >= 60 && v <= 43_200 ? v : 900;
}

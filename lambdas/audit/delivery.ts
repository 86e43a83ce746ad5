// What the auditor's API hands out through AWS: presigned download URLs for export files and
// anchors (S3), and the start of the export worker (an asynchronous Lambda invocation). The
// handler decides when; this module holds the SDK commands, so the handler stays thin.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { exportWorkerFunction, lambda, s3 } from './clients';

/** A presigned GET of one object (a given version of it, for an anchor under Object Lock), valid for ttlSeconds. */
export function downloadUrl(bucket: string, key: string, ttlSeconds: number, versionId?: string): Promise<string> {
  return getSignedUrl(s3(), new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }), { expiresIn: ttlSeconds });
}

/** Starts the export worker on one export, without waiting for it (InvocationType Event). */
export async function startExportWorker(exportId: string): Promise<void> {
  await lambda().send(new InvokeCommand({ FunctionName: exportWorkerFunction(), InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ exportId })) }));
}

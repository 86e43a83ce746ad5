// The audit trail's read side and its anchors: the auditor's API (events, exports, anchors,
// reports), the export worker (asynchronous, with a DLQ), the anchoring job, and two buckets:
//   - anchors: S3 Object Lock in COMPLIANCE mode (retention.auditAnchorRetentionDays), versioned,
//     KMS-encrypted, SSL only, public access blocked, deletes denied to everyone. Each anchor is
//     also written with its own COMPLIANCE retention, so lowering the bucket's default later would
//     not shorten it. Nobody, not the account root, can overwrite or delete an anchor before then.
//   - exports: KMS-encrypted, SSL only, private; downloads by short-lived presigned URLs; objects
//     expire after audit.exportRetentionDays; unfinished multipart uploads are aborted after a day.
// Audit events themselves stay in the audit table, which no role may update or delete (tables.ts).
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { auditApi } from '../../lambdas/audit/api';
import { KairrFunction, type FunctionDefaults } from '../platform/kairr-function';
import type { KairrApi } from '../platform/rest-api';
import type { DataTables } from '../platform/tables';
import { ScheduledJob } from '../platform/scheduled-job';
import { acknowledge } from '../nag';

export interface AuditProps {
  api: KairrApi;
  tables: DataTables;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
  /** Days each anchor stays locked (COMPLIANCE). */
  anchorRetentionDays: number;
  anchorIntervalMinutes: number;
  exportRetentionDays: number;
  exportUrlTtlSeconds: number;
}

/** Export worker limit: Lambda's maximum; the worker stops itself 20 s before it. */
export const EXPORT_WORKER_TIMEOUT = Duration.minutes(15);

export class Audit extends Construct {
  readonly key: kms.Key;
  readonly anchorBucket: s3.Bucket;
  readonly exportBucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  readonly apiFn: KairrFunction;
  readonly worker: KairrFunction;
  readonly workerDeadLetters: sqs.Queue;
  readonly anchorJob: ScheduledJob;

  constructor(scope: Construct, id: string, props: AuditProps) {
    super(scope, id);
    const dataRemoval = props.defaults.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // The anchors cannot be read without this key, and they outlive any stack: the key is always kept.
    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'KAIRR audit anchors and exports', removalPolicy: RemovalPolicy.RETAIN });

    // Server access logs of both buckets (S3 delivers them with SSE-S3 only).
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // Object ownership stays ObjectWriter: CDK grants S3's log delivery with the LogDeliveryWrite ACL.
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(Math.max(props.defaults.logRetentionDays, 90)), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.accessLogs, 'AwsSolutions-S1', 'This bucket receives the server access logs of the audit anchor and export buckets; logging it into itself would loop.');

    this.anchorBucket = new s3.Bucket(this, 'Anchors', {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.anchorRetentionDays)),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'anchors/',
      // Locked objects cannot be deleted, so neither can the bucket: it always outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A plain DELETE would add a delete marker that hides an anchor from a GET without a version id;
    // nobody needs to delete anything here.
    this.anchorBucket.addToResourcePolicy(
      new iam.PolicyStatement({ effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resources: [this.anchorBucket.arnForObjects('*')] }),
    );

    this.exportBucket = new s3.Bucket(this, 'Exports', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'exports/',
      lifecycleRules: [{ prefix: 'exports/', expiration: Duration.days(props.exportRetentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      cors: props.corsAllowOrigins.length ? [{ allowedMethods: [s3.HttpMethods.GET], allowedOrigins: props.corsAllowOrigins, maxAge: 3600 }] : undefined,
      removalPolicy: dataRemoval,
    });

    // ---- the export worker -----------------------------------------------------------------------
    this.workerDeadLetters = new sqs.Queue(this, 'ExportDeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.tables.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(this.workerDeadLetters, 'AwsSolutions-SQS3', 'This queue is the dead-letter queue of the export worker; invocations that failed all attempts stay here for operators (the export itself is marked failed).');
    acknowledge(this.workerDeadLetters, 'Serverless-SQSRedrivePolicy', 'This queue is the dead-letter queue of the export worker; a redrive policy on a DLQ would only move the same failed invocations again.');
    this.worker = new KairrFunction(this, 'ExportWorker', {
      entry: 'lambdas/audit/export-worker.ts',
      description: 'KAIRR audit export worker (DynamoDB to S3, CSV or JSONL with manifest)',
      defaults: props.defaults,
      // One full vCPU: the export is CPU-bound in this process (bench/export.ts); memory stays bounded.
      memorySize: 1769,
      timeout: EXPORT_WORKER_TIMEOUT,
      environment: { WORKER_TIMEOUT_SECONDS: String(EXPORT_WORKER_TIMEOUT.toSeconds()) },
      invocation: 'async',
      deadLetterQueue: this.workerDeadLetters,
    });
    // Lambda's defaults for asynchronous invocations apply: two retries, events kept up to 6 hours.
    props.tables.bindMain(this.worker, 'RW');
    props.tables.bindAudit(this.worker, 'append+read');
    this.bindExports(this.worker, 'write');

    // ---- the API -----------------------------------------------------------------------------------
    this.apiFn = new KairrFunction(this, 'Api', {
      entry: 'lambdas/audit/handler.ts',
      description: 'KAIRR audit events, exports, anchors and reports',
      defaults: props.defaults,
      memorySize: 1024,
      timeout: Duration.seconds(29),
      environment: { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(','), EXPORT_URL_TTL_SECONDS: String(props.exportUrlTtlSeconds) },
    });
    props.tables.bindMain(this.apiFn, 'RW');
    props.tables.bindAudit(this.apiFn, 'append+read');
    this.bindExports(this.apiFn, 'read');
    this.bindAnchors(this.apiFn, 'read');
    this.apiFn.withEnv('EXPORT_WORKER_FUNCTION', this.worker.functionName).allow(['lambda:InvokeFunction'], [this.worker.functionArn]);
    props.api.addRoutes(auditApi, this.apiFn);

    // ---- anchoring -------------------------------------------------------------------------------
    this.anchorJob = new ScheduledJob(this, 'Anchor', {
      entry: 'lambdas/audit/anchor-job.ts',
      description: 'KAIRR: anchor the audit chain heads in the Object Lock bucket',
      schedule: events.Schedule.rate(Duration.minutes(props.anchorIntervalMinutes)),
      defaults: props.defaults,
      key: props.tables.key,
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: { ANCHOR_RETENTION_DAYS: String(props.anchorRetentionDays) },
    });
    props.tables.bindMain(this.anchorJob.fn, 'RW');
    props.tables.bindAudit(this.anchorJob.fn, 'append+read');
    this.bindAnchors(this.anchorJob.fn, 'append');
  }

  get functions(): KairrFunction[] {
    return [this.apiFn, this.worker, this.anchorJob.fn];
  }

  private nagObjects(fn: KairrFunction, bucket: s3.Bucket, prefix: string, reason: string): void {
    const id = Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    acknowledge(fn.role!, `AwsSolutions-IAM5[Resource::<${id}.Arn>/${prefix}*]`, reason);
  }

  /** Export bucket: 'read' = GetObject (to presign downloads); 'write' = put and multipart under exports/. Sets EXPORT_BUCKET. */
  bindExports(fn: KairrFunction, mode: 'read' | 'write'): void {
    fn.withEnv('EXPORT_BUCKET', this.exportBucket.bucketName);
    if (mode === 'read') {
      fn.allow(['s3:GetObject'], [this.exportBucket.arnForObjects('exports/*')]).allow(['kms:Decrypt', 'kms:DescribeKey'], [this.key.keyArn]);
      this.nagObjects(fn, this.exportBucket, 'exports/', 'Presigned download URLs for the files of any export: each export is a folder exports/<exportId>/ whose id is only known at run time; the grant is GetObject under that prefix only.');
    } else {
      fn.allow(['s3:PutObject', 's3:AbortMultipartUpload'], [this.exportBucket.arnForObjects('exports/*')]).allow(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], [this.key.keyArn]);
      this.nagObjects(
        fn,
        this.exportBucket,
        'exports/',
        'The worker writes each export into its own folder exports/<exportId>/, whose id is only known at run time; the grant is PutObject and AbortMultipartUpload under that prefix only (no read, no delete).',
      );
    }
  }

  /** Anchor bucket: 'read' = GetObject (+ versions, to presign); 'append' = PutObject with its retention. Never delete. Sets ANCHOR_BUCKET. */
  bindAnchors(fn: KairrFunction, mode: 'read' | 'append'): void {
    fn.withEnv('ANCHOR_BUCKET', this.anchorBucket.bucketName);
    if (mode === 'read') {
      fn.allow(['s3:GetObject', 's3:GetObjectVersion'], [this.anchorBucket.arnForObjects('anchors/*')]).allow(['kms:Decrypt', 'kms:DescribeKey'], [this.key.keyArn]);
      this.nagObjects(fn, this.anchorBucket, 'anchors/', 'Presigned download URLs for anchor objects, whose keys (anchors/YYYY/MM/DD/<time>-<hash>.json) are only known at run time; read-only, under that prefix only.');
    } else {
      // PutObjectRetention lets the PUT carry its own COMPLIANCE retention; in compliance mode a
      // retention can only ever be set or extended, never shortened or removed.
      fn.allow(['s3:PutObject', 's3:PutObjectRetention'], [this.anchorBucket.arnForObjects('anchors/*')]).allow(['kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], [this.key.keyArn]);
      this.nagObjects(
        fn,
        this.anchorBucket,
        'anchors/',
        'The anchor job adds one new object per run under anchors/YYYY/MM/DD/, named by its time and hash at run time; it may only put (with its compliance retention), never read, overwrite a locked version, or delete.',
      );
    }
  }
}

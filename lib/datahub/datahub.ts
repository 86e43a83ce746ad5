// The data hub: one API function for datasets and models (lambdas/datahub/handler.ts), and the
// hub's own bucket for small artifacts uploaded through presigned URLs. The bucket is private
// (KMS, TLS only, no public access, versioned so a replaced object stays recoverable); browsers
// PUT parts to it directly when the stage names CORS origins. The function's role holds exactly
// what presigned uploads (and resuming them) and downloads need on the bucket's objects. Access
// applications to restricted data are decided in their own flow (./access.ts).
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { datahubApi } from '../../lambdas/datahub/api';
import type { DatahubConfig } from '../../lambdas/datahub/config';
import type { PipelinesConfig } from '../../lambdas/pipelines/config';
import type { Connectors } from '../connectors/connectors';
import { KairrFunction, type FunctionDefaults } from '../platform/kairr-function';
import type { KairrApi } from '../platform/rest-api';
import type { DataTables } from '../platform/tables';
import { acknowledge } from '../nag';
import { DatahubAccess } from './access';

export interface DatahubProps {
  api: KairrApi;
  tables: DataTables;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
  config: DatahubConfig;
  /**
   * Verification jobs at the sites (lambdas/datahub/verification.ts): the function dispatches them
   * through the jobs capability, so it runs where the connectors run with the sites' credentials,
   * and reads their reports where the pipelines' storage block mounts each site's root.
   */
  siteJobs?: { connectors: Connectors; pipelinesConfig: PipelinesConfig };
}

export class Datahub extends Construct {
  readonly fn: KairrFunction;
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  /** The committee's decision flow for access applications to restricted data. */
  readonly access: DatahubAccess;

  constructor(scope: Construct, id: string, props: DatahubProps) {
    super(scope, id);
    const removalPolicy = props.defaults.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'KAIRR data hub storage', removalPolicy });
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(Math.max(props.defaults.logRetentionDays, 90)) }],
      removalPolicy,
      autoDeleteObjects: false,
    });
    acknowledge(accessLogs, 'AwsSolutions-S1', "This bucket receives the data hub bucket's server access logs; logging it into itself would loop.");
    this.bucket = new s3.Bucket(this, 'Storage', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'storage/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(2), noncurrentVersionExpiration: Duration.days(30) }],
      cors: props.corsAllowOrigins.length
        ? [{ allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET], allowedOrigins: props.corsAllowOrigins, allowedHeaders: ['content-type', 'content-length', 'x-amz-checksum-sha256'], exposedHeaders: ['ETag'], maxAge: 3600 }]
        : undefined,
      removalPolicy,
    });

    this.fn = new KairrFunction(this, 'Api', {
      entry: 'lambdas/datahub/handler.ts',
      description: 'KAIRR data hub: datasets, models, versions, search, metadata, uploads',
      defaults: props.defaults,
      // Completing an upload reads the object back to check its SHA-256 (up to upload.maxFileBytes).
      memorySize: 1024,
      timeout: Duration.seconds(29),
      environment: {
        CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(','),
        DATAHUB_CONFIG: JSON.stringify(props.config),
        ...(props.siteJobs ? { PIPELINES_CONFIG: JSON.stringify(props.siteJobs.pipelinesConfig) } : {}),
      },
    });
    // The sites' credentials, where the schedulers are reachable without the connectors' network.
    // In that network (isolated subnets) this function would also need S3 for uploads, which the
    // network does not offer yet (docs/datahub.md, "Verification at the sites": not built).
    if (props.siteJobs && !props.siteJobs.connectors.network) props.siteJobs.connectors.bindSiteAccess(this.fn);
    props.tables.bindMain(this.fn, 'RW');
    props.tables.bindAudit(this.fn, 'append');
    this.fn
      .withEnv('DATAHUB_BUCKET', this.bucket.bucketName)
      .allow(['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], [this.bucket.arnForObjects('*')])
      .allow(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], [this.key.keyArn]);
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    acknowledge(
      this.fn.role!,
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
      "Objects are <artifact id>/<version>/<path>, known only at run time; the function presigns uploads (PutObject, multipart) and downloads (GetObject) of them and deletes an upload that failed its SHA-256 check, and lists the parts of an open multipart upload to resume it. The grant is on this bucket's objects only: no listing of the bucket, no bucket configuration.",
    );
    this.access = new DatahubAccess(this, 'Access', { tables: props.tables, defaults: props.defaults, config: props.config, apiFn: this.fn });
    props.api.addRoutes(datahubApi, this.fn);
  }

  get functions(): KairrFunction[] {
    return [this.fn, this.access.flowFn];
  }
}

// The audit construct in the synthesized stack: the anchor bucket's Object Lock (compliance mode,
// the configured retention), versioning, KMS, SSL-only and no deletes; who may write it (only the
// anchor job, append-only); the export bucket; the export worker's DLQ and who may start it; the
// anchoring schedule; and the auditor's routes behind the authorizer.
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Audit } from '../../lib/audit/audit';
import { auditApi } from '../../lambdas/audit/api';
import { AUTHORIZER } from '../../lib/platform/rest-api';
import { routeOperationsOf } from './support/api-body';
import { synthStage, statementsByRole, actionsOf, resourcesOf, type Synth } from './support/synth';

let local: Synth;
let example: Synth;
let custom: Synth;
beforeAll(() => {
  local = synthStage('local');
  example = synthStage('example');
  custom = synthStage('local', (c) => ({ ...c, retention: { ...c.retention, auditAnchorRetentionDays: 400 }, audit: { anchorIntervalMinutes: 15, exportRetentionDays: 7, exportUrlTtlSeconds: 600 } }));
});

const auditOf = (s: Synth) => s.stack.node.findChild('Audit') as Audit;
const idOf = (s: Synth, c: { node: { defaultChild?: unknown } }) => s.stack.getLogicalId(c.node.defaultChild as CfnElement);
const resource = (s: Synth, id: string) => s.template.toJSON().Resources[id] as { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };

describe('the anchor bucket', () => {
  it('has Object Lock in COMPLIANCE mode for retention.auditAnchorRetentionDays, versioning, KMS, and is always retained', () => {
    for (const [s, days] of [
      [local, 1],
      [example, 2557],
      [custom, 400],
    ] as const) {
      const a = auditOf(s);
      const b = resource(s, idOf(s, a.anchorBucket));
      expect(b.Properties.ObjectLockEnabled).toBe(true);
      expect(b.Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: days } } });
      expect(b.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [idOf(s, a.key), 'Arn'] } });
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(b.Properties.LoggingConfiguration).toMatchObject({ DestinationBucketName: { Ref: idOf(s, a.accessLogs) } });
      expect(b.DeletionPolicy).toBe('Retain');
      expect(resource(s, idOf(s, a.key)).DeletionPolicy).toBe('Retain');
    }
  });

  it('refuses plain HTTP and every delete, to everyone', () => {
    const s = example;
    const a = auditOf(s);
    const policy = Object.values(s.template.findResources('AWS::S3::BucketPolicy')).find((p) => JSON.stringify((p as any).Properties.Bucket) === JSON.stringify({ Ref: idOf(s, a.anchorBucket) })) as any;
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'] }),
      ]),
    );
  });

  it('may be written only by the anchor job, which may only add objects under anchors/ (with their retention)', () => {
    for (const s of [local, example]) {
      const a = auditOf(s);
      const bucketId = idOf(s, a.anchorBucket);
      const anchorRole = idOf(s, { node: { defaultChild: a.anchorJob.fn.role!.node.defaultChild } });
      for (const [role, stmts] of statementsByRole(s.template)) {
        for (const st of stmts.filter((x) => resourcesOf(x).some((r) => r.includes(bucketId)))) {
          const actions = actionsOf(st);
          expect({ role, actions: actions.filter((x) => /Delete|Bypass|LockConfiguration|LegalHold|PutBucket|Lifecycle|Replication/.test(x)) }).toEqual({ role, actions: [] });
          const writes = actions.filter((x) => !/^s3:Get/.test(x));
          if (writes.length) {
            expect(role).toBe(anchorRole);
            expect(writes.sort()).toEqual(['s3:PutObject', 's3:PutObjectRetention']);
            expect(resourcesOf(st)).toEqual([JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/anchors/*']] })]);
          }
        }
      }
    }
  });

  it('is anchored on the configured schedule', () => {
    const a = auditOf(custom);
    const rule = resource(custom, idOf(custom, a.anchorJob.rule));
    expect(rule.Properties.ScheduleExpression).toBe('rate(15 minutes)');
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [idOf(custom, a.anchorJob.fn), 'Arn'] });
    expect(resource(custom, idOf(custom, a.anchorJob.fn)).Properties.Environment.Variables.ANCHOR_RETENTION_DAYS).toBe('400');
    expect(resource(local, idOf(local, auditOf(local).anchorJob.rule)).Properties.ScheduleExpression).toBe('rate(1 hour)');
  });
});

describe('the export bucket', () => {
  it('is private, KMS-encrypted, SSL-only, and expires exports and unfinished uploads', () => {
    const a = auditOf(custom);
    const b = resource(custom, idOf(custom, a.exportBucket));
    expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(b.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(b.Properties.LifecycleConfiguration.Rules).toEqual([expect.objectContaining({ Prefix: 'exports/', ExpirationInDays: 7, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' })]);
    custom.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: idOf(custom, a.exportBucket) },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    expect(resource(custom, idOf(custom, a.apiFn)).Properties.Environment.Variables.EXPORT_URL_TTL_SECONDS).toBe('600');
  });

  it('is written by the worker only, and nobody deletes from it', () => {
    const s = example;
    const a = auditOf(s);
    const bucketId = idOf(s, a.exportBucket);
    const workerRole = idOf(s, { node: { defaultChild: a.worker.role!.node.defaultChild } });
    for (const [role, stmts] of statementsByRole(s.template)) {
      for (const st of stmts.filter((x) => resourcesOf(x).some((r) => r.includes(bucketId)))) {
        expect(actionsOf(st).filter((x) => /Delete/.test(x))).toEqual([]);
        if (actionsOf(st).includes('s3:PutObject')) expect(role).toBe(workerRole);
      }
    }
  });
});

describe('the export worker', () => {
  it('is asynchronous with a dead-letter queue, 15 minutes, and only the audit API may invoke it', () => {
    const s = example;
    const a = auditOf(s);
    const fn = resource(s, idOf(s, a.worker));
    expect(fn.Properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [idOf(s, a.workerDeadLetters), 'Arn'] } });
    expect(fn.Properties.Timeout).toBe(900);
    const invokers = [...statementsByRole(s.template)].filter(([, stmts]) => stmts.some((st) => actionsOf(st).includes('lambda:InvokeFunction') && resourcesOf(st).some((r) => r.includes(idOf(s, a.worker)))));
    expect(invokers.map(([role]) => role)).toEqual([idOf(s, { node: { defaultChild: a.apiFn.role!.node.defaultChild } })]);
  });
});

describe('the auditor API', () => {
  it('puts every audit and report route behind the OIDC authorizer, on the audit function', () => {
    const s = example;
    const apiFnId = idOf(s, auditOf(s).apiFn);
    const ops = routeOperationsOf(s.template);
    for (const [name, route] of Object.entries(auditApi)) {
      const op = ops.find((o) => o.method === route.method && o.path === route.path);
      expect({ route: route.path, operationId: op?.operationId, authorizer: op?.authorizer, functionId: op?.functionId }).toEqual({ route: route.path, operationId: name, authorizer: AUTHORIZER, functionId: apiFnId });
    }
  });
});

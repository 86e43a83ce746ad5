// The data hub's construct in the synthesized local stage: its function, its bucket, its grants,
// and the stack's resource count (CloudFormation's limit is 500).
import { datahubApi } from '../../lambdas/datahub/api';
import { actionsOf, resourcesOf, statementsByRole, synthStage, type Synth } from './support/synth';
import { routeOperationsOf } from './support/api-body';

let local: Synth;
beforeAll(() => {
  local = synthStage('local');
});

const fnOf = (s: Synth) => {
  const [id, fn] = Object.entries(s.template.findResources('AWS::Lambda::Function')).find(([, f]) => (f as { Metadata?: Record<string, string> }).Metadata?.['kairr:entry'] === 'lambdas/datahub/handler.ts')!;
  return { id, fn: fn as { Properties: { Environment: { Variables: Record<string, unknown> }; Role: { 'Fn::GetAtt': string[] } } } };
};

describe('data hub', () => {
  it('stores uploads in a private, KMS-encrypted, versioned bucket that only takes TLS', () => {
    const buckets = Object.entries(local.template.findResources('AWS::S3::Bucket')).filter(([id]) => id.startsWith('DatahubStorage'));
    expect(buckets).toHaveLength(1);
    const p = (buckets[0][1] as { Properties: Record<string, any> }).Properties;
    expect(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(p.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(p.LifecycleConfiguration.Rules[0].AbortIncompleteMultipartUpload).toEqual({ DaysAfterInitiation: 2 });
    const policies = Object.values(local.template.findResources('AWS::S3::BucketPolicy')).map((b) => JSON.stringify(b));
    expect(policies.some((j) => j.includes(buckets[0][0]) && j.includes('aws:SecureTransport'))).toBe(true);
  });

  it('gives its function the bucket, the tables and its config, and only object-level S3 actions on that bucket', () => {
    const { fn } = fnOf(local);
    const env = fn.Properties.Environment.Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['DATAHUB_BUCKET', 'DATAHUB_CONFIG', 'TABLE_MAIN', 'TABLE_AUDIT']));
    expect(JSON.parse(env.DATAHUB_CONFIG as string).siteStorage.kisti6.roots[0]).toEqual({ name: 'scratch', path: '/tmp/kairr-datahub/kisti6' });
    const role = fn.Properties.Role['Fn::GetAtt'][0];
    const s3 = statementsByRole(local.template)
      .get(role)!
      .filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap(actionsOf).sort()).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject']);
    for (const st of s3) for (const r of resourcesOf(st)) expect(r).toMatch(/DatahubStorage.*\/\*/);
  });

  it('holds one invoke permission for the whole API, not one per route, and the stack stays under 500 resources', () => {
    const { id } = fnOf(local);
    const perms = Object.values(local.template.findResources('AWS::Lambda::Permission')).filter((p) => JSON.stringify(p).includes(id));
    expect(perms).toHaveLength(1);
    const operations = routeOperationsOf(local.template).filter((o) => o.functionId === id);
    expect(operations).toHaveLength(Object.keys(datahubApi).length);
    expect(Object.keys(local.template.toJSON().Resources).length).toBeLessThan(500);
  });
});

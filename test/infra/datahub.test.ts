// The data hub's construct in the synthesized local stage: its function, its bucket, its grants,
// the access decision flow deployed from its file with least-privilege Step Functions grants,
// cdk-nag clean, and the stack's resource count (CloudFormation's limit is 500).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { datahubApi } from '../../lambdas/datahub/api';
import { DATAHUB_ACCESS_ASL } from '../../lib/datahub/access';
import { actionsOf, resourcesOf, statementsByRole, synthStage, type Statement, type Synth } from './support/synth';
import { routeOperationsOf } from './support/api-body';

let local: Synth;
beforeAll(() => {
  local = synthStage('local', undefined, { nag: true });
});

/** The file asset a DefinitionS3Location points at, from the cloud assembly's asset manifests. */
function assetText(s: Synth, objectKey: string): string {
  const dir = s.app.synth().directory;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.assets.json'))) {
    const manifest = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { files?: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }> };
    for (const file of Object.values(manifest.files ?? {})) {
      if (Object.values(file.destinations).some((d) => d.objectKey === objectKey)) return readFileSync(join(dir, file.source.path), 'utf8');
    }
  }
  throw new Error(`no asset with object key ${objectKey}`);
}
type EntryFn = { Properties: { Environment: { Variables: Record<string, unknown> }; Role: { 'Fn::GetAtt': string[] } } };
const byEntry = (s: Synth, entry: string) => {
  const [id, fn] = Object.entries(s.template.findResources('AWS::Lambda::Function')).find(([, f]) => (f as { Metadata?: Record<string, string> }).Metadata?.['kairr:entry'] === entry)!;
  return { id, fn: fn as EntryFn, statements: statementsByRole(s.template).get((fn as EntryFn).Properties.Role['Fn::GetAtt'][0]) ?? [] };
};
const statesActions = (st: Statement[]) => st.filter((x) => actionsOf(x).some((a) => a.startsWith('states:')));

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

describe('data hub access decisions', () => {
  it('synthesizes with cdk-nag (AwsSolutions and Serverless) reporting nothing unacknowledged', () => {
    expect(() => local.app.synth()).not.toThrow();
  });

  it('deploys statemachines/datahub-access.asl.json with its one task target substituted by the access flow function, logged and traced', () => {
    const machines = Object.entries(local.template.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) => id.startsWith('DatahubAccess'));
    expect(machines).toHaveLength(1);
    const props = (
      machines[0][1] as {
        Properties: {
          StateMachineName: unknown;
          DefinitionSubstitutions: Record<string, { 'Fn::GetAtt': string[] }>;
          DefinitionString?: unknown;
          DefinitionS3Location: { Key: string };
          TracingConfiguration: { Enabled: boolean };
          LoggingConfiguration: { Level: string; IncludeExecutionData: boolean };
        };
      }
    ).Properties;
    const flow = byEntry(local, 'lambdas/datahub/access-flow.ts');
    const fileText = readFileSync(DATAHUB_ACCESS_ASL, 'utf8');
    expect(props.DefinitionString).toBeUndefined();
    expect(assetText(local, props.DefinitionS3Location.Key)).toBe(fileText);
    expect([...new Set([...fileText.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]))]).toEqual(Object.keys(props.DefinitionSubstitutions));
    expect(props.DefinitionSubstitutions.FlowFunctionArn['Fn::GetAtt'][0]).toBe(flow.id);
    expect(props.StateMachineName).toBe('Kairr-local-datahub-access');
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect({ level: props.LoggingConfiguration.Level, data: props.LoggingConfiguration.IncludeExecutionData }).toEqual({ level: 'ALL', data: false });
  });

  it('grants Step Functions on the access machine only: the API starts flows and answers the task; the flow only answers it', () => {
    const api = byEntry(local, 'lambdas/datahub/handler.ts');
    const flow = byEntry(local, 'lambdas/datahub/access-flow.ts');
    expect(statesActions(api.statements).flatMap(actionsOf).sort()).toEqual(['states:SendTaskSuccess', 'states:StartExecution']);
    expect(statesActions(flow.statements).flatMap(actionsOf)).toEqual(['states:SendTaskSuccess']);
    for (const st of [...statesActions(api.statements), ...statesActions(flow.statements)]) for (const r of resourcesOf(st)) expect(r).toMatch(/stateMachine:.*-datahub-access"/);
    // no other capability's function may drive the access flow
    for (const [role, stmts] of statementsByRole(local.template)) {
      if ([api.fn.Properties.Role['Fn::GetAtt'][0], flow.fn.Properties.Role['Fn::GetAtt'][0]].includes(role)) continue;
      for (const st of statesActions(stmts)) for (const r of resourcesOf(st)) expect({ role, r }).toEqual({ role, r: expect.not.stringMatching(/datahub-access/) });
    }
  });

  it('gives the flow the tables as the API has them (main read-write, audit append only), no S3, no secrets, no wildcard actions', () => {
    const flow = byEntry(local, 'lambdas/datahub/access-flow.ts');
    const env = flow.fn.Properties.Environment.Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['DATAHUB_ACCESS_STATE_MACHINE_ARN', 'DATAHUB_CONFIG', 'TABLE_MAIN', 'TABLE_AUDIT']));
    expect(env).not.toHaveProperty('DATAHUB_BUCKET');
    const actions = flow.statements.flatMap(actionsOf);
    expect(actions.some((a) => a.startsWith('s3:') || a.startsWith('secretsmanager:'))).toBe(false);
    expect(actions.some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
    // the same table grants as the data hub's API function: main read-write, audit append only
    const api = byEntry(local, 'lambdas/datahub/handler.ts');
    const on = (stmts: Statement[], table: RegExp) => [...new Set(stmts.filter((st) => resourcesOf(st).some((r) => table.test(r))).flatMap(actionsOf))].sort();
    expect(on(flow.statements, /"DataAudit/)).toEqual(['dynamodb:ConditionCheckItem', 'dynamodb:PutItem']);
    expect(on(flow.statements, /"DataMain/)).toEqual(on(api.statements, /"DataMain/));
    expect(on(flow.statements, /"DataMain/)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem']));
  });

  it("names the machine in the API function's environment, as DATAHUB_ACCESS_STATE_MACHINE_ARN", () => {
    const env = byEntry(local, 'lambdas/datahub/handler.ts').fn.Properties.Environment.Variables;
    expect(JSON.stringify(env.DATAHUB_ACCESS_STATE_MACHINE_ARN)).toMatch(/stateMachine:.*-datahub-access/);
  });
});

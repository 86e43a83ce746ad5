// The synthesized CloudFormation template (cdk.out) and its intrinsics: physical names, Ref and
// GetAtt as the local services name things, Fn::Join/Sub/Select/Split/If, and the cloud assembly's
// file assets. The typed views beside this file (functions, tables, rest-api, flows) read each
// service's resources from it, so the local runtime runs what ships: a route, an env var or a
// table that is not in the template does not exist here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCAL_ACCOUNT = '000000000000';

/** The property that carries a declared physical name: CloudFormation keeps it, so this does too. */
const DECLARED_NAME: Record<string, string> = {
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
};

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
}

export class Template {
  readonly resources: Record<string, CfnResource>;
  readonly region: string;

  constructor(
    readonly stackName: string,
    readonly outDir: string,
    json: { Resources: Record<string, CfnResource> },
    region?: string,
  ) {
    this.resources = json.Resources;
    this.region = region ?? 'ap-northeast-2';
  }

  static load(outDir: string): Template {
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }> };
    const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
    if (stacks.length !== 1) throw new Error(`Expected one stack in ${outDir}, found ${stacks.length}`);
    const [name, art] = stacks[0];
    const file = join(outDir, art.properties?.templateFile ?? `${name}.template.json`);
    const region = /^aws:\/\/[^/]+\/(.+)$/.exec(art.environment ?? '')?.[1];
    return new Template(name, outDir, JSON.parse(readFileSync(file, 'utf8')), region && region !== 'unknown-region' ? region : undefined);
  }

  ofType(type: string): [string, CfnResource][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  /**
   * The physical name a resource gets locally (deterministic, like CloudFormation's generated names).
   * Event buses, rules and state machines keep the name the template declares, as CloudFormation
   * does; a bus always has one (CDK generates it).
   */
  physicalName(logicalId: string): string {
    const r = this.resources[logicalId];
    const declared = r && DECLARED_NAME[r.Type] ? r.Properties?.[DECLARED_NAME[r.Type]] : undefined;
    if (declared !== undefined) return String(this.resolve(declared));
    const base = `${this.stackName}-${logicalId}`;
    if (r?.Type === 'AWS::S3::Bucket')
      return base
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .slice(0, 63);
    return base.slice(0, 64);
  }

  ref(logicalId: string): string {
    switch (logicalId) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::NoValue':
        return '';
    }
    const r = this.resources[logicalId];
    if (!r) throw new Error(`Ref to unknown resource ${logicalId}`);
    const name = this.physicalName(logicalId);
    switch (r.Type) {
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SNS::Topic':
      case 'AWS::SecretsManager::Secret':
        return this.getAtt(logicalId, 'Arn');
      case 'AWS::SQS::Queue':
        return `http://sqs.local/${LOCAL_ACCOUNT}/${name}`;
      default:
        return name;
    }
  }

  getAtt(logicalId: string, attr: string): string {
    const r = this.resources[logicalId];
    if (!r) throw new Error(`GetAtt on unknown resource ${logicalId}`);
    const name = this.physicalName(logicalId);
    const reg = this.region;
    const arn = (service: string, resource: string, region = reg) => `arn:aws:${service}:${region}:${LOCAL_ACCOUNT}:${resource}`;
    const arns: Record<string, () => string> = {
      'AWS::DynamoDB::GlobalTable': () => arn('dynamodb', `table/${name}`),
      'AWS::DynamoDB::Table': () => arn('dynamodb', `table/${name}`),
      'AWS::Lambda::Function': () => arn('lambda', `function:${name}`),
      'AWS::StepFunctions::StateMachine': () => arn('states', `stateMachine:${name}`),
      'AWS::S3::Bucket': () => `arn:aws:s3:::${name}`,
      'AWS::SNS::Topic': () => arn('sns', name),
      'AWS::SQS::Queue': () => arn('sqs', name),
      'AWS::Events::EventBus': () => arn('events', `event-bus/${name}`),
      // A rule on a custom bus has the bus in its ARN: rule/<bus>/<rule>.
      'AWS::Events::Rule': () => arn('events', `rule/${ruleBusPrefix(this, r)}${name}`),
      'AWS::KMS::Key': () => arn('kms', `key/${name}`),
      'AWS::Logs::LogGroup': () => arn('logs', `log-group:${name}:*`),
      'AWS::IAM::Role': () => `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`,
      'AWS::SecretsManager::Secret': () => arn('secretsmanager', `secret:${name}`),
    };
    if (attr === 'Arn' && arns[r.Type]) return arns[r.Type]();
    if (attr === 'Name' || attr === 'TopicName' || attr === 'QueueName') return name;
    if (attr === 'StreamArn') return `${arns[r.Type]?.() ?? name}/stream/local`;
    if (attr === 'RootResourceId') return `${logicalId}-root`;
    if (attr === 'QueueUrl') return this.ref(logicalId);
    return `${name}.${attr}`;
  }

  /** Resolves CloudFormation intrinsics (Ref, GetAtt, Join, Sub, Select, Split, If) to plain values. */
  resolve(value: any): any {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [k] = keys;
      const v = value[k];
      switch (k) {
        case 'Ref':
          return this.ref(v);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(v) ? v : String(v).split('.');
          return this.getAtt(id, attr);
        }
        case 'Fn::Join':
          return (this.resolve(v[1]) as unknown[]).map((x) => this.resolve(x)).join(v[0]);
        case 'Fn::Select':
          return (this.resolve(v[1]) as unknown[])[Number(this.resolve(v[0]))];
        case 'Fn::Split':
          return String(this.resolve(v[1])).split(v[0]);
        case 'Fn::Sub': {
          const [tpl, vars] = Array.isArray(v) ? v : [v, {}];
          return String(tpl).replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
            if (vars && name in vars) return String(this.resolve(vars[name]));
            if (name.includes('.')) {
              const [id, attr] = name.split('.');
              return this.getAtt(id, attr);
            }
            return this.ref(name);
          });
        }
        case 'Fn::If':
          return this.resolve(v[1]);
        case 'Fn::ImportValue':
          throw new Error('Fn::ImportValue is not supported locally');
      }
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = this.resolve(value[k]);
    return out;
  }

  /**
   * The file in outDir of a file asset, by the S3 object key the template deploys it to (as in
   * a state machine's DefinitionS3Location), from the cloud assembly's asset manifests.
   */
  assetFileForObjectKey(objectKey: string): string | undefined {
    const manifest = JSON.parse(readFileSync(join(this.outDir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; properties?: { file?: string } }> };
    for (const artifact of Object.values(manifest.artifacts)) {
      if (artifact.type !== 'cdk:asset-manifest' || !artifact.properties?.file) continue;
      const assets = JSON.parse(readFileSync(join(this.outDir, artifact.properties.file), 'utf8')) as {
        files?: Record<string, { source: { path?: string }; destinations: Record<string, { objectKey: string }> }>;
      };
      for (const file of Object.values(assets.files ?? {})) {
        if (file.source.path && Object.values(file.destinations).some((d) => d.objectKey === objectKey)) return join(this.outDir, file.source.path);
      }
    }
    return undefined;
  }

  /** Logical id of the resource an ARN/name produced by ref/getAtt belongs to. */
  logicalIdOf(arnOrName: string): string | undefined {
    for (const id of Object.keys(this.resources)) {
      const name = this.physicalName(id);
      if (arnOrName === name || arnOrName.endsWith(`:${name}`) || arnOrName.endsWith(`/${name}`)) return id;
    }
    return undefined;
  }
}

/** A bus name from a name or an ARN (arn:aws:events:region:account:event-bus/name). */
export function busNameOf(nameOrArn: string | undefined): string {
  if (!nameOrArn) return 'default';
  return /:event-bus\/(.+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

function ruleBusPrefix(t: Template, rule: CfnResource): string {
  const bus = rule.Properties?.EventBusName;
  const name = busNameOf(bus === undefined ? undefined : String(t.resolve(bus)));
  return name === 'default' ? '' : `${name}/`;
}

// Reads the synthesized CloudFormation template (cdk.out) and resolves what the local runtime
// needs from it: functions and their bundles and environment, tables, the API's routes and
// authorizer, state machines, event rules, buckets. The local runtime is built from this, so it
// runs what ships: a route, an env var or a table that is not in the template does not exist here.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AslDefinition } from './sfn/definition';
import type { LocalEventRule, LocalEventTarget } from './events/types';

export const LOCAL_ACCOUNT = '000000000000';

/** The property that carries a declared physical name, for the types whose declared name is kept. */
const DECLARED_NAME: Record<string, string> = {
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
};

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  Metadata?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
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
    if (r?.Type === 'AWS::S3::Bucket') return base.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63);
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
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
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

// ---------- typed views ----------

export interface FunctionDef {
  logicalId: string;
  name: string;
  arn: string;
  cdkPath: string;
  bundleDir: string;
  handlerFile: string;
  handlerExport: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
  runtime: string;
}

export function functionsOf(t: Template): FunctionDef[] {
  return t.ofType('AWS::Lambda::Function').flatMap(([id, r]) => {
    const assetPath = r.Metadata?.['aws:asset:path'] as string | undefined;
    if (!assetPath) return []; // inline / provider functions (custom resources) do not run locally
    const [file, exp] = String(r.Properties?.Handler ?? 'index.handler').split('.');
    const bundleDir = join(t.outDir, assetPath);
    const handlerFile = ['.js', '.cjs', '.mjs'].map((ext) => join(bundleDir, file + ext)).find((f) => existsSync(f)) ?? join(bundleDir, `${file}.js`);
    return [
      {
        logicalId: id,
        name: t.physicalName(id),
        arn: t.getAtt(id, 'Arn'),
        cdkPath: String(r.Metadata?.['aws:cdk:path'] ?? id),
        bundleDir,
        handlerFile,
        handlerExport: exp,
        environment: t.resolve(r.Properties?.Environment?.Variables ?? {}) as Record<string, string>,
        timeoutSeconds: Number(r.Properties?.Timeout ?? 3),
        memorySize: Number(r.Properties?.MemorySize ?? 128),
        runtime: String(r.Properties?.Runtime ?? ''),
      },
    ];
  });
}

export interface TableDef {
  logicalId: string;
  name: string;
  // The CreateTable input, as DynamoDB Local takes it.
  createInput: Record<string, unknown>;
  ttlAttribute?: string;
}

export function tablesOf(t: Template): TableDef[] {
  return [...t.ofType('AWS::DynamoDB::GlobalTable'), ...t.ofType('AWS::DynamoDB::Table')].map(([id, r]) => {
    const p = r.Properties ?? {};
    const name = t.physicalName(id);
    return {
      logicalId: id,
      name,
      ttlAttribute: p.TimeToLiveSpecification?.Enabled ? p.TimeToLiveSpecification.AttributeName : undefined,
      createInput: {
        TableName: name,
        AttributeDefinitions: p.AttributeDefinitions,
        KeySchema: p.KeySchema,
        BillingMode: 'PAY_PER_REQUEST',
        ...(p.GlobalSecondaryIndexes?.length
          ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes.map((g: Record<string, unknown>) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection })) }
          : {}),
        ...(p.StreamSpecification ? { StreamSpecification: { StreamEnabled: true, StreamViewType: p.StreamSpecification.StreamViewType } } : {}),
      },
    };
  });
}

export interface RouteDef {
  method: string;
  path: string;
  functionLogicalId: string;
  authorizerLogicalId?: string;
  requiredParams: string[];
  operationName?: string;
}

export interface MockRouteDef {
  method: string;
  path: string;
  statusCode: number;
  headers: Record<string, string>;
}

export interface AuthorizerDef {
  logicalId: string;
  type: string;
  functionLogicalId: string;
  identityHeader: string;
  validationRegex?: string;
  ttlSeconds: number;
}

export interface GatewayResponseDef {
  type: string;
  statusCode?: number;
  template?: string;
  headers: Record<string, string>;
}

export interface ApiDef {
  logicalId: string;
  stageName: string;
  routes: RouteDef[];
  mocks: MockRouteDef[];
  authorizers: Record<string, AuthorizerDef>;
  gatewayResponses: Record<string, GatewayResponseDef>;
}

/** The function a Lambda ARN expression (possibly an apigateway invocation URI) points at. */
function functionIdIn(t: Template, uri: unknown): string | undefined {
  const s = JSON.stringify(uri);
  for (const [id] of t.ofType('AWS::Lambda::Function')) if (s.includes(`"${id}"`)) return id;
  return undefined;
}

export function apisOf(t: Template): ApiDef[] {
  return t.ofType('AWS::ApiGateway::RestApi').map(([apiId]) => {
    const resources = new Map<string, { parent: unknown; part: string }>();
    for (const [id, r] of t.ofType('AWS::ApiGateway::Resource')) {
      if (r.Properties?.RestApiId?.Ref !== apiId) continue;
      resources.set(id, { parent: r.Properties.ParentId, part: r.Properties.PathPart });
    }
    const pathOf = (resId: unknown): string => {
      if (resId && typeof resId === 'object' && 'Fn::GetAtt' in (resId as object)) return '';
      const id = (resId as { Ref?: string })?.Ref;
      const r = id ? resources.get(id) : undefined;
      if (!r) return '';
      return `${pathOf(r.parent)}/${r.part}`;
    };
    const authorizers: Record<string, AuthorizerDef> = {};
    for (const [id, r] of t.ofType('AWS::ApiGateway::Authorizer')) {
      if (r.Properties?.RestApiId?.Ref !== apiId) continue;
      const fnId = functionIdIn(t, r.Properties.AuthorizerUri);
      if (!fnId) throw new Error(`Authorizer ${id} has no Lambda function`);
      authorizers[id] = {
        logicalId: id,
        type: r.Properties.Type,
        functionLogicalId: fnId,
        identityHeader: String(r.Properties.IdentitySource ?? 'method.request.header.Authorization').replace('method.request.header.', ''),
        validationRegex: r.Properties.IdentityValidationExpression,
        ttlSeconds: Number(r.Properties.AuthorizerResultTtlInSeconds ?? 300),
      };
    }
    const routes: RouteDef[] = [];
    const mocks: MockRouteDef[] = [];
    for (const [, r] of t.ofType('AWS::ApiGateway::Method')) {
      const p = r.Properties ?? {};
      if (p.RestApiId?.Ref !== apiId) continue;
      const path = pathOf(p.ResourceId) || '/';
      if (p.Integration?.Type === 'MOCK') {
        const ir = p.Integration.IntegrationResponses?.[0] ?? {};
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries((ir.ResponseParameters ?? {}) as Record<string, string>)) headers[k.replace('method.response.header.', '')] = String(v).replace(/^'|'$/g, '');
        mocks.push({ method: p.HttpMethod, path, statusCode: Number(ir.StatusCode ?? 200), headers });
        continue;
      }
      const fnId = functionIdIn(t, p.Integration?.Uri);
      if (!fnId || p.Integration?.Type !== 'AWS_PROXY') continue;
      routes.push({
        method: p.HttpMethod,
        path,
        functionLogicalId: fnId,
        authorizerLogicalId: p.AuthorizationType === 'CUSTOM' ? p.AuthorizerId?.Ref : undefined,
        requiredParams: Object.entries((p.RequestParameters ?? {}) as Record<string, boolean>)
          .filter(([, req]) => req)
          .map(([k]) => k),
        operationName: p.OperationName,
      });
    }
    const gatewayResponses: Record<string, GatewayResponseDef> = {};
    for (const [, r] of t.ofType('AWS::ApiGateway::GatewayResponse')) {
      const p = r.Properties ?? {};
      if (p.RestApiId?.Ref !== apiId) continue;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries((p.ResponseParameters ?? {}) as Record<string, string>)) headers[k.replace('gatewayresponse.header.', '')] = String(v).replace(/^'|'$/g, '');
      gatewayResponses[p.ResponseType] = { type: p.ResponseType, statusCode: p.StatusCode ? Number(p.StatusCode) : undefined, template: p.ResponseTemplates?.['application/json'], headers };
    }
    const stage = t.ofType('AWS::ApiGateway::Stage').find(([, r]) => r.Properties?.RestApiId?.Ref === apiId);
    return { logicalId: apiId, stageName: stage?.[1].Properties?.StageName ?? 'prod', routes, mocks, authorizers, gatewayResponses };
  });
}

// ---------- Step Functions and EventBridge ----------

export interface StateMachineDef {
  logicalId: string;
  /** Physical name: StateMachineName if the template declares one. */
  name: string;
  arn: string;
  type: 'STANDARD' | 'EXPRESS';
  roleArn?: string;
  /** The ASL as CloudFormation deploys it: DefinitionSubstitutions applied, parsed. */
  definition: AslDefinition;
  /** Where the definition came from: its asset file in outDir, or "inline". */
  source: string;
}

/**
 * The template's state machines. The definition comes from DefinitionString or Definition
 * (inline), or from DefinitionS3Location, which for CDK's DefinitionBody.fromFile is a file asset
 * of the cloud assembly. DefinitionSubstitutions are resolved (so ${SomeFn} becomes that
 * function's local ARN) and replace their ${key} placeholders, as CloudFormation does.
 */
export function stateMachinesOf(t: Template): StateMachineDef[] {
  return t.ofType('AWS::StepFunctions::StateMachine').map(([id, r]) => {
    const p = r.Properties ?? {};
    const { text, source } = definitionTextOf(t, id, p);
    const substitutions = Object.fromEntries(Object.entries((p.DefinitionSubstitutions ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(t.resolve(v))]));
    const substituted = text.replace(/\$\{([^}]+)\}/g, (placeholder, key: string) => (key in substitutions ? substitutions[key] : placeholder));
    let definition: AslDefinition;
    try {
      definition = JSON.parse(substituted) as AslDefinition;
    } catch (e) {
      throw new Error(`State machine ${id}: the definition (${source}) is not JSON after substitutions: ${(e as Error).message}`);
    }
    return {
      logicalId: id,
      name: t.physicalName(id),
      arn: t.ref(id),
      type: p.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      roleArn: p.RoleArn === undefined ? undefined : String(t.resolve(p.RoleArn)),
      definition,
      source,
    };
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function definitionTextOf(t: Template, id: string, p: Record<string, any>): { text: string; source: string } {
  if (p.DefinitionString !== undefined) {
    const value = t.resolve(p.DefinitionString);
    return { text: typeof value === 'string' ? value : JSON.stringify(value), source: 'inline' };
  }
  if (p.Definition !== undefined) return { text: JSON.stringify(t.resolve(p.Definition)), source: 'inline' };
  const location = p.DefinitionS3Location;
  if (location) {
    const key = String(t.resolve(location.Key));
    const file = t.assetFileForObjectKey(key);
    if (!file || !existsSync(file)) throw new Error(`State machine ${id}: DefinitionS3Location key ${key} is not a file asset of the cloud assembly in ${t.outDir}`);
    return { text: readFileSync(file, 'utf8'), source: file };
  }
  throw new Error(`State machine ${id} has no DefinitionString, Definition or DefinitionS3Location`);
}

export interface EventBusDef {
  logicalId: string;
  name: string;
  arn: string;
}

/** The template's custom event buses ("default" always exists and is not listed). */
export function eventBusesOf(t: Template): EventBusDef[] {
  return t.ofType('AWS::Events::EventBus').map(([id]) => ({ logicalId: id, name: t.physicalName(id), arn: t.getAtt(id, 'Arn') }));
}

export interface RuleDef extends LocalEventRule {
  logicalId: string;
  arn: string;
  /** Always set: the bus's name ("default" when the template names none). */
  eventBusName: string;
  state: 'ENABLED' | 'DISABLED';
  targets: LocalEventTarget[];
}

/** The template's event rules, as the local bus takes them (names, ARNs and inputs resolved). */
export function rulesOf(t: Template): RuleDef[] {
  return t.ofType('AWS::Events::Rule').map(([id, r]) => {
    const p = r.Properties ?? {};
    const pattern = p.EventPattern === undefined ? undefined : t.resolve(p.EventPattern);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const targets: LocalEventTarget[] = ((p.Targets ?? []) as Record<string, any>[]).map((target) => {
      const resolved = t.resolve(target);
      const out: LocalEventTarget = { id: String(resolved.Id), arn: String(resolved.Arn) };
      if (resolved.Input !== undefined) out.input = typeof resolved.Input === 'string' ? resolved.Input : JSON.stringify(resolved.Input);
      if (resolved.InputPath !== undefined) out.inputPath = String(resolved.InputPath);
      if (resolved.InputTransformer) out.inputTransformer = { inputPathsMap: resolved.InputTransformer.InputPathsMap, inputTemplate: String(resolved.InputTransformer.InputTemplate) };
      if (resolved.RoleArn !== undefined) out.roleArn = String(resolved.RoleArn);
      if (resolved.RetryPolicy) {
        out.retryPolicy = {
          maximumRetryAttempts: optionalNumber(resolved.RetryPolicy.MaximumRetryAttempts),
          maximumEventAgeInSeconds: optionalNumber(resolved.RetryPolicy.MaximumEventAgeInSeconds),
        };
      }
      if (resolved.DeadLetterConfig?.Arn !== undefined) out.deadLetterConfig = { arn: String(resolved.DeadLetterConfig.Arn) };
      if (resolved.SqsParameters?.MessageGroupId !== undefined) out.sqsParameters = { messageGroupId: String(resolved.SqsParameters.MessageGroupId) };
      return out;
    });
    return {
      logicalId: id,
      name: t.physicalName(id),
      arn: t.getAtt(id, 'Arn'),
      eventBusName: busNameOf(p.EventBusName === undefined ? undefined : String(t.resolve(p.EventBusName))),
      eventPattern: typeof pattern === 'string' ? (JSON.parse(pattern) as LocalEventRule['eventPattern']) : pattern,
      scheduleExpression: p.ScheduleExpression === undefined ? undefined : String(t.resolve(p.ScheduleExpression)),
      state: p.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      description: p.Description,
      targets,
    };
  });
}

function optionalNumber(value: unknown): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** A bus name from a name or an ARN (arn:aws:events:region:account:event-bus/name). */
function busNameOf(nameOrArn: string | undefined): string {
  if (!nameOrArn) return 'default';
  return /:event-bus\/(.+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

function ruleBusPrefix(t: Template, rule: CfnResource): string {
  const bus = rule.Properties?.EventBusName;
  const name = busNameOf(bus === undefined ? undefined : String(t.resolve(bus)));
  return name === 'default' ? '' : `${name}/`;
}

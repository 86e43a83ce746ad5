// Security properties of the synthesized template, asserted on the real stack.
import { Match } from 'aws-cdk-lib/assertions';
import { synthStage, statementsByRole, actionsOf, resourcesOf, type Synth } from './support/synth';
import { API_CATALOG } from '../../lambdas/api-catalog';
import { LOG_DELIVERY_ACTIONS } from '../../lib/platform/state-machine-logs';

let local: Synth;
let example: Synth;
beforeAll(() => {
  local = synthStage('local');
  example = synthStage('example');
});

describe('functions', () => {
  it('run Node.js 22 or newer on arm64, traced, with explicit memory, timeout and a log group with retention', () => {
    for (const s of [local, example]) {
      const fns = s.template.findResources('AWS::Lambda::Function');
      expect(Object.keys(fns).length).toBeGreaterThanOrEqual(2);
      for (const [id, fn] of Object.entries(fns)) {
        const p = (fn as { Properties: Record<string, any> }).Properties;
        if (!String(p.Runtime).startsWith('nodejs')) continue; // CDK-provided custom resource providers, if any
        expect({ id, major: Number(/^nodejs(\d+)\.x$/.exec(p.Runtime)?.[1]) >= 22 }).toEqual({ id, major: true });
        expect(p.Architectures).toEqual(['arm64']);
        expect(p.TracingConfig).toEqual({ Mode: 'Active' });
        expect(p.MemorySize).toBeGreaterThan(0);
        expect(p.Timeout).toBeGreaterThan(0);
        expect(p.LoggingConfig.LogGroup).toBeDefined();
      }
      s.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: s.config.retention.logRetentionDays });
    }
  });

  it('carry no secret in their environment', () => {
    for (const [, fn] of Object.entries(example.template.findResources('AWS::Lambda::Function'))) {
      const vars = (fn as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment?.Variables ?? {};
      for (const [k, v] of Object.entries(vars)) {
        expect(`${k}=${JSON.stringify(v)}`).not.toMatch(/secret|password|private|token=/i);
      }
    }
  });
});

describe('tables', () => {
  it('are encrypted with the customer managed key and have point-in-time recovery', () => {
    for (const s of [local, example]) {
      const tables = s.template.findResources('AWS::DynamoDB::GlobalTable');
      expect(Object.keys(tables)).toHaveLength(2);
      s.template.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, SSESpecification: { KMSMasterKeyId: Match.anyValue() } })],
      });
      s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    }
  });

  it('have deletion protection and are retained outside local stages, and not in the local stage', () => {
    example.template.allResourcesProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })] });
    for (const t of Object.values(example.template.findResources('AWS::DynamoDB::GlobalTable'))) expect((t as { DeletionPolicy: string }).DeletionPolicy).toBe('Retain');
    local.template.allResourcesProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] });
    for (const t of Object.values(local.template.findResources('AWS::DynamoDB::GlobalTable'))) expect((t as { DeletionPolicy: string }).DeletionPolicy).toBe('Delete');
  });
});

describe('IAM', () => {
  it('grants no wildcard actions, and no wildcard resources except X-Ray, and log delivery to state machines', () => {
    for (const s of [local, example]) {
      // Roles that only Step Functions assumes: they alone may manage CloudWatch log deliveries,
      // an API without resource-level permissions.
      const machineRoles = new Set(
        Object.entries(s.template.findResources('AWS::IAM::Role'))
          .filter(([, r]) => JSON.stringify((r as { Properties: { AssumeRolePolicyDocument: unknown } }).Properties.AssumeRolePolicyDocument).includes('states.'))
          .map(([id]) => id),
      );
      expect(machineRoles.size).toBe(2);
      for (const [role, stmts] of statementsByRole(s.template)) {
        const mayUseStar = (a: string) => a.startsWith('xray:') || (machineRoles.has(role) && LOG_DELIVERY_ACTIONS.includes(a));
        for (const st of stmts) {
          for (const a of actionsOf(st)) expect({ role, action: a, wildcard: a === '*' || /^[a-z0-9-]+:\*$/.test(a) }).toEqual({ role, action: a, wildcard: false });
          const res = resourcesOf(st);
          if (res.includes('"*"')) expect({ role, actions: actionsOf(st).filter((a) => !mayUseStar(a)) }).toEqual({ role, actions: [] });
        }
      }
    }
  });

  it('logs each state machine\'s events to its own log group, without execution data', () => {
    const machines = Object.values(local.template.findResources('AWS::StepFunctions::StateMachine')) as { Properties: { LoggingConfiguration?: { Level: string; IncludeExecutionData: boolean; Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[] } } }[];
    expect(machines).toHaveLength(2);
    const groups = new Set<string>();
    for (const m of machines) {
      const lc = m.Properties.LoggingConfiguration!;
      expect({ level: lc.Level, data: lc.IncludeExecutionData }).toEqual({ level: 'ALL', data: false });
      groups.add(JSON.stringify(lc.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn));
    }
    expect(groups.size).toBe(2);
  });

  it('lets no role update or delete audit items', () => {
    const auditId = Object.keys(local.template.findResources('AWS::DynamoDB::GlobalTable')).find((id) => id.startsWith('DataAudit'))!;
    const forbidden = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete', 'dynamodb:PartiQLInsert', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable'];
    let auditGrants = 0;
    for (const [role, stmts] of statementsByRole(local.template)) {
      for (const st of stmts) {
        if (!resourcesOf(st).some((r) => r.includes(auditId))) continue;
        auditGrants++;
        expect({ role, actions: actionsOf(st).filter((a) => forbidden.includes(a) || a.includes('*')) }).toEqual({ role, actions: [] });
      }
    }
    expect(auditGrants).toBeGreaterThanOrEqual(0);
  });
});

describe('API', () => {
  it('has an authorizer on every method that is not public in its route spec', () => {
    const publicRoutes = new Set(API_CATALOG.flatMap((c) => Object.values(c.api).filter((r) => r.auth === 'public').map((r) => `${r.method} ${r.path}`)));
    const methods = local.template.findResources('AWS::ApiGateway::Method');
    const authorizerId = Object.keys(local.template.findResources('AWS::ApiGateway::Authorizer'))[0];
    let checked = 0;
    for (const [, m] of Object.entries(methods)) {
      const p = (m as { Properties: Record<string, any> }).Properties;
      if (p.HttpMethod === 'OPTIONS') continue; // CORS preflight mocks
      const route = `${p.HttpMethod} ${p.OperationName}`;
      const path = API_CATALOG.flatMap((c) => Object.entries(c.api)).find(([name]) => name === p.OperationName)?.[1].path;
      const key = `${p.HttpMethod} ${path}`;
      if (publicRoutes.has(key)) expect({ route, auth: p.AuthorizationType }).toEqual({ route, auth: 'NONE' });
      else expect({ route, auth: p.AuthorizationType, authorizer: p.AuthorizerId }).toEqual({ route, auth: 'CUSTOM', authorizer: { Ref: authorizerId } });
      checked++;
    }
    expect(checked).toBe(API_CATALOG.reduce((n, c) => n + Object.keys(c.api).length, 0));
  });

  it('has one method per route spec, request validation, access logs, throttling and tracing', () => {
    local.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
    local.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, DataTraceEnabled: false })]),
    });
  });

  it('answers errors from API Gateway itself in the one error shape', () => {
    for (const type of ['UNAUTHORIZED', 'ACCESS_DENIED', 'MISSING_AUTHENTICATION_TOKEN', 'DEFAULT_4XX', 'DEFAULT_5XX']) {
      local.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('^\\{"error":\\{"code":"[a-z_]+","message":.*,"details":\\[\\]\\}\\}$') },
      });
    }
  });

  it('attaches a WAF web ACL where configured, and CORS from the config', () => {
    example.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    local.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    example.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: { IntegrationResponses: [Match.objectLike({ ResponseParameters: Match.objectLike({ 'method.response.header.Access-Control-Allow-Origin': "'https://portal.kairr.example.kr'" }) })] },
    });
  });
});

describe('cdk-nag', () => {
  it.each(['local', 'example'])('reports zero unacknowledged AwsSolutions and Serverless findings for stage %s', (stage) => {
    const s = synthStage(stage, undefined, { nag: true });
    expect(() => s.app.synth()).not.toThrow();
  });

  it('reports findings when something insecure is added (the check is live)', () => {
    const s = synthStage('local', undefined, { nag: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sqs = require('aws-cdk-lib/aws-sqs') as typeof import('aws-cdk-lib/aws-sqs');
    new sqs.Queue(s.stack, 'UnencryptedQueueWithoutDlq', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => s.app.synth()).toThrow();
  });

  it('has a specific reason on every acknowledgement', () => {
    const s = synthStage('example');
    const reasons: { id: string; reason: string }[] = [];
    for (const c of s.stack.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type !== 'aws:cdk:acknowledged-rules') continue;
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) reasons.push({ id, reason });
      }
    }
    expect(reasons.length).toBeGreaterThan(5);
    for (const r of reasons) {
      expect({ id: r.id, specific: r.reason.length >= 40 && !/\b(todo|fixme|tbd)\b/i.test(r.reason) }).toEqual({ id: r.id, specific: true });
    }
  });
});

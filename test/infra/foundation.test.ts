// Security properties of the synthesized template, asserted on the real stack.
import { Match } from 'aws-cdk-lib/assertions';
import { synthStage, statementsByRole, actionsOf, resourcesOf, type Synth } from './support/synth';
import { API_CATALOG } from '../../lambdas/api-catalog';
import { LOG_DELIVERY_ACTIONS } from '../../lib/platform/state-machine-logs';
import type { CfnElement } from 'aws-cdk-lib';
import { AUTHORIZER, TOKEN_REGEX } from '../../lib/platform/rest-api';
import type { KairrStack } from '../../lib/kairr-stack';
import type { ApiSpec } from '../../lambdas/shared/http/spec';
import { platformApi } from '../../lambdas/platform/api';
import type { PlatformEndpoints } from '../../lib/platform/platform-endpoints';
import { apiBodyOf, functionIdIn, operationsOf, routeOperationsOf } from './support/api-body';

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
      // approval, provisioning, pipeline, data hub access
      expect(machineRoles.size).toBe(4);
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

  it("logs each state machine's events to its own log group, without execution data", () => {
    const machines = Object.values(local.template.findResources('AWS::StepFunctions::StateMachine')) as {
      Properties: { LoggingConfiguration?: { Level: string; IncludeExecutionData: boolean; Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[] } };
    }[];
    // approval, provisioning, pipeline, data hub access
    expect(machines).toHaveLength(4);
    const groups = new Set<string>();
    for (const m of machines) {
      const lc = m.Properties.LoggingConfiguration!;
      expect({ level: lc.Level, data: lc.IncludeExecutionData }).toEqual({ level: 'ALL', data: false });
      groups.add(JSON.stringify(lc.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn));
    }
    expect(groups.size).toBe(4);
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
  const specRoutes = () => API_CATALOG.flatMap((c) => Object.entries(c.api).map(([name, r]) => ({ name, ...r })));

  it('has an operation for every route spec; the authorizer on every one not public, none on the public ones', () => {
    const ops = routeOperationsOf(local.template);
    expect(ops.map((o) => `${o.method} ${o.path}`).sort()).toEqual(
      specRoutes()
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    );
    for (const r of specRoutes()) {
      const op = ops.find((o) => o.method === r.method && o.path === r.path)!;
      const got = { route: `${r.method} ${r.path}`, operationId: op.operationId, security: op.raw.security, integration: op.integration };
      expect(got).toEqual({ route: got.route, operationId: r.name, security: r.auth === 'public' ? [] : [{ [AUTHORIZER]: [] }], integration: 'aws_proxy' });
    }
    expect(specRoutes().some((r) => r.auth === 'public')).toBe(true);
  });

  it('declares the OIDC TOKEN authorizer as a security scheme invoking the authorizer function', () => {
    const scheme = apiBodyOf(local.template).components.securitySchemes[AUTHORIZER];
    const authorizerFnId = local.stack.getLogicalId(local.stack.api.authorizerFunction.node.defaultChild as CfnElement);
    expect(scheme).toMatchObject({
      type: 'apiKey',
      name: 'Authorization',
      in: 'header',
      'x-amazon-apigateway-authtype': 'custom',
      'x-amazon-apigateway-authorizer': { type: 'token', identityValidationExpression: TOKEN_REGEX, authorizerResultTtlInSeconds: 300 },
    });
    expect(functionIdIn(scheme['x-amazon-apigateway-authorizer'].authorizerUri)).toBe(authorizerFnId);
    expect(new RegExp(TOKEN_REGEX).test('Bearer a.b.c')).toBe(true);
    expect(new RegExp(TOKEN_REGEX).test('Basic dXNlcjpwYXNz')).toBe(false);
  });

  it('lets API Gateway invoke each API function, and the authorizer, from this API only: one permission each', () => {
    const perms = Object.values(local.template.findResources('AWS::Lambda::Permission'))
      .map((p) => (p as { Properties: Record<string, any> }).Properties)
      .filter((p) => p.Principal === 'apigateway.amazonaws.com');
    const apiFns = [...new Set(routeOperationsOf(local.template).map((o) => o.functionId))];
    const authorizerFnId = local.stack.getLogicalId(local.stack.api.authorizerFunction.node.defaultChild as CfnElement);
    const apiId = Object.keys(local.template.findResources('AWS::ApiGateway::RestApi'))[0];
    expect(perms.map((p) => functionIdIn(p.FunctionName)).sort()).toEqual([...apiFns, authorizerFnId].sort());
    for (const p of perms) {
      const arn = JSON.stringify(p.SourceArn);
      expect(arn).toContain(`{"Ref":"${apiId}"}`);
      expect(arn).toMatch(functionIdIn(p.FunctionName) === authorizerFnId ? /\/authorizers\/\*"\]\]\}$/ : /"\/\*\/\*\/\*"\]\]\}$/);
    }
  });

  // A greedy segment {path+} is declared as the parameter `path` (API Gateway's OpenAPI extensions).
  it('validates requests (body and parameters) on every operation, each path parameter declared required', () => {
    const body = apiBodyOf(local.template);
    const name = body['x-amazon-apigateway-request-validator'];
    expect(body['x-amazon-apigateway-request-validators'][name]).toEqual({ validateRequestBody: true, validateRequestParameters: true });
    for (const o of operationsOf(local.template)) {
      expect({ op: `${o.method} ${o.path}`, other: o.raw['x-amazon-apigateway-request-validator'] }).toEqual({ op: `${o.method} ${o.path}`, other: undefined });
      expect({ op: `${o.method} ${o.path}`, params: o.requiredPathParams }).toEqual({ op: `${o.method} ${o.path}`, params: [...o.path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]) });
    }
  });

  it('keeps access logs, throttling and tracing on the stage', () => {
    local.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, DataTraceEnabled: false })]),
    });
  });

  it('answers errors from API Gateway itself in the one error shape', () => {
    const responses = apiBodyOf(local.template)['x-amazon-apigateway-gateway-responses'];
    for (const type of ['UNAUTHORIZED', 'ACCESS_DENIED', 'MISSING_AUTHENTICATION_TOKEN', 'BAD_REQUEST_PARAMETERS', 'DEFAULT_4XX', 'DEFAULT_5XX']) {
      expect({ type, template: responses[type]?.responseTemplates['application/json'] }).toEqual({ type, template: expect.stringMatching(/^\{"error":\{"code":"[a-z_]+","message":.*,"details":\[\]\}\}$/) });
    }
    expect(responses.UNAUTHORIZED.statusCode).toBe('401');
    // Kept in the body: an imported body (mode overwrite) drops gateway responses declared beside it.
    local.template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 0);
    local.template.hasResourceProperties('AWS::ApiGateway::RestApi', { Mode: 'overwrite', FailOnWarnings: true });
  });

  it('attaches a WAF web ACL where configured, and CORS preflights from the config', () => {
    example.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    local.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    const preflights = operationsOf(example.template).filter((o) => o.method === 'OPTIONS');
    expect(preflights.map((o) => o.path).sort()).toEqual([...new Set(specRoutes().map((r) => r.path))].sort());
    for (const o of preflights) {
      const res = o.raw['x-amazon-apigateway-integration'].responses.default;
      const methods = specRoutes()
        .filter((r) => r.path === o.path)
        .map((r) => r.method);
      expect({ path: o.path, type: o.integration, security: o.raw.security, status: res.statusCode }).toEqual({ path: o.path, type: 'mock', security: [], status: '204' });
      expect(res.responseParameters).toMatchObject({
        'method.response.header.Access-Control-Allow-Origin': "'https://portal.kairr.example.kr'",
        'method.response.header.Access-Control-Allow-Methods': `'${[...methods, 'OPTIONS'].join(',')}'`,
      });
    }
  });
});

describe('the API as one OpenAPI body', () => {
  const extra = { pingAgain: { method: 'GET', path: '/v1/ping-again', summary: 'x', tag: 'platform', auth: 'any', responses: { 200: { description: 'pong' } } } } as const;
  const withExtraRoute = (stack: KairrStack) => stack.api.addRoutes(extra as unknown as ApiSpec, platformFn(stack));
  const platformFn = (stack: KairrStack) => (stack.node.findChild('Platform') as PlatformEndpoints).fn;
  const deploymentIdOf = (s: Synth) => Object.keys(s.template.findResources('AWS::ApiGateway::Deployment'));

  it("keeps the stack well under CloudFormation's 500 resources: no resource per route or path", () => {
    for (const s of [local, example]) {
      const count = Object.keys(s.template.toJSON().Resources).length;
      expect({ stage: s.config.stage, fewerThan400: count < 400 }).toEqual({ stage: s.config.stage, fewerThan400: true });
      for (const type of ['AWS::ApiGateway::Method', 'AWS::ApiGateway::Resource', 'AWS::ApiGateway::Authorizer', 'AWS::ApiGateway::RequestValidator']) s.template.resourceCountIs(type, 0);
    }
  });

  it('makes a new Deployment when a route changes, costing no resource; the same routes keep its id', () => {
    const again = synthStage('local');
    const changed = synthStage('local', undefined, { beforeSynth: withExtraRoute });

    expect(deploymentIdOf(local)).toHaveLength(1);
    expect(deploymentIdOf(again)).toEqual(deploymentIdOf(local));
    expect(deploymentIdOf(changed)[0]).not.toEqual(deploymentIdOf(local)[0]);
    expect(Object.keys(changed.template.toJSON().Resources).length).toBe(Object.keys(local.template.toJSON().Resources).length);
    expect(routeOperationsOf(changed.template).find((o) => o.path === '/v1/ping-again')).toMatchObject({ method: 'GET', authorizer: AUTHORIZER });
    // The stage serves the new deployment.
    const stage = Object.values(changed.template.findResources('AWS::ApiGateway::Stage'))[0] as { Properties: { DeploymentId: unknown } };
    expect(stage.Properties.DeploymentId).toEqual({ Ref: deploymentIdOf(changed)[0] });
  });

  it('refuses a route declared twice, and one added after the body was synthesized', () => {
    expect(() => synthStage('local', undefined, { beforeSynth: (stack) => stack.api.addRoutes(platformApi, platformFn(stack)) })).toThrow(/is declared twice/);
    expect(() => withExtraRoute(local.stack)).toThrow(/after the API body was synthesized/);
  });
});

describe('cdk-nag', () => {
  it.each(['local', 'example'])('reports zero unacknowledged AwsSolutions and Serverless findings for stage %s', (stage) => {
    const s = synthStage(stage, undefined, { nag: true });
    expect(() => s.app.synth()).not.toThrow();
  });

  it('reports findings when something insecure is added (the check is live)', () => {
    const s = synthStage('local', undefined, { nag: true });
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

// The REST API (API Gateway v1), generated from one OpenAPI body (lib/platform/api-body.ts)
// instead of one CloudFormation resource per method and path: a stack holds at most 500
// resources, and 211 methods with their 103 path resources had taken it past that (512). Now the
// whole API is ONE AWS::ApiGateway::RestApi whose inline Body holds every route of the route specs
// (lambdas/*/api.ts) as an operation with a Lambda proxy integration, the OIDC TOKEN authorizer as
// a security scheme (on every operation not 'public' in its spec), the request validator, CORS
// preflights as mock integrations and the gateway responses in the one error shape.
//
// - The body is a Lazy value: capability constructs call addRoutes() after the API exists, and the
//   body is produced only when the stack is synthesized, once every route is in. A Lazy (rather than
//   an aspect or a validation hook that rewrites the CfnRestApi) keeps the CfnRestApi's Body and the
//   Deployment's logical id fed from the same one value, with no ordering between aspects to get
//   right. Routes added after the body was produced would be lost: addRoutes refuses them.
// - mode 'overwrite': the body is the whole API. A route removed from the specs is removed from the
//   API (the default, merge, would keep it). That is also why the authorizer, the validator and the
//   gateway responses are IN the body: separate Authorizer/GatewayResponse resources are dropped when
//   a body is imported over them.
// - A new Deployment whenever the body changes: its logical id hashes the body (CDK hashes the
//   CfnRestApi too; we add the body explicitly so this never depends on that detail).
// - One lambda:InvokeFunction permission per function, for this API only (<api>/*/*/*), and one for
//   the authorizer (<api>/authorizers/*).
// Stage settings (access logs, tracing, throttling, method settings) are on the Stage as before.
import { Aws, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { acknowledge } from '../nag';
import { Construct } from 'constructs';
import type { ApiSpec } from '../../lambdas/shared/http/spec';
import { KairrFunction, type FunctionDefaults } from './kairr-function';
import type { TrustedIssuer } from '../../lambdas/domain/identity/issuers';
import { buildApiBody, VALIDATOR, type BodyGatewayResponse, type BodyRoute } from './api-body';
import { bodyRulesOutsideScriptRoutes, bodySizeOutsideBulkRoutes, COUNTED_BODY_RULES } from './waf-scope'; // edge

export interface KairrApiProps {
  stage: string;
  defaults: FunctionDefaults;
  /** The trusted issuers (Identity construct), handed to the authorizer as JSON. */
  issuers: TrustedIssuer[];
  allowHttpJwks?: boolean;
  corsAllowOrigins: string[];
  throttleRateLimit: number;
  throttleBurstLimit: number;
  webAcl: boolean;
}

/** The securitySchemes name of the OIDC TOKEN authorizer in the body. */
export const AUTHORIZER = 'kairrOidc';
/** A bearer JWT (three base64url parts): anything else is refused before the authorizer runs. */
export const TOKEN_REGEX = '^Bearer [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';

const gw = (code: string, message: string, statusCode?: string): BodyGatewayResponse => ({
  ...(statusCode ? { statusCode } : {}),
  template: `{"error":{"code":"${code}","message":${message},"details":[]}}`,
});
/** Gateway responses in the one error shape, so a 401 from the authorizer looks like every other error. */
const GATEWAY_RESPONSES: Record<string, BodyGatewayResponse> = {
  UNAUTHORIZED: gw('unauthorized', '"A valid bearer token is required"', '401'),
  ACCESS_DENIED: gw('forbidden', '"You are not allowed to do this"', '403'),
  MISSING_AUTHENTICATION_TOKEN: gw('not_found', '"No such route"', '404'),
  BAD_REQUEST_PARAMETERS: gw('validation_failed', '"$context.error.validationErrorString"'),
  BAD_REQUEST_BODY: gw('validation_failed', '"$context.error.validationErrorString"'),
  THROTTLED: gw('throttled', '"Too many requests; retry later"'),
  REQUEST_TOO_LARGE: gw('payload_too_large', '"The request is too large"'),
  DEFAULT_4XX: gw('bad_request', '$context.error.messageString'),
  DEFAULT_5XX: gw('internal', '$context.error.messageString'),
};

export class KairrApi extends Construct {
  readonly restApi: apigw.SpecRestApi;
  readonly authorizerFunction: KairrFunction;
  /** method+path → function id, to refuse a route declared twice. */
  private readonly routes = new Map<string, string>();
  private readonly bodyRoutes: BodyRoute[] = [];
  /** Functions that already hold the invoke permission for this API. */
  private readonly invokers = new Set<KairrFunction>();
  private bodyProduced = false;

  constructor(scope: Construct, id: string, props: KairrApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.defaults.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.defaults.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.authorizerFunction = new KairrFunction(this, 'Authorizer', {
      entry: 'lambdas/authorizer/handler.ts',
      description: 'KAIRR OIDC token authorizer',
      defaults: props.defaults,
      memorySize: 256,
      timeout: Duration.seconds(5),
      environment: {
        // JSON (the Cognito pool's URLs are CloudFormation tokens until deploy).
        OIDC_ISSUERS: Stack.of(scope).toJsonString(props.issuers),
        ...(props.allowHttpJwks ? { OIDC_ALLOW_HTTP_JWKS: 'true' } : {}),
      },
    });

    const body = Lazy.any({ produce: () => this.produceBody(props) });
    this.restApi = new apigw.SpecRestApi(this, 'Api', {
      apiDefinition: apigw.ApiDefinition.fromInline(body),
      mode: apigw.RestApiMode.OVERWRITE,
      // A warning on import (an operation API Gateway could not create) fails the deploy instead
      // of shipping an API without it.
      failOnWarnings: true,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        description: `KAIRR API (${props.stage})`,
        stageName: props.stage,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // bodies may hold personal data
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });
    this.restApi.latestDeployment!.addToLogicalId(body);
    acknowledge(
      this.restApi,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      "API Gateway's account-level logging role: AWS's managed policy is the documented way to let API Gateway write execution and access logs to CloudWatch.",
    );
    // cdk-nag's APIG2 looks for an AWS::ApiGateway::RequestValidator resource; ours is in the body.
    acknowledge(
      this.restApi,
      'AwsSolutions-APIG2',
      `The request validator is declared in the OpenAPI body (x-amazon-apigateway-request-validators "${VALIDATOR}", body and parameters) and is the default for every operation, with each path parameter declared required; test/infra checks it. Bodies are validated by each handler's strict zod schema, which names every bad field.`,
    );
    // APIG4 and COG4 inspect AWS::ApiGateway::Method resources, which a body-defined API has none
    // of: the guarantee they gave (an authorizer on every non-public route) is checked on the body's
    // operations by test/infra (foundation.test.ts) instead.
    if (props.webAcl) this.attachWebAcl(props.throttleRateLimit);
    else
      acknowledge(
        this.restApi.deploymentStage,
        'AwsSolutions-APIG3',
        'This stage sets api.webAcl=false: it is a local or LocalStack stage (WAFv2 is not in LocalStack community). Deployed stages keep the default api.webAcl=true, which attaches a web ACL.',
      );

    // The authorizer is invoked by this API only, for any of its authorizers.
    this.authorizerFunction.addPermission('InvokeByApiAuthorizer', {
      principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: Stack.of(this).formatArn({ service: 'execute-api', resource: this.restApi.restApiId, resourceName: 'authorizers/*' }),
    });
  }

  private produceBody(props: KairrApiProps): Record<string, unknown> {
    this.bodyProduced = true;
    return buildApiBody({
      description: `KAIRR API (${props.stage}): routes from the route specs; the served document is GET /v1/openapi.json`,
      routes: this.bodyRoutes,
      authorizer: { name: AUTHORIZER, invocationUri: invocationUri(this, this.authorizerFunction), header: 'Authorization', validationRegex: TOKEN_REGEX, ttlSeconds: 300 },
      cors: props.corsAllowOrigins.length ? { origins: props.corsAllowOrigins, headers: ['Authorization', 'Content-Type', 'Idempotency-Key'], maxAgeSeconds: 3600 } : undefined,
      gatewayResponses: GATEWAY_RESPONSES,
    });
  }

  private attachWebAcl(rateLimitPerSecond: number): void {
    const rule = (name: string, priority: number, statement: wafv2.CfnWebACL.StatementProperty, block = false): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      statement,
      ...(block ? { action: { block: {} } } : { overrideAction: { none: {} } }),
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: false },
    });
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'kairr-api', sampledRequestsEnabled: false },
      rules: [
        // ---- edge: the Common Rule Set, its body rules scoped (lib/platform/waf-scope.ts) ----
        rule('common', 0, { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet', ruleActionOverrides: COUNTED_BODY_RULES.map((name) => ({ name, actionToUse: { count: {} } })) } }),
        rule('body-size-outside-bulk-routes', 1, bodySizeOutsideBulkRoutes(), true),
        rule('body-rules-outside-script-routes', 2, bodyRulesOutsideScriptRoutes(), true),
        // ---- end edge ----
        rule('known-bad-inputs', 3, { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' } }),
        // Per client IP over 5 minutes: a generous multiple of the stage's steady rate limit.
        rule('rate-per-ip', 4, { rateBasedStatement: { limit: Math.max(100, Math.round(rateLimitPerSecond * 300)), aggregateKeyType: 'IP' } }, true),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.restApi.deploymentStage.stageArn, webAclArn: acl.attrArn });
  }

  // ---- accountability ----
  /**
   * Throttles one route below the stage's limits (API Gateway method settings): the public routes,
   * which take no token, get their own steady rate and burst so that no caller can take the
   * stage's whole budget through them.
   */
  throttleRoute(method: string, path: string, rateLimit: number, burstLimit: number): void {
    const stage = this.restApi.deploymentStage.node.defaultChild as apigw.CfnStage;
    const existing = (stage.methodSettings ?? []) as apigw.CfnStage.MethodSettingProperty[];
    stage.methodSettings = [
      ...existing,
      // a resource path in method settings escapes "/" as "~1"
      { httpMethod: method, resourcePath: `/${path.replace(/\//g, '~1')}`, throttlingRateLimit: rateLimit, throttlingBurstLimit: burstLimit, metricsEnabled: true, loggingLevel: 'ERROR', dataTraceEnabled: false },
    ];
  }
  // ---- end accountability ----

  /** Adds every route of a spec to the API, integrated with one function (Lambda proxy). */
  addRoutes(api: ApiSpec, fn: KairrFunction): void {
    if (this.bodyProduced) throw new Error(`Routes of ${fn.node.path} were added after the API body was synthesized; add routes while constructing the stack`);
    for (const [name, route] of Object.entries(api)) {
      const key = `${route.method} ${route.path}`;
      if (this.routes.has(key)) throw new Error(`Route ${key} (${name}) is declared twice`);
      this.routes.set(key, fn.node.id);
      this.bodyRoutes.push({ name, route, invocationUri: invocationUri(this, fn) });
    }
    if (!this.invokers.has(fn)) {
      this.invokers.add(fn);
      // Any stage, method and path of THIS API: the body decides which routes reach the function.
      fn.addPermission('InvokeByApi', { principal: new iam.ServicePrincipal('apigateway.amazonaws.com'), sourceArn: this.restApi.arnForExecuteApi('*', '/*', '*') });
    }
  }
}

/** API Gateway's URI for invoking a Lambda function (a CloudFormation token until deploy). */
function invocationUri(scope: Construct, fn: KairrFunction): string {
  return `arn:${Aws.PARTITION}:apigateway:${Stack.of(scope).region}:lambda:path/2015-03-31/functions/${fn.functionArn}/invocations`;
}

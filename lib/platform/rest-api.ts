// The REST API (API Gateway v1): access logs in JSON, throttling, X-Ray, CORS from config, the
// OIDC Lambda authorizer on every non-public method, gateway responses in the one error shape,
// and routes added from the same route specs the handlers use (lambdas/*/api.ts).
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { acknowledge } from '../nag';
import { Construct } from 'constructs';
import type { ApiSpec } from '../../lambdas/shared/http/spec';
import { KairrFunction, type FunctionDefaults } from './kairr-function';
import type { TrustedIssuer } from '../../lambdas/domain/identity/issuers';
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

const errorTemplate = (code: string, message: string) => ({
  'application/json': `{"error":{"code":"${code}","message":${message},"details":[]}}`,
});

export class KairrApi extends Construct {
  readonly restApi: apigw.RestApi;
  readonly authorizer: apigw.TokenAuthorizer;
  readonly authorizerFunction: KairrFunction;
  private readonly validator: apigw.RequestValidator;
  /** method+path → function id, to refuse a route declared twice. */
  private readonly routes = new Map<string, string>();

  constructor(scope: Construct, id: string, props: KairrApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.defaults.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.defaults.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.restApi = new apigw.RestApi(this, 'Api', {
      description: `KAIRR API (${props.stage})`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
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
      defaultCorsPreflightOptions: props.corsAllowOrigins.length
        ? {
            allowOrigins: props.corsAllowOrigins,
            allowMethods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'],
            allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
            maxAge: Duration.hours(1),
          }
        : undefined,
    });
    acknowledge(this.restApi, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', "API Gateway's account-level logging role: AWS's managed policy is the documented way to let API Gateway write execution and access logs to CloudWatch.");
    if (props.webAcl) this.attachWebAcl(props.throttleRateLimit);
    else
      acknowledge(this.restApi.deploymentStage, 'AwsSolutions-APIG3', 'This stage sets api.webAcl=false: it is a local or LocalStack stage (WAFv2 is not in LocalStack community). Deployed stages keep the default api.webAcl=true, which attaches a web ACL.');
    // Request bodies are validated by each handler's strict zod schema, which names every bad field;
    // API Gateway's validator checks the required path parameters.
    this.validator = this.restApi.addRequestValidator('Validator', { validateRequestBody: true, validateRequestParameters: true });

    // Gateway responses in the one error shape, so a 401 from the authorizer looks like every other error.
    const gw: [apigw.ResponseType, string, string, string?][] = [
      [apigw.ResponseType.UNAUTHORIZED, 'unauthorized', '"A valid bearer token is required"', '401'],
      [apigw.ResponseType.ACCESS_DENIED, 'forbidden', '"You are not allowed to do this"', '403'],
      [apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 'not_found', '"No such route"', '404'],
      [apigw.ResponseType.BAD_REQUEST_PARAMETERS, 'validation_failed', '"$context.error.validationErrorString"'],
      [apigw.ResponseType.BAD_REQUEST_BODY, 'validation_failed', '"$context.error.validationErrorString"'],
      [apigw.ResponseType.THROTTLED, 'throttled', '"Too many requests; retry later"'],
      [apigw.ResponseType.REQUEST_TOO_LARGE, 'payload_too_large', '"The request is too large"'],
      [apigw.ResponseType.DEFAULT_4XX, 'bad_request', '$context.error.messageString'],
      [apigw.ResponseType.DEFAULT_5XX, 'internal', '$context.error.messageString'],
    ];
    for (const [type, code, message, statusCode] of gw) {
      this.restApi.addGatewayResponse(`Gw${type.responseType}`, {
        type,
        statusCode,
        templates: errorTemplate(code, message),
        responseHeaders: props.corsAllowOrigins.length ? { 'Access-Control-Allow-Origin': `'${props.corsAllowOrigins[0]}'` } : undefined,
      });
    }

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
    this.authorizer = new apigw.TokenAuthorizer(this, 'TokenAuthorizer', {
      handler: this.authorizerFunction,
      identitySource: apigw.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.minutes(5),
      validationRegex: '^Bearer [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
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
    const integration = new apigw.LambdaIntegration(fn, { proxy: true, scopePermissionToMethod: false });
    for (const [name, route] of Object.entries(api)) {
      const key = `${route.method} ${route.path}`;
      if (this.routes.has(key)) throw new Error(`Route ${key} (${name}) is declared twice`);
      this.routes.set(key, fn.node.id);
      const resource = this.restApi.root.resourceForPath(route.path);
      const pathParams = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const requestParameters: Record<string, boolean> = {};
      for (const p of pathParams) requestParameters[`method.request.path.${p}`] = true;
      const method = resource.addMethod(route.method, integration, {
        operationName: name,
        requestValidator: this.validator,
        requestParameters,
        ...(route.auth === 'public' ? { authorizationType: apigw.AuthorizationType.NONE } : { authorizer: this.authorizer, authorizationType: apigw.AuthorizationType.CUSTOM }),
      });
      if (route.auth === 'public') {
        acknowledge(method, 'AwsSolutions-APIG4', `${key} is public by design (route spec auth: 'public'): health checks and the OpenAPI document must be readable without a token.`);
        acknowledge(method, 'AwsSolutions-COG4', `${key} is public by design (route spec auth: 'public'), so it has no authorizer of any kind.`);
      } else {
        acknowledge(method, 'AwsSolutions-COG4', `${key} uses the OIDC Lambda authorizer, which verifies tokens of the configured issuer (the national identity federation or the optional Cognito pool); Cognito authorizers are not used so the app also deploys to LocalStack community.`);
      }
    }
  }
}

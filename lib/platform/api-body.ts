// The deploy-time OpenAPI body of the REST API: every route of the route specs as an operation with
// API Gateway's extensions (Lambda proxy integration, the TOKEN authorizer as a security scheme,
// the request validator, CORS preflights as mock integrations, gateway responses). Pure data in,
// a JSON object out (the invocation URIs are CloudFormation tokens the stack resolves), so it is
// tested without synthesizing anything.
//
// It is not the served document (lambdas/shared/http/openapi.ts): API Gateway imports OpenAPI 3.0
// only (3.1 is refused: "Unable to determine OAS version"), and the request schemas stay out on
// purpose: API Gateway would turn them into draft-04 models and answer bad bodies in its own words
// before the handler's strict zod schema could name the field. Only what API Gateway itself acts on
// is here; the served document keeps the descriptions and schemas.
import type { HttpMethod, RouteSpec } from '../../lambdas/shared/http/spec';
import { OPENAPI_INFO } from '../../lambdas/shared/http/openapi';

export interface BodyRoute {
  /** The operation's name in its route spec (the operationId). */
  name: string;
  route: RouteSpec;
  /** arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations */
  invocationUri: string;
}

export interface BodyAuthorizer {
  /** The securitySchemes key that operations name in `security`. */
  name: string;
  invocationUri: string;
  header: string;
  validationRegex: string;
  ttlSeconds: number;
}

export interface BodyCors {
  origins: string[];
  headers: string[];
  maxAgeSeconds: number;
}

export interface BodyGatewayResponse {
  statusCode?: string;
  /** The application/json template (API Gateway fills $context variables; no VTL). */
  template: string;
}

export interface ApiBodyInput {
  description: string;
  routes: BodyRoute[];
  authorizer: BodyAuthorizer;
  cors?: BodyCors;
  gatewayResponses: Record<string, BodyGatewayResponse>;
}

/** The one request validator: the required path parameters (and a body where a model is declared). */
export const VALIDATOR = 'body-and-params';

/** The names of a path template's parameters: /v1/calls/{callId} → ['callId']. */
export function pathParamsOf(path: string): string[] {
  return [...path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]);
}

/**
 * API Gateway keeps one resource per path segment, so two routes that put differently named
 * parameters at the same place ({id} beside {allocationId}) cannot both exist. RestApi's
 * Method resources failed on this at deploy time; an imported body fails there too, so refuse it
 * at synth instead, naming both paths.
 */
export function checkPathTree(paths: string[]): void {
  const seen = new Map<string, { name: string; path: string }>();
  for (const path of paths) {
    if (!path.startsWith('/')) throw new Error(`Route path ${path} must start with /`);
    const segs = path.split('/').slice(1);
    segs.forEach((seg, i) => {
      const m = /^\{([^}]+)\}$/.exec(seg);
      if (!m) return;
      if (m[1].endsWith('+') && i !== segs.length - 1) throw new Error(`Route path ${path}: a greedy parameter must be the last segment`);
      const parent = `/${segs.slice(0, i).join('/')}`;
      const other = seen.get(parent);
      if (other && other.name !== m[1]) throw new Error(`Routes ${other.path} and ${path} name the parameter under ${parent} differently ({${other.name}} and {${m[1]}}); API Gateway needs one name`);
      if (!other) seen.set(parent, { name: m[1], path });
    });
  }
}

const pathParameters = (path: string) => pathParamsOf(path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));

function operation(r: BodyRoute, authorizer: string): Record<string, unknown> {
  const { route } = r;
  const params = pathParameters(route.path);
  return {
    operationId: r.name,
    tags: [route.tag],
    ...(params.length ? { parameters: params } : {}),
    // An empty list is "no authorization" (NONE); the scheme is the OIDC TOKEN authorizer (CUSTOM).
    security: route.auth === 'public' ? [] : [{ [authorizer]: [] }],
    responses: Object.fromEntries(Object.entries(route.responses).map(([status, res]) => [status, { description: res.description }])),
    'x-amazon-apigateway-integration': { type: 'aws_proxy', httpMethod: 'POST', uri: r.invocationUri, passthroughBehavior: 'when_no_match' },
  };
}

/**
 * With several allowed origins a preflight can carry only one: the mapping template answers the
 * request's Origin when it is one of them (as CDK's RestApi preflight does), else the first.
 */
function originTemplate(origins: string[]): string {
  const test = origins.map((o) => `$origin == ${JSON.stringify(o)}`).join(' || ');
  return [
    '#set($origin = $input.params().header.get("Origin"))',
    '#if($origin == "")#set($origin = $input.params().header.get("origin"))#end',
    `#if(${test})#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)#end`,
  ].join('\n');
}

function preflight(path: string, methods: HttpMethod[], cors: BodyCors): Record<string, unknown> {
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': `'${cors.origins[0]}'`,
    'Access-Control-Allow-Methods': `'${[...methods, 'OPTIONS'].join(',')}'`,
    'Access-Control-Allow-Headers': `'${cors.headers.join(',')}'`,
    'Access-Control-Max-Age': `'${cors.maxAgeSeconds}'`,
    Vary: "'Origin'",
  };
  const params = pathParameters(path);
  return {
    ...(params.length ? { parameters: params } : {}),
    security: [],
    responses: { '204': { description: 'CORS preflight', headers: Object.fromEntries(Object.keys(headers).map((h) => [h, { schema: { type: 'string' } }])) } },
    'x-amazon-apigateway-integration': {
      type: 'mock',
      requestTemplates: { 'application/json': '{"statusCode": 204}' },
      passthroughBehavior: 'when_no_match',
      responses: {
        default: {
          statusCode: '204',
          responseParameters: Object.fromEntries(Object.entries(headers).map(([h, v]) => [`method.response.header.${h}`, v])),
          ...(cors.origins.length > 1 && !cors.origins.includes('*') ? { responseTemplates: { 'application/json': originTemplate(cors.origins) } } : {}),
        },
      },
    },
  };
}

export function buildApiBody(input: ApiBodyInput): Record<string, unknown> {
  checkPathTree(input.routes.map((r) => r.route.path));
  const paths: Record<string, Record<string, unknown>> = {};
  const methods = new Map<string, HttpMethod[]>();
  for (const r of input.routes) {
    (paths[r.route.path] ??= {})[r.route.method.toLowerCase()] = operation(r, input.authorizer.name);
    methods.set(r.route.path, [...(methods.get(r.route.path) ?? []), r.route.method]);
  }
  if (input.cors?.origins.length) for (const [path, ms] of methods) paths[path].options = preflight(path, ms, input.cors);
  const a = input.authorizer;
  const corsHeader = input.cors?.origins.length ? { 'gatewayresponse.header.Access-Control-Allow-Origin': `'${input.cors.origins[0]}'` } : undefined;
  return {
    openapi: '3.0.1',
    info: { title: OPENAPI_INFO.title, version: OPENAPI_INFO.version, description: input.description },
    // Sorted, so the body (and the Deployment's logical id hashed from it) depends only on the routes.
    paths: Object.fromEntries(Object.entries(paths).sort(([x], [y]) => x.localeCompare(y))),
    components: {
      securitySchemes: {
        [a.name]: {
          type: 'apiKey',
          name: a.header,
          in: 'header',
          'x-amazon-apigateway-authtype': 'custom',
          'x-amazon-apigateway-authorizer': {
            type: 'token',
            authorizerUri: a.invocationUri,
            identityValidationExpression: a.validationRegex,
            authorizerResultTtlInSeconds: a.ttlSeconds,
          },
        },
      },
    },
    'x-amazon-apigateway-request-validators': { [VALIDATOR]: { validateRequestBody: true, validateRequestParameters: true } },
    'x-amazon-apigateway-request-validator': VALIDATOR,
    'x-amazon-apigateway-gateway-responses': Object.fromEntries(
      Object.entries(input.gatewayResponses).map(([type, g]) => [
        type,
        { ...(g.statusCode ? { statusCode: g.statusCode } : {}), responseTemplates: { 'application/json': g.template }, ...(corsHeader ? { responseParameters: corsHeader } : {}) },
      ]),
    ),
  };
}

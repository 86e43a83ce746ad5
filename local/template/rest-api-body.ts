// A REST API defined by an OpenAPI body (AWS::ApiGateway::RestApi Body, as CDK's SpecRestApi and
// SAM write it), read the way API Gateway imports it: each path and method with its
// x-amazon-apigateway-integration (aws_proxy to a function found through the Fn::GetAtt in its uri,
// or mock), the security requirement (none, or a Lambda authorizer from the security schemes), the
// request validator in effect with the required parameters it checks, and the gateway responses.
// Swagger 2.0 (securityDefinitions) and OpenAPI 3.0 (components.securitySchemes) are both read.
import type { Template } from './template';
import type { AuthorizerDef, GatewayResponseDef, MockRouteDef, RouteDef } from './rest-api-types';

type Json = Record<string, any>;

const METHODS: Record<string, string> = {
  get: 'GET',
  put: 'PUT',
  post: 'POST',
  delete: 'DELETE',
  options: 'OPTIONS',
  head: 'HEAD',
  patch: 'PATCH',
  'x-amazon-apigateway-any-method': 'ANY',
};

/** The function a Lambda ARN expression (possibly an apigateway invocation URI) points at. */
export function functionIdIn(t: Template, uri: unknown): string | undefined {
  const s = JSON.stringify(uri);
  for (const [id] of t.ofType('AWS::Lambda::Function')) if (s.includes(`"${id}"`)) return id;
  return undefined;
}

const unquote = (v: unknown) => String(v).replace(/^'|'$/g, '');

function headersOf(params: Record<string, unknown> | undefined, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = unquote(v);
  return out;
}

/** The body as JSON: an object, or a JSON string (YAML is not read here). */
function parseBody(t: Template, apiId: string, raw: unknown): Json {
  let body = raw;
  if (body && typeof body === 'object' && Object.keys(body).length === 1 && Object.keys(body)[0].startsWith('Fn::')) body = t.resolve(body);
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      throw new Error(`RestApi ${apiId}: its Body is not JSON (a YAML body is not supported locally)`);
    }
  }
  if (!body || typeof body !== 'object') throw new Error(`RestApi ${apiId}: its Body is not an OpenAPI object`);
  return body as Json;
}

export interface BodyApi {
  routes: RouteDef[];
  mocks: MockRouteDef[];
  authorizers: Record<string, AuthorizerDef>;
  gatewayResponses: Record<string, GatewayResponseDef>;
}

export function bodyApiOf(t: Template, apiId: string, raw: unknown): BodyApi {
  const body = parseBody(t, apiId, raw);
  const schemes: Json = body.components?.securitySchemes ?? body.securityDefinitions ?? {};
  const validators: Json = body['x-amazon-apigateway-request-validators'] ?? {};
  const authorizers: Record<string, AuthorizerDef> = {};

  const authorizerOf = (name: string, where: string): string => {
    const scheme = schemes[name];
    const a = scheme?.['x-amazon-apigateway-authorizer'];
    if (!a) throw new Error(`${where}: security scheme ${name} is not a Lambda authorizer, which is all the local gateway runs`);
    const type = String(a.type ?? 'token').toLowerCase();
    if (type !== 'token') throw new Error(`${where}: authorizer ${name} is of type ${type}; the local gateway runs TOKEN authorizers`);
    if (!authorizers[name]) {
      const fnId = functionIdIn(t, a.authorizerUri);
      if (!fnId) throw new Error(`Authorizer ${name} of RestApi ${apiId} has no Lambda function in its authorizerUri`);
      const source = typeof a.identitySource === 'string' ? a.identitySource : `method.request.header.${scheme.name ?? 'Authorization'}`;
      authorizers[name] = {
        logicalId: name,
        type: 'TOKEN',
        functionLogicalId: fnId,
        identityHeader: source.replace('method.request.header.', ''),
        validationRegex: a.identityValidationExpression,
        ttlSeconds: Number(a.authorizerResultTtlInSeconds ?? 300),
      };
    }
    return name;
  };

  const refParam = (p: Json): Json => {
    const ref = typeof p.$ref === 'string' ? /^#\/(?:components\/parameters|parameters)\/(.+)$/.exec(p.$ref)?.[1] : undefined;
    return ref ? (body.components?.parameters?.[ref] ?? body.parameters?.[ref] ?? {}) : p;
  };

  const routes: RouteDef[] = [];
  const mocks: MockRouteDef[] = [];
  for (const [path, item] of Object.entries((body.paths ?? {}) as Json)) {
    for (const [key, op] of Object.entries(item as Json)) {
      const method = METHODS[key];
      if (!method) continue; // parameters, summary, x-amazon-apigateway-* of the path item
      const where = `RestApi ${apiId} ${method} ${path}`;
      const integration: Json = op['x-amazon-apigateway-integration'] ?? {};
      const type = String(integration.type ?? '').toLowerCase();
      if (type === 'mock') {
        const res: Json = integration.responses?.default ?? Object.values(integration.responses ?? {})[0] ?? {};
        const tpl = res.responseTemplates?.['application/json'];
        mocks.push({ method, path, statusCode: Number(res.statusCode ?? 200), headers: headersOf(res.responseParameters, 'method.response.header.'), ...(typeof tpl === 'string' ? { body: tpl } : {}) });
        continue;
      }
      const fnId = type === 'aws_proxy' ? functionIdIn(t, integration.uri) : undefined;
      if (!fnId) continue; // other integrations (http, aws) are not run locally
      // An empty requirement list, or an empty requirement in it, is "no authorization".
      const security: Json[] | undefined = op.security ?? body.security;
      const first = security?.length && !security.some((s) => Object.keys(s).length === 0) ? Object.keys(security[0])[0] : undefined;
      if (op['x-amazon-apigateway-auth']?.type && String(op['x-amazon-apigateway-auth'].type).toUpperCase() !== 'NONE') throw new Error(`${where}: x-amazon-apigateway-auth ${op['x-amazon-apigateway-auth'].type} is not run locally`);
      // API Gateway checks required parameters only under a validator that validates parameters.
      const validator = validators[op['x-amazon-apigateway-request-validator'] ?? body['x-amazon-apigateway-request-validator'] ?? ''];
      const params = [...((item as Json).parameters ?? []), ...(op.parameters ?? [])].map(refParam);
      const requiredParams = validator?.validateRequestParameters ? params.filter((p) => p.required && ['path', 'query', 'header'].includes(p.in)).map((p) => `method.request.${p.in === 'query' ? 'querystring' : p.in}.${p.name}`) : [];
      routes.push({
        method,
        path,
        functionLogicalId: fnId,
        authorizerLogicalId: first ? authorizerOf(first, where) : undefined,
        requiredParams: [...new Set(requiredParams)],
        operationName: op.operationId,
      });
    }
  }

  const gatewayResponses: Record<string, GatewayResponseDef> = {};
  for (const [type, g] of Object.entries((body['x-amazon-apigateway-gateway-responses'] ?? {}) as Json)) {
    gatewayResponses[type] = {
      type,
      statusCode: g.statusCode ? Number(g.statusCode) : undefined,
      template: g.responseTemplates?.['application/json'],
      headers: headersOf(g.responseParameters, 'gatewayresponse.header.'),
    };
  }
  return { routes, mocks, authorizers, gatewayResponses };
}

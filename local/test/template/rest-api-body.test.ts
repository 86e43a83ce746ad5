// A REST API defined by an OpenAPI body is read as API Gateway imports it, and the local gateway
// serves it: routes and their functions through the intrinsics in the integration URIs, the
// security requirement of each operation, the validator in effect, mock preflights and gateway
// responses. The template is written here by hand, as CloudFormation would receive it; the Lambda
// host is a recorder of the events the gateway hands over (the runtime tests run real bundles).
import { apisOf, LocalApiGateway, Template, type ApiDef, type LambdaHost } from '@kairr/cdk-local';

const uri = (fnId: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:ap-northeast-2:lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': [fnId, 'Arn'] }, '/invocations']] });
const proxy = (fnId: string, extra: Record<string, unknown> = {}) => ({ responses: {}, ...extra, 'x-amazon-apigateway-integration': { type: 'aws_proxy', httpMethod: 'POST', uri: uri(fnId) } });

function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    openapi: '3.0.1',
    info: { title: 't', version: '1' },
    security: [{ oidc: [] }],
    paths: {
      '/v1/health': { get: proxy('PublicFn', { operationId: 'health', security: [] }) },
      '/v1/items/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true }],
        get: proxy('ItemsFn', { operationId: 'getItem', parameters: [{ name: 'view', in: 'query', required: true }] }),
        delete: proxy('ItemsFn', { operationId: 'deleteItem', 'x-amazon-apigateway-request-validator': 'nothing' }),
        options: {
          security: [],
          'x-amazon-apigateway-integration': {
            type: 'mock',
            requestTemplates: { 'application/json': '{"statusCode": 204}' },
            responses: {
              default: { statusCode: '204', responseParameters: { 'method.response.header.Access-Control-Allow-Origin': "'https://portal.example'", 'method.response.header.Access-Control-Allow-Methods': "'GET,DELETE,OPTIONS'" } },
            },
          },
        },
      },
      '/files/{proxy+}': { 'x-amazon-apigateway-any-method': proxy('ItemsFn', { security: [{}] }) },
    },
    components: {
      securitySchemes: {
        oidc: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          'x-amazon-apigateway-authtype': 'custom',
          'x-amazon-apigateway-authorizer': { type: 'token', authorizerUri: uri('AuthFn'), identityValidationExpression: '^Bearer .+$', authorizerResultTtlInSeconds: 0 },
        },
      },
    },
    'x-amazon-apigateway-request-validators': { all: { validateRequestBody: true, validateRequestParameters: true }, nothing: { validateRequestBody: false, validateRequestParameters: false } },
    'x-amazon-apigateway-request-validator': 'all',
    'x-amazon-apigateway-gateway-responses': {
      UNAUTHORIZED: { statusCode: '401', responseTemplates: { 'application/json': '{"error":{"code":"unauthorized"}}' }, responseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': "'https://portal.example'" } },
      BAD_REQUEST_PARAMETERS: { responseTemplates: { 'application/json': '{"error":{"code":"validation_failed","message":"$context.error.validationErrorString"}}' } },
    },
    ...overrides,
  };
}

function template(b: unknown): Template {
  const fn = { Type: 'AWS::Lambda::Function', Properties: {} };
  return new Template('T', '/nonexistent', {
    Resources: {
      PublicFn: fn,
      ItemsFn: fn,
      AuthFn: fn,
      Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Body: b } },
      Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, StageName: 'test' } },
    },
  });
}

describe('reading the body', () => {
  let api: ApiDef;
  beforeAll(() => {
    [api] = apisOf(template(body()));
  });

  test('every operation becomes a route to the function its uri names, ANY included', () => {
    const routes = api.routes.map((r) => [r.method, r.path, r.functionLogicalId, r.operationName]).sort();

    expect(routes).toEqual(
      [
        ['ANY', '/files/{proxy+}', 'ItemsFn', undefined],
        ['DELETE', '/v1/items/{id}', 'ItemsFn', 'deleteItem'],
        ['GET', '/v1/health', 'PublicFn', 'health'],
        ['GET', '/v1/items/{id}', 'ItemsFn', 'getItem'],
      ].sort(),
    );
  });

  test('the top-level security applies unless an operation says otherwise; [] and [{}] are none', () => {
    const auth = Object.fromEntries(api.routes.map((r) => [`${r.method} ${r.path}`, r.authorizerLogicalId]));

    expect(auth).toEqual({ 'GET /v1/health': undefined, 'GET /v1/items/{id}': 'oidc', 'DELETE /v1/items/{id}': 'oidc', 'ANY /files/{proxy+}': undefined });
    expect(api.authorizers.oidc).toEqual({ logicalId: 'oidc', type: 'TOKEN', functionLogicalId: 'AuthFn', identityHeader: 'Authorization', validationRegex: '^Bearer .+$', ttlSeconds: 0 });
  });

  test('required parameters (path item and operation) are checked only under a validator that validates parameters', () => {
    const get = api.routes.find((r) => r.operationName === 'getItem')!;
    const del = api.routes.find((r) => r.operationName === 'deleteItem')!;

    expect(get.requiredParams.sort()).toEqual(['method.request.path.id', 'method.request.querystring.view']);
    expect(del.requiredParams).toEqual([]);
  });

  test('a mock integration is a static answer with its headers; gateway responses come from the body', () => {
    expect(api.mocks).toEqual([{ method: 'OPTIONS', path: '/v1/items/{id}', statusCode: 204, headers: { 'Access-Control-Allow-Origin': 'https://portal.example', 'Access-Control-Allow-Methods': 'GET,DELETE,OPTIONS' } }]);
    expect(api.gatewayResponses.UNAUTHORIZED).toEqual({ type: 'UNAUTHORIZED', statusCode: 401, template: '{"error":{"code":"unauthorized"}}', headers: { 'Access-Control-Allow-Origin': 'https://portal.example' } });
    expect(api.stageName).toBe('test');
  });

  test('a body given as a JSON string reads the same', () => {
    const [fromString] = apisOf(template(JSON.stringify(body())));

    expect(fromString.routes).toEqual(api.routes);
  });

  test('a security scheme the local gateway cannot run is refused, never served open', () => {
    const cognito = body({ components: { securitySchemes: { oidc: { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authorizer': { type: 'cognito_user_pools', providerARNs: ['arn'] } } } } });
    const plainKey = body({ components: { securitySchemes: { oidc: { type: 'apiKey', name: 'x-api-key', in: 'header' } } } });

    expect(() => apisOf(template(cognito))).toThrow(/oidc is of type cognito_user_pools/);
    expect(() => apisOf(template(plainKey))).toThrow(/oidc is not a Lambda authorizer/);
  });
});

describe('serving the body', () => {
  const events: Record<string, any>[] = [];
  let gw: LocalApiGateway;
  let url: string;

  beforeAll(async () => {
    const [api] = apisOf(template(body()));
    // Records what the gateway hands over; the authorizer allows "Bearer good" only.
    const lambdas = {
      invoke: async (fnId: string, event: Record<string, any>) => {
        if (fnId === 'AuthFn') {
          if (event.authorizationToken !== 'Bearer good') throw new Error('Unauthorized');
          return { principalId: 'u1', policyDocument: { Statement: [{ Effect: 'Allow', Resource: event.methodArn }] }, context: { sub: 'u1' } };
        }
        events.push(event);
        return { statusCode: 200, body: JSON.stringify({ fnId }) };
      },
    } as unknown as LambdaHost;
    gw = new LocalApiGateway({ api, lambdas, region: 'ap-northeast-2' });
    url = await gw.listen();
  });

  afterAll(() => gw.close());

  test('event.resource is the path template and pathParameters hold the values, a greedy one too', async () => {
    const res = await fetch(`${url}/files/a/b/c.txt`, { method: 'PUT' });

    expect(res.status).toBe(200);
    expect(events.at(-1)).toMatchObject({ resource: '/files/{proxy+}', path: '/files/a/b/c.txt', httpMethod: 'PUT', pathParameters: { proxy: 'a/b/c.txt' }, requestContext: { resourcePath: '/files/{proxy+}', stage: 'test' } });
  });

  test('an operation under the authorizer needs a token it allows, and hands over the context', async () => {
    const none = await fetch(`${url}/v1/items/7?view=full`);
    const bad = await fetch(`${url}/v1/items/7?view=full`, { headers: { authorization: 'Bearer bad' } });
    const good = await fetch(`${url}/v1/items/7?view=full`, { headers: { authorization: 'Bearer good' } });

    expect([none.status, bad.status, good.status]).toEqual([401, 401, 200]);
    expect(none.headers.get('access-control-allow-origin')).toBe('https://portal.example');
    expect(await none.json()).toEqual({ error: { code: 'unauthorized' } });
    expect(events.at(-1)).toMatchObject({ resource: '/v1/items/{id}', pathParameters: { id: '7' }, requestContext: { authorizer: { sub: 'u1', principalId: 'u1' } } });
  });

  test('a missing required query parameter is the gateway response in the body, before the function', async () => {
    const before = events.length;
    const res = await fetch(`${url}/v1/items/7`, { headers: { authorization: 'Bearer good' } });

    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'validation_failed', message: 'Missing required request parameters: [view]' } });
    expect(events.length).toBe(before);
  });

  test('a public operation is called without a token; the preflight is the mock', async () => {
    const health = await fetch(`${url}/v1/health`);
    const preflight = await fetch(`${url}/v1/items/7`, { method: 'OPTIONS' });

    expect(health.status).toBe(200);
    expect(events.at(-1)).toMatchObject({ resource: '/v1/health', requestContext: { authorizer: null } });
    expect({ status: preflight.status, origin: preflight.headers.get('access-control-allow-origin'), methods: preflight.headers.get('access-control-allow-methods') }).toEqual({
      status: 204,
      origin: 'https://portal.example',
      methods: 'GET,DELETE,OPTIONS',
    });
  });
});

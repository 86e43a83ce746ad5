// Calls an API function in-process as API Gateway would (path → route, the authorizer's context),
// for any capability's route spec and handler.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { callerToContext, type Caller } from '../../lambdas/shared/http/caller';
import type { ApiSpec, Role } from '../../lambdas/shared/http/spec';

export interface ApiResult {
  status: number;
  body: any;
  headers: Record<string, string>;
}

type Handler = (event: APIGatewayProxyEvent) => Promise<{ statusCode: number; body: string; headers?: Record<string, string> }>;

let counter = 0;

export function inProcessApi(spec: ApiSpec, handler: () => Handler) {
  const routes = Object.values(spec).map((r) => ({ ...r, re: new RegExp(`^${r.path.replace(/\{([^}]+)\}/g, '(?<$1>[^/]+)')}$`) }));
  async function call(who: Caller | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
    const [pathOnly, qs] = path.split('?');
    const route = routes.find((r) => r.method === method && r.re.test(pathOnly));
    if (!route) throw new Error(`no route for ${method} ${pathOnly}`);
    const params = route.re.exec(pathOnly)!.groups;
    const event = {
      httpMethod: method,
      resource: route.path,
      path: pathOnly,
      pathParameters: params ? Object.fromEntries(Object.entries(params).map(([k, v]) => [k, decodeURIComponent(v)])) : null,
      queryStringParameters: qs ? Object.fromEntries(new URLSearchParams(qs)) : null,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: { requestId: `req-${++counter}`, authorizer: who ? callerToContext(who) : undefined },
    } as unknown as APIGatewayProxyEvent;
    const res = await handler()(event);
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers ?? {} };
  }
  return {
    call,
    as: (who: Caller | undefined) => ({
      get: (path: string) => call(who, 'GET', path),
      post: (path: string, body?: unknown, headers?: Record<string, string>) => call(who, 'POST', path, body, headers),
      put: (path: string, body?: unknown) => call(who, 'PUT', path, body),
      patch: (path: string, body?: unknown) => call(who, 'PATCH', path, body),
      del: (path: string) => call(who, 'DELETE', path),
    }),
  };
}

export function person(sub: string, roles: Role[], extra: Partial<Caller> = {}): Caller {
  return { sub, roles, siteIds: roles.includes('site-operator') ? ['spc'] : [], ...extra };
}

/** One caller per role, for tests that check every role both ways. */
export const EVERY_ROLE: Role[] = ['researcher', 'reviewer', 'chair', 'site-operator', 'auditor', 'admin'];

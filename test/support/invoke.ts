// Calls a capability's API handler in-process as API Gateway would: the route found from its spec
// by method and path, the caller in the authorizer context. For unit tests of handlers.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiSpec } from '../../lambdas/shared/http/spec';
import { callerToContext, type Caller } from '../../lambdas/shared/http/caller';
import { auditTable, ddb } from '../../lambdas/shared/store/client';

export interface ApiResult {
  status: number;
  body: any;
  headers: Record<string, string>;
}

let n = 0;

export function apiOf(spec: ApiSpec, handler: (e: APIGatewayProxyEvent) => Promise<unknown>) {
  const routes = Object.values(spec).map((r) => ({ ...r, re: new RegExp(`^${r.path.replace(/\{([^}]+)\}/g, '(?<$1>[^/]+)')}$`) }));
  return async (who: Caller, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> => {
    const [pathOnly, qs] = path.split('?');
    const route = routes.find((r) => r.method === method && r.re.test(pathOnly));
    if (!route) throw new Error(`no route for ${method} ${pathOnly}`);
    const params = Object.fromEntries(Object.entries(route.re.exec(pathOnly)!.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
    const res = (await handler({
      httpMethod: method,
      resource: route.path,
      path: pathOnly,
      pathParameters: Object.keys(params).length ? params : null,
      queryStringParameters: qs ? Object.fromEntries(new URLSearchParams(qs)) : null,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? null : JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: { requestId: `req-${++n}`, authorizer: callerToContext(who) },
    } as unknown as APIGatewayProxyEvent)) as { statusCode: number; body?: string; headers: Record<string, string> };
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
  };
}

export const person = (sub: string, roles: Caller['roles'] = ['researcher'], siteIds: string[] = []): Caller => ({ sub, roles, siteIds });

/** Audit events with this action (the audit table is small in a unit test: a scan is fine). */
export async function auditEvents(action: string): Promise<Record<string, any>[]> {
  const out: Record<string, any>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(new ScanCommand({ TableName: auditTable(), FilterExpression: '#a = :a', ExpressionAttributeNames: { '#a': 'action' }, ExpressionAttributeValues: { ':a': action }, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

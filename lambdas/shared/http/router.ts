// A small router for API Gateway (REST, Lambda proxy) events: it finds the route by the API
// Gateway resource path, checks the caller's roles, validates params/query/body with the route's
// zod schemas, runs the implementation, and maps any error in one place (respond.ts).
// Handlers stay thin: they parse (done here), call the domain, and shape the result.
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { core } from 'zod/mini';
import type { ApiSpec, BodyOf, ParamsOf, QueryOf, Role, RouteSpec } from './spec';
import { callerFromContext, hasRole, type Caller } from './caller';
import { errorResponse, json, type HttpResponse } from './respond';
import { ForbiddenError, UnauthorizedError, ValidationError, NotFoundError, KairrError } from '../../domain/errors';
import { issuesToDetails } from '../validation';
import { logger } from '../log';

export interface Request<R extends RouteSpec> {
  params: ParamsOf<R>;
  query: QueryOf<R>;
  body: BodyOf<R>;
  /** Undefined only on public routes. */
  caller: R['auth'] extends 'public' ? Caller | undefined : Caller;
  requestId: string;
  idempotencyKey?: string;
  headers: Record<string, string>;
}

export interface Result {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text (e.g. CSV); when set, body is ignored. */
  text?: string;
  contentType?: string;
}

export type Implementation<A extends ApiSpec> = {
  [K in keyof A]: (req: Request<A[K]>) => Promise<Result>;
};

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

function lowerHeaders(h: APIGatewayProxyEvent['headers'] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

function corsHeaders(origin: string | undefined): Record<string, string> {
  const allowed = (process.env.CORS_ALLOW_ORIGINS ?? '').split(',').filter(Boolean);
  if (!origin || !(allowed.includes('*') || allowed.includes(origin))) return {};
  return { 'access-control-allow-origin': allowed.includes('*') ? '*' : origin, vary: 'Origin' };
}

function parse<S>(schema: { safeParse(v: unknown, params?: { reportInput?: boolean }): { success: true; data: S } | { success: false; error: { issues: unknown[] } } } | undefined, value: unknown, where: string): S {
  if (!schema) return undefined as S;
  // reportInput: issues then carry the value found, so a wrong type is told apart from a missing field.
  const res = schema.safeParse(value, { reportInput: true });
  if (!res.success) {
    throw new ValidationError(issuesToDetails(res.error.issues as core.$ZodIssue[], where === 'body' ? [] : [where]), where === 'body' ? 'The request body is invalid' : `The request ${where} are invalid`);
  }
  return res.data;
}

export function authorize(route: RouteSpec, caller: Caller | undefined): void {
  if (route.auth === 'public') return;
  if (!caller) throw new UnauthorizedError();
  if (route.auth === 'any') return;
  if (!hasRole(caller, ...route.auth)) throw new ForbiddenError(`This needs one of the roles: ${route.auth.join(', ')}`);
}

// ---- identity ----
export interface HandlerOptions {
  /**
   * Completes the token's caller with what KAIRR itself records (roles admins assigned, links):
   * lambdas/shared/identity/people.ts withKairrRoles. Handlers without a DynamoDB client (the
   * platform's health, catalogue and OpenAPI routes) go without, and see only the token's roles.
   */
  caller?: (caller: Caller, needs: 'any' | readonly Role[]) => Promise<Caller>;
}
// ---- end identity ----

export function createHandler<A extends ApiSpec>(api: A, impl: Implementation<A>, opts: HandlerOptions = {}) {
  const byKey = new Map<string, { name: keyof A; route: RouteSpec }>();
  for (const [name, route] of Object.entries(api)) byKey.set(`${route.method} ${route.path}`, { name, route });

  return async function handler(event: APIGatewayProxyEvent, context?: Context): Promise<HttpResponse> {
    const started = Date.now();
    const requestId = event.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown';
    const headers = lowerHeaders(event.headers);
    const cors = corsHeaders(headers.origin);
    let status = 500;
    let caller: Caller | undefined;
    try {
      const hit = byKey.get(`${event.httpMethod} ${event.resource}`);
      if (!hit) throw new NotFoundError('Route', `${event.httpMethod} ${event.path}`);
      const { name, route } = hit;
      caller = callerFromContext(event.requestContext?.authorizer as Record<string, unknown> | undefined);
      if (caller && opts.caller && route.auth !== 'public') caller = await opts.caller(caller, route.auth);
      authorize(route, caller);

      const params = parse(route.params, event.pathParameters ?? {}, 'params');
      const query = parse(route.query, event.queryStringParameters ?? {}, 'query');
      let body: unknown;
      if (route.body) {
        let raw: unknown;
        const text = event.body == null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
        if (text.trim() === '') raw = undefined;
        else {
          try {
            raw = JSON.parse(text);
          } catch {
            throw ValidationError.field('body', 'is not valid JSON');
          }
        }
        if (raw === undefined) throw ValidationError.field('body', 'is required');
        body = parse(route.body, raw, 'body');
      }
      let idempotencyKey: string | undefined;
      if (route.idempotent && headers['idempotency-key'] !== undefined) {
        idempotencyKey = headers['idempotency-key'];
        if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw ValidationError.field('headers.Idempotency-Key', 'must be 8 to 128 characters of letters, digits and . _ : -');
      }
      // biome-ignore lint/suspicious/noExplicitAny: impl holds one function per route, each typed by its route; this request was checked against that route's schemas above
      const fn = impl[name] as (req: any) => Promise<Result>;
      const result = await fn({ params, query, body, caller, requestId, idempotencyKey, headers });
      status = result.status ?? 200;
      if (result.text !== undefined) {
        return { statusCode: status, headers: { 'content-type': result.contentType ?? 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...cors, ...result.headers }, body: result.text };
      }
      return json(status, result.body, { ...cors, ...result.headers });
    } catch (err) {
      const res = errorResponse(err, requestId);
      status = res.statusCode;
      res.headers = { ...res.headers, ...cors };
      return res;
    } finally {
      logger.info('request', { requestId, method: event.httpMethod, resource: event.resource, status, ms: Date.now() - started, sub: caller?.sub });
    }
  };
}

export { KairrError };

// Checks an API answer against the route spec that promises it (API_CATALOG): the route the request
// reaches, the status it may answer, and the body that status's schema describes. The e2e client runs
// this on every response, so a handler and its OpenAPI document cannot drift apart unnoticed.
import * as z from 'zod/mini';
import { API_CATALOG } from '../../lambdas/api-catalog';
import { ErrorSchema } from '../../lambdas/shared/http/schemas';
import type { ApiSpec, ResponseSpec, RouteSpec } from '../../lambdas/shared/http/spec';

/** How specific one template segment is; lower wins, as in API Gateway (literal, then {param}, then {x+}). */
const Kind = { Literal: 0, Param: 1, Greedy: 2 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

export interface CompiledRoute {
  id: string;
  route: RouteSpec;
  re: RegExp;
  kinds: Kind[];
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileRoutes(apis: { capability: string; api: ApiSpec }[]): CompiledRoute[] {
  return apis.flatMap(({ capability, api }) =>
    Object.entries(api).map(([name, route]) => {
      const segs = route.path.split('/').filter(Boolean);
      const kinds = segs.map((s) => (/^\{[^}]+\+\}$/.test(s) ? Kind.Greedy : /^\{[^}]+\}$/.test(s) ? Kind.Param : Kind.Literal));
      const body = segs.map((s, i) => (kinds[i] === Kind.Greedy ? '.+' : kinds[i] === Kind.Param ? '[^/]+' : escapeRe(s))).join('/');
      return { id: `${capability}.${name} ${route.method} ${route.path}`, route, re: new RegExp(`^/${body}/?$`), kinds };
    }),
  );
}

/** The route a request reaches: among the templates that match, the most specific segment by segment. */
export function matchRoute(routes: CompiledRoute[], method: string, pathWithQuery: string): CompiledRoute | undefined {
  const path = pathWithQuery.split(/[?#]/)[0];
  const hits = routes.filter((r) => r.route.method === method.toUpperCase() && r.re.test(path));
  hits.sort((a, b) => {
    for (let i = 0; i < Math.min(a.kinds.length, b.kinds.length); i++) if (a.kinds[i] !== b.kinds[i]) return a.kinds[i] - b.kinds[i];
    return b.kinds.length - a.kinds.length;
  });
  return hits[0];
}

/**
 * Statuses API Gateway answers itself, before or instead of the handler, in the one error shape
 * (lib/platform/rest-api.ts GATEWAY_RESPONSES): the authorizer's 401/403 (routes that are not public),
 * the throttle's 429, the size limit's 413, and 502/504 when the integration fails or times out.
 * A route need not declare them; their bodies are still checked against ErrorSchema.
 */
function gatewayStatus(route: RouteSpec, status: number): boolean {
  if (status === 401 || status === 403) return route.auth !== 'public';
  return status === 413 || status === 429 || status === 502 || status === 504;
}

/**
 * `idempotent: true` declares a 409 of its own: the same Idempotency-Key with another body, or while the
 * first request is still running (lambdas/shared/store/idempotency.ts; the OpenAPI header says so).
 * Only those two codes: any other 409 on such a route must be declared.
 */
const IdempotencyConflict = z.object({ error: z.object({ code: z.enum(['idempotency_key_reused', 'idempotency_race']), message: z.string(), details: ErrorSchema.shape.error.shape.details }) });

/** A response a route has without listing it: the gateway's own, and an idempotent route's 409. */
function implied(route: RouteSpec, status: number): ResponseSpec | undefined {
  if (gatewayStatus(route, status)) return { description: 'Answered by API Gateway', schema: ErrorSchema };
  if (status === 409 && route.idempotent) return { description: 'Idempotency-Key reused', schema: IdempotencyConflict };
  return undefined;
}

export interface Answer {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  text: string;
}

function isJson(contentType: string | null): boolean {
  return !!contentType && /^application\/([\w.+-]*\+)?json\b/i.test(contentType.trim());
}

const NoSuchRoute = z.object({ error: z.object({ code: z.literal('not_found'), message: z.string(), details: z.array(z.unknown()) }) });
const english = z.locales.en().localeError;

function issuesOf(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `  ${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`).join('\n');
}

function fail(where: string, why: string): never {
  throw new Error(`Response check: ${where}: ${why}`);
}

function checkBody(where: string, spec: ResponseSpec, a: Answer): void {
  if (a.status === 204) {
    if (a.text !== '') fail(where, `a 204 carries no body, got ${JSON.stringify(a.text.slice(0, 200))}`);
    return;
  }
  if (!spec.schema) return;
  // A declared alternative media type (text/csv, or a JSON-LD rendering such as application/ld+json)
  // is served as the route's other form: the schema describes application/json only, as the OpenAPI
  // document says (lambdas/shared/http/openapi.ts gives the alternatives no schema of their own).
  const media = (a.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (media !== 'application/json' && spec.contentTypes?.some((c) => c.toLowerCase() === media)) return;
  if (!isJson(a.contentType)) {
    fail(where, `content-type ${a.contentType ?? '(none)'} is neither JSON nor one the route declares (${spec.contentTypes?.join(', ') ?? 'none'})`);
  }
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    fail(where, `the body is not JSON: ${JSON.stringify(a.text.slice(0, 200))}`);
  }
  // zod/mini loads no locale (messages would all read "Invalid input"): English for this parse only.
  const parsed = z.safeParse(spec.schema, body, { error: english });
  if (!parsed.success) fail(where, `the body does not match the response schema:\n${issuesOf(parsed.error)}`);
}

/** Throws an Error naming the route, the status and each zod issue when the answer breaks its spec. */
export function checkResponse(routes: CompiledRoute[], a: Answer): void {
  const hit = matchRoute(routes, a.method, a.path);
  if (!hit) {
    // The gateway's own answer to a route it does not have (MISSING_AUTHENTICATION_TOKEN → 404 not_found):
    // tests probe it on purpose. Anything else from an unknown route means the catalogue is missing it.
    if (a.status !== 404) fail(`${a.method} ${a.path} → ${a.status}`, 'no route in API_CATALOG matches this request');
    checkBody(`${a.method} ${a.path} (no such route) → 404`, { description: 'No such route', schema: NoSuchRoute }, a);
    return;
  }
  const where = `${hit.id} (${a.method} ${a.path}) → ${a.status}`;
  const spec = hit.route.responses[a.status] ?? implied(hit.route, a.status);
  if (!spec) fail(where, `the route declares no ${a.status} (it declares ${Object.keys(hit.route.responses).join(', ')})`);
  checkBody(where, spec, a);
}

let catalogue: CompiledRoute[] | undefined;
/** checkResponse against every route of the deployed API. */
export function checkAgainstCatalogue(a: Answer): void {
  catalogue ??= compileRoutes(API_CATALOG);
  checkResponse(catalogue, a);
}

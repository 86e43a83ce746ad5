// Route specifications: method, path, who may call, and the zod schemas of params, query, body and
// responses. Pure data (zod only), so three things read the SAME spec: the handler's router
// (validation + role checks), the CDK API construct (methods + authorizer), and the OpenAPI generator.
import type { z } from 'zod/mini';

export const ROLES = [
  'researcher',
  'reviewer',
  'chair',
  'site-operator',
  'auditor',
  'admin',
  // ---- datahub: curators check data hub versions before they are published ----
  'curator',
  // ---- end datahub ----
] as const;
export type Role = (typeof ROLES)[number];

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export type AnySchema = z.ZodMiniType;

export interface ResponseSpec {
  description: string;
  schema?: AnySchema;
  /** Additional media types, e.g. text/csv for reports. */
  contentTypes?: string[];
}

export interface RouteSpec<P extends AnySchema | undefined = AnySchema | undefined, Q extends AnySchema | undefined = AnySchema | undefined, B extends AnySchema | undefined = AnySchema | undefined> {
  method: HttpMethod;
  /** API Gateway resource path, e.g. /v1/sites/{siteId} */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** 'public' needs no token; otherwise the roles that may call (any of them), or 'any' authenticated caller. */
  auth: 'public' | 'any' | readonly Role[];
  params?: P;
  query?: Q;
  body?: B;
  /** Accepts an Idempotency-Key header (POSTs that create something). */
  idempotent?: boolean;
  responses: Record<number, ResponseSpec>;
}

export type ApiSpec = Record<string, RouteSpec>;

export function defineApi<T extends Record<string, RouteSpec>>(spec: T): T {
  return spec;
}

type Infer<S> = S extends AnySchema ? z.infer<S> : undefined;
export type ParamsOf<R> = R extends RouteSpec<infer P, AnySchema | undefined, AnySchema | undefined> ? Infer<P> : never;
export type QueryOf<R> = R extends RouteSpec<AnySchema | undefined, infer Q, AnySchema | undefined> ? Infer<Q> : never;
export type BodyOf<R> = R extends RouteSpec<AnySchema | undefined, AnySchema | undefined, infer B> ? Infer<B> : never;

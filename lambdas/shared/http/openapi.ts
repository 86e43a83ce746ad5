// Builds the OpenAPI 3.1 document from the route specs: the same zod schemas that validate
// requests describe them. OpenAPI 3.1 uses JSON Schema 2020-12, which zod emits natively.
import * as z from 'zod/mini';
import type { AnySchema, ApiSpec, RouteSpec } from './spec';
import { ErrorSchema } from './schemas';

type JsonSchema = Record<string, unknown>;

function toSchema(s: AnySchema, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete out.$schema;
  return out;
}

function parametersOf(route: RouteSpec): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const js = toSchema(schema, 'input');
    const props = (js.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((js.required as string[] | undefined) ?? []);
    for (const [name, p] of Object.entries(props)) {
      out.push({ name, in: where, required: where === 'path' ? true : required.has(name), schema: p, ...(p.description ? { description: p.description } : {}) });
    }
  }
  if (route.idempotent) {
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Makes a retried create safe: the same key with the same body returns the first result; with a different body it is refused (409).',
      schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{8,128}$' },
    });
  }
  return out;
}

function operationId(name: string): string {
  return name;
}

export const OPENAPI_INFO = {
  title: 'KAIRR API',
  version: '1',
  description: 'The Korea AI Research Resource: one portal over the SPC National AI Computing Center and KISTI-6.',
};

export function buildOpenApiDocument(apis: ApiSpec[], info: { title: string; version: string; description?: string; serverUrl?: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const api of apis) {
    for (const [name, route] of Object.entries(api)) {
      tags.add(route.tag);
      const responses: Record<string, unknown> = {};
      for (const [status, r] of Object.entries(route.responses)) {
        const content: Record<string, unknown> = {};
        if (r.schema) content['application/json'] = { schema: toSchema(r.schema, 'output') };
        for (const ct of r.contentTypes ?? []) content[ct] = { schema: { type: 'string' } };
        responses[status] = { description: r.description, ...(Object.keys(content).length ? { content } : {}) };
      }
      if (!responses.default) responses.default = { description: 'An error, in the one error shape', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      const op: Record<string, unknown> = {
        operationId: operationId(name),
        summary: route.summary,
        ...(route.description ? { description: route.description } : {}),
        tags: [route.tag],
        parameters: parametersOf(route),
        responses,
        security: route.auth === 'public' ? [] : [{ bearer: [] }],
        'x-kairr-roles': route.auth === 'public' ? 'public' : route.auth === 'any' ? 'any authenticated caller' : [...route.auth],
      };
      if (route.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input') } } };
      paths[route.path] ??= {};
      paths[route.path][route.method.toLowerCase()] = op;
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    tags: [...tags].sort().map((name) => ({ name })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: { Error: toSchema(ErrorSchema, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An OIDC access or ID token from the configured issuer; roles come from its groups claim.' } },
    },
  };
}

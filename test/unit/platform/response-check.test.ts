import * as z from 'zod/mini';
import { ERROR_RESPONSES, ErrorSchema } from '../../../lambdas/shared/http/schemas';
import { defineApi } from '../../../lambdas/shared/http/spec';
import { checkAgainstCatalogue, checkResponse, compileRoutes, matchRoute, type Answer } from '../../support/response-check';

const Thing = z.object({ id: z.string(), size: z.number() });
const api = defineApi({
  getThing: { method: 'GET', path: '/v1/things/{thingId}', tag: 't', summary: 's', auth: 'any', responses: { 200: { description: 'one', schema: Thing }, ...ERROR_RESPONSES, 404: { description: 'none', schema: ErrorSchema } } },
  latest: { method: 'GET', path: '/v1/things/latest', tag: 't', summary: 's', auth: 'any', responses: { 200: { description: 'the newest ids', schema: z.object({ ids: z.array(z.string()) }) } } },
  file: { method: 'GET', path: '/v1/things/{thingId}/files/{key+}', tag: 't', summary: 's', auth: 'public', responses: { 302: { description: 'redirect' } } },
  report: { method: 'GET', path: '/v1/report', tag: 't', summary: 's', auth: 'any', responses: { 200: { description: 'report', schema: z.object({ rows: z.array(z.number()) }), contentTypes: ['text/csv', 'application/ld+json'] } } },
  create: { method: 'POST', path: '/v1/things', tag: 't', summary: 's', auth: 'any', idempotent: true, responses: { 201: { description: 'made', schema: Thing } } },
  remove: { method: 'DELETE', path: '/v1/things/{thingId}', tag: 't', summary: 's', auth: 'any', responses: { 204: { description: 'gone' } } },
});
const routes = compileRoutes([{ capability: 'test', api }]);
const json = 'application/json; charset=utf-8';
const answer = (a: Partial<Answer> & Pick<Answer, 'path' | 'status'>): Answer => ({ method: 'GET', contentType: json, text: '', ...a });
const error = JSON.stringify({ error: { code: 'x', message: 'm', details: [] } });

describe('matchRoute', () => {
  it('prefers a literal segment over a {param} in the same place, whatever the order of declaration', () => {
    expect(matchRoute(routes, 'GET', '/v1/things/latest')?.id).toBe('test.latest GET /v1/things/latest');
    expect(matchRoute(routes, 'GET', '/v1/things/t-1?x=1')?.id).toBe('test.getThing GET /v1/things/{thingId}');
    const reversed = compileRoutes([{ capability: 'r', api: { latest: api.latest, getThing: api.getThing } }]);
    expect(matchRoute(reversed, 'GET', '/v1/things/latest')?.id).toBe('r.latest GET /v1/things/latest');
  });

  it('lets a greedy {x+} take the rest of the path, and matches on the method', () => {
    expect(matchRoute(routes, 'GET', '/v1/things/t-1/files/a/b/c.jsonl')?.id).toBe('test.file GET /v1/things/{thingId}/files/{key+}');
    expect(matchRoute(routes, 'GET', '/v1/things/t-1/files')).toBeUndefined();
    expect(matchRoute(routes, 'DELETE', '/v1/things/t-1')?.id).toBe('test.remove DELETE /v1/things/{thingId}');
    expect(matchRoute(routes, 'POST', '/v1/things/t-1')).toBeUndefined();
  });
});

describe('checkResponse', () => {
  it('accepts a body its schema describes', () => {
    expect(() => checkResponse(routes, answer({ path: '/v1/things/t-1', status: 200, text: JSON.stringify({ id: 't-1', size: 3 }) }))).not.toThrow();
  });

  it('names the route, the status and each zod issue of a body that breaks the schema', () => {
    expect(() => checkResponse(routes, answer({ path: '/v1/things/t-1', status: 200, text: JSON.stringify({ id: 't-1', size: '3' }) }))).toThrow(
      /test\.getThing GET \/v1\/things\/\{thingId\} \(GET \/v1\/things\/t-1\) → 200: the body does not match the response schema:\n {2}size: .*number/,
    );
    // the literal route's schema applies to the literal path, not the {param} one's
    expect(() => checkResponse(routes, answer({ path: '/v1/things/latest', status: 200, text: JSON.stringify({ id: 'latest', size: 3 }) }))).toThrow(/test\.latest .*\n {2}ids: /);
  });

  it('refuses a status the route does not declare', () => {
    expect(() => checkResponse(routes, answer({ path: '/v1/things/latest', status: 404, text: error }))).toThrow(/test\.latest .* → 404: the route declares no 404 \(it declares 200\)/);
    expect(() => checkResponse(routes, answer({ path: '/v1/things/t-1', status: 500, text: error }))).toThrow(/→ 500: the route declares no 500/);
  });

  it('holds the statuses API Gateway answers itself to the error shape, declared or not', () => {
    expect(() => checkResponse(routes, answer({ path: '/v1/things/latest', status: 401, text: error }))).not.toThrow();
    expect(() => checkResponse(routes, answer({ path: '/v1/things/latest', status: 429, text: error }))).not.toThrow();
    expect(() => checkResponse(routes, answer({ path: '/v1/things/latest', status: 429, text: JSON.stringify({ message: 'Too Many Requests' }) }))).toThrow(/→ 429: .*\n {2}error: /);
    expect(() => checkResponse(routes, answer({ path: '/v1/things/t-1', status: 404, text: JSON.stringify({ error: { code: 'not_found' } }) }))).toThrow(/error\.message: /);
    // a public route has no authorizer to answer 401
    expect(() => checkResponse(routes, answer({ path: '/v1/things/t-1/files/k', status: 401, text: error }))).toThrow(/declares no 401/);
  });

  it("takes an idempotent route's 409 for a reused Idempotency-Key as declared, and no other 409", () => {
    const conflict = (code: string) => JSON.stringify({ error: { code, message: 'm', details: [{ path: 'headers.Idempotency-Key', problem: 'p' }] } });
    expect(() => checkResponse(routes, answer({ method: 'POST', path: '/v1/things', status: 409, text: conflict('idempotency_key_reused') }))).not.toThrow();
    expect(() => checkResponse(routes, answer({ method: 'POST', path: '/v1/things', status: 409, text: conflict('already_exists') }))).toThrow(/test\.create .* → 409: .*\n {2}error\.code: /);
    expect(() => checkResponse(routes, answer({ path: '/v1/things/latest', status: 409, text: conflict('idempotency_key_reused') }))).toThrow(/declares no 409/);
  });

  it('skips the body of a declared non-JSON media type, and of a route without a schema', () => {
    expect(() => checkResponse(routes, answer({ path: '/v1/report?format=csv', status: 200, contentType: 'text/csv; charset=utf-8', text: 'a,b\n1,2\n' }))).not.toThrow();
    expect(() => checkResponse(routes, answer({ path: '/v1/report', status: 200, contentType: 'text/html', text: '<p>' }))).toThrow(/content-type text\/html is neither JSON nor one the route declares \(text\/csv, application\/ld\+json\)/);
    // a declared JSON-flavoured rendering (JSON-LD) is the other form too: not held to the JSON schema
    expect(() => checkResponse(routes, answer({ path: '/v1/report', status: 200, contentType: 'application/ld+json', text: JSON.stringify({ '@context': {}, name: 'x' }) }))).not.toThrow();
    // an undeclared one is
    expect(() => checkResponse(routes, answer({ path: '/v1/report', status: 200, contentType: 'application/vnd.datacite.datacite+json', text: JSON.stringify({ doi: 'x' }) }))).toThrow(/rows/);
    expect(() => checkResponse(routes, answer({ path: '/v1/report', status: 200, text: JSON.stringify({ rows: ['1'] }) }))).toThrow(/rows\.0: /);
    expect(() => checkResponse(routes, answer({ path: '/v1/things/t-1/files/k', status: 302, contentType: null }))).not.toThrow();
  });

  it('wants a 204 empty', () => {
    expect(() => checkResponse(routes, answer({ method: 'DELETE', path: '/v1/things/t-1', status: 204, contentType: null }))).not.toThrow();
    expect(() => checkResponse(routes, answer({ method: 'DELETE', path: '/v1/things/t-1', status: 204, text: '{}' }))).toThrow(/a 204 carries no body/);
  });

  it('refuses an unknown route, except the gateway 404 it answers for one', () => {
    expect(() => checkResponse(routes, answer({ path: '/v1/nope', status: 200, text: '{}' }))).toThrow(/GET \/v1\/nope → 200: no route in API_CATALOG matches/);
    expect(() => checkResponse(routes, answer({ path: '/v1/nope', status: 404, text: JSON.stringify({ error: { code: 'not_found', message: 'No such route', details: [] } }) }))).not.toThrow();
    expect(() => checkResponse(routes, answer({ path: '/v1/nope', status: 404, text: 'Not Found', contentType: 'text/plain' }))).toThrow(/no such route/);
  });
});

describe('checkAgainstCatalogue', () => {
  it('knows the routes the platform serves outside any capability (health, the OpenAPI document)', () => {
    expect(() => checkAgainstCatalogue(answer({ path: '/v1/health', status: 200, text: JSON.stringify({ status: 'ok', stage: 'dev', time: '2026-01-01T00:00:00Z' }) }))).not.toThrow();
    expect(() => checkAgainstCatalogue(answer({ path: '/v1/health', status: 200, text: JSON.stringify({ status: 'down' }) }))).toThrow(/platform\.health/);
    expect(() => checkAgainstCatalogue(answer({ path: '/v1/openapi.json', status: 200, text: '{"openapi":"3.1.0"}' }))).not.toThrow();
  });
});

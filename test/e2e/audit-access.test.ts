// Who may use the audit trail and the reports, checked over HTTP for every route there is, so it
// stays true as routes are added: the routes come from the OpenAPI document the API serves (and
// must be exactly the API catalogue's), not from a list kept here.
//   - an auditor reads everything and writes nothing except exports: every non-GET route but
//     POST /v1/audit/exports answers 403;
//   - a researcher gets 403 on every audit and report route.
import { API_CATALOG } from '../../lambdas/api-catalog';
import { call, tokenFor } from './support/client';

interface Route {
  method: string;
  path: string;
}

let routes: Route[];
beforeAll(async () => {
  const doc = await call('GET', '/v1/openapi.json');
  expect(doc.status).toBe(200);
  routes = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => ({ method: m.toUpperCase(), path })),
  );
});

/** A concrete path for a templated one: every {param} becomes a well-formed id that names nothing. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'e2e-x-00000000000000000000000000');
const key = (r: Route) => `${r.method} ${r.path}`;
const EXPORTS = 'POST /v1/audit/exports';

it('serves exactly the routes of the API catalogue', () => {
  const catalogue = API_CATALOG.flatMap((c) => Object.values(c.api).map((r) => `${r.method} ${r.path}`)).sort();
  expect(routes.map(key).sort()).toEqual(catalogue);
  expect(catalogue).toContain(EXPORTS);
});

/**
 * POST routes that compute an answer and store nothing. Each is an exception to "403 for the auditor"
 * only because it is not a write; the test below checks that claim against the audit trail (every
 * state change in KAIRR writes an audit event in the same transaction).
 */
const READ_ONLY_POSTS: Record<string, string> = {};

it('refuses an auditor every write (403) except starting an export; the audit trail shows no other change by them', async () => {
  const token = tokenFor('auditor');
  const since = new Date(Date.now() - 1000).toISOString();
  const writes = routes.filter((r) => r.method !== 'GET');
  expect(writes.length).toBeGreaterThan(10);
  const answers: Record<string, number> = {};
  for (const r of writes) {
    const res = await call(r.method, concrete(r.path), { token, body: {} });
    answers[key(r)] = res.status;
  }
  const expected = Object.fromEntries(writes.map((r) => [key(r), 403]));
  // An empty body is not an export request: refused as invalid (400), not as forbidden.
  expected[EXPORTS] = 400;
  // A read-only POST answers the (empty, so invalid) request: 400, never 403.
  for (const k of Object.keys(READ_ONLY_POSTS)) if (k in expected) expected[k] = 400;
  expect(answers).toEqual(expected);
  const byAuditor = await call('GET', `/v1/audit/events?actor=dev-auditor&from=${since}`, { token });
  expect(byAuditor.status).toBe(200);
  expect(byAuditor.body.items.filter((e: { action: string }) => !e.action.startsWith('audit.export.'))).toEqual([]);
});

it('lets the auditor start an export', async () => {
  const now = Date.now();
  const res = await call('POST', '/v1/audit/exports', { token: tokenFor('auditor'), body: { from: new Date(now - 60_000).toISOString(), to: new Date(now).toISOString(), format: 'jsonl' } });
  expect(res.status).toBe(202);
});

it('refuses a researcher every audit and report route (403)', async () => {
  const token = tokenFor('researcher');
  const mine = routes.filter((r) => /^\/v1\/(audit|reports)\//.test(r.path));
  expect(mine.map(key).sort()).toEqual(
    ['GET /v1/audit/anchors', 'GET /v1/audit/events', 'GET /v1/audit/exports', 'GET /v1/audit/exports/{exportId}', 'GET /v1/reports/allocations', 'GET /v1/reports/fairness', 'POST /v1/audit/exports'].sort(),
  );
  for (const r of mine) {
    const res = await call(r.method, concrete(r.path), { token, body: r.method === 'GET' ? undefined : {} });
    expect({ route: key(r), status: res.status }).toEqual({ route: key(r), status: 403 });
  }
});

// kairr data|model search|show against a fake API whose answers are checked against the data hub
// routes' own response schemas (so the fake cannot drift from the API).
import { datahubApi } from '../../lambdas/datahub/api';
import type { RouteSpec } from '../../lambdas/shared/http/spec';
import { parseRef } from '../src/commands/catalogue';
import { fakeApi, kairr } from './harness';

const env = { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' };
const DS = `ds-${'a'.repeat(26)}`;
const MODEL = `model-${'b'.repeat(26)}`;
const ok = (route: string, status: number, body: unknown) => {
  const parsed = (datahubApi as Record<string, RouteSpec>)[route].responses[status].schema!.safeParse(body);
  if (!parsed.success) throw new Error(`${route}: ${JSON.stringify(parsed.error.issues)}`);
  return body;
};
const name = { ko: '한국어 말뭉치', en: 'Korean corpus' };
const hit = {
  id: DS,
  kind: 'dataset',
  name,
  description: name,
  licence: 'cc-by-4.0',
  accessLevel: 'public',
  fieldOfScience: '1.2',
  author: 'org-kisti',
  latestVersion: '1.0.0',
  status: 'current',
  bytes: 16,
  files: 2,
  formats: ['application/jsonl'],
  sites: ['kisti6', 'spc'],
  keywords: ['nlp'],
  publishedAt: '2026-12-01T00:00:00Z',
  lastModified: '2026-12-01T00:00:00Z',
};
const artifact = {
  id: DS,
  kind: 'dataset',
  owner: { type: 'organisation', orgId: 'org-kisti' },
  name,
  description: name,
  keywords: ['nlp'],
  fieldOfScience: '1.2',
  licence: 'cc-by-4.0',
  accessLevel: 'public',
  aliases: {},
  latestVersion: '1.0.0',
  publishedVersions: ['1.0.0'],
  sites: ['kisti6'],
  createdAt: '2026-11-01T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z',
};
const version = {
  artifactId: MODEL,
  kind: 'model',
  version: '2.0.0',
  state: 'published',
  changelog: 'x',
  derivedFrom: [{ artifactId: DS, version: '1.0.0' }],
  files: 3,
  bytes: 1024,
  formats: [],
  pages: {},
  createdAt: '2026-11-01T00:00:00Z',
  publishedAt: '2026-12-01T00:00:00Z',
};

it('search: the words and filters become the query; a table with both languages and the sites', async () => {
  const api = fakeApi({ 'GET /v1/datasets': [200, ok('searchArtifacts', 200, { items: [hit], total: 1 })] });
  const r = await kairr(['data', 'search', '한국어', '말뭉치', '--site', 'kisti6', '--access', 'public'], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  const q = new URL(api.calls[0].url).searchParams;
  expect([q.get('q'), q.get('site'), q.get('access')]).toEqual(['한국어 말뭉치', 'kisti6', 'public']);
  expect(r.out).toMatch(new RegExp(`${DS}\\s+Korean corpus / 한국어 말뭉치\\s+1\\.0\\.0\\s+public\\s+kisti6,spc`));
  expect((await kairr(['data', 'search', '--access', 'secret'], { env, fetch: api.fetch })).code).toBe(2);
});

it('show: an artifact by id, a version by id@version (models under /v1/models), with a pointer to its lineage', async () => {
  const api = fakeApi({
    [`GET /v1/datasets/${DS}`]: [200, ok('getArtifact', 200, artifact)],
    [`GET /v1/models/${MODEL}/versions/latest`]: [200, ok('getArtifactVersion', 200, version)],
  });
  const a = await kairr(['data', 'show', DS], { env, fetch: api.fetch });
  expect(a.code).toBe(0);
  expect(a.out).toMatch(/published:\s+1\.0\.0/);
  const v = await kairr(['model', 'show', `${MODEL}@latest`], { env, fetch: api.fetch });
  expect(v.code).toBe(0);
  expect(v.out).toContain(`derived from: ${DS}@1.0.0`);
  expect(v.out).toContain(`kairr lineage ${MODEL}@2.0.0`);
});

it('an id of the other kind, or not an id, is a usage error before any request', async () => {
  const api = fakeApi({});
  expect((await kairr(['data', 'show', MODEL], { env, fetch: api.fetch })).code).toBe(2);
  expect((await kairr(['model', 'show', 'gpt'], { env, fetch: api.fetch })).code).toBe(2);
  expect(api.calls).toHaveLength(0);
  expect(parseRef(`${DS}@production`, 'ds')).toEqual({ id: DS, version: 'production' });
});

// kairr lineage: the catalogue version named as ARTIFACT@VERSION, the route it asks, the table, and
// --json. The fake API's answer is checked against the data hub's own response schema, so the fake
// stays faithful to the route it stands for (the route itself is tested in test/unit/datahub).
import { datahubApi } from '../../lambdas/datahub/api';
import type { RouteSpec } from '../../lambdas/shared/http/spec';
import { lineagePath } from '../src/commands/lineage';
import { fakeApi, kairr } from './harness';

const env = { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' };
const MODEL = `model-${'a'.repeat(26)}`;
const DS = `ds-${'b'.repeat(26)}`;
const answer = {
  artifactId: MODEL,
  version: '1.0.0',
  direction: 'up',
  depth: 4,
  nodes: [
    { id: `ds:kairr://catalogue/${MODEL}@1.0.0`, kind: 'dataset', level: 0, direction: 'start', namespace: 'kairr://catalogue', name: `${MODEL}@1.0.0`, version: { artifact: MODEL, version: '1.0.0' } },
    { id: 'job:slurm://spc/pipe-x.train', kind: 'job', level: 1, direction: 'up', namespace: 'slurm://spc', name: 'pipe-x.train', site: 'spc' },
    { id: `ds:kairr://catalogue/${DS}@2.0.0`, kind: 'dataset', level: 2, direction: 'up', namespace: 'kairr://catalogue', name: `${DS}@2.0.0`, version: { artifact: DS, version: '2.0.0' } },
    { id: 'hidden:1', kind: 'dataset', level: 2, direction: 'up', hidden: true },
  ],
  edges: [
    { from: 'job:slurm://spc/pipe-x.train', to: `ds:kairr://catalogue/${MODEL}@1.0.0` },
    { from: `ds:kairr://catalogue/${DS}@2.0.0`, to: 'job:slurm://spc/pipe-x.train' },
    { from: 'hidden:1', to: 'job:slurm://spc/pipe-x.train' },
  ],
  cost: [{ direction: 'up', level: 1, frontier: 1, requests: 1, roundTrips: 1 }],
};

it('the fake answer is what the data hub route promises', () => {
  const route = (datahubApi as Record<string, RouteSpec>).getArtifactVersionLineage;
  expect(route.responses[200].schema!.safeParse(answer).success).toBe(true);
});

it('names the route from the id: ds- is a dataset, model- a model; anything else is a usage error', () => {
  expect(lineagePath(`${DS}@latest`)).toBe(`/v1/datasets/${DS}/versions/latest/lineage`);
  expect(lineagePath(`${MODEL}@1.0.0`)).toBe(`/v1/models/${MODEL}/versions/1.0.0/lineage`);
  expect(() => lineagePath('ds-short@1.0.0')).toThrow(/is not ARTIFACT@VERSION/);
  expect(() => lineagePath(DS)).toThrow(/is not ARTIFACT@VERSION/);
});

it('asks with the direction and depth, and prints each node: jobs with their site, hidden versions as such', async () => {
  const api = fakeApi({ [`GET /v1/models/${MODEL}/versions/1.0.0/lineage`]: [200, answer] });
  const r = await kairr(['lineage', `${MODEL}@1.0.0`, '--direction', 'up', '--depth', '4'], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  const u = new URL(api.calls[0].url);
  expect([u.searchParams.get('direction'), u.searchParams.get('depth')]).toEqual(['up', '4']);
  const lines = r.out.trim().split('\n');
  expect(lines[0]).toMatch(/^LEVEL\s+WAY\s+KIND\s+SITE\s+NAME$/);
  expect(lines[2]).toMatch(/^\s*1\s+up\s+job\s+spc\s+slurm:\/\/spc pipe-x\.train$/);
  expect(lines[3]).toContain(`${DS}@2.0.0`);
  expect(lines[4]).toMatch(/hidden\s+-\s+\(a version you may not read\)$/);
});

it('--json is the API answer; --query picks from it; a bad depth is refused before any request', async () => {
  const api = fakeApi({ [`GET /v1/models/${MODEL}/versions/1.0.0/lineage`]: [200, answer] });
  const json = await kairr(['lineage', `${MODEL}@1.0.0`, '--json'], { env, fetch: api.fetch });
  expect(JSON.parse(json.out)).toEqual(answer);
  expect(new URL(api.calls[0].url).searchParams.get('direction')).toBe('both');
  const q = await kairr(['lineage', `${MODEL}@1.0.0`, '--query', "nodes[?kind=='job'].site"], { env, fetch: api.fetch });
  expect(JSON.parse(q.out)).toEqual(['spc']);
  const bad = await kairr(['lineage', `${MODEL}@1.0.0`, '--depth', '0'], { env, fetch: api.fetch });
  expect(bad.code).toBe(2);
  expect(api.calls).toHaveLength(2);
});

it('a version the caller may not read is the API 404, exit 1', async () => {
  const api = fakeApi({ [`GET /v1/datasets/${DS}/versions/9.9.9/lineage`]: [404, { error: { code: 'not_found', message: `Version "${DS}@9.9.9" was not found`, details: [] } }] });
  const r = await kairr(['lineage', `${DS}@9.9.9`], { env, fetch: api.fetch });
  expect(r.code).toBe(1);
  expect(r.err).toContain('not found');
});

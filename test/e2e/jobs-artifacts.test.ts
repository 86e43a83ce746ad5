// Catalogue links over HTTP against the local runtime (its bundles: the proposals function and the
// jobs function read the data hub through its face): a proposal names a published dataset and
// shows what it resolved to; an entry that does not resolve for the proposer is a 422 naming the
// field; a job's inputs and outputs are checked at the edge (400 naming `inputs[i]`) and are in the
// served OpenAPI. Needs no cluster: KAIRR_E2E_CLUSTERS=off npx jest test/e2e/jobs-artifacts --selectProjects e2e
// (dispatching with declared artifacts on the real clusters is test/unit/jobs/artifacts.test.ts's
// story in-process, and test/slurm/queue-snapshot.test.ts's for the clusters).
import { as, call, mint, withToken } from './support/client';
import { callBody, proposalBody, runId } from './approval-support';

const ref = (id: string, v?: string) => (v ? `kairr:${id}@${v}` : `kairr:${id}`);
const paths = (r: { body: any }) => (r.body?.error?.details ?? []).map((d: { path: string }) => d.path);

describe('proposals and jobs linking catalogue entries, over HTTP', () => {
  let datasetId: string;
  let callId: string;

  beforeAll(async () => {
    const created = await as('researcher').post('/v1/datasets', {
      name: { ko: `연결 시험 데이터 ${runId}`, en: `Link test data ${runId}` },
      description: { en: 'A dataset proposals link to.' },
      fieldOfScience: '1.2',
      licence: 'CC-BY-4.0',
      accessLevel: 'registered',
      owner: { type: 'organisation', orgId: 'org-kisti' },
    });
    expect(created.status).toBe(201);
    datasetId = created.body.id;
    const files = [{ path: 'a.jsonl', bytes: 3, sha256: 'a'.repeat(64), mediaType: 'application/jsonl' }];
    expect((await as('researcher').post(`/v1/datasets/${datasetId}/versions`, { version: '1.0.0', changelog: 'first' })).status).toBe(201);
    expect((await as('researcher').put(`/v1/datasets/${datasetId}/versions/1.0.0/manifest/pages/1`, { files })).status).toBe(200);
    expect((await as('researcher').post(`/v1/datasets/${datasetId}/versions/1.0.0/transitions`, { action: 'submit' })).status).toBe(200);
    expect((await as('curator').post(`/v1/datasets/${datasetId}/versions/1.0.0/transitions`, { action: 'publish' })).status).toBe(200);
    expect((await as('researcher').post(`/v1/datasets/${datasetId}/versions`, { version: '2.0.0', changelog: 'next' })).status).toBe(201);
    const c = await as('admin').post('/v1/calls', callBody([{ sub: `links-rev-${runId}`, institution: 'POSTECH' }]));
    expect(c.status).toBe(201);
    callId = c.body.id;
  });

  it('a researcher links a published dataset: the proposal shows its title, access level and verified sites; the admin sees the same', async () => {
    const p = await as('researcher').post('/v1/proposals', proposalBody(callId, { datasets: [{ name: 'Link test data', catalogueId: ref(datasetId) }] }));
    expect(p.status).toBe(201);
    expect(p.body.datasets[0].catalogue).toEqual({
      ref: ref(datasetId, '1.0.0'),
      artifactId: datasetId,
      version: '1.0.0',
      kind: 'dataset',
      title: { ko: `연결 시험 데이터 ${runId}`, en: `Link test data ${runId}` },
      accessLevel: 'registered',
      sites: [],
    });
    expect((await as('admin').get(`/v1/proposals/${p.body.id}`)).body.datasets).toEqual(p.body.datasets);
  });

  it('the steward links their own draft; another researcher may not (422), nor name an unknown one; a malformed id is 400', async () => {
    expect((await as('researcher').post('/v1/proposals', proposalBody(callId, { datasets: [{ name: 'draft', catalogueId: ref(datasetId, '2.0.0') }] }))).status).toBe(201);
    const other = withToken(await mint({ sub: `links-other-${runId}`, groups: ['researcher'], preferred_username: `lo${runId}` }));
    const draft = await other.post('/v1/proposals', proposalBody(callId, { datasets: [{ name: 'draft', catalogueId: ref(datasetId, '2.0.0') }] }));
    expect([draft.status, draft.body.error.code, paths(draft)]).toEqual([422, 'unknown_catalogue_entry', ['datasets[0].catalogueId']]);
    const unknown = await other.post('/v1/proposals', proposalBody(callId, { models: [{ name: 'm', catalogueId: ref('model-00000000000000000000000000', '1.0.0') }] }));
    expect([unknown.status, paths(unknown)]).toEqual([422, ['models[0].catalogueId']]);
    const malformed = await other.post('/v1/proposals', proposalBody(callId, { datasets: [{ name: 'x', catalogueId: 'hf:org/name' }] }));
    expect([malformed.status, paths(malformed)]).toEqual([400, ['datasets[0].catalogueId']]);
  });

  it.each(['reviewer', 'auditor', 'curator'])('%s cannot propose (403), catalogue link or not', async (role) => {
    expect((await as(role).post('/v1/proposals', proposalBody(callId, { datasets: [{ name: 'x', catalogueId: ref(datasetId) }] }))).status).toBe(403);
  });

  it("a job's inputs and outputs must be catalogue versions: 400 naming each; staff cannot dispatch at all", async () => {
    const body = { site: 'kisti6', resource: 'gh200', script: '#!/bin/bash\ntrue\n', gpus: 1, timeLimit: 1, inputs: [ref(datasetId)], outputs: ['not-a-ref'] };
    const r = await as('researcher').post('/v1/allocations/alloc-none/jobs', body);
    expect([r.status, paths(r)]).toEqual([400, ['inputs[0]', 'outputs[0]']]);
    expect((await as('admin').post('/v1/allocations/alloc-none/jobs', { ...body, inputs: [ref(datasetId, '1.0.0')], outputs: [] })).status).toBe(403);
    // well-formed, on an allocation the caller cannot see: 404 before the catalogue is asked
    expect((await as('researcher').post('/v1/allocations/alloc-none/jobs', { ...body, inputs: [ref(datasetId, '1.0.0')], outputs: [] })).status).toBe(404);
  });

  it('the served OpenAPI document describes the links', async () => {
    const doc = (await call('GET', '/v1/openapi.json')).body;
    const text = JSON.stringify(doc.paths['/v1/allocations/{id}/jobs'].post);
    expect(text).toContain('inputs');
    expect(text).toContain('permit_required');
    expect(JSON.stringify(doc.paths['/v1/proposals/{id}'].get)).toContain('catalogue');
  });
});

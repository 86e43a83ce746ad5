// The data hub's API in-process against DynamoDB Local: a dataset's story from registration to
// deprecation, the bad inputs the issue names, search in Korean and English, renderings, aliases
// and the audit trail of every change.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { api, datahubFixture, DATASET, FILES, publishedDataset, publishVersion, ROLE_CALLERS, type Fixture } from './support';
import { dataciteProblems, expand, missing, SC, DCAT, DCT } from './spec-checks';

const { steward, researcher, curator, admin, auditor } = ROLE_CALLERS;
let fx: Fixture;
beforeAll(async () => {
  fx = await datahubFixture();
});
afterAll(async () => fx.stop());

async function auditActions(subject: string): Promise<string[]> {
  const out = await fx.tables.doc.send(new QueryCommand({ TableName: fx.tables.names.audit, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': subject } }));
  return (out.Items ?? []).map((i) => i.action as string);
}

describe('a dataset from registration to deprecation', () => {
  let id: string;

  it('a researcher registers a dataset owned by an organisation and becomes its steward', async () => {
    const r = await api(steward, 'POST', '/v1/datasets', DATASET, { 'idempotency-key': 'create-ds-0001' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'dataset', licence: 'CC-BY-4.0', owner: { type: 'organisation', orgId: 'org-kisti' }, stewards: ['steward-1'], publishedVersions: [] });
    id = r.body.id;
    const again = await api(steward, 'POST', '/v1/datasets', DATASET, { 'idempotency-key': 'create-ds-0001' });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(id);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it("an unpublished dataset is its stewards' and staff's only", async () => {
    expect((await api(researcher, 'GET', `/v1/datasets/${id}`)).status).toBe(404);
    expect((await api(undefined, 'GET', `/v1/public/datasets/${id}`)).status).toBe(404);
    expect((await api(auditor, 'GET', `/v1/datasets/${id}`)).status).toBe(200);
  });

  it('a draft takes manifest pages; bad paths, digests and repeats are named', async () => {
    expect((await api(steward, 'POST', `/v1/datasets/${id}/versions`, { version: '1.0.0', changelog: 'first' })).status).toBe(201);
    const bad = await api(steward, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1`, {
      files: [
        { ...FILES[0], path: '../escape' },
        { ...FILES[1], path: '/abs' },
        { ...FILES[1], sha256: 'nothex' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([
      { path: 'files[0].path', problem: expect.stringContaining('..') },
      { path: 'files[1].path', problem: expect.stringContaining('relative') },
      { path: 'files[2].sha256', problem: expect.stringContaining('64 hexadecimal') },
    ]);
    const ok = await api(steward, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1`, { files: FILES });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ files: 2, bytes: 16, formats: ['application/jsonl', 'text/markdown'] });
    expect((await api(steward, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1`, { files: FILES })).status).toBe(200);
    const other = await api(steward, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1`, { files: [FILES[0]] });
    expect(other).toMatchObject({ status: 409, body: { error: { code: 'page_exists' } } });
    const dup = await api(steward, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/2`, { files: [FILES[1]] });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details).toEqual([{ path: 'files[0].path', problem: '"README.md" is already in page 1' }]);
    const list = await api(steward, 'GET', `/v1/datasets/${id}/versions/1.0.0/manifest`);
    expect(list.body.items.map((f: { path: string }) => f.path)).toEqual(['README.md', 'train/part-0.jsonl']);
  });

  it('submit, then a curator who is not a steward publishes', async () => {
    expect((await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'submit' })).body.state).toBe('curation-review');
    const queue = await api(curator, 'GET', '/v1/datahub/curation');
    expect(queue.body.items).toContainEqual(expect.objectContaining({ artifactId: id, version: '1.0.0' }));
    expect((await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'publish' })).status).toBe(403);
    const pub = await api(curator, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'publish', note: 'checked' });
    expect(pub.status).toBe(200);
    expect(pub.body).toMatchObject({ state: 'published', licence: 'CC-BY-4.0' });
    const a = await api(undefined, 'GET', `/v1/public/datasets/${id}`);
    expect(a.body).toMatchObject({ latestVersion: '1.0.0', publishedVersions: ['1.0.0'] });
    expect(a.body.stewards).toBeUndefined();
  });

  it('a published version never changes (named 409)', async () => {
    const r = await api(steward, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/2`, { files: [{ ...FILES[0], path: 'extra.txt' }] });
    expect(r).toMatchObject({ status: 409, body: { error: { code: 'version_immutable' } } });
    expect((await api(steward, 'PATCH', `/v1/datasets/${id}/versions/1.0.0`, { changelog: 'edit' })).status).toBe(409);
  });

  it('anyone finds it by a Korean compound and by particles, or in English', async () => {
    for (const q of ['언어모델', '데이터셋', 'language model', '말뭉치']) {
      const r = await api(undefined, 'GET', `/v1/public/datasets?q=${encodeURIComponent(q)}`);
      expect(r.status).toBe(200);
      expect(r.body.items.map((h: { id: string }) => h.id)).toContain(id);
    }
    expect((await api(researcher, 'GET', `/v1/datasets?q=${encodeURIComponent('음성인식')}`)).body.items).toEqual([]);
  });

  it('renders Croissant, DataCite and DCAT-AP by format and by content negotiation', async () => {
    const c = await api(undefined, 'GET', `/v1/public/datasets/${id}/versions/1.0.0?format=croissant`);
    expect(c.headers['content-type']).toContain('profile="http://mlcommons.org/croissant/1.1"');
    const [ds] = await expand(c.body);
    expect(missing(ds, [`${SC}name`, `${SC}license`, `${SC}distribution`, `${SC}datePublished`])).toEqual([]);
    const d = await api(researcher, 'GET', `/v1/datasets/${id}/versions/1.0.0`, undefined, { accept: 'application/vnd.datacite.datacite+json' });
    expect(dataciteProblems(d.body)).toEqual([]);
    expect(d.body.data.attributes.url).toBe(`https://kairr.test/v1/public/datasets/${id}/versions/1.0.0`);
    const dcat = await api(undefined, 'GET', `/v1/public/datasets/${id}/versions/1.0.0?format=dcat`);
    const ctx = await api(undefined, 'GET', '/v1/public/contexts/dcat-ap-3.0.1.jsonld');
    expect(dcat.body['@context']).toBe('https://kairr.test/v1/public/contexts/dcat-ap-3.0.1.jsonld');
    // What the API serves at the context's address is what a consumer expands with.
    const [n] = await expand(dcat.body, async (url: string) => {
      if (url !== dcat.body['@context']) throw new Error(`unexpected context ${url}`);
      return { contextUrl: null, documentUrl: url, document: ctx.body };
    });
    expect(missing(n, [`${DCT}title`, `${DCT}description`, `${DCAT}distribution`])).toEqual([]);
    expect((await api(researcher, 'GET', `/v1/datasets/${id}/versions/1.0.0?format=card`)).status).toBe(400);
    expect((await api(researcher, 'GET', `/v1/datasets/${id}/versions/1.0.0`, undefined, { accept: 'text/html' })).status).toBe(406);
  });

  it('aliases point at published versions, move atomically and are audited', async () => {
    expect((await api(steward, 'PUT', `/v1/datasets/${id}/aliases/latest`, { version: '1.0.0' })).status).toBe(400);
    expect((await api(steward, 'PUT', `/v1/datasets/${id}/aliases/production`, { version: '1.0.0' })).body.aliases).toEqual({ production: '1.0.0' });
    await publishVersion(id, '1.1.0');
    const moved = await api(steward, 'PUT', `/v1/datasets/${id}/aliases/production`, { version: '1.1.0' });
    expect(moved.body.aliases).toEqual({ production: '1.1.0' });
    expect((await api(researcher, 'GET', `/v1/datasets/${id}/versions/production`)).body.version).toBe('1.1.0');
    expect((await api(researcher, 'GET', `/v1/datasets/${id}/versions/latest`)).body.version).toBe('1.1.0');
    expect((await api(researcher, 'PUT', `/v1/datasets/${id}/aliases/production`, { version: '1.0.0' })).status).toBe(403);
    await api(steward, 'POST', `/v1/datasets/${id}/versions`, { version: '2.0.0' });
    expect((await api(steward, 'PUT', `/v1/datasets/${id}/aliases/next`, { version: '2.0.0' })).status).toBe(422);
    const actions = await auditActions(`dh-artifact/${id}`);
    expect(actions.filter((a) => a === 'dataset.alias.move')).toHaveLength(2);
  });

  it('deprecating names a published successor', async () => {
    const noSucc = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'deprecate', reason: 'errors' });
    expect(noSucc.body.error.details).toEqual([{ path: 'successor', problem: expect.any(String) }]);
    const draftSucc = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'deprecate', reason: 'errors', successor: { artifactId: id, version: '2.0.0' } });
    expect(draftSucc.status).toBe(422);
    const ok = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'deprecate', reason: 'errors', successor: { artifactId: id, version: '1.1.0' } });
    expect(ok.body).toMatchObject({ state: 'deprecated', successor: { artifactId: id, version: '1.1.0' } });
    const dc = await api(researcher, 'GET', `/v1/datasets/${id}/versions/1.0.0?format=datacite`);
    expect(dc.body.data.attributes.relatedIdentifiers).toContainEqual(expect.objectContaining({ relationType: 'IsObsoletedBy' }));
  });

  it('every change is in the audit trail', async () => {
    expect(await auditActions(`dh-version/${id}@1.0.0`)).toEqual(['dataset.version.create', 'dataset.version.manifest.page', 'dataset.version.submit', 'dataset.version.publish', 'dataset.version.deprecate']);
  });
});

describe('bad input', () => {
  it('an unknown SPDX id, a bad field of science, no name at all, a bad organisation id', async () => {
    const r = await api(steward, 'POST', '/v1/datasets', { ...DATASET, licence: 'Foo-1.0', fieldOfScience: '9.9', name: {}, owner: { type: 'organisation', orgId: 'KISTI' } });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['fieldOfScience', 'licence', 'name', 'owner.orgId']);
    expect(r.body.error.details.find((d: { path: string }) => d.path === 'licence').problem).toContain('"Foo-1.0" is not an SPDX licence id');
  });

  it('a page over its limit, and a page number out of range, are refused naming the field', async () => {
    const created = await api(steward, 'POST', '/v1/datasets', DATASET);
    const id = created.body.id;
    await api(steward, 'POST', `/v1/datasets/${id}/versions`, { version: '1.0.0' });
    const big = { files: Array.from({ length: 1001 }, (_, i) => ({ ...FILES[0], path: `f${i}` })) };
    const r = await api(steward, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1`, big);
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe('files');
    const page = await api(steward, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1001`, { files: FILES });
    expect(page.body.error.details).toEqual([{ path: 'params.page', problem: expect.any(String) }]);
  });

  it('a version label that is not MAJOR.MINOR.PATCH, a version that exists, derivedFrom nothing', async () => {
    const { id } = await publishedDataset();
    expect((await api(steward, 'POST', `/v1/datasets/${id}/versions`, { version: 'v1' })).body.error.details).toEqual([{ path: 'version', problem: expect.stringContaining('MAJOR.MINOR.PATCH') }]);
    expect((await api(steward, 'POST', `/v1/datasets/${id}/versions`, { version: '1.0.0' })).body.error.code).toBe('version_exists');
    const d = await api(steward, 'POST', `/v1/datasets/${id}/versions`, { version: '3.0.0', derivedFrom: [{ artifactId: 'ds-00000000000000000000000000', version: '1.0.0' }] });
    expect(d.body.error.details).toEqual([{ path: 'derivedFrom[0]', problem: expect.stringContaining('not a published version') }]);
  });

  it('a site copy must be under a configured storage root with a safe path', async () => {
    const { id } = await publishedDataset();
    const r = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/locations`, { siteId: 'kisti6', root: 'home', path: '../x' });
    expect(r.body.error.details.map((d: { path: string }) => d.path)).toEqual(['root', 'path']);
    const ok = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/locations`, { siteId: 'kisti6', root: 'scratch', path: 'corpus/v1' });
    expect(ok).toMatchObject({ status: 201, body: { locationId: 'kisti6.scratch', state: 'pending', sitePath: '/scratch/kairr-datahub/corpus/v1' } });
    expect((await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/locations`, { siteId: 'kisti6', root: 'scratch', path: 'again' })).status).toBe(409);
  });
});

describe('search filters and paging', () => {
  it('filters by licence, access, field and size; pages with a token; restricted metadata is for signed-in users', async () => {
    const mit = await publishedDataset({ licence: 'MIT OR Apache-2.0', name: { en: 'Filter probe alpha' }, keywords: ['probe'] });
    const reg = await publishedDataset({ accessLevel: 'registered', name: { en: 'Filter probe beta' }, keywords: ['probe'] });
    const res = await publishedDataset({ accessLevel: 'restricted', name: { en: 'Filter probe gamma' }, fieldOfScience: '3.2', keywords: ['probe'] });
    const ids = (r: { body: { items: { id: string }[] } }) => r.body.items.map((h) => h.id).sort();
    expect(ids(await api(undefined, 'GET', '/v1/public/datasets?q=probe'))).toEqual([mit.id]);
    expect(ids(await api(researcher, 'GET', '/v1/datasets?q=probe'))).toEqual([mit.id, reg.id, res.id].sort());
    expect(ids(await api(researcher, 'GET', '/v1/datasets?q=probe&licence=apache-2.0'))).toEqual([mit.id]);
    expect(ids(await api(researcher, 'GET', '/v1/datasets?q=probe&access=restricted'))).toEqual([res.id]);
    expect(ids(await api(researcher, 'GET', '/v1/datasets?q=probe&field=3.2'))).toEqual([res.id]);
    expect(ids(await api(researcher, 'GET', '/v1/datasets?q=probe&minBytes=16&maxBytes=16'))).toHaveLength(3);
    expect(ids(await api(researcher, 'GET', '/v1/datasets?q=probe&minBytes=17'))).toEqual([]);
    expect(ids(await api(researcher, 'GET', '/v1/datasets?q=probe&format=text/markdown'))).toHaveLength(3);
    const p1 = await api(researcher, 'GET', '/v1/datasets?q=probe&limit=2');
    expect(p1.body.items).toHaveLength(2);
    expect(p1.headers.link).toContain('rel="next"');
    const p2 = await api(researcher, 'GET', `/v1/datasets?q=probe&limit=2&nextToken=${encodeURIComponent(p1.body.nextToken)}`);
    expect([...ids(p1), ...ids(p2)].sort()).toEqual([mit.id, reg.id, res.id].sort());
    expect((await api(researcher, 'GET', `/v1/datasets?q=other&nextToken=${encodeURIComponent(p1.body.nextToken)}`)).status).toBe(400);
    expect((await api(researcher, 'GET', '/v1/datasets?field=99')).body.error.details[0].path).toBe('query.field');
  });
});

describe('models', () => {
  it('a model with a card and an alias; the Hub-shaped listing filters by task, library and tag', async () => {
    const card = { language: ['ko'], library_name: 'transformers', pipeline_tag: 'text-generation', tags: ['korean'], base_model: ['meta-llama/Llama-3.1-8B'], base_model_relation: 'finetune' };
    const m = await api(steward, 'POST', '/v1/models', { ...DATASET, name: { ko: '한국어 대화 모델', en: 'Korean chat model' }, licence: 'Apache-2.0' });
    expect(m.status).toBe(201);
    const id = m.body.id;
    expect(id).toMatch(/^model-/);
    await api(steward, 'POST', `/v1/models/${id}/versions`, { version: '0.1.0' });
    await api(steward, 'PUT', `/v1/models/${id}/versions/0.1.0/manifest/pages/1`, { files: FILES });
    expect((await api(steward, 'POST', `/v1/models/${id}/versions/0.1.0/transitions`, { action: 'submit' })).body.error.code).toBe('model_card_missing');
    const badCard = await api(steward, 'PATCH', `/v1/models/${id}/versions/0.1.0`, { modelCard: { ...card, pipeline_tag: 'chat' } });
    expect(badCard.body.error.details).toEqual([{ path: 'modelCard.pipeline_tag', problem: expect.any(String) }]);
    expect((await api(steward, 'PATCH', `/v1/models/${id}/versions/0.1.0`, { modelCard: card })).status).toBe(200);
    expect((await api(steward, 'POST', `/v1/models/${id}/versions/0.1.0/transitions`, { action: 'submit' })).status).toBe(200);
    expect((await api(curator, 'POST', `/v1/models/${id}/versions/0.1.0/transitions`, { action: 'publish' })).status).toBe(200);
    expect((await api(steward, 'PUT', `/v1/models/${id}/aliases/production`, { version: '0.1.0' })).body.aliases).toEqual({ production: '0.1.0' });
    const readme = await api(undefined, 'GET', `/v1/public/models/${id}/versions/production`, undefined, { accept: 'text/markdown' });
    expect(readme.headers['content-type']).toContain('text/markdown');
    expect(readme.text).toMatch(/^---\nlicense: "apache-2.0"\n/);
    const list = await api(researcher, 'GET', '/v1/models?search=chat&filter=text-generation,transformers&sort=createdAt&direction=-1&limit=5');
    expect(list.body.items).toEqual([expect.objectContaining({ id, modelId: id, pipeline_tag: 'text-generation', library_name: 'transformers', tags: ['korean'], gated: false })]);
    expect((await api(researcher, 'GET', '/v1/models?author=org-kisti&tag=korean')).body.items.map((h: { id: string }) => h.id)).toContain(id);
    expect((await api(researcher, 'GET', '/v1/models?task=image-classification')).body.items.map((h: { id: string }) => h.id)).not.toContain(id);
    expect((await api(researcher, 'GET', `/v1/datasets/${id}`)).status).toBe(404);
  });
});

describe('locations are shown only to permitted users', () => {
  it('public: signed-in users; restricted: stewards and staff, not other researchers (nor anyone anonymous)', async () => {
    const pub = await publishedDataset();
    const res = await publishedDataset({ accessLevel: 'restricted' });
    expect((await api(researcher, 'GET', `/v1/datasets/${pub.id}/versions/1.0.0/locations`)).status).toBe(200);
    expect((await api(researcher, 'GET', `/v1/datasets/${res.id}/versions/1.0.0/locations`)).status).toBe(403);
    expect((await api(steward, 'GET', `/v1/datasets/${res.id}/versions/1.0.0/locations`)).status).toBe(200);
    expect((await api(auditor, 'GET', `/v1/datasets/${res.id}/versions/1.0.0/locations`)).status).toBe(200);
    expect((await api(admin, 'GET', `/v1/datasets/${res.id}/versions/1.0.0/locations`)).status).toBe(200);
  });
});

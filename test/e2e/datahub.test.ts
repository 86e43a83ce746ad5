// The data hub over HTTP against the local runtime (the synthesized template: API Gateway, the
// bundled handler, DynamoDB Local, fauxqs as S3): a steward registers and uploads a dataset, a
// curator publishes it, anyone finds it by a Korean query and reads its renderings without a
// token, a model gets a card and an alias; and the OpenAPI document serves every data hub route.
import { createHash } from 'node:crypto';
import { as, call, target, tokenFor } from './support/client';
import { checkAgainstCatalogue } from '../support/response-check';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const data = Buffer.from('{"text":"한국어 문장입니다"}\n'.repeat(50));

describe('data hub over HTTP', () => {
  let id: string;

  it('a researcher registers a dataset, uploads its file through a presigned URL, and submits it', async () => {
    const created = await as('researcher').post('/v1/datasets', {
      name: { ko: '한국어 언어 모델 평가 데이터셋', en: 'Korean language model evaluation set' },
      description: { ko: '문장 단위 평가 데이터셋을 모았습니다.', en: 'Sentence-level evaluation data.' },
      fieldOfScience: '1.2',
      licence: 'CC-BY-4.0',
      accessLevel: 'public',
      owner: { type: 'organisation', orgId: 'org-kisti' },
    });
    expect(created.status).toBe(201);
    id = created.body.id;
    expect((await as('researcher').post(`/v1/datasets/${id}/versions`, { version: '1.0.0', changelog: 'first' })).status).toBe(201);
    const page = await call('PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1`, { token: tokenFor('researcher'), body: { files: [{ path: 'eval.jsonl', bytes: data.length, sha256: sha(data), mediaType: 'application/jsonl' }] } });
    expect(page.status).toBe(200);
    const up = await as('researcher').post(`/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'eval.jsonl', parts: [{ bytes: data.length, sha256: sha(data) }] });
    expect(up.status).toBe(201);
    const put = await fetch(up.body.parts[0].url, { method: 'PUT', body: Uint8Array.from(data), headers: up.body.parts[0].headers });
    expect(put.status).toBe(200);
    expect((await as('researcher').post(`/v1/datasets/${id}/versions/1.0.0/uploads/${up.body.uploadId}`, {})).body.state).toBe('verified');
    expect((await as('researcher').post(`/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'submit' })).body.state).toBe('curation-review');
  });

  it('a curator publishes; anyone finds it by a Korean compound without a token and reads its renderings', async () => {
    expect((await as('curator').post(`/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'publish' })).body.state).toBe('published');
    const found = await call('GET', `/v1/public/datasets?q=${encodeURIComponent('언어모델')}`);
    expect(found.status).toBe(200);
    expect(found.body.items.map((h: { id: string }) => h.id)).toContain(id);
    const croissant = await call('GET', `/v1/public/datasets/${id}/versions/1.0.0`, { headers: { accept: 'application/ld+json; profile="http://mlcommons.org/croissant/1.1"' } });
    expect(croissant.body).toMatchObject({ conformsTo: 'http://mlcommons.org/croissant/1.1', distribution: [expect.objectContaining({ sha256: sha(data) })] });
    const datacite = await call('GET', `/v1/public/datasets/${id}/versions/1.0.0?format=datacite`);
    expect(datacite.body.data.attributes.types.resourceTypeGeneral).toBe('Dataset');
    const dcat = await call('GET', `/v1/public/datasets/${id}/versions/1.0.0?format=dcat`);
    const ctx = await call('GET', new URL(dcat.body['@context']).pathname);
    expect(ctx.status).toBe(200);
    // The download goes to the hub's verified copy.
    const dl = await fetch(`${target().apiUrl}/v1/datasets/${id}/versions/1.0.0/files/eval.jsonl`, { headers: { authorization: `Bearer ${tokenFor('researcher')}` }, redirect: 'manual' });
    checkAgainstCatalogue({ method: 'GET', path: `/v1/datasets/${id}/versions/1.0.0/files/eval.jsonl`, status: dl.status, contentType: dl.headers.get('content-type'), text: await dl.text() });
    expect(dl.status).toBe(302);
    expect(sha(Buffer.from(await (await fetch(dl.headers.get('location')!)).arrayBuffer()))).toBe(sha(data));
  });

  it('a model with a card and an alias', async () => {
    const m = await as('researcher').post('/v1/models', { name: { en: 'Korean chat model e2e' }, description: { en: 'x' }, fieldOfScience: '1.2', licence: 'Apache-2.0', accessLevel: 'public' });
    const mid = m.body.id;
    await as('researcher').post(`/v1/models/${mid}/versions`, { version: '1.0.0', modelCard: { language: ['ko'], library_name: 'transformers', pipeline_tag: 'text-generation' } });
    const token = tokenFor('researcher');
    await call('PUT', `/v1/models/${mid}/versions/1.0.0/manifest/pages/1`, { token, body: { files: [{ path: 'config.json', bytes: 2, sha256: sha(Buffer.from('{}')), mediaType: 'application/json' }] } });
    await as('researcher').post(`/v1/models/${mid}/versions/1.0.0/transitions`, { action: 'submit' });
    expect((await as('curator').post(`/v1/models/${mid}/versions/1.0.0/transitions`, { action: 'publish' })).status).toBe(200);
    expect((await call('PUT', `/v1/models/${mid}/aliases/production`, { token, body: { version: '1.0.0' } })).body.aliases).toEqual({ production: '1.0.0' });
    const card = await call('GET', `/v1/public/models/${mid}/versions/production?format=card`);
    expect(card.headers.get('content-type')).toContain('text/markdown');
    expect(card.text).toContain('pipeline_tag: "text-generation"');
  });

  it('the OpenAPI document serves the data hub routes; a non-steward is refused; an unknown word under /v1 is a 404', async () => {
    const doc = await call('GET', '/v1/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/{kind}', '/v1/{kind}/{id}/versions/{version}/transitions', '/v1/public/{kind}']));
    expect((await as('reviewer').post('/v1/datasets', {})).status).toBe(403);
    expect((await call('GET', '/v1/public/datasets?q=x&minBytes=-1')).status).toBe(400);
    expect((await as('researcher').get('/v1/no-such-thing')).status).toBe(404);
  });
});

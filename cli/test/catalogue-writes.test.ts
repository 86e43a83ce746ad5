// kairr data|model create and version create against the fake data hub (fake-hub.ts): the file is
// the route's body, with an Idempotency-Key; flags win over the file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeApi, kairr } from './harness';
import { DS, DS2, MODEL, tmp, FakeHub } from './fake-hub';

describe('create and version create', () => {
  it('create -f: the file is the body of POST /v1/{datasets,models}, with an Idempotency-Key', async () => {
    const dir = tmp('create');
    const file = join(dir, 'model.yaml');
    writeFileSync(file, 'name: {ko: 한국어 챗 모델, en: Korean chat model}\ndescription: {en: A chat model}\nfieldOfScience: "1.2"\nlicence: Apache-2.0\naccessLevel: public\n');
    const artifact = {
      id: MODEL,
      kind: 'model',
      owner: { type: 'person', sub: 'me' },
      name: { ko: '한국어 챗 모델', en: 'Korean chat model' },
      description: { en: 'A chat model' },
      keywords: [],
      fieldOfScience: '1.2',
      licence: 'Apache-2.0',
      accessLevel: 'public',
      aliases: {},
      publishedVersions: [],
      sites: [],
      createdAt: '2026-12-01T00:00:00Z',
      updatedAt: '2026-12-01T00:00:00Z',
    };
    const hub = new FakeHub('models');
    const api = fakeApi({
      'POST /v1/models': (r) => {
        hub.sent('createArtifact', r);
        return hub.answer('createArtifact', 201, artifact);
      },
    });
    const r = await kairr(['model', 'create', '-f', file, '--query', 'id'], { env: { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' }, fetch: api.fetch });
    expect(hub.violations).toEqual([]);
    expect(r).toMatchObject({ code: 0, out: `${MODEL}\n` });
    expect(api.calls[0].body).toEqual({ name: { ko: '한국어 챗 모델', en: 'Korean chat model' }, description: { en: 'A chat model' }, fieldOfScience: '1.2', licence: 'Apache-2.0', accessLevel: 'public' });
    expect(api.calls[0].headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('version create ID@VERSION: flags win over the file; the version may come from the file; none is a usage error', async () => {
    const hub = new FakeHub();
    const api = fakeApi({
      [`POST /v1/datasets/${DS}/versions`]: (r) => {
        hub.sent('createArtifactVersion', r);
        return hub.answer('createArtifactVersion', 201, { ...hub.versionView(), version: (r.body as { version: string }).version, changelog: (r.body as { changelog?: string }).changelog ?? '' });
      },
    });
    const env = { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' };
    const dir = tmp('version');
    writeFileSync(join(dir, 'v.yaml'), 'version: 2.0.0\nchangelog: from the file\n');
    const r = await kairr(['data', 'version', 'create', `${DS}@1.1.0`, '-f', join(dir, 'v.yaml'), '--changelog', 'cleaned', '--derived-from', `${DS2}@1.0.0`], { env, fetch: api.fetch });
    expect(hub.violations).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`kairr data upload ${DS}@1.1.0 PATH...`);
    expect(api.calls[0].body).toEqual({ version: '1.1.0', changelog: 'cleaned', derivedFrom: [{ artifactId: DS2, version: '1.0.0' }] });
    expect(api.calls[0].headers['idempotency-key']).toBeDefined();
    const fromFile = await kairr(['data', 'version', 'create', DS, '-f', join(dir, 'v.yaml')], { env, fetch: api.fetch });
    expect(fromFile.code).toBe(0);
    expect(api.calls[1].body).toEqual({ version: '2.0.0', changelog: 'from the file' });
    const none = await kairr(['data', 'version', 'create', DS], { env, fetch: api.fetch });
    expect(none.code).toBe(2);
    expect(none.err).toContain('which version?');
    expect(api.calls).toHaveLength(2);
  });
});

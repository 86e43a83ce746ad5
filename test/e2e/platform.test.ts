// The platform endpoints over HTTP, against a running KAIRR (the local runtime by default).
import { generateKeyPairSync, sign } from 'node:crypto';
import { validateOpenApi } from '../support/openapi';
import { call, as, mint, target } from './support/client';

const ERROR_SHAPE = { error: { code: expect.any(String), message: expect.any(String), details: expect.any(Array) } };

function foreignToken(): string {
  // Well-formed and unexpired, with the right issuer and audience, but signed by a key the issuer never published.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'not-a-published-key' })}.${b64({ iss: 'https://oidc.kairr.local', aud: 'kairr-api', sub: 'mallory', groups: ['admin'], iat: now, exp: now + 600 })}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`;
}

describe('GET /v1/health', () => {
  it('answers 200 without a token', async () => {
    const res = await call('GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', stage: expect.any(String) });
  });
});

describe('GET /v1/auth/config', () => {
  it("answers without a token how to sign in: each issuer's discovery document (locally its dev issuer's, with the device grant and revocation) and its public client", async () => {
    const res = await call('GET', '/v1/auth/config');
    expect(res.status).toBe(200);
    const own = res.body.issuers.find((i: { id: string }) => i.id === res.body.defaultIssuer);
    expect(own).toMatchObject({ issuer: expect.any(String), discoveryUrl: expect.stringMatching(/\/\.well-known\/openid-configuration$/) });
    if (!target().local) return; // a deployed issuer's document is the issuer's business
    expect(own.clients.cli).toBe('kairr-cli');
    const d = await (await fetch(own.discoveryUrl)).json();
    expect(d).toMatchObject({ issuer: own.issuer, device_authorization_endpoint: expect.any(String), token_endpoint: expect.any(String), revocation_endpoint: expect.any(String) });
  });
});

describe('authentication', () => {
  it('answers 401 in the error shape without a token', async () => {
    const res = await call('GET', '/v1/sites');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(ERROR_SHAPE);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it.each([
    ['a malformed token', 'Bearer not-a-jwt'],
    ['a token with a bad signature part', 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA'],
    ['a non-bearer scheme', 'Basic dXNlcjpwYXNz'],
  ])('answers 401 for %s', async (_what, authorization) => {
    const res = await call('GET', '/v1/sites', { authorization });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(ERROR_SHAPE);
  });

  it('answers 401 for an expired token', async () => {
    const expired = await mint({ sub: 'late-researcher', groups: ['researcher'], expiresIn: -120 });
    const res = await call('GET', '/v1/sites', { token: expired });
    expect(res.status).toBe(401);
  });

  it('answers 401 for a token signed by an unknown key', async () => {
    const res = await call('GET', '/v1/sites', { token: foreignToken() });
    expect(res.status).toBe(401);
  });

  it('answers 401 for a token for another audience', async () => {
    const wrongAudience = await mint({ sub: 'r1', groups: ['researcher'], aud: 'some-other-api' });
    expect((await call('GET', '/v1/sites', { token: wrongAudience })).status).toBe(401);
  });
});

describe('GET /v1/me', () => {
  it("returns the caller's id and roles", async () => {
    const res = await as('researcher').get('/v1/me');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ sub: 'dev-researcher', roles: ['researcher'] });
  });

  it('maps site-operator groups to the role and its sites', async () => {
    const t = await mint({ sub: 'op-1', groups: ['site-operator:kisti6', 'unknown-group'] });
    const res = await call('GET', '/v1/me', { token: t });
    expect(res.body).toMatchObject({ sub: 'op-1', roles: ['site-operator'], siteIds: ['kisti6'] });
  });
});

describe('GET /v1/sites', () => {
  it('lists spc (h200, b200) and kisti6 (gh200) with GPU memory and credit rates', async () => {
    const res = await as('researcher').get('/v1/sites');
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.items.map((s: any) => [s.id, s]));
    expect(Object.keys(byId).sort()).toEqual(['kisti6', 'spc']);
    const spc = Object.fromEntries(byId.spc.resources.map((r: any) => [r.id, r]));
    expect(Object.keys(spc).sort()).toEqual(['b200', 'h200']);
    expect(spc.h200).toMatchObject({ key: 'spc/h200', gpuModel: 'H200', gpuMemoryGB: 141, creditRate: { creditsPerGpuHour: expect.any(Number), effectiveFrom: expect.any(String) } });
    expect(spc.b200).toMatchObject({ gpuModel: 'B200', gpuMemoryGB: 192 });
    const gh200 = byId.kisti6.resources.find((r: any) => r.id === 'gh200');
    expect(gh200).toMatchObject({ gpuModel: 'GH200', gpuMemoryGB: 96, coherentCpuMemoryGB: 480, creditRate: { creditsPerGpuHour: expect.any(Number) } });
    // the endpoint and credentials of a site's scheduler are never exposed
    expect(JSON.stringify(res.body)).not.toMatch(/credentialsSecretName|endpoint/);
  });

  it('shows the rate in force today, with the full rate history', async () => {
    const res = await as('researcher').get('/v1/sites/spc');
    const h200 = res.body.resources.find((r: any) => r.id === 'h200');
    const today = new Date().toISOString().slice(0, 10);
    const inForce = [...h200.creditRates].filter((r: any) => r.effectiveFrom <= today).sort((a: any, b: any) => b.effectiveFrom.localeCompare(a.effectiveFrom))[0];
    expect(h200.creditRate).toEqual(inForce);
  });

  it('answers 404 in the error shape for an unknown site', async () => {
    const res = await as('researcher').get('/v1/sites/atlantis');
    expect(res.status).toBe(404);
    expect(res.body).toEqual(ERROR_SHAPE);
    expect(res.body.error).toMatchObject({ code: 'not_found', message: expect.stringContaining('atlantis') });
  });

  it('answers 404 in the error shape for an unknown route', async () => {
    const res = await as('researcher').get('/v1/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.body).toEqual(ERROR_SHAPE);
  });
});

describe('GET /v1/openapi.json', () => {
  it('is a valid OpenAPI 3 document that describes every route', async () => {
    const res = await call('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(validateOpenApi(res.body)).toEqual({ valid: true, version: '3.1' });
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/health', '/v1/me', '/v1/sites', '/v1/sites/{siteId}']));
    expect(res.body.paths['/v1/sites'].get.security).toEqual([{ bearer: [] }]);
    expect(res.body.paths['/v1/health'].get.security).toEqual([]);
  });
});

it('targets a real KAIRR', () => {
  expect(target().apiUrl).toMatch(/^https?:\/\//);
});

// The dev issuer's device authorization grant, held to RFC 8628: the device authorization response
// (section 3.2), the token endpoint's answers while the person has not acted, polls too fast, denied,
// and after the code expired (section 3.5), one use per code, user codes compared without case or
// dash (section 6.1), and refresh (RFC 6749 section 6).
import { LocalOidcIssuer } from '../oidc';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
let issuer: LocalOidcIssuer;

const post = async (path: string, fields: Record<string, string>) => {
  const res = await fetch(`${issuer.url}${path}`, { method: 'POST', headers: FORM, body: new URLSearchParams(fields).toString() });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
};
const authorize = async () => (await post('/device_authorization', { client_id: 'cli' })).body as { device_code: string; user_code: string; interval: number };
const poll = (deviceCode: string, clientId = 'cli') => post('/oauth/token', { grant_type: GRANT, device_code: deviceCode, client_id: clientId });
const wait = (s: number) => new Promise((r) => setTimeout(r, s * 1000 + 50));
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

beforeAll(async () => {
  issuer = new LocalOidcIssuer('https://login.example', 'app-api');
  issuer.device.identities = { writer: { sub: 'w1', groups: ['writers'] } };
  await issuer.listen(0);
});
afterAll(() => issuer.close());

it('discovery names the device authorization and token endpoints and the grants', async () => {
  const d = await (await fetch(`${issuer.url}/.well-known/openid-configuration`)).json();
  expect(d).toMatchObject({ issuer: 'https://login.example', device_authorization_endpoint: `${issuer.url}/device_authorization`, token_endpoint: `${issuer.url}/oauth/token`, grant_types_supported: [GRANT, 'refresh_token'] });
});

it('answers a device authorization request as section 3.2 says; client_id is required', async () => {
  const r = await post('/device_authorization', { client_id: 'cli', scope: 'openid' });
  expect(r.status).toBe(200);
  expect(r.body).toEqual({
    device_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    user_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
    verification_uri: `${issuer.url}/device`,
    verification_uri_complete: `${issuer.url}/device?user_code=${r.body.user_code}`,
    expires_in: 600,
    interval: 1,
  });
  expect((await post('/device_authorization', {})).body).toMatchObject({ error: 'invalid_request' });
});

it('pending, then slow_down for a poll inside the interval (which grows by 5 s), then the tokens once approved; a code works once', async () => {
  const a = await authorize();
  const pending = await poll(a.device_code);
  expect(pending).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
  expect(pending.headers.get('cache-control')).toBe('no-store');
  expect((await poll(a.device_code)).body).toMatchObject({ error: 'slow_down', error_description: 'poll at most every 6 s' });
  // the page takes the code in lower case and without its dash
  const page = await post('/device', { user_code: a.user_code.replace('-', '').toLowerCase(), identity: 'writer', action: 'approve' });
  expect(page.status).toBe(200);
  await wait(6);
  const ok = await poll(a.device_code);
  expect(ok).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 3600, refresh_token: expect.any(String) } });
  expect(claimsOf(ok.body.access_token)).toMatchObject({ iss: 'https://login.example', aud: 'app-api', sub: 'w1', groups: ['writers'] });
  expect((await poll(a.device_code)).body).toMatchObject({ error: 'invalid_grant' });
});

it('access_denied when the person denies; another client cannot use the code', async () => {
  const a = await authorize();
  expect((await poll(a.device_code, 'other')).body).toMatchObject({ error: 'invalid_grant' });
  await post('/device', { user_code: a.user_code, action: 'deny' });
  await wait(a.interval);
  expect((await poll(a.device_code)).body).toMatchObject({ error: 'access_denied' });
});

it('approves any sub and groups the page is given (a dev issuer); refuses a page without anyone', async () => {
  const a = await authorize();
  expect((await post('/device', { user_code: a.user_code, action: 'approve' })).status).toBe(400);
  expect((await post('/device', { user_code: a.user_code, sub: 'someone', groups: 'a, b', action: 'approve' })).status).toBe(200);
  await wait(a.interval);
  expect(claimsOf((await poll(a.device_code)).body.access_token)).toMatchObject({ sub: 'someone', groups: ['a', 'b'] });
});

it('expired_token once the code has expired', async () => {
  const short = new LocalOidcIssuer('https://login.example', 'app-api');
  short.device.options.expiresIn = 1;
  const url = await short.listen(0);
  try {
    const a = (await (await fetch(`${url}/device_authorization`, { method: 'POST', headers: FORM, body: 'client_id=cli' })).json()) as { device_code: string };
    await wait(1.1);
    const r = await fetch(`${url}/oauth/token`, { method: 'POST', headers: FORM, body: new URLSearchParams({ grant_type: GRANT, device_code: a.device_code, client_id: 'cli' }).toString() });
    expect(await r.json()).toMatchObject({ error: 'expired_token' });
  } finally {
    await short.close();
  }
});

it('refresh_token gives a new access token for the same person; unknown grants are refused', async () => {
  const a = await authorize();
  await post('/device', { user_code: a.user_code, identity: 'writer', action: 'approve' });
  await wait(a.interval);
  const first = (await poll(a.device_code)).body;
  const again = await post('/oauth/token', { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: 'cli' });
  expect(again.status).toBe(200);
  expect(again.body.access_token).not.toBe(first.access_token);
  expect(claimsOf(again.body.access_token)).toMatchObject({ sub: 'w1' });
  expect((await post('/oauth/token', { grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'cli' })).body).toMatchObject({ error: 'invalid_grant' });
  expect((await post('/oauth/token', { grant_type: 'password', client_id: 'cli' })).body).toMatchObject({ error: 'unsupported_grant_type' });
});

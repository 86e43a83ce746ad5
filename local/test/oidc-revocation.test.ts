// The dev issuer's token revocation, held to RFC 7009: the endpoint in discovery, a revoked refresh
// token (and every refresh token of the same login) then refused by the refresh grant with
// invalid_grant, 200 for a token that is unknown or already revoked (section 2.2), the client's
// own tokens only (section 2.1), and unsupported_token_type for an access token (section 2.2.1).
import { LocalOidcIssuer } from '../oidc';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
let issuer: LocalOidcIssuer;

const post = async (path: string, fields: Record<string, string>) => {
  const res = await fetch(`${issuer.url}${path}`, { method: 'POST', headers: FORM, body: new URLSearchParams(fields).toString() });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
};
const refreshWith = (token: string, clientId = 'cli') => post('/oauth/token', { grant_type: 'refresh_token', refresh_token: token, client_id: clientId });
const revoke = (fields: Record<string, string>) => post('/oauth/revoke', fields);

/** A login through the device grant, approved as the writer: its tokens. */
async function login(clientId = 'cli'): Promise<{ access_token: string; refresh_token: string }> {
  const a = (await post('/device_authorization', { client_id: clientId })).body as { device_code: string; user_code: string };
  await post('/device', { user_code: a.user_code, identity: 'writer', action: 'approve' });
  return (await post('/oauth/token', { grant_type: GRANT, device_code: a.device_code, client_id: clientId })).body;
}

beforeAll(async () => {
  issuer = new LocalOidcIssuer('https://login.example', 'app-api');
  issuer.device.identities = { writer: { sub: 'w1', groups: ['writers'] } };
  // the first poll comes at once: no interval to wait for in these tests
  issuer.device.options.interval = 0;
  await issuer.listen(0);
});
afterAll(() => issuer.close());

it('discovery names the revocation endpoint, for public clients (no client authentication)', async () => {
  const d = await (await fetch(`${issuer.url}/.well-known/openid-configuration`)).json();
  expect(d).toMatchObject({ revocation_endpoint: `${issuer.url}/oauth/revoke`, revocation_endpoint_auth_methods_supported: ['none'] });
});

it('a revoked refresh token no longer refreshes (invalid_grant), nor does any other of the same login; other logins keep theirs', async () => {
  const first = await login();
  const other = await login();
  // a refresh gives a new refresh token of the same login; the first stays usable until revoked
  const second = (await refreshWith(first.refresh_token)).body as { refresh_token: string };
  expect(second.refresh_token).not.toBe(first.refresh_token);

  const r = await revoke({ token: second.refresh_token, token_type_hint: 'refresh_token', client_id: 'cli' });
  expect(r).toMatchObject({ status: 200, body: '' });
  expect(r.headers.get('cache-control')).toBe('no-store');

  for (const t of [second.refresh_token, first.refresh_token]) expect(await refreshWith(t)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect((await refreshWith(other.refresh_token)).status).toBe(200);
});

it('answers 200 for a token it does not know or has revoked already (section 2.2), and without a hint', async () => {
  const t = await login();
  expect((await revoke({ token: t.refresh_token, client_id: 'cli' })).status).toBe(200);
  expect((await revoke({ token: t.refresh_token, client_id: 'cli' })).status).toBe(200);
  expect((await revoke({ token: 'never-issued', token_type_hint: 'refresh_token', client_id: 'cli' })).status).toBe(200);
});

it("refuses another client's token, a request without the token or the client, and access tokens (JWTs until they expire)", async () => {
  const t = await login();
  expect(await revoke({ token: t.refresh_token, client_id: 'someone-else' })).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
  expect((await refreshWith(t.refresh_token)).status).toBe(200); // still valid
  expect(await revoke({ client_id: 'cli' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  expect(await revoke({ token: t.refresh_token })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  expect(await revoke({ token: t.access_token, token_type_hint: 'access_token', client_id: 'cli' })).toMatchObject({ status: 400, body: { error: 'unsupported_token_type' } });
});

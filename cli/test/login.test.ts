// Login through the device authorization grant of a real dev issuer (local/oidc.ts, in-process),
// against a small API that verifies the token's signature with the issuer's keys; the credentials
// file (mode 0600, in XDG_CONFIG_HOME/kairr); refresh of an expired login; the issuer and client
// from the API's GET /v1/auth/config when no --issuer is given; logout, which revokes the refresh
// token at the issuer (RFC 7009) so that it no longer refreshes.
import { createPublicKey, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalOidcIssuer } from '../../local/oidc';
import { platformApi } from '../../lambdas/platform/api';
import { nodeHttp } from '../src/transport';
import { kairr, tempConfigHome } from './harness';

let issuer: LocalOidcIssuer;
let api: Server;
let apiUrl: string;

/** What the API's GET /v1/auth/config answers: the dev issuer, as the local runtime points it there (held to the route's schema). */
function signInConfig() {
  const body = {
    stage: 'test',
    defaultIssuer: 'local',
    issuers: [
      { id: 'federation', issuer: 'https://federation.kairr.local', discoveryUrl: 'http://127.0.0.1:1/.well-known/openid-configuration', clients: {} },
      { id: 'local', issuer: 'https://oidc.kairr.local', discoveryUrl: `${issuer.url}/.well-known/openid-configuration`, clients: { cli: 'kairr-cli-from-api', portal: 'kairr-portal' } },
    ],
  };
  expect(platformApi.signIn.responses[200].schema.safeParse(body).success).toBe(true);
  return body;
}

/** GET /v1/me answers for a token the issuer signed, 401 otherwise. */
function startApi(): Promise<string> {
  api = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/auth/config' && !req.headers.authorization) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(signInConfig()));
      return;
    }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const [h, p, sig] = token.split('.');
    const key = createPublicKey({ key: issuer.jwks().keys[0] as never, format: 'jwk' });
    const ok = Boolean(sig) && verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url'));
    const claims = ok ? (JSON.parse(Buffer.from(p, 'base64url').toString()) as { sub: string; groups: string[]; exp: number }) : undefined;
    if (!claims || claims.exp * 1000 < Date.now() || req.url !== '/v1/me') {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unauthorized', message: 'No valid bearer token', details: [] } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: claims.sub, roles: claims.groups, siteIds: [], affiliation: {} }));
  });
  return new Promise((r) => api.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(api.address() as { port: number }).port}`)));
}

beforeAll(async () => {
  issuer = new LocalOidcIssuer('https://oidc.kairr.local', 'kairr-api');
  issuer.device.identities = { researcher: { sub: 'dev-researcher', groups: ['researcher'] } };
  await issuer.listen(0);
  apiUrl = await startApi();
});

afterAll(async () => {
  await issuer.close();
  api.close();
});

/** Answers the login prompt at the verification page, as the person would. */
function approver(form: Record<string, string>) {
  let done = false;
  let buffered = '';
  return (s: string) => {
    buffered += s;
    const code = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(buffered)?.[1];
    if (!code || done) return;
    done = true;
    void fetch(`${issuer.url}/device`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user_code: code, ...form }).toString() });
  };
}

describe('kairr auth login (device authorization grant)', () => {
  const home = tempConfigHome();
  const env = { XDG_CONFIG_HOME: home };
  const file = join(home, 'kairr', 'credentials.json');

  it('logs in through the verification page and keeps the token in a 0600 file', async () => {
    const r = await kairr(['auth', 'login', '--issuer', issuer.url, '--api', apiUrl], { env, fetch: nodeHttp, realSleep: true, onErr: approver({ identity: 'researcher', action: 'approve' }) });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(new RegExp(`To log in, open ${issuer.url}/device and enter the code [A-Z]{4}-[A-Z]{4}`));
    expect(r.err).toMatch(/Logged in to .* as dev-researcher \(researcher\); profile "default"/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'kairr')).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(file, 'utf8')).profiles.default;
    expect(saved).toMatchObject({ api: apiUrl, method: 'device', sub: 'dev-researcher', clientId: 'kairr-cli', tokenEndpoint: `${issuer.url}/oauth/token`, refreshToken: expect.any(String) });
  });

  it('later commands use the stored login and API', async () => {
    const who = await kairr(['whoami', '--json'], { env, fetch: nodeHttp });
    expect(who.code).toBe(0);
    expect(JSON.parse(who.out)).toMatchObject({ sub: 'dev-researcher', roles: ['researcher'] });
    const status = await kairr(['auth', 'status', '--json'], { env, fetch: nodeHttp });
    expect(JSON.parse(status.out)).toMatchObject({ profile: 'default', api: apiUrl, method: 'device', accepted: true, refreshable: true });
    expect(status.out).not.toMatch(/eyJ/); // never the token itself
  });

  it('refreshes an expired login with the refresh token, and keeps the new token', async () => {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    const before = data.profiles.default.accessToken;
    data.profiles.default.expiresAt = new Date(Date.now() - 1000).toISOString();
    writeFileSync(file, JSON.stringify(data));
    const who = await kairr(['whoami', '--query', 'sub'], { env, fetch: nodeHttp });
    expect(who).toMatchObject({ code: 0, out: 'dev-researcher\n' });
    const after = JSON.parse(readFileSync(file, 'utf8')).profiles.default;
    expect(after.accessToken).not.toBe(before);
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('logout revokes the refresh token at the issuer, which then refuses it (invalid_grant), and forgets the login', async () => {
    const { refreshToken, tokenEndpoint } = JSON.parse(readFileSync(file, 'utf8')).profiles.default;
    const out = await kairr(['auth', 'logout'], { env, fetch: nodeHttp });
    expect(out).toMatchObject({ code: 0, out: '', err: 'Logged out of profile "default"; the issuer revoked its refresh token\n' });
    const again = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'kairr-cli' }).toString(),
    });
    expect({ status: again.status, body: await again.json() }).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(() => statSync(file)).toThrow(/ENOENT/);
  });

  it('after logout, commands say how to log in', async () => {
    const who = await kairr(['whoami'], { env, fetch: nodeHttp });
    expect(who.code).toBe(1);
    expect(who.err).toMatch(/no API: pass --api URL/);
    const again = await kairr(['whoami', '--api', apiUrl], { env, fetch: nodeHttp });
    expect(again.err).toMatch(/not logged in \(profile "default"\): run kairr auth login, or set KAIRR_TOKEN/);
  });

  it('a denied login exits 1 and stores nothing', async () => {
    const other = tempConfigHome();
    const r = await kairr(['auth', 'login', '--issuer', issuer.url, '--api', apiUrl, '--profile', 'stage-b'], { env: { XDG_CONFIG_HOME: other }, fetch: nodeHttp, realSleep: true, onErr: approver({ action: 'deny' }) });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error: the login was denied at the issuer/);
    expect(() => statSync(join(other, 'kairr', 'credentials.json'))).toThrow(/ENOENT/);
  });

  it('--with-token stores a given token under its profile, the API having accepted it', async () => {
    const other = tempConfigHome();
    const token = issuer.mint({ sub: 'ci-bot', groups: ['researcher'] });
    const r = await kairr(['auth', 'login', '--with-token', '--api', apiUrl, '--profile', 'ci'], { env: { XDG_CONFIG_HOME: other }, fetch: nodeHttp, stdin: token });
    expect(r.code).toBe(0);
    const who = await kairr(['whoami', '--query', 'sub'], { env: { XDG_CONFIG_HOME: other, KAIRR_PROFILE: 'ci' }, fetch: nodeHttp });
    expect(who.out).toBe('ci-bot\n');
  });
});

describe('kairr auth login --api URL (the issuer from the API)', () => {
  const loginWith = (args: string[], home = tempConfigHome(), fetchImpl = nodeHttp) =>
    kairr(['auth', 'login', '--api', apiUrl, ...args], { env: { XDG_CONFIG_HOME: home }, fetch: fetchImpl, realSleep: true, onErr: approver({ identity: 'researcher', action: 'approve' }) });
  const saved = (home: string) => JSON.parse(readFileSync(join(home, 'kairr', 'credentials.json'), 'utf8')).profiles.default;

  it("logs in with only --api: the API's default issuer with a CLI client, as that client", async () => {
    const home = tempConfigHome();
    const r = await loginWith([], home);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(new RegExp(`To log in, open ${issuer.url}/device and enter the code`));
    expect(saved(home)).toMatchObject({ api: apiUrl, method: 'device', issuer: issuer.url, clientId: 'kairr-cli-from-api', sub: 'dev-researcher', tokenEndpoint: `${issuer.url}/oauth/token` });
  });

  it("--client-id given wins over the API's; --issuer may name an issuer by its id in the API's list", async () => {
    const home = tempConfigHome();
    expect((await loginWith(['--issuer', 'local', '--client-id', 'mine'], home)).code).toBe(0);
    expect(saved(home)).toMatchObject({ issuer: issuer.url, clientId: 'mine' });
    const unknown = await loginWith(['--issuer', 'nope']);
    expect(unknown).toMatchObject({ code: 2, err: 'error: the API knows no issuer "nope" (it has federation, local): pass one of those ids, or an issuer\'s URL\n' });
  });

  it('an API without the route says to pass --issuer', async () => {
    const old = async (url: string, init?: Parameters<typeof nodeHttp>[1]) =>
      url.endsWith('/v1/auth/config') ? { status: 404, ok: false, statusText: 'Not Found', text: async () => JSON.stringify({ error: { code: 'not_found', message: 'No such route', details: [] } }) } : nodeHttp(url, init);
    const r = await loginWith([], tempConfigHome(), old);
    expect(r).toMatchObject({ code: 1, err: `error: the API at ${apiUrl} does not say how to sign in (not_found, HTTP 404): pass --issuer URL (or set KAIRR_ISSUER)\n` });
  });
});

describe('kairr auth logout when the issuer cannot revoke', () => {
  /** A stored login whose issuer is `issuerAt`. */
  function loggedIn(issuerAt: string): string {
    const home = tempConfigHome();
    mkdirSync(join(home, 'kairr'), { mode: 0o700 });
    const profile = { api: apiUrl, method: 'device', accessToken: 'a', refreshToken: 'r', tokenEndpoint: `${issuerAt}/oauth/token`, clientId: 'kairr-cli', issuer: issuerAt, loggedInAt: new Date().toISOString() };
    writeFileSync(join(home, 'kairr', 'credentials.json'), JSON.stringify({ version: 1, profiles: { default: profile } }), { mode: 0o600 });
    return home;
  }

  it('still forgets the login, says so on stderr, and exits 0; --json says why on stdout', async () => {
    // an issuer whose discovery document has no revocation_endpoint
    const noRevocation = async (url: string, init?: Parameters<typeof nodeHttp>[1]) => {
      if (!url.endsWith('/.well-known/openid-configuration')) return nodeHttp(url, init);
      const d = JSON.parse(await (await nodeHttp(url)).text());
      delete d.revocation_endpoint;
      return { status: 200, ok: true, statusText: 'OK', text: async () => JSON.stringify(d) };
    };
    const home = loggedIn(issuer.url);
    const r = await kairr(['auth', 'logout', '--json'], { env: { XDG_CONFIG_HOME: home }, fetch: noRevocation });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ profile: 'default', loggedOut: true, revoked: false, reason: 'the issuer https://oidc.kairr.local offers no revocation endpoint' });
    expect(r.err).toBe('warning: the refresh token was not revoked (the issuer https://oidc.kairr.local offers no revocation endpoint); it stays valid at the issuer until it expires\nLogged out of profile "default"\n');
    expect(() => statSync(join(home, 'kairr', 'credentials.json'))).toThrow(/ENOENT/);
  });

  it('an issuer that cannot be reached, or refuses: the same, with its reason', async () => {
    const unreachable = await kairr(['auth', 'logout', '--json'], { env: { XDG_CONFIG_HOME: loggedIn('http://127.0.0.1:1') }, fetch: nodeHttp });
    expect(unreachable.code).toBe(0);
    expect(JSON.parse(unreachable.out)).toMatchObject({ loggedOut: true, revoked: false, reason: expect.stringMatching(/^cannot reach http:\/\/127\.0\.0\.1:1\/\.well-known\/openid-configuration \(ECONNREFUSED\)$/) });
    // the dev issuer refuses a token another client holds
    const home = loggedIn(issuer.url);
    const creds = join(home, 'kairr', 'credentials.json');
    const login = await kairr(['auth', 'login', '--issuer', issuer.url, '--api', apiUrl, '--client-id', 'other-client'], {
      env: { XDG_CONFIG_HOME: home },
      fetch: nodeHttp,
      realSleep: true,
      onErr: approver({ identity: 'researcher', action: 'approve' }),
    });
    expect(login.code).toBe(0);
    const data = JSON.parse(readFileSync(creds, 'utf8'));
    data.profiles.default.clientId = 'kairr-cli';
    writeFileSync(creds, JSON.stringify(data));
    const refused = await kairr(['auth', 'logout'], { env: { XDG_CONFIG_HOME: home }, fetch: nodeHttp });
    expect(refused).toMatchObject({ code: 0, out: '' });
    expect(refused.err).toMatch(
      /^warning: the refresh token was not revoked \(the issuer refused to revoke it: unauthorized_client: the token was not issued to this client, HTTP 400\); it stays valid at the issuer until it expires\nLogged out of profile "default"\n$/,
    );
  });

  it('a login given as a token (no refresh token) just forgets it', async () => {
    const home = tempConfigHome();
    await kairr(['auth', 'login', '--with-token', '--api', apiUrl], { env: { XDG_CONFIG_HOME: home }, fetch: nodeHttp, stdin: issuer.mint({ sub: 'ci-bot', groups: [] }) });
    const r = await kairr(['auth', 'logout', '--json'], { env: { XDG_CONFIG_HOME: home }, fetch: nodeHttp });
    expect(r).toMatchObject({ code: 0, err: 'Logged out of profile "default"\n' });
    expect(JSON.parse(r.out)).toEqual({ profile: 'default', loggedOut: true, revoked: false });
  });
});

describe('the credentials file', () => {
  it('is refused, naming the field, when edited into something else', async () => {
    const home = tempConfigHome();
    mkdirSync(join(home, 'kairr'));
    writeFileSync(join(home, 'kairr', 'credentials.json'), JSON.stringify({ version: 1, profiles: { default: { api: 'http://x', method: 'magic' } } }));
    const r = await kairr(['whoami'], { env: { XDG_CONFIG_HOME: home } });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/credentials.json: profiles.default.method: .*remove it and log in again/);
  });

  it('KAIRR_TOKEN wins over any stored login (scripts and CI)', async () => {
    const token = issuer.mint({ sub: 'from-env', groups: [] });
    const r = await kairr(['whoami', '--api', apiUrl, '--query', 'sub'], { env: { KAIRR_TOKEN: token }, fetch: nodeHttp });
    expect(r.out).toBe('from-env\n');
  });
});

// Login through the device authorization grant of a real dev issuer (local/oidc.ts, in-process),
// against a small API that verifies the token's signature with the issuer's keys; the credentials
// file (mode 0600, in XDG_CONFIG_HOME/kairr); refresh of an expired login; logout.
import { createPublicKey, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalOidcIssuer } from '../../local/oidc';
import { nodeHttp } from '../src/transport';
import { kairr, tempConfigHome } from './harness';

let issuer: LocalOidcIssuer;
let api: Server;
let apiUrl: string;

/** GET /v1/me answers for a token the issuer signed, 401 otherwise. */
function startApi(): Promise<string> {
  api = createServer((req, res) => {
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

  it('logout forgets the login; then commands say how to log in', async () => {
    expect((await kairr(['auth', 'logout'], { env })).err).toBe('Logged out of profile "default"\n');
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

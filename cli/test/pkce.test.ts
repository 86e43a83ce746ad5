// Authorization code with PKCE on a loopback redirect, for an issuer without the device grant: a
// small authorization server here redirects the "browser" back with a code, and its token endpoint
// gives tokens only for the verifier whose S256 hash was the challenge and the same redirect_uri.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { pkcePair } from '../src/auth/pkce';
import { kairr, tempConfigHome } from './harness';

let server: Server;
let base: string;
const issued = new Map<string, { challenge: string; redirectUri: string; clientId: string }>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (u.pathname === '/.well-known/openid-configuration') {
      json(200, { issuer: 'https://login.example', authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token` });
      return;
    }
    if (u.pathname === '/authorize') {
      const q = u.searchParams;
      if (q.get('code_challenge_method') !== 'S256' || q.get('response_type') !== 'code') {
        json(400, { error: 'invalid_request' });
        return;
      }
      const code = `code-${issued.size}`;
      issued.set(code, { challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')!, clientId: q.get('client_id')! });
      res.writeHead(302, { location: `${q.get('redirect_uri')}?code=${code}&state=${encodeURIComponent(q.get('state')!)}` }).end();
      return;
    }
    if (u.pathname === '/token') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const f = new URLSearchParams(body);
        const grant = issued.get(f.get('code') ?? '');
        const hash = createHash('sha256')
          .update(f.get('code_verifier') ?? '')
          .digest('base64url');
        if (!grant || grant.challenge !== hash || grant.redirectUri !== f.get('redirect_uri') || grant.clientId !== f.get('client_id')) {
          json(400, { error: 'invalid_grant' });
          return;
        }
        issued.delete(f.get('code')!);
        json(200, { access_token: 'pkce-token', token_type: 'Bearer', expires_in: 600 });
      });
      return;
    }
    if (u.pathname === '/v1/me') {
      if (req.headers.authorization === 'Bearer pkce-token') json(200, { sub: 'p1', roles: ['researcher'], siteIds: [] });
      else json(401, { error: { code: 'unauthorized', message: 'No valid bearer token', details: [] } });
      return;
    }
    json(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => server.close());

it('the challenge is the S256 hash of the verifier, each login a new pair', () => {
  const a = pkcePair();
  expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(a.challenge).toBe(createHash('sha256').update(a.verifier).digest('base64url'));
  expect(pkcePair().verifier).not.toBe(a.verifier);
});

it('logs in through the loopback redirect when the issuer has no device grant', async () => {
  let opened = false;
  const r = await kairr(['auth', 'login', '--issuer', base, '--api', base], {
    env: { XDG_CONFIG_HOME: tempConfigHome() },
    fetch,
    onErr: (s) => {
      const url = /open this address in a browser on this machine:\n {2}(\S+)/.exec(s)?.[1];
      if (!url || opened) return;
      opened = true;
      void fetch(url); // the browser: follows the redirect to the CLI's loopback listener
    },
  });
  expect(r.err).toMatch(/redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fcallback/);
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/Logged in to .* as p1 \(researcher\)/);
});

it('a redirect with another state is not taken as this login', async () => {
  let sent = false;
  const r = await kairr(['auth', 'login', '--issuer', base, '--api', base], {
    env: { XDG_CONFIG_HOME: tempConfigHome() },
    fetch,
    onErr: (s) => {
      const url = /open this address in a browser on this machine:\n {2}(\S+)/.exec(s)?.[1];
      if (!url || sent) return;
      sent = true;
      const redirect = new URL(url).searchParams.get('redirect_uri')!;
      void fetch(`${redirect}?code=code-x&state=forged`);
    },
  });
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/the redirect carried the wrong state/);
});

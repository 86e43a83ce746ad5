// Authorization code with PKCE (RFC 7636) on a loopback redirect (RFC 8252 section 7.3): for issuers
// without the device grant (Cognito, for one). Listens on 127.0.0.1 on a port the system picks,
// sends the person to the authorization endpoint, takes the code on the redirect (checking `state`),
// and trades it with the verifier for tokens. Nothing is sent to the browser but a short page.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { CliError } from '../errors';
import { nodeHttp, type Http } from '../transport';
import { type Discovery, type TokenResponse, tokenRequest } from './oidc';
import { msg } from '../i18n';

export interface PkceLoginOptions {
  clientId: string;
  scope?: string;
  /** Tells the person which address to open (to stderr). */
  prompt: (url: string) => void;
  timeoutMs?: number;
  fetchImpl?: Http;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function pkceLogin(d: Discovery, opts: PkceLoginOptions): Promise<TokenResponse> {
  if (!d.authorization_endpoint || !d.token_endpoint) throw new CliError(msg('noAuthorizationEndpoint', { issuer: d.issuer }));
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString('base64url');
  let settle: (r: { code?: string; error?: string }) => void = () => undefined;
  const result = new Promise<{ code?: string; error?: string }>((r) => (settle = r));
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const ok = u.searchParams.get('state') === state && u.searchParams.get('code');
    res.writeHead(ok ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(ok ? 'Logged in to KAIRR: you may close this window.\n' : 'The login did not complete: go back to the terminal.\n');
    if (u.searchParams.get('state') !== state) settle({ error: 'the redirect carried the wrong state (not this login)' });
    else settle({ code: u.searchParams.get('code') ?? undefined, error: u.searchParams.get('error') ?? undefined });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const redirectUri = `http://127.0.0.1:${(server.address() as { port: number }).port}/callback`;
  const url = new URL(d.authorization_endpoint);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: opts.clientId, redirect_uri: redirectUri, scope: opts.scope ?? 'openid', state, code_challenge: challenge, code_challenge_method: 'S256' }))
    url.searchParams.set(k, v);
  opts.prompt(url.toString());
  const timer = setTimeout(() => settle({ error: 'no redirect came back in time' }), opts.timeoutMs ?? 300_000);
  try {
    const r = await result;
    if (!r.code) throw new CliError(msg('loginIncomplete', { reason: r.error ?? 'no code' }));
    const t = await tokenRequest(opts.fetchImpl ?? nodeHttp, d.token_endpoint, { grant_type: 'authorization_code', code: r.code, redirect_uri: redirectUri, client_id: opts.clientId, code_verifier: verifier });
    if ('error' in t) throw new CliError(msg('codeRefused', { reason: `${t.error}${t.description ? ` (${t.description})` : ''}` }));
    return t;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  }
}

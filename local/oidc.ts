// A local OIDC issuer for development and tests: an RSA key, its JWKS, a discovery document, and
// dev tokens (RS256) for each role. The authorizer verifies these exactly as it verifies tokens of
// the real issuer; locally only the address it fetches the keys from is pointed here.
import { createServer, type Server } from 'node:http';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '../lambdas/shared/http/spec';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export interface TokenClaims {
  sub: string;
  groups: string[];
  preferred_username?: string;
  email?: string;
  name?: string;
  /** Seconds from now; negative makes an expired token (for tests). */
  expiresIn?: number;
  [k: string]: unknown;
}

/** The dev identities `npm start` prints tokens for: one per role. */
export const DEV_IDENTITIES: Record<Role, TokenClaims> = {
  researcher: { sub: 'dev-researcher', groups: ['researcher'], preferred_username: 'alice', name: 'Dev Researcher', email: 'researcher@kairr.local' },
  reviewer: { sub: 'dev-reviewer', groups: ['reviewer'], preferred_username: 'reviewer', name: 'Dev Reviewer', email: 'reviewer@kairr.local' },
  chair: { sub: 'dev-chair', groups: ['chair'], preferred_username: 'chair', name: 'Dev Chair', email: 'chair@kairr.local' },
  'site-operator': { sub: 'dev-site-operator', groups: ['site-operator:spc', 'site-operator:kisti6'], preferred_username: 'operator', name: 'Dev Site Operator', email: 'operator@kairr.local' },
  auditor: { sub: 'dev-auditor', groups: ['auditor'], preferred_username: 'auditor', name: 'Dev Auditor', email: 'auditor@kairr.local' },
  admin: { sub: 'dev-admin', groups: ['admin'], preferred_username: 'admin', name: 'Dev Admin', email: 'admin@kairr.local' },
  // ---- datahub ----
  curator: { sub: 'dev-curator', groups: ['curator'], preferred_username: 'curator', name: 'Dev Curator', email: 'curator@kairr.local' },
  // ---- end datahub ----
};

export class LocalOidcIssuer {
  private server?: Server;
  private privateKey: KeyObject;
  private kid: string;
  url = '';

  constructor(
    readonly issuer: string,
    readonly audience: string,
    stateDir?: string,
  ) {
    const keyFile = stateDir ? join(stateDir, 'oidc-signing-key.pem') : undefined;
    if (keyFile && existsSync(keyFile)) this.privateKey = createPrivateKey(readFileSync(keyFile));
    else {
      this.privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      if (keyFile) {
        mkdirSync(stateDir!, { recursive: true });
        writeFileSync(keyFile, this.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      }
    }
    const jwk = createPublicKey(this.privateKey).export({ format: 'jwk' });
    this.kid = b64url(Buffer.from(String(jwk.n)).subarray(0, 12));
  }

  jwks() {
    const jwk = createPublicKey(this.privateKey).export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' }] };
  }

  mint(claims: TokenClaims): string {
    const now = Math.floor(Date.now() / 1000);
    const { expiresIn = 12 * 3600, ...rest } = claims;
    const header = { alg: 'RS256', typ: 'JWT', kid: this.kid };
    const payload = { iss: this.issuer, aud: this.audience, iat: now - 5, nbf: now - 5, exp: now + expiresIn, jti: randomUUID(), ...rest };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    return `${input}.${b64url(sign('RSA-SHA256', Buffer.from(input), this.privateKey))}`;
  }

  devTokens(): Record<Role, string> {
    return Object.fromEntries(Object.entries(DEV_IDENTITIES).map(([role, c]) => [role, this.mint(c)])) as Record<Role, string>;
  }

  /**
   * Serves /.well-known/openid-configuration and /jwks.json, plus POST /token (a dev-only mint:
   * body = TokenClaims) so test suites can act as any identity. Never deploy this.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === '/.well-known/openid-configuration') return send(200, { issuer: this.issuer, jwks_uri: `${this.url}/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] });
      if (req.method === 'GET' && req.url === '/jwks.json') return send(200, this.jwks());
      if (req.method === 'POST' && req.url === '/token') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          try {
            const claims = JSON.parse(body) as TokenClaims;
            if (typeof claims.sub !== 'string' || !Array.isArray(claims.groups)) return send(400, { error: 'sub (string) and groups (array) are required' });
            send(200, { token: this.mint(claims) });
          } catch {
            send(400, { error: 'invalid JSON' });
          }
        });
        return;
      }
      send(404, { error: 'not found' });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    this.url = `http://${host}:${(this.server.address() as { port: number }).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

// A local OIDC issuer for development and tests: an RSA key, its JWKS, a discovery document, and
// dev tokens (RS256) for the identities an app names. An app's authorizer verifies these exactly
// as it verifies tokens of the real issuer; locally only the address it fetches the keys from is
// pointed here. Which identities exist (KAIRR's: local/dev-identities.ts) is the app's business.
import { createServer, type Server } from 'node:http';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceGrant } from './oidc-device';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export interface TokenClaims {
  sub: string;
  groups?: string[];
  preferred_username?: string;
  email?: string;
  name?: string;
  /** Seconds from now; negative makes an expired token, null one without `exp` (for tests). */
  expiresIn?: number | null;
  [k: string]: unknown;
}

export class LocalOidcIssuer {
  private server?: Server;
  private privateKey: KeyObject;
  private kid: string;
  url = '';
  /** The device authorization grant (RFC 8628) at /device_authorization, /device and /oauth/token, and revocation (RFC 7009) at /oauth/revoke; offered in discovery. */
  readonly device = new DeviceGrant(
    () => this.url,
    (claims) => this.mint(claims),
  );

  constructor(
    readonly issuer: string,
    readonly audience: string,
    stateDir?: string,
    keyFileName = 'oidc-signing-key.pem',
  ) {
    const keyFile = stateDir ? join(stateDir, keyFileName) : undefined;
    if (keyFile && existsSync(keyFile)) this.privateKey = createPrivateKey(readFileSync(keyFile));
    else {
      this.privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      if (keyFile) {
        mkdirSync(stateDir!, { recursive: true });
        writeFileSync(keyFile, this.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      }
    }
    this.kid = LocalOidcIssuer.kidOf(this.privateKey);
  }

  private static kidOf(key: KeyObject): string {
    const jwk = createPublicKey(key).export({ format: 'jwk' });
    return b64url(Buffer.from(String(jwk.n)).subarray(0, 12));
  }

  /** The public key as PEM (tests use it to forge an HS256 token "signed" with it). */
  publicKeyPem(): string {
    return createPublicKey(this.privateKey).export({ type: 'spki', format: 'pem' }).toString();
  }

  /** Signs with a new key from now on and withdraws the old one from the JWKS (a revoked key). */
  rotateKey(): void {
    this.privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.kid = LocalOidcIssuer.kidOf(this.privateKey);
  }

  jwks() {
    const jwk = createPublicKey(this.privateKey).export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' }] };
  }

  mint(claims: TokenClaims): string {
    const now = Math.floor(Date.now() / 1000);
    const { expiresIn = 12 * 3600, ...rest } = claims;
    const header = { alg: 'RS256', typ: 'JWT', kid: this.kid };
    const payload = { iss: this.issuer, aud: this.audience, iat: now - 5, nbf: now - 5, ...(expiresIn === null ? {} : { exp: now + expiresIn }), jti: randomUUID(), ...rest };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    return `${input}.${b64url(sign('RSA-SHA256', Buffer.from(input), this.privateKey))}`;
  }

  /** A token for each named identity (e.g. one per role), by the same names. */
  devTokens<K extends string>(identities: Record<K, TokenClaims>): Record<K, string> {
    return Object.fromEntries(Object.entries<TokenClaims>(identities).map(([name, c]) => [name, this.mint(c)])) as Record<K, string>;
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
      if (req.method === 'GET' && req.url === '/.well-known/openid-configuration')
        return send(200, {
          issuer: this.issuer,
          jwks_uri: `${this.url}/jwks.json`,
          id_token_signing_alg_values_supported: ['RS256'],
          device_authorization_endpoint: `${this.url}/device_authorization`,
          token_endpoint: `${this.url}/oauth/token`,
          revocation_endpoint: `${this.url}/oauth/revoke`,
          revocation_endpoint_auth_methods_supported: ['none'],
          grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        });
      if (this.device.handle(req, res)) return;
      if (req.method === 'GET' && req.url === '/jwks.json') return send(200, this.jwks());
      if (req.method === 'POST' && req.url === '/token') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          try {
            const claims = JSON.parse(body) as TokenClaims;
            if (typeof claims.sub !== 'string' || (claims.groups !== undefined && !Array.isArray(claims.groups))) return send(400, { error: 'sub (a string) is required; groups, if given, must be an array' });
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

// ---- identity: several issuers (federation) ----
/** The trusted issuers as the authorizer's OIDC_ISSUERS lists them (only what the local issuers need). */
export interface IssuerEntry {
  id: string;
  issuerUrl: string;
  audience: string[];
  subjectPrefix: string;
  jwksUri?: string;
  [k: string]: unknown;
}

export interface LocalIssuers {
  /** In the order of the stage's issuers. */
  issuers: { entry: IssuerEntry; oidc: LocalOidcIssuer }[];
  /** The issuer dev tokens come from: the unprefixed one (the stage's own), else the first. */
  primary: LocalOidcIssuer;
  /** OIDC_ISSUERS with each issuer's jwksUri pointed at its local issuer. */
  rewritten: IssuerEntry[];
  close(): Promise<void>;
}

/**
 * One local issuer per trusted issuer of the stage, each with its own key (kept in stateDir), JWKS
 * and mint endpoint: the local runtime acts as a federation of several identity providers.
 */
export async function startLocalIssuers(entries: IssuerEntry[], stateDir?: string, host = '127.0.0.1'): Promise<LocalIssuers> {
  const primaryIndex = Math.max(
    0,
    entries.findIndex((e) => e.subjectPrefix === ''),
  );
  const issuers: LocalIssuers['issuers'] = [];
  try {
    for (const [n, entry] of entries.entries()) {
      // The primary keeps the key file it always had, so tokens printed before still verify.
      const oidc = new LocalOidcIssuer(entry.issuerUrl, entry.audience[0], stateDir, n === primaryIndex ? 'oidc-signing-key.pem' : `oidc-signing-key-${entry.id}.pem`);
      await oidc.listen(0, host);
      issuers.push({ entry, oidc });
    }
  } catch (e) {
    await Promise.all(issuers.map((i) => i.oidc.close()));
    throw e;
  }
  return {
    issuers,
    primary: issuers[primaryIndex].oidc,
    rewritten: issuers.map(({ entry, oidc }) => ({ ...entry, jwksUri: `${oidc.url}/jwks.json` })),
    close: async () => {
      await Promise.all(issuers.map((i) => i.oidc.close()));
    },
  };
}
// ---- end identity ----

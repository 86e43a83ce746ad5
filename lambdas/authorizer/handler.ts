// Lambda TOKEN authorizer: verifies an OIDC JWT from one of the stage's trusted issuers (signature
// against that issuer's JWKS, issuer, audience, expiry; a token without `exp` is refused) and hands
// the caller's KAIRR subject, roles and affiliation evidence to handlers through the request
// context. It does not depend on Cognito: any OIDC issuer works, so the same app deploys to
// LocalStack. It reads no table (no AWS SDK, a small bundle): KAIRR's own role assignments are
// merged in by the router (lambdas/shared/http/router.ts, lambdas/shared/identity/people.ts).
import type { APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult } from 'aws-lambda';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache, type JwkWithKid, type Jwks, type JwksCache } from 'aws-jwt-verify/jwk';
import type { Fetcher } from 'aws-jwt-verify/https';
import { rolesFromGroups, callerToContext } from '../shared/http/caller';
import { requireEnv, runtimeConfig } from '../shared/config';
import { logger } from '../shared/log';
import { claimAt, identityOf, type TrustedIssuer } from '../domain/identity/issuers';

export { claimAt };

const ISSUERS = JSON.parse(requireEnv('OIDC_ISSUERS')) as TrustedIssuer[];
const KNOWN_SITES = new Set(runtimeConfig().sites.map((s) => s.id));

/** JWKS over HTTPS, or plain HTTP to a loopback address (the local runtime's issuer). */
export function jwksUrlAllowed(uri: string): boolean {
  const u = new URL(uri);
  if (u.protocol === 'https:') return true;
  if (u.protocol === 'http:' && process.env.OIDC_ALLOW_HTTP_JWKS === 'true') return true; // LocalStack stage only
  return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]');
}

const fetcher: Fetcher = {
  async fetch(uri: string) {
    if (!jwksUrlAllowed(uri)) throw new Error(`Refusing to fetch keys over ${new URL(uri).protocol} from ${uri}`);
    const res = await fetch(uri, { signal: AbortSignal.timeout(3000), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`Fetching ${uri} failed with HTTP ${res.status}`);
    return res.arrayBuffer();
  },
};

/** The JWKS cache's clock (tests move it instead of waiting). */
export const jwksClock = { now: () => Date.now() };

/**
 * A JWKS cache that fetches each issuer's keys again once they are older than its TTL, so a key
 * the issuer withdrew stops verifying tokens within the TTL (aws-jwt-verify's own cache refetches
 * only on an unknown kid, and would trust a withdrawn key for as long as the function lives). A
 * failed refresh keeps the old keys for at most one more TTL, then refuses.
 */
export class TtlJwksCache implements JwksCache {
  private inner = new SimpleJwksCache({ fetcher });
  private fetchedAt = new Map<string, number>();
  constructor(private readonly ttlMsOf: (uri: string) => number) {}

  private age(uri: string): number {
    const at = this.fetchedAt.get(uri);
    return at === undefined ? Infinity : jwksClock.now() - at;
  }

  async getJwks(uri: string): Promise<Jwks> {
    const jwks = await this.inner.getJwks(uri);
    this.fetchedAt.set(uri, jwksClock.now());
    return jwks;
  }

  addJwks(uri: string, jwks: Jwks): void {
    this.inner.addJwks(uri, jwks);
    this.fetchedAt.set(uri, jwksClock.now());
  }

  getCachedJwk(uri: string, jwt: Parameters<JwksCache['getCachedJwk']>[1]): JwkWithKid {
    if (this.age(uri) > this.ttlMsOf(uri)) throw new Error(`The keys of ${uri} are older than their TTL`);
    return this.inner.getCachedJwk(uri, jwt);
  }

  async getJwk(uri: string, jwt: Parameters<JwksCache['getJwk']>[1]): Promise<JwkWithKid> {
    const ttl = this.ttlMsOf(uri);
    if (this.age(uri) > ttl) {
      try {
        await this.getJwks(uri);
      } catch (e) {
        if (this.age(uri) > 2 * ttl) throw e;
        logger.warn('refreshing the issuer keys failed; the cached keys are used for at most one more TTL', { uri, error: (e as Error).message });
      }
    }
    return this.inner.getJwk(uri, jwt);
  }
}

type Verifier = { verify(token: string): Promise<Record<string, unknown>> };
let verifierPromise: Promise<Verifier> | undefined;

async function jwksUriOf(i: TrustedIssuer): Promise<string> {
  if (i.jwksUri) return i.jwksUri;
  const discovery = `${i.issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const doc = JSON.parse(new TextDecoder().decode(await fetcher.fetch(discovery))) as { jwks_uri?: string };
  if (!doc.jwks_uri) throw new Error(`The discovery document of ${i.issuerUrl} has no jwks_uri`);
  return doc.jwks_uri;
}

function verifier(): Promise<Verifier> {
  verifierPromise ??= Promise.all(ISSUERS.map(jwksUriOf))
    .then((uris) => {
      const ttl = new Map(uris.map((u, n) => [u, ISSUERS[n].jwksTtlSeconds * 1000]));
      const cache = new TtlJwksCache((u) => ttl.get(u) ?? 600_000);
      const configs = ISSUERS.map((i, n) => ({ issuer: i.issuerUrl, audience: i.audience, jwksUri: uris[n] }));
      const v = JwtVerifier.create(configs, { jwksCache: cache });
      return { verify: (t: string) => (v.verify as (jwt: string) => Promise<unknown>)(t) as Promise<Record<string, unknown>> };
    })
    .catch((e) => {
      verifierPromise = undefined; // retry discovery on the next call
      throw e;
    });
  return verifierPromise;
}

// Turns arn:aws:execute-api:region:account:apiId/stage/METHOD/path into the same ARN with any
// method and any path, so that the decision cached for this token covers every route of the stage;
// handlers still check roles per route.
export function wildcardResource(methodArn: string): string {
  const [apiArn, stage] = methodArn.split('/');
  return `${apiArn}/${stage}/*/*`;
}

function refuse(reason: string): never {
  logger.info('token rejected', { reason });
  throw new Error('Unauthorized'); // API Gateway answers 401
}

export async function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(event.authorizationToken ?? '');
  if (!m) refuse('malformed');
  let payload: Record<string, unknown>;
  try {
    payload = await (await verifier()).verify(m[1]);
  } catch (e) {
    refuse((e as Error).name);
  }
  // aws-jwt-verify checks exp only when the token has one: a token that never expires is refused here.
  if (typeof payload.exp !== 'number') refuse('no exp');
  const issuer = ISSUERS.find((i) => i.issuerUrl === payload.iss);
  if (!issuer) refuse('unknown issuer');
  const who = identityOf(payload, issuer, (groups) => rolesFromGroups(groups, KNOWN_SITES));
  if ('refused' in who) refuse(who.refused);
  return {
    principalId: who.sub,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wildcardResource(event.methodArn) }] },
    context: callerToContext({ ...who, roles: who.roles as never }),
  };
}

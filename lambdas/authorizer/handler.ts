// Lambda TOKEN authorizer: verifies an OIDC JWT (signature against the issuer's JWKS, issuer,
// audience, expiry) and hands the caller's id and roles to handlers through the request context.
// It does not depend on Cognito: any OIDC issuer works, so the same app deploys to LocalStack.
import type { APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult } from 'aws-lambda';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { Fetcher } from 'aws-jwt-verify/https';
import { rolesFromGroups, callerToContext } from '../shared/http/caller';
import { requireEnv } from '../shared/config';
import { logger } from '../shared/log';

const ISSUER = requireEnv('OIDC_ISSUER');
const AUDIENCE = requireEnv('OIDC_AUDIENCE');
const GROUPS_CLAIM = process.env.OIDC_GROUPS_CLAIM || 'groups';

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

let verifierPromise: Promise<{ verify(token: string): Promise<Record<string, unknown>> }> | undefined;

async function jwksUri(): Promise<string> {
  if (process.env.OIDC_JWKS_URI) return process.env.OIDC_JWKS_URI;
  const discovery = `${ISSUER.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const doc = JSON.parse(new TextDecoder().decode(await fetcher.fetch(discovery))) as { jwks_uri?: string };
  if (!doc.jwks_uri) throw new Error(`The issuer's discovery document has no jwks_uri`);
  return doc.jwks_uri;
}

function verifier() {
  verifierPromise ??= jwksUri()
    .then((uri) => {
      const v = JwtVerifier.create({ issuer: ISSUER, audience: AUDIENCE, jwksUri: uri }, { jwksCache: new SimpleJwksCache({ fetcher }) });
      return { verify: (t: string) => v.verify(t) as unknown as Promise<Record<string, unknown>> };
    })
    .catch((e) => {
      verifierPromise = undefined; // retry discovery on the next call
      throw e;
    });
  return verifierPromise;
}

/** Reads a claim by name or dotted path (e.g. "realm_access.roles" for Keycloak). */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), payload);
}

// Turns arn:aws:execute-api:region:account:apiId/stage/METHOD/path into the same ARN with any
// method and any path, so that the decision cached for this token covers every route of the stage;
// handlers still check roles per route.
export function wildcardResource(methodArn: string): string {
  const [apiArn, stage] = methodArn.split('/');
  return `${apiArn}/${stage}/*/*`;
}

export async function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(event.authorizationToken ?? '');
  if (!m) throw new Error('Unauthorized'); // API Gateway answers 401
  let payload: Record<string, unknown>;
  try {
    payload = await (await verifier()).verify(m[1]);
  } catch (e) {
    logger.info('token rejected', { reason: (e as Error).name });
    throw new Error('Unauthorized');
  }
  const rawGroups = claimAt(payload, GROUPS_CLAIM);
  const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : typeof rawGroups === 'string' ? rawGroups.split(/[ ,]+/) : [];
  const { roles, siteIds } = rolesFromGroups(groups);
  const sub = String(payload.sub ?? '');
  if (!sub) throw new Error('Unauthorized');
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    principalId: sub,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wildcardResource(event.methodArn) }] },
    context: callerToContext({ sub, roles, siteIds, username: str(payload.preferred_username), email: str(payload.email), name: str(payload.name) }),
  };
}

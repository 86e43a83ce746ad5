// The OAuth side of `kairr auth login`: the issuer's discovery document, the device authorization
// grant (RFC 8628) where the issuer offers it, and refresh (RFC 6749 section 6). Every answer of the
// issuer is read through a schema. Authorization code with PKCE is in pkce.ts.
import * as z from 'zod/mini';
import { CliError } from '../errors';
import { nodeHttp, type Http, type HttpInit, type HttpResponse } from '../transport';
import { msg } from '../i18n';

export const DiscoverySchema = z.looseObject({
  issuer: z.string(),
  token_endpoint: z.optional(z.string()),
  device_authorization_endpoint: z.optional(z.string()),
  authorization_endpoint: z.optional(z.string()),
  /** RFC 7009 token revocation (auth/revoke.ts, at logout). */
  revocation_endpoint: z.optional(z.string()),
});
export type Discovery = z.infer<typeof DiscoverySchema>;

export const DeviceAuthorizationSchema = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.optional(z.string()),
  expires_in: z.number(),
  interval: z.optional(z.number()),
});
export type DeviceAuthorization = z.infer<typeof DeviceAuthorizationSchema>;

export const TokenResponseSchema = z.looseObject({
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.optional(z.number()),
  refresh_token: z.optional(z.string()),
  id_token: z.optional(z.string()),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

const OAuthError = z.looseObject({ error: z.string(), error_description: z.optional(z.string()) });

/** The discovery document at <base>/.well-known/openid-configuration (base: the issuer's address). */
export async function discover(base: string, fetchImpl: Http = nodeHttp): Promise<Discovery> {
  const url = `${base.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const body = await getJson(fetchImpl, url);
  const d = DiscoverySchema.safeParse(body);
  if (!d.success) throw new CliError(msg('notDiscovery', { url, field: d.error.issues[0].path.join('.'), reason: d.error.issues[0].message }));
  return d.data;
}

async function getJson(fetchImpl: Http, url: string, init?: HttpInit): Promise<unknown> {
  let res: HttpResponse;
  try {
    res = await fetchImpl(url, init);
  } catch (e) {
    throw new CliError(msg('unreachable', { url, reason: (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message }));
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(msg('notJsonAnswer', { url, status: res.status }));
  }
  if (!res.ok && init?.method !== 'POST') throw new CliError(msg('answered', { url, status: res.status }));
  return json;
}

const form = (fields: Record<string, string>): HttpInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: new URLSearchParams(fields).toString(),
});

/** A token request (device code, authorization code, refresh): the tokens, or the OAuth error code. */
export async function tokenRequest(fetchImpl: Http, endpoint: string, fields: Record<string, string>): Promise<TokenResponse | { error: string; description?: string }> {
  const body = await getJson(fetchImpl, endpoint, form(fields));
  const ok = TokenResponseSchema.safeParse(body);
  if (ok.success) return ok.data;
  const err = OAuthError.safeParse(body);
  if (err.success) return { error: err.data.error, description: err.data.error_description };
  throw new CliError(msg('neitherTokens', { url: endpoint }));
}

export interface DeviceLoginOptions {
  clientId: string;
  scope?: string;
  /** Tells the person where to go and what to type (to stderr). */
  prompt: (auth: DeviceAuthorization) => void;
  sleep?: (ms: number) => Promise<void>;
  fetchImpl?: Http;
  now?: () => number;
}

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * RFC 8628: ask for a device code, show the user code and the verification URI, then poll the token
 * endpoint at the interval the issuer gave (5 s when it gave none), slower by 5 s on each slow_down,
 * until the person approves or denies, or the code expires.
 */
export async function deviceLogin(d: Discovery, opts: DeviceLoginOptions): Promise<TokenResponse> {
  const fetchImpl = opts.fetchImpl ?? nodeHttp;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  if (!d.device_authorization_endpoint || !d.token_endpoint) throw new CliError(msg('noDeviceGrant', { issuer: d.issuer }));
  const body = await getJson(fetchImpl, d.device_authorization_endpoint, form({ client_id: opts.clientId, ...(opts.scope ? { scope: opts.scope } : {}) }));
  const parsed = DeviceAuthorizationSchema.safeParse(body);
  if (!parsed.success) {
    const err = OAuthError.safeParse(body);
    throw new CliError(msg('deviceCodeRefused', { reason: err.success ? `${err.data.error} ${err.data.error_description ?? ''}`.trim() : parsed.error.issues[0].message }));
  }
  const auth = parsed.data;
  opts.prompt(auth);
  let interval = (auth.interval ?? 5) * 1000;
  const deadline = now() + auth.expires_in * 1000;
  while (now() < deadline) {
    await sleep(interval);
    const r = await tokenRequest(fetchImpl, d.token_endpoint, { grant_type: DEVICE_GRANT, device_code: auth.device_code, client_id: opts.clientId });
    if (!('error' in r)) return r;
    if (r.error === 'authorization_pending') continue;
    if (r.error === 'slow_down') {
      interval += 5000;
      continue;
    }
    if (r.error === 'access_denied') throw new CliError(msg('loginDenied'));
    if (r.error === 'expired_token') break;
    throw new CliError(msg('loginRefused', { reason: `${r.error}${r.description ? ` (${r.description})` : ''}` }));
  }
  throw new CliError(msg('deviceCodeExpired'));
}

/** A new access token for a refresh token (RFC 6749 section 6). */
export async function refresh(tokenEndpoint: string, clientId: string, refreshToken: string, fetchImpl: Http = nodeHttp): Promise<TokenResponse> {
  const r = await tokenRequest(fetchImpl, tokenEndpoint, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
  if ('error' in r) throw new CliError(msg('refreshFailed', { reason: String(r.error) }));
  return r;
}

/** The `exp` of a JWT, as an ISO time, without verifying it (the API verifies; this is for display and refresh). */
export function jwtExpiry(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? new Date(exp * 1000).toISOString() : undefined;
  } catch {
    return undefined;
  }
}

// `kairr auth logout` revokes the login's refresh token at the issuer (RFC 7009) before it forgets
// the login: the revocation endpoint from the issuer's discovery document, the token with
// token_type_hint=refresh_token, and the public client's id (a public client has no secret).
// Cognito's is /oauth2/revoke, Keycloak's .../protocol/openid-connect/revoke, the local dev
// issuer's /oauth/revoke. Whether it worked or not, the login is forgotten: the caller says which.
import * as z from 'zod/mini';
import type { Profile } from '../config';
import { CliError, LocalisedError } from '../errors';
import { msg } from '../i18n';
import { nodeHttp, type Http, type HttpResponse } from '../transport';
import { discover } from './oidc';

const OAuthError = z.looseObject({ error: z.string(), error_description: z.optional(z.string()) });

/** Revokes one refresh token; throws a CliError saying why not. */
export async function revokeRefreshToken(endpoint: string, clientId: string, refreshToken: string, fetchImpl: Http = nodeHttp): Promise<void> {
  let res: HttpResponse;
  try {
    res = await fetchImpl(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: clientId }).toString(),
    });
  } catch (e) {
    throw new CliError(msg('unreachable', { url: endpoint, reason: (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message }));
  }
  // Section 2.2: 200 when revoked, and for a token the issuer no longer knows; the body is ignored.
  if (res.ok) return;
  const text = await res.text();
  let err: ReturnType<typeof OAuthError.safeParse> | undefined;
  try {
    err = OAuthError.safeParse(JSON.parse(text));
  } catch {
    err = undefined;
  }
  throw new CliError(msg('revocationRefused', { reason: err?.success ? `${err.data.error}${err.data.error_description ? `: ${err.data.error_description}` : ''}, HTTP ${res.status}` : `HTTP ${res.status}` }));
}

export interface Revocation {
  revoked: boolean;
  /** Why a refresh token was not revoked (none when there was none to revoke: a login --with-token). */
  problem?: LocalisedError;
}

/** Revokes the profile's refresh token at its issuer, if it has one; never throws. */
export async function revokeLogin(p: Profile, fetchImpl: Http = nodeHttp): Promise<Revocation> {
  if (!p.refreshToken) return { revoked: false };
  try {
    if (!p.issuer || !p.clientId) throw new CliError(msg('noRevocationEndpoint', { issuer: p.issuer ?? p.tokenEndpoint ?? '-' }));
    const d = await discover(p.issuer, fetchImpl);
    if (!d.revocation_endpoint) throw new CliError(msg('noRevocationEndpoint', { issuer: d.issuer }));
    await revokeRefreshToken(d.revocation_endpoint, p.clientId, p.refreshToken, fetchImpl);
    return { revoked: true };
  } catch (e) {
    return { revoked: false, problem: e instanceof LocalisedError ? e : new CliError(msg('revocationRefused', { reason: (e as Error).message })) };
  }
}

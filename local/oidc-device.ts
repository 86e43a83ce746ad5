// The dev issuer's OAuth device authorization grant (RFC 8628), so a command line can log in to
// the local runtime the way it logs in to an issuer that offers the grant: no special path.
//   POST /device_authorization  client_id (+ scope) → device_code, user_code, verification_uri(_complete), expires_in, interval
//   GET  /device[?user_code=]   the verification page: the code, and who to log in as (a named dev identity, or a sub and groups)
//   POST /device                user_code, action=approve|deny, identity=<name> or sub=…&groups=a,b (a form, as the page sends it)
//   POST /oauth/token           grant_type=urn:ietf:params:oauth:grant-type:device_code (authorization_pending, slow_down,
//                               access_denied, expired_token as section 3.5 says), and grant_type=refresh_token
//   POST /oauth/revoke          token (+ token_type_hint), client_id: revocation (RFC 7009) of a refresh token, and with it
//                               every refresh token of the same login (its refreshes), which then answer invalid_grant
// The person "authenticating" at the page is whoever they say they are: like POST /token, this is a
// dev issuer, never deployed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomInt } from 'node:crypto';

/** The claims of a token to mint (structurally oidc.ts's TokenClaims; not imported, so the two files form no cycle). */
export interface TokenClaims {
  sub: string;
  groups?: string[];
  expiresIn?: number | null;
  [k: string]: unknown;
}

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Section 6.1: a user code of consonants only (no vowels: no words), case-insensitive, grouped for reading. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

interface Pending {
  deviceCode: string;
  userCode: string;
  clientId: string;
  expiresAt: number;
  interval: number;
  lastPoll?: number;
  outcome?: { claims: TokenClaims } | 'denied';
}

export interface DeviceGrantOptions {
  /** Seconds a device code lives (default 600). */
  expiresIn?: number;
  /** Seconds a client must wait between polls (default 1: a local issuer need not slow anyone down). */
  interval?: number;
  /** Seconds an access token lives (default 3600). */
  tokenLifetime?: number;
}

export class DeviceGrant {
  private byDevice = new Map<string, Pending>();
  private byUser = new Map<string, Pending>();
  /** Each refresh token's person, client and login (`grant`: one per approval, shared by the refresh tokens its refreshes gave). */
  private refreshTokens = new Map<string, { claims: TokenClaims; clientId: string; grant: string }>();
  /** Named identities the verification page offers (the app's, e.g. one per role). */
  identities: Record<string, TokenClaims> = {};

  constructor(
    private readonly baseUrl: () => string,
    private readonly mint: (claims: TokenClaims) => string,
    /** Read at each request, so a test may shorten them. */
    readonly options: DeviceGrantOptions = {},
  ) {}

  /** Handles the request if it is one of the grant's endpoints; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://local');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /device') {
      html(res, 200, this.page(url.searchParams.get('user_code') ?? ''));
      return true;
    }
    if (!['POST /device_authorization', 'POST /device', 'POST /oauth/token', 'POST /oauth/revoke'].includes(route)) return false;
    readForm(req).then((form) => {
      if (route === 'POST /device_authorization') this.authorize(form, res);
      else if (route === 'POST /device') this.verify(form, res);
      else if (route === 'POST /oauth/revoke') this.revoke(form, res);
      else this.token(form, res);
    });
    return true;
  }

  private authorize(form: URLSearchParams, res: ServerResponse) {
    const clientId = form.get('client_id');
    if (!clientId) return oauthError(res, 400, 'invalid_request', 'client_id is required');
    const userCode = Array.from({ length: 8 }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]).join('');
    const p: Pending = { deviceCode: randomBytes(32).toString('base64url'), userCode, clientId, expiresAt: Date.now() + (this.options.expiresIn ?? 600) * 1000, interval: this.options.interval ?? 1 };
    this.byDevice.set(p.deviceCode, p);
    this.byUser.set(userCode, p);
    const shown = `${userCode.slice(0, 4)}-${userCode.slice(4)}`;
    json(res, 200, {
      device_code: p.deviceCode,
      user_code: shown,
      verification_uri: `${this.baseUrl()}/device`,
      verification_uri_complete: `${this.baseUrl()}/device?user_code=${shown}`,
      expires_in: this.options.expiresIn ?? 600,
      interval: p.interval,
    });
  }

  /** The person at the verification page approves (as someone) or denies. */
  private verify(form: URLSearchParams, res: ServerResponse) {
    const p = this.byUser.get(normalise(form.get('user_code') ?? ''));
    if (!p || p.expiresAt < Date.now() || p.outcome) return html(res, 400, '<p>That code is unknown, used or expired. Start the login again.</p>');
    if (form.get('action') === 'deny') {
      p.outcome = 'denied';
      return html(res, 200, '<p>Denied. The device will be told.</p>');
    }
    const named = form.get('identity');
    const sub = form.get('sub');
    let claims: TokenClaims | undefined;
    if (named && this.identities[named]) claims = this.identities[named];
    else if (sub) {
      const groups = (form.get('groups') ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      claims = { sub, groups, ...(form.get('preferred_username') ? { preferred_username: form.get('preferred_username')! } : {}) };
    }
    if (!claims) return html(res, 400, '<p>Say who to log in as: a named identity, or a sub (and groups).</p>');
    p.outcome = { claims };
    html(res, 200, `<p>Approved: the device is logged in as ${escapeHtml(claims.sub)}. You may close this page.</p>`);
  }

  private token(form: URLSearchParams, res: ServerResponse) {
    const grant = form.get('grant_type');
    if (grant === 'refresh_token') {
      const r = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (!r || r.clientId !== form.get('client_id')) return oauthError(res, 400, 'invalid_grant', 'unknown refresh token for this client');
      return this.issue(res, r.claims, r.clientId, r.grant);
    }
    if (grant !== DEVICE_GRANT) return oauthError(res, 400, 'unsupported_grant_type', `grant_type must be ${DEVICE_GRANT} or refresh_token`);
    const p = this.byDevice.get(form.get('device_code') ?? '');
    if (!p || p.clientId !== form.get('client_id')) return oauthError(res, 400, 'invalid_grant', 'unknown device code for this client');
    const now = Date.now();
    if (p.expiresAt < now) {
      this.forget(p);
      return oauthError(res, 400, 'expired_token', 'the device code expired');
    }
    // Section 3.5: polling faster than the interval is answered slow_down, and the interval grows by 5 s.
    if (p.lastPoll !== undefined && now - p.lastPoll < p.interval * 1000) {
      p.lastPoll = now;
      p.interval += 5;
      return oauthError(res, 400, 'slow_down', `poll at most every ${p.interval} s`);
    }
    p.lastPoll = now;
    if (!p.outcome) return oauthError(res, 400, 'authorization_pending', 'the person has not approved yet');
    this.forget(p);
    if (p.outcome === 'denied') return oauthError(res, 400, 'access_denied', 'the person denied the login');
    this.issue(res, p.outcome.claims, p.clientId);
  }

  private issue(res: ServerResponse, claims: TokenClaims, clientId: string, grant = randomBytes(16).toString('base64url')): void {
    const lifetime = this.options.tokenLifetime ?? 3600;
    const refresh = randomBytes(32).toString('base64url');
    this.refreshTokens.set(refresh, { claims, clientId, grant });
    json(res, 200, { access_token: this.mint({ ...claims, expiresIn: lifetime }), token_type: 'Bearer', expires_in: lifetime, refresh_token: refresh, scope: 'openid' });
  }

  /**
   * RFC 7009: a public client names itself (client_id) and the token. A refresh token is revoked
   * with every other refresh token of its login (section 2.1: the grant's tokens go with it). An
   * unknown or already revoked token is answered 200 too (section 2.2); the access tokens are JWTs
   * that live until they expire, so a hint of access_token is unsupported_token_type (section 2.2.1).
   */
  private revoke(form: URLSearchParams, res: ServerResponse) {
    const token = form.get('token');
    const clientId = form.get('client_id');
    if (!token || !clientId) return oauthError(res, 400, 'invalid_request', 'token and client_id are required');
    const r = this.refreshTokens.get(token);
    if (!r) {
      if (form.get('token_type_hint') === 'access_token') return oauthError(res, 400, 'unsupported_token_type', 'access tokens are JWTs that stay valid until they expire; revoke the refresh token');
      return revoked(res);
    }
    if (r.clientId !== clientId) return oauthError(res, 400, 'unauthorized_client', 'the token was not issued to this client');
    for (const [t, v] of this.refreshTokens) if (v.grant === r.grant) this.refreshTokens.delete(t);
    revoked(res);
  }

  private forget(p: Pending): void {
    this.byDevice.delete(p.deviceCode);
    this.byUser.delete(p.userCode);
  }

  private page(userCode: string): string {
    const options = Object.keys(this.identities)
      .map((n) => `<option value="${escapeHtml(n)}">${escapeHtml(n)} (${escapeHtml(this.identities[n].sub)})</option>`)
      .join('');
    return `<h1>Log in a device to the local KAIRR</h1><form method="post" action="/device">
<p><label>Code <input name="user_code" value="${escapeHtml(userCode)}"></label></p>
<p><label>As <select name="identity"><option value="">(the sub below)</option>${options}</select></label></p>
<p><label>or sub <input name="sub"></label> <label>groups <input name="groups" placeholder="researcher"></label></p>
<p><button name="action" value="approve">Approve</button> <button name="action" value="deny">Deny</button></p></form>`;
  }
}

/** User codes are compared without case and without the dash (section 6.1). */
const normalise = (code: string) => code.toUpperCase().replace(/[^A-Z]/g, '');

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve(new URLSearchParams(body)));
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  // Section 3.5 (RFC 6749 5.1): token responses are never cached.
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Section 2.2: 200, the body ignored by the client (none here). */
function revoked(res: ServerResponse): void {
  res.writeHead(200, { 'cache-control': 'no-store' });
  res.end();
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  json(res, status, { error, error_description: description });
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><meta charset="utf-8"><title>KAIRR dev issuer</title>${body}`);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

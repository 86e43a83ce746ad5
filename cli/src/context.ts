// What every command needs, resolved once from the global flags and the environment: which
// profile, which API, which token (KAIRR_TOKEN first, for scripts and CI; else the profile's login,
// refreshed when it is about to expire), and how to print.
import * as z from 'zod/mini';
import { CredentialStore, credentialsFile, type Profile } from './config';
import { CliError } from './errors';
import { Api } from './http';
import { jwtExpiry, refresh } from './auth/oidc';
import type { OutputOptions, Sink } from './output';
import type { Http } from './transport';
import { type Lang, langOf, type Message, msg, render } from './i18n';

export const GlobalOptions = z.object({
  api: z.optional(z.string()),
  profile: z.optional(z.string()),
  json: z.optional(z.boolean()),
  query: z.optional(z.string()),
});
export type GlobalOptions = z.infer<typeof GlobalOptions>;

export interface Io {
  out: Sink;
  err: Sink;
  env: NodeJS.ProcessEnv;
  fetch: Http;
  sleep: (ms: number) => Promise<void>;
  /** All of standard input, as text (a script, a document or a token given as "-"). */
  stdin: () => string;
}

/** Refresh when less than this is left: a command started just before expiry must not fail midway. */
const REFRESH_MARGIN_MS = 60_000;

export class Context {
  readonly store: CredentialStore;
  readonly profileName: string;
  readonly output: OutputOptions;
  /** The language of the CLI's own messages (i18n.ts). */
  readonly lang: Lang;

  constructor(
    readonly globals: GlobalOptions,
    readonly io: Io,
  ) {
    this.store = new CredentialStore(credentialsFile(io.env));
    this.profileName = globals.profile ?? io.env.KAIRR_PROFILE ?? 'default';
    this.output = { json: globals.json, query: globals.query };
    this.lang = langOf(io.env);
  }

  /** A message of the catalogue in the user's language. */
  t(msg: Message): string {
    return render(this.lang, msg);
  }

  profile(): Profile | undefined {
    return this.store.get(this.profileName);
  }

  /** --api, else KAIRR_API, else the profile's (from its login). */
  apiUrl(): string {
    const url = this.globals.api ?? this.io.env.KAIRR_API ?? this.profile()?.api;
    if (!url) throw new CliError(msg('noApi', { profile: this.profileName }));
    return url.replace(/\/$/, '');
  }

  api(): Api {
    return new Api(this.apiUrl(), () => this.token(), this.io.fetch, this.io.sleep);
  }

  async token(): Promise<string> {
    if (this.io.env.KAIRR_TOKEN) return this.io.env.KAIRR_TOKEN;
    const p = this.profile();
    if (!p) throw new CliError(msg('notLoggedIn', { profile: this.profileName }));
    const expiresAt = p.expiresAt ? Date.parse(p.expiresAt) : undefined;
    if (expiresAt === undefined || expiresAt - REFRESH_MARGIN_MS > Date.now()) return p.accessToken;
    if (!p.refreshToken || !p.tokenEndpoint || !p.clientId) {
      if (expiresAt > Date.now()) return p.accessToken;
      throw new CliError(msg('loginExpired', { profile: this.profileName, at: String(p.expiresAt) }));
    }
    const t = await refresh(p.tokenEndpoint, p.clientId, p.refreshToken, this.io.fetch);
    this.store.put(this.profileName, { ...p, accessToken: t.access_token, refreshToken: t.refresh_token ?? p.refreshToken, expiresAt: expiryOf(t.access_token, t.expires_in) });
    return t.access_token;
  }
}

/** When a token expires: the token response's expires_in, else the JWT's exp. */
export function expiryOf(token: string, expiresIn?: number): string | undefined {
  return expiresIn !== undefined ? new Date(Date.now() + expiresIn * 1000).toISOString() : jwtExpiry(token);
}

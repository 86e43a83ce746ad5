// Where to sign in, asked of the API itself: GET /v1/auth/config (public, no token) names each
// issuer the stage trusts, where its OpenID discovery document is, and the public client ids KAIRR's
// programs are registered as. `kairr auth login --api URL` starts there when no issuer is given.
import * as z from 'zod/mini';
import { ApiError, CliError, UsageError } from '../errors';
import { Api } from '../http';
import { msg } from '../i18n';
import type { Http } from '../transport';

/** The parts the CLI uses (the API's complete schema: lambdas/platform/api.ts signIn). */
export const SignInConfigSchema = z.looseObject({
  defaultIssuer: z.string(),
  issuers: z.array(
    z.looseObject({
      id: z.string(),
      issuer: z.string(),
      discoveryUrl: z.string(),
      clients: z.looseObject({ cli: z.optional(z.string()), portal: z.optional(z.string()) }),
    }),
  ),
});
export type SignInConfig = z.infer<typeof SignInConfigSchema>;

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/** The address discovery is read under (the issuer's, or locally its dev issuer's): the document's address without its well-known path. */
export const discoveryBase = (discoveryUrl: string) => (discoveryUrl.endsWith(DISCOVERY_PATH) ? discoveryUrl.slice(0, -DISCOVERY_PATH.length) : discoveryUrl);

export interface SignInChoice {
  id: string;
  /** Where discover() reads the issuer's document. */
  base: string;
  /** The CLI's public client at this issuer, if the stage names one. */
  clientId?: string;
}

/**
 * Which issuer to log in with: the one named by id, else the stage's default where it has a CLI
 * client, else the first that has one, else the default (with the CLI's own client id).
 */
export function chooseIssuer(cfg: SignInConfig, api: string, id?: string): SignInChoice {
  const pick = (i: SignInConfig['issuers'][number]): SignInChoice => ({ id: i.id, base: discoveryBase(i.discoveryUrl), clientId: i.clients.cli });
  if (id !== undefined) {
    const named = cfg.issuers.find((i) => i.id === id);
    if (!named) throw new UsageError(msg('unknownIssuerId', { id, known: cfg.issuers.map((i) => i.id).join(', ') || '-' }));
    return pick(named);
  }
  const withCli = cfg.issuers.filter((i) => i.clients.cli);
  const chosen = withCli.find((i) => i.id === cfg.defaultIssuer) ?? withCli[0] ?? cfg.issuers.find((i) => i.id === cfg.defaultIssuer) ?? cfg.issuers[0];
  if (!chosen) throw new CliError(msg('noIssuerInSignIn', { api }));
  return pick(chosen);
}

/** GET /v1/auth/config of the API, then chooseIssuer. An API without the route says to pass --issuer. */
export async function signInFromApi(api: string, fetchImpl: Http, id?: string): Promise<SignInChoice> {
  let cfg: SignInConfig;
  try {
    cfg = await new Api(api, async () => undefined, fetchImpl).get('/v1/auth/config', SignInConfigSchema);
  } catch (e) {
    if (e instanceof ApiError) throw new CliError(msg('noSignInConfig', { api, reason: `${e.code}, HTTP ${e.status}` }));
    throw e;
  }
  return chooseIssuer(cfg, api, id);
}

// kairr auth login | logout | status, and kairr whoami.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import * as z from 'zod/mini';
import type { Profile } from '../config';
import { expiryOf, type Context } from '../context';
import { CliError, ExitWith, UsageError } from '../errors';
import { discover, deviceLogin, type TokenResponse } from '../auth/oidc';
import { pkceLogin } from '../auth/pkce';
import { revokeLogin } from '../auth/revoke';
import { signInFromApi } from '../auth/sign-in';
import { msg, render } from '../i18n';
import { Api } from '../http';
import { emit, fields } from '../output';
import { MeSchema } from '../schemas';

type Ctx = (cmd: Command<any, any, any>) => Context;

/** The parts of the local runtime's state file (`npm start`'s .kairr/local.json) that login needs. */
const LocalJson = z.looseObject({ apiUrl: z.string(), tokenMintUrl: z.string() });

function readLocal(file: string): { api: string; issuerBase: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(msg('localStateUnreadable', { file, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }));
  }
  const p = LocalJson.safeParse(raw);
  if (!p.success) throw new CliError(msg('localStateInvalid', { file, field: p.error.issues[0].path.join('.'), reason: p.error.issues[0].message }));
  // The dev issuer serves discovery, its keys and its endpoints where its mint is.
  return { api: p.data.apiUrl, issuerBase: new URL(p.data.tokenMintUrl).origin };
}

export function authCommands(ctx: Ctx): Command<any, any, any>[] {
  const auth = new Command('auth').description('Log in to KAIRR, log out, and show the login');

  auth
    .command('login')
    .description("Log in: the issuer's device authorization grant where it offers one, else authorization code with PKCE on a loopback redirect")
    .option('--local', 'log in to the local runtime (`npm start`): its API and dev issuer from its state file')
    .option('--local-state <file>', "the local runtime's state file (default $KAIRR_STATE_DIR/local.json, else ./.kairr/local.json)")
    .option('--issuer <url|id>', "the OIDC issuer's address (its /.well-known/openid-configuration), or its id in the API's GET /v1/auth/config; default: the one the API names; env KAIRR_ISSUER")
    .option('--client-id <id>', "the OAuth client id the issuer knows the CLI by (default: the API's for that issuer, else kairr-cli); env KAIRR_CLIENT_ID", 'kairr-cli')
    .option('--scope <scope>', 'scopes to ask for', 'openid profile email')
    .option('--with-token', 'read a token from standard input and store it (no issuer needed)')
    .addHelpText(
      'after',
      '\nExamples:\n  kairr auth login --local\n  kairr auth login --api https://api.kairr.example/   (the issuer and client the API names)\n  kairr auth login --api https://api.kairr.example/  --issuer https://login.kairr.example/\n  echo "$TOKEN" | kairr auth login --with-token --api http://127.0.0.1:4000',
    )
    .action(async (o, cmd) => {
      const c = ctx(cmd);
      let api = c.globals.api ?? c.io.env.KAIRR_API;
      let issuerBase = o.issuer ?? c.io.env.KAIRR_ISSUER;
      if (o.local) {
        const file = o.localState ?? join(resolve(c.io.env.KAIRR_STATE_DIR ?? '.kairr'), 'local.json');
        const local = readLocal(file);
        api ??= local.api;
        issuerBase ??= local.issuerBase;
      }
      if (!api) throw new UsageError(msg('whichApi'));
      // --client-id typed wins, then KAIRR_CLIENT_ID, then the client the API names for the issuer, then kairr-cli
      const givenClientId = cmd.getOptionValueSource('clientId') === 'cli' ? o.clientId : c.io.env.KAIRR_CLIENT_ID;
      let clientId = givenClientId ?? o.clientId;
      let tokens: TokenResponse;
      let method: Profile['method'];
      let tokenEndpoint: string | undefined;
      if (o.withToken) {
        const token = c.io.stdin().trim();
        if (!token) throw new UsageError(msg('emptyStdinToken'));
        tokens = { access_token: token, token_type: 'Bearer' };
        method = 'token';
      } else {
        // No issuer's address: the API says where to sign in (GET /v1/auth/config), and as which client.
        if (!issuerBase?.includes('://')) {
          const s = await signInFromApi(api, c.io.fetch, issuerBase);
          issuerBase = s.base;
          clientId = givenClientId ?? s.clientId ?? o.clientId;
        }
        const d = await discover(issuerBase, c.io.fetch);
        tokenEndpoint = d.token_endpoint;
        if (d.device_authorization_endpoint) {
          method = 'device';
          tokens = await deviceLogin(d, {
            clientId,
            scope: o.scope,
            sleep: c.io.sleep,
            fetchImpl: c.io.fetch,
            prompt: (a) =>
              c.io.err.write(
                c.t(msg('devicePrompt', { uri: a.verification_uri, code: a.user_code })) + (a.verification_uri_complete ? c.t(msg('devicePromptComplete', { uri: a.verification_uri_complete })) : '') + c.t(msg('waitingApproval')),
              ),
          });
        } else {
          method = 'pkce';
          tokens = await pkceLogin(d, { clientId, scope: o.scope, fetchImpl: c.io.fetch, prompt: (url) => c.io.err.write(c.t(msg('browserPrompt', { url }))) });
        }
      }
      // Prove the token works before keeping it: the API says who it is.
      const me = await new Api(api, async () => tokens.access_token, c.io.fetch).get('/v1/me', MeSchema);
      c.store.put(c.profileName, {
        api: api.replace(/\/$/, ''),
        method,
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        expiresAt: expiryOf(tokens.access_token, tokens.expires_in),
        tokenEndpoint,
        clientId: method === 'token' ? undefined : clientId,
        issuer: issuerBase,
        sub: me.sub,
        loggedInAt: new Date().toISOString(),
      });
      c.io.err.write(c.t(msg('loggedIn', { api, who: me.username ?? me.sub, roles: me.roles.join(', ') || c.t(msg('noRoles')), profile: c.profileName, file: c.store.file })));
    });

  auth
    .command('logout')
    .description("Log out: revoke the profile's refresh token at the issuer (RFC 7009), then forget the login")
    .addHelpText('after', '\nExamples:\n  kairr auth logout --profile staging\n  kairr auth logout --json   # {"profile", "loggedOut", "revoked", "reason"?} on stdout')
    .action(async (_o, cmd) => {
      const c = ctx(cmd);
      // The issuer is asked first; whatever it answers, the login is forgotten (exit 0), and a
      // refresh token it did not revoke is said on stderr, and in --json's "reason".
      const p = c.profile();
      const revocation = p ? await revokeLogin(p, c.io.fetch) : undefined;
      const removed = c.store.remove(c.profileName);
      if (revocation?.problem) c.io.err.write(c.t(msg('notRevoked', { reason: revocation.problem.msg ? c.t(revocation.problem.msg) : revocation.problem.message })));
      const result = {
        profile: c.profileName,
        loggedOut: removed,
        revoked: revocation?.revoked ?? false,
        ...(revocation?.problem ? { reason: revocation.problem.msg ? render('en', revocation.problem.msg) : revocation.problem.message } : {}),
      };
      await emit(c.io.out, result, c.output, () => '');
      if (revocation?.revoked) {
        c.io.err.write(c.t(msg('loggedOutRevoked', { profile: c.profileName })));
        return;
      }
      c.io.err.write(c.t(removed ? msg('loggedOut', { profile: c.profileName }) : msg('wasNotLoggedIn', { profile: c.profileName })));
    });

  auth
    .command('status')
    .description("Show the profile's login (never the token) and whether the API accepts it")
    .addHelpText('after', '\nExample:\n  kairr auth status --json')
    .action(async (_o, cmd) => {
      const c = ctx(cmd);
      const p = c.profile();
      const fromEnv = Boolean(c.io.env.KAIRR_TOKEN);
      if (!p && !fromEnv) throw new CliError(msg('notLoggedInStatus', { profile: c.profileName }));
      let accepted = false;
      let reason: string | undefined;
      try {
        await c.api().get('/v1/me', MeSchema);
        accepted = true;
      } catch (e) {
        reason = (e as Error).message;
      }
      const status = {
        profile: c.profileName,
        api: c.apiUrl(),
        source: fromEnv ? 'KAIRR_TOKEN' : 'credentials',
        method: p?.method,
        sub: p?.sub,
        issuer: p?.issuer,
        expiresAt: p?.expiresAt,
        refreshable: Boolean(p?.refreshToken),
        accepted,
        ...(reason ? { reason } : {}),
      };
      await emit(c.io.out, status, c.output, () => fields(Object.entries(status)));
      if (!accepted) throw new ExitWith(1);
    });

  const whoami = new Command('whoami')
    .description('Who the API says you are: subject, roles, sites, affiliation')
    .addHelpText('after', '\nExample:\n  kairr whoami --query roles')
    .action(async (_o, cmd) => {
      const c = ctx(cmd);
      const me = await c.api().get('/v1/me', MeSchema);
      await emit(c.io.out, me, c.output, () =>
        fields([
          ['sub', me.sub],
          ['username', me.username],
          ['name', me.name],
          ['email', me.email],
          ['roles', me.roles],
          ['sites', me.siteIds],
          ['issuer', me.issuer],
        ]),
      );
    });
  return [auth, whoami];
}

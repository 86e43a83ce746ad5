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
    throw new CliError(`cannot read the local runtime's ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): is \`npm start\` running? (--local-state FILE names another)`);
  }
  const p = LocalJson.safeParse(raw);
  if (!p.success) throw new CliError(`${file} is not the local runtime's state file (${p.error.issues[0].path.join('.')}: ${p.error.issues[0].message})`);
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
    .option('--issuer <url>', "the OIDC issuer's address (its /.well-known/openid-configuration); env KAIRR_ISSUER")
    .option('--client-id <id>', 'the OAuth client id the issuer knows the CLI by; env KAIRR_CLIENT_ID', 'kairr-cli')
    .option('--scope <scope>', 'scopes to ask for', 'openid profile email')
    .option('--with-token', 'read a token from standard input and store it (no issuer needed)')
    .addHelpText('after', '\nExamples:\n  kairr auth login --local\n  kairr auth login --api https://api.kairr.example/  --issuer https://login.kairr.example/\n  echo "$TOKEN" | kairr auth login --with-token --api http://127.0.0.1:4000')
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
      if (!api) throw new UsageError('which API? pass --api URL (or set KAIRR_API), or --local for `npm start`');
      const clientId = c.io.env.KAIRR_CLIENT_ID ?? o.clientId;
      let tokens: TokenResponse;
      let method: Profile['method'];
      let tokenEndpoint: string | undefined;
      if (o.withToken) {
        const token = c.io.stdin().trim();
        if (!token) throw new UsageError('--with-token reads the token from standard input, which was empty');
        tokens = { access_token: token, token_type: 'Bearer' };
        method = 'token';
      } else {
        if (!issuerBase) throw new UsageError('which issuer? pass --issuer URL (or set KAIRR_ISSUER), or --local for `npm start`');
        const d = await discover(issuerBase, c.io.fetch);
        tokenEndpoint = d.token_endpoint;
        if (d.device_authorization_endpoint) {
          method = 'device';
          tokens = await deviceLogin(d, {
            clientId,
            scope: o.scope,
            sleep: c.io.sleep,
            fetchImpl: c.io.fetch,
            prompt: (a) => c.io.err.write(`To log in, open ${a.verification_uri} and enter the code ${a.user_code}\n${a.verification_uri_complete ? `  (or open ${a.verification_uri_complete})\n` : ''}Waiting for the approval...\n`),
          });
        } else {
          method = 'pkce';
          tokens = await pkceLogin(d, { clientId, scope: o.scope, fetchImpl: c.io.fetch, prompt: (url) => c.io.err.write(`To log in, open this address in a browser on this machine:\n  ${url}\n`) });
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
      c.io.err.write(`Logged in to ${api} as ${me.username ?? me.sub} (${me.roles.join(', ') || 'no roles'}); profile "${c.profileName}" in ${c.store.file}\n`);
    });

  auth
    .command('logout')
    .description("Forget the profile's login (the token stays valid at the issuer until it expires)")
    .addHelpText('after', '\nExample:\n  kairr auth logout --profile staging')
    .action((_o, cmd) => {
      const c = ctx(cmd);
      const removed = c.store.remove(c.profileName);
      c.io.err.write(removed ? `Logged out of profile "${c.profileName}"\n` : `Profile "${c.profileName}" was not logged in\n`);
    });

  auth
    .command('status')
    .description("Show the profile's login (never the token) and whether the API accepts it")
    .addHelpText('after', '\nExample:\n  kairr auth status --json')
    .action(async (_o, cmd) => {
      const c = ctx(cmd);
      const p = c.profile();
      const fromEnv = Boolean(c.io.env.KAIRR_TOKEN);
      if (!p && !fromEnv) throw new CliError(`not logged in (profile "${c.profileName}"): run kairr auth login`);
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

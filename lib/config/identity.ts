// The stage's trusted token issuers (federation). Either the single-issuer form KAIRR started with
// (issuerUrl, audience, groupsClaim, jwksUri) or `issuers[]`, each with its audience, claim
// mapping, the affiliation claims it vouches for and the roles it may grant. Both normalise to
// TrustedIssuer[] (lambdas/domain/identity/issuers.ts), which the authorizer receives as JSON.
import * as z from 'zod/mini';
import { AFFILIATION_SOURCES, type TrustedIssuer } from '../../lambdas/domain/identity/issuers';
import { ROLES } from '../../lambdas/shared/http/spec';
import { roleProblem } from '../../lambdas/shared/http/caller';
import type { SignInConfig } from '../../lambdas/platform/api';

const CLAIM = z.string().check(z.minLength(1), z.maxLength(100));
/** Public OAuth client ids a stage's programs sign in as (GET /v1/auth/config tells clients): public clients have no secret, so none is ever configured here. */
const CLIENT_ID = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/));
export const PublicClientsSchema = z.strictObject({
  /** The command line's (`kairr auth login`: the device grant, or authorization code with PKCE on a loopback redirect). */
  cli: z.optional(CLIENT_ID),
  /** The browser portal's. */
  portal: z.optional(CLIENT_ID),
});
export type PublicClients = z.infer<typeof PublicClientsSchema>;
export const ISSUER_ID = /^[a-z][a-z0-9-]{1,20}$/;

const DEFAULT_CLAIMS = {
  subject: 'sub',
  email: 'email',
  emailVerified: 'email_verified',
  name: 'name',
  username: 'preferred_username',
  groups: 'groups',
  homeOrganization: 'schac_home_organization',
  scopedAffiliation: 'eduperson_scoped_affiliation',
};

export const IssuerSchema = z.strictObject({
  /** Short name; subjects of this issuer become "<id>:<sub>" unless subjectPrefix says otherwise. */
  id: z.string().check(z.regex(ISSUER_ID)),
  issuerUrl: z.url(),
  audience: z.union([z.string().check(z.minLength(1)), z.array(z.string().check(z.minLength(1))).check(z.minLength(1), z.maxLength(10))]),
  /** Defaults to the issuer's discovery document's jwks_uri. */
  jwksUri: z.optional(z.url()),
  /** "" keeps the raw subject (at most one issuer: the stage's own, so that existing identities keep their subjects). */
  subjectPrefix: z.optional(z.string().check(z.regex(/^([a-z][a-z0-9-]{1,20}:)?$/))),
  claims: z._default(
    z.strictObject({
      subject: z._default(CLAIM, DEFAULT_CLAIMS.subject),
      email: z._default(CLAIM, DEFAULT_CLAIMS.email),
      emailVerified: z._default(CLAIM, DEFAULT_CLAIMS.emailVerified),
      name: z._default(CLAIM, DEFAULT_CLAIMS.name),
      username: z._default(CLAIM, DEFAULT_CLAIMS.username),
      groups: z._default(CLAIM, DEFAULT_CLAIMS.groups),
      homeOrganization: z._default(CLAIM, DEFAULT_CLAIMS.homeOrganization),
      scopedAffiliation: z._default(CLAIM, DEFAULT_CLAIMS.scopedAffiliation),
      /** The home IdP's SAML entity id, as a broker passes it (e.g. Keycloak's identity_provider mapper). */
      entityId: z.optional(CLAIM),
    }),
    DEFAULT_CLAIMS,
  ),
  /** Which claims this issuer vouches for as a person's organisation. */
  affiliation: z._default(z.array(z.enum(AFFILIATION_SOURCES)).check(z.maxLength(AFFILIATION_SOURCES.length)), ['email']),
  /** E-mail counts only when the emailVerified claim is true; false for an issuer that only issues verified addresses. */
  requireEmailVerified: z._default(z.boolean(), true),
  roles: z._default(
    z.strictObject({
      /** Accept KAIRR role names in the groups claim. Only for an issuer whose groups KAIRR's operators control. */
      groupNames: z._default(z.boolean(), false),
      /** Identity-provider group → KAIRR role ("chair", "site-operator:spc"). */
      groupMap: z._default(z.record(z.string().check(z.minLength(1), z.maxLength(200)), z.string()), {}),
      /** Roles every user of this issuer has (e.g. ["researcher"] for a research federation). */
      default: z._default(z.array(z.string()).check(z.maxLength(ROLES.length)), []),
    }),
    { groupNames: false, groupMap: {}, default: [] },
  ),
  /** Keys are fetched again after this long, so a key the issuer removed stops being trusted. */
  jwksTtlSeconds: z._default(z.int().check(z.minimum(60), z.maximum(86_400)), 600),
  /** The public clients KAIRR's programs are registered as at this issuer. */
  clients: z.optional(PublicClientsSchema),
});
export type IssuerConfig = z.infer<typeof IssuerSchema>;

export const IdentitySchema = z.strictObject({
  /** The single-issuer form: the stage's own issuer, whose subjects are kept as they are. */
  issuerUrl: z.optional(z.url()),
  audience: z.optional(z.string().check(z.minLength(1))),
  groupsClaim: z._default(z.string().check(z.minLength(1)), 'groups'),
  jwksUri: z.optional(z.url()),
  /** The single-issuer form's public clients (issuers[] give theirs on each issuer). */
  clients: z.optional(PublicClientsSchema),
  /** Several trusted issuers (federation); replaces the single-issuer fields. */
  issuers: z.optional(z.array(IssuerSchema).check(z.minLength(1), z.maxLength(10))),
  /** Fetch the keys over plain HTTP from a non-loopback host: only for LocalStack (the dev issuer on the Docker host). */
  allowHttpJwks: z._default(z.boolean(), false),
  /** Creates a Cognito user pool, trusted as one more issuer ("cognito"; not in LocalStack community). */
  cognitoUserPool: z.optional(z.strictObject({ enabled: z.boolean(), domainPrefix: z.optional(z.string().check(z.regex(/^[a-z0-9-]{3,63}$/))) })),
});
export type IdentityConfig = z.infer<typeof IdentitySchema>;

/** The configured issuers, normalised (the Cognito pool, when enabled, is added by the Identity construct). */
export function issuersOf(identity: IdentityConfig): TrustedIssuer[] {
  if (!identity.issuers) {
    return [
      {
        id: 'default',
        issuerUrl: identity.issuerUrl!,
        audience: [identity.audience!],
        ...(identity.jwksUri ? { jwksUri: identity.jwksUri } : {}),
        subjectPrefix: '',
        claims: { ...DEFAULT_CLAIMS, groups: identity.groupsClaim },
        affiliation: ['email'],
        requireEmailVerified: true,
        // the single issuer KAIRR started with: its groups name KAIRR's roles, as they always did
        roles: { groupNames: true, groupMap: {}, default: [] },
        jwksTtlSeconds: 600,
      },
    ];
  }
  return identity.issuers.map((i) => ({
    id: i.id,
    issuerUrl: i.issuerUrl,
    audience: typeof i.audience === 'string' ? [i.audience] : i.audience,
    ...(i.jwksUri ? { jwksUri: i.jwksUri } : {}),
    subjectPrefix: i.subjectPrefix ?? `${i.id}:`,
    claims: i.claims,
    affiliation: i.affiliation,
    requireEmailVerified: i.requireEmailVerified,
    roles: i.roles,
    jwksTtlSeconds: i.jwksTtlSeconds,
  }));
}

/** The public clients of each configured issuer, by issuer id (the Cognito pool's are added by the Identity construct). */
export function publicClientsOf(identity: IdentityConfig): Record<string, PublicClients> {
  if (!identity.issuers) return identity.clients ? { default: identity.clients } : {};
  return Object.fromEntries(identity.issuers.filter((i) => i.clients).map((i) => [i.id, i.clients!]));
}

/**
 * What GET /v1/auth/config answers (but the stage): each trusted issuer, where its discovery
 * document is (OpenID Connect Discovery 1.0 section 4: the issuer plus /.well-known/openid-configuration),
 * and its public clients; the default is the stage's own issuer (subjects kept as they are), else the first.
 */
export function signInOf(issuers: readonly TrustedIssuer[], clients: Record<string, PublicClients>): SignInConfig {
  return {
    defaultIssuer: (issuers.find((i) => i.subjectPrefix === '') ?? issuers[0]).id,
    issuers: issuers.map((i) => ({ id: i.id, issuer: i.issuerUrl, discoveryUrl: `${i.issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`, clients: { ...clients[i.id] } })),
  };
}

type Ctx = { addIssue(i: { code: 'custom'; path: (string | number)[]; message: string }): void };

/** Cross-field checks of the identity block (called from the stage schema's refinement). */
export function checkIdentity(identity: IdentityConfig, siteIds: ReadonlySet<string>, ctx: Ctx): void {
  const base = ['identity'];
  if (!identity.issuers) {
    if (!identity.issuerUrl) ctx.addIssue({ code: 'custom', path: [...base, 'issuerUrl'], message: 'is required (or list the trusted issuers in identity.issuers)' });
    if (!identity.audience) ctx.addIssue({ code: 'custom', path: [...base, 'audience'], message: 'is required (or list the trusted issuers in identity.issuers)' });
    return;
  }
  for (const f of ['issuerUrl', 'audience', 'jwksUri', 'clients'] as const) {
    if (identity[f] !== undefined) ctx.addIssue({ code: 'custom', path: [...base, f], message: 'cannot be combined with identity.issuers (give it on the issuer)' });
  }
  const ids = new Set<string>();
  const urls = new Set<string>();
  const prefixes = new Map<string, number>();
  identity.issuers.forEach((i, n) => {
    const at = [...base, 'issuers', n];
    if (ids.has(i.id)) ctx.addIssue({ code: 'custom', path: [...at, 'id'], message: `duplicates issuer id "${i.id}"` });
    ids.add(i.id);
    if (urls.has(i.issuerUrl)) ctx.addIssue({ code: 'custom', path: [...at, 'issuerUrl'], message: 'is trusted twice' });
    urls.add(i.issuerUrl);
    if (i.id === 'cognito' && identity.cognitoUserPool?.enabled) ctx.addIssue({ code: 'custom', path: [...at, 'id'], message: '"cognito" is the id of the stage\'s Cognito pool' });
    const prefix = i.subjectPrefix ?? `${i.id}:`;
    if (prefixes.has(prefix)) ctx.addIssue({ code: 'custom', path: [...at, 'subjectPrefix'], message: `is also issuers[${prefixes.get(prefix)}]'s: two issuers' subjects could name the same person` });
    prefixes.set(prefix, n);
    for (const [g, role] of Object.entries(i.roles.groupMap)) {
      const p = roleProblem(role, siteIds);
      if (p) ctx.addIssue({ code: 'custom', path: [...at, 'roles', 'groupMap', g], message: p });
    }
    i.roles.default.forEach((role, k) => {
      const p = roleProblem(role, siteIds);
      if (p) ctx.addIssue({ code: 'custom', path: [...at, 'roles', 'default', k], message: p });
    });
    if (i.affiliation.includes('entity-id') && !i.claims.entityId) ctx.addIssue({ code: 'custom', path: [...at, 'claims', 'entityId'], message: 'is required when affiliation includes "entity-id"' });
  });
}

// Trusted token issuers and what a verified token means in KAIRR: the subject (namespaced per
// issuer, so two issuers' "sub"s can never name the same person), the roles the issuer may grant,
// and the affiliation evidence it vouches for. Plain TypeScript (the authorizer ships it, and it
// must stay small): the stage configuration is validated by lib/config/identity.ts at synth.

export const AFFILIATION_SOURCES = ['email', 'home-organization', 'scoped-affiliation', 'entity-id'] as const;
export type AffiliationSource = (typeof AFFILIATION_SOURCES)[number];

export interface ClaimMapping {
  subject: string;
  email: string;
  emailVerified: string;
  name: string;
  username: string;
  groups: string;
  homeOrganization: string;
  scopedAffiliation: string;
  entityId?: string;
}

/** One trusted issuer as the authorizer receives it (env OIDC_ISSUERS, JSON). */
export interface TrustedIssuer {
  id: string;
  issuerUrl: string;
  audience: string[];
  jwksUri?: string;
  /** KAIRR subject = subjectPrefix + the token's subject. "" for at most one issuer. */
  subjectPrefix: string;
  claims: ClaimMapping;
  /** Claims this issuer vouches for as affiliation. */
  affiliation: AffiliationSource[];
  /** E-mail counts only with emailVerified === true (false: the issuer only issues verified addresses). */
  requireEmailVerified: boolean;
  roles: {
    /** Accept KAIRR role names ("chair", "site-operator:spc") in the groups claim. */
    groupNames: boolean;
    /** An identity provider's group → a KAIRR role. */
    groupMap: Record<string, string>;
    /** Roles every authenticated user of this issuer has. */
    default: string[];
  };
  jwksTtlSeconds: number;
}

/** What a token says about its holder's organisation, as the issuer vouched for it. */
export interface AffiliationEvidence {
  source: AffiliationSource;
  /** Lower-case: an e-mail domain, a schac home organisation, a scope, or an entity id. */
  value: string;
  /** eduPerson affiliation (member, staff, faculty, student, ...), for scoped affiliations. */
  relation?: string;
}

/** Reads a claim by name or dotted path (e.g. "realm_access.roles" for Keycloak). */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), payload);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function strings(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((g): g is string => typeof g === 'string' && g.length > 0);
  return typeof v === 'string' ? v.split(/[ ,]+/).filter(Boolean) : [];
}

/** The verified e-mail: only when the issuer vouches for it (email_verified, or an issuer that issues only verified ones). */
export function verifiedEmail(payload: Record<string, unknown>, issuer: TrustedIssuer): string | undefined {
  const email = str(claimAt(payload, issuer.claims.email));
  if (!email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return undefined;
  if (issuer.requireEmailVerified && claimAt(payload, issuer.claims.emailVerified) !== true && claimAt(payload, issuer.claims.emailVerified) !== 'true') return undefined;
  return email.toLowerCase();
}

const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

/** The affiliation evidence of a verified token, from the sources its issuer vouches for. */
export function affiliationEvidence(payload: Record<string, unknown>, issuer: TrustedIssuer): AffiliationEvidence[] {
  const out: AffiliationEvidence[] = [];
  const add = (e: AffiliationEvidence) => {
    if (!out.some((x) => x.source === e.source && x.value === e.value)) out.push(e);
  };
  for (const source of issuer.affiliation) {
    if (source === 'email') {
      const email = verifiedEmail(payload, issuer);
      const domain = email?.split('@')[1];
      if (domain && DOMAIN.test(domain)) add({ source, value: domain });
    } else if (source === 'home-organization') {
      for (const v of strings(claimAt(payload, issuer.claims.homeOrganization))) if (DOMAIN.test(v.toLowerCase())) add({ source, value: v.toLowerCase() });
    } else if (source === 'scoped-affiliation') {
      // eduPersonScopedAffiliation: "member@kaist.ac.kr"; the scope is the home organisation's domain.
      for (const v of strings(claimAt(payload, issuer.claims.scopedAffiliation))) {
        const m = /^([a-z-]+)@(.+)$/i.exec(v);
        if (m && DOMAIN.test(m[2].toLowerCase())) add({ source, value: m[2].toLowerCase(), relation: m[1].toLowerCase() });
      }
    } else if (source === 'entity-id' && issuer.claims.entityId) {
      const v = str(claimAt(payload, issuer.claims.entityId));
      if (v && v.length <= 512) add({ source, value: v.toLowerCase() });
    }
  }
  return out.slice(0, 10);
}

export interface TokenIdentity {
  sub: string;
  issuer: string;
  roles: string[];
  siteIds: string[];
  username?: string;
  email?: string;
  name?: string;
  affiliation: AffiliationEvidence[];
}

/** The reason a verified token is still refused, or null. */
export type Refusal = { refused: string };

/**
 * What a verified token means in KAIRR. Refused: no subject; a subject of the unprefixed issuer
 * with a ":" (it could pose as another issuer's namespaced subject, or as "system:<component>").
 */
export function identityOf(payload: Record<string, unknown>, issuer: TrustedIssuer, toRoles: (groups: string[]) => { roles: string[]; siteIds: string[] }): TokenIdentity | Refusal {
  const raw = str(claimAt(payload, issuer.claims.subject));
  if (!raw) return { refused: 'no subject' };
  if (raw.length > 200 || /[\s,]/.test(raw)) return { refused: 'subject has spaces or commas, or is too long' };
  if (issuer.subjectPrefix === '' && raw.includes(':')) return { refused: 'an unprefixed subject may not contain ":"' };
  const groups = strings(claimAt(payload, issuer.claims.groups)).map((g) => g.replace(/^\//, '')); // Keycloak full paths start with "/"
  const granted: string[] = [...issuer.roles.default];
  for (const g of groups) {
    if (issuer.roles.groupNames) granted.push(g);
    const mapped = issuer.roles.groupMap[g];
    if (mapped) granted.push(mapped);
  }
  const { roles, siteIds } = toRoles(granted);
  return {
    sub: `${issuer.subjectPrefix}${raw}`,
    issuer: issuer.id,
    roles,
    siteIds,
    username: str(claimAt(payload, issuer.claims.username)),
    email: verifiedEmail(payload, issuer) ?? str(claimAt(payload, issuer.claims.email)),
    name: str(claimAt(payload, issuer.claims.name)),
    affiliation: affiliationEvidence(payload, issuer),
  };
}

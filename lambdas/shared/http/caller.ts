// The authenticated caller, as the authorizer hands it to every handler (requestContext.authorizer).
import { ROLES, type Role } from './spec';
// ---- identity ----
import type { AffiliationEvidence } from '../../domain/identity/issuers';
// ---- end identity ----

export interface Caller {
  /** KAIRR subject: the token's subject, namespaced by its issuer; "system:<component>" for KAIRR's own jobs and flows. */
  sub: string;
  roles: Role[];
  /** Sites a site-operator acts for (from groups "site-operator:<siteId>"). */
  siteIds: string[];
  /** The preferred_username claim, used as the default scheduler user name. */
  username?: string;
  email?: string;
  name?: string;
  // ---- identity ----
  /** The trusted issuer's id (identity.issuers[].id). */
  issuer?: string;
  /** What the issuer vouched for about the caller's organisation (verified claims only). */
  affiliation?: AffiliationEvidence[];
  /** Set when an admin linked the token's subject to another person: the token's own subject. */
  via?: string;
  // ---- end identity ----
}

export function hasRole(caller: Caller, ...roles: Role[]): boolean {
  return roles.some((r) => caller.roles.includes(r));
}

/**
 * Group names → roles. A group "site-operator:spc" makes a site-operator of site spc; with
 * `knownSites`, only of a site the stage configures (an unknown site id grants nothing).
 */
export function rolesFromGroups(groups: readonly string[], knownSites?: ReadonlySet<string>): { roles: Role[]; siteIds: string[] } {
  const roles = new Set<Role>();
  const siteIds = new Set<string>();
  for (const raw of groups) {
    const g = raw.replace(/^\//, ''); // Keycloak full group paths start with "/"
    const [role, site] = g.split(':', 2);
    if ((ROLES as readonly string[]).includes(role)) {
      if (role === 'site-operator') {
        if (site && (!knownSites || knownSites.has(site))) {
          roles.add('site-operator');
          siteIds.add(site);
        }
      } else if (!site) roles.add(role as Role);
    }
  }
  return { roles: [...roles].sort(), siteIds: [...siteIds].sort() };
}

// ---- identity ----
/** Why a role string ("chair", "site-operator:spc") is not one KAIRR can grant, or null. */
export function roleProblem(role: string, siteIds: ReadonlySet<string>): string | null {
  const [name, site, extra] = role.split(':');
  if (extra !== undefined || !(ROLES as readonly string[]).includes(name)) return `is not a KAIRR role (${ROLES.join(', ')}; site-operator:<siteId>)`;
  if (name === 'site-operator') return site && siteIds.has(site) ? null : `needs a configured site id (site-operator:${[...siteIds].join('|')})`;
  return site === undefined ? null : `"${name}" takes no site`;
}
// ---- end identity ----

/** The authorizer's context values are strings only; these two functions are each other's inverse. */
export function callerToContext(c: Caller): Record<string, string> {
  return {
    sub: c.sub,
    roles: c.roles.join(','),
    siteIds: c.siteIds.join(','),
    username: c.username ?? '',
    email: c.email ?? '',
    name: c.name ?? '',
    // ---- identity ----
    issuer: c.issuer ?? '',
    affiliation: c.affiliation?.length ? JSON.stringify(c.affiliation) : '',
    // ---- end identity ----
  };
}

// ---- identity ----
function evidenceOf(v: unknown): AffiliationEvidence[] | undefined {
  if (typeof v !== 'string' || !v) return undefined;
  try {
    const parsed = JSON.parse(v) as unknown;
    if (!Array.isArray(parsed)) return undefined;
    return parsed.filter((e): e is AffiliationEvidence => !!e && typeof e === 'object' && typeof (e as AffiliationEvidence).source === 'string' && typeof (e as AffiliationEvidence).value === 'string');
  } catch {
    return undefined;
  }
}
// ---- end identity ----

export function callerFromContext(ctx: Record<string, unknown> | null | undefined): Caller | undefined {
  if (!ctx || typeof ctx.sub !== 'string' || !ctx.sub) return undefined;
  const list = (v: unknown) => (typeof v === 'string' && v ? v.split(',') : []);
  const roles = list(ctx.roles).filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const affiliation = evidenceOf(ctx.affiliation);
  return {
    sub: ctx.sub,
    roles,
    siteIds: list(ctx.siteIds),
    username: str(ctx.username),
    email: str(ctx.email),
    name: str(ctx.name),
    // ---- identity ----
    ...(str(ctx.issuer) ? { issuer: str(ctx.issuer) } : {}),
    ...(affiliation?.length ? { affiliation } : {}),
    // ---- end identity ----
  };
}

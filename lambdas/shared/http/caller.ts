// The authenticated caller, as the authorizer hands it to every handler (requestContext.authorizer).
import { ROLES, type Role } from './spec';

export interface Caller {
  /** OIDC subject; "system:<component>" for KAIRR's own scheduled jobs and flows. */
  sub: string;
  roles: Role[];
  /** Sites a site-operator acts for (from groups "site-operator:<siteId>"). */
  siteIds: string[];
  /** The preferred_username claim, used as the default scheduler user name. */
  username?: string;
  email?: string;
  name?: string;
}

export function hasRole(caller: Caller, ...roles: Role[]): boolean {
  return roles.some((r) => caller.roles.includes(r));
}

/** Group names → roles. A group "site-operator:spc" makes a site-operator of site spc. */
export function rolesFromGroups(groups: readonly string[]): { roles: Role[]; siteIds: string[] } {
  const roles = new Set<Role>();
  const siteIds = new Set<string>();
  for (const raw of groups) {
    const g = raw.replace(/^\//, ''); // Keycloak full group paths start with "/"
    const [role, site] = g.split(':', 2);
    if ((ROLES as readonly string[]).includes(role)) {
      if (role === 'site-operator') {
        if (site) {
          roles.add('site-operator');
          siteIds.add(site);
        }
      } else if (!site) roles.add(role as Role);
    }
  }
  return { roles: [...roles].sort(), siteIds: [...siteIds].sort() };
}

/** The authorizer's context values are strings only; these two functions are each other's inverse. */
export function callerToContext(c: Caller): Record<string, string> {
  return {
    sub: c.sub,
    roles: c.roles.join(','),
    siteIds: c.siteIds.join(','),
    username: c.username ?? '',
    email: c.email ?? '',
    name: c.name ?? '',
  };
}

export function callerFromContext(ctx: Record<string, unknown> | null | undefined): Caller | undefined {
  if (!ctx || typeof ctx.sub !== 'string' || !ctx.sub) return undefined;
  const list = (v: unknown) => (typeof v === 'string' && v ? v.split(',') : []);
  const roles = list(ctx.roles).filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return { sub: ctx.sub, roles, siteIds: list(ctx.siteIds), username: str(ctx.username), email: str(ctx.email), name: str(ctx.name) };
}

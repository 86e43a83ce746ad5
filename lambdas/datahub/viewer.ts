// The caller as the domain's access rules see it: subject and roles from the verified token only.
import type { Caller } from '../shared/http/caller';
import type { Viewer } from '../domain/datahub/access';
import type { Actor } from '../shared/store/write-path';

export const viewerOf = (c: Caller | undefined): Viewer => (c ? { sub: c.sub, roles: c.roles } : { roles: [] });

/** The role an audited change is recorded under: the most specific one the caller holds for it. */
export function actorOf(c: Caller, prefer: readonly string[] = ['curator', 'admin', 'researcher']): Actor {
  return { sub: c.sub, role: prefer.find((r) => (c.roles as string[]).includes(r)) ?? c.roles[0] ?? 'unknown' };
}

// People as KAIRR knows them beyond their tokens: the roles admins assign in KAIRR (so that an
// identity provider need not emit KAIRR's group names), an affiliation an admin recorded, and
// explicit links of one issuer's subject to another's (the only way two subjects become one
// person: never a matching e-mail). The router merges this into every authenticated caller.
//
// One GetItem per caller, cached in the execution environment for PERSON_CACHE_MS (30 s): a role
// granted takes effect at once (a request the cached record would refuse reads it again), a role
// removed within that time. Measured in bench/identity.ts; why here and not in the authorizer:
// docs/security.md ("Where KAIRR's roles are read").
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../store/client';
import { identityKeys } from '../store/keys';
import { hasRole, rolesFromGroups, type Caller } from '../http/caller';
import type { Role } from '../http/spec';
import type { RecordedAffiliation } from '../../domain/identity/affiliation';
import { runtimeConfig } from '../config';

export interface Person {
  sub: string;
  /** Roles assigned in KAIRR ("chair", "site-operator:spc"). */
  roles: string[];
  affiliation?: RecordedAffiliation;
  /** This subject is another person's (an admin linked it): KAIRR acts as that person. */
  aliasOf?: string;
  /** Subjects linked to this person. */
  aliases?: string[];
  name?: string;
  createdAt: string;
  updatedAt: string;
}

const PERSON_CACHE_MS = 30_000;
const cache = new Map<string, { at: number; person: Person | null }>();

/** For tests, and for the identity handler after it changed a person. */
export function forgetPerson(sub?: string): void {
  if (sub === undefined) cache.clear();
  else cache.delete(sub);
}

export async function readPerson(sub: string, opts: { fresh?: boolean } = {}): Promise<Person | null> {
  const hit = cache.get(sub);
  if (!opts.fresh && hit && Date.now() - hit.at < PERSON_CACHE_MS) return hit.person;
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: identityKeys.person(sub), ConsistentRead: !!opts.fresh }));
  const person = (out.Item as unknown as Person | undefined) ?? null;
  if (cache.size > 5000) cache.clear(); // bounded: an environment serves a few hundred people at most
  cache.set(sub, { at: Date.now(), person });
  return person;
}

function merge(caller: Caller, person: Person | null, via?: string): Caller {
  if (!person?.roles.length && !via) return caller;
  const known = new Set(runtimeConfig().sites.map((s) => s.id));
  const assigned = rolesFromGroups(person?.roles ?? [], known);
  return {
    ...caller,
    ...(via ? { sub: person?.sub ?? caller.sub, via } : {}),
    roles: [...new Set([...caller.roles, ...assigned.roles])].sort() as Role[],
    siteIds: [...new Set([...caller.siteIds, ...assigned.siteIds])].sort(),
  };
}

async function resolve(caller: Caller, fresh: boolean): Promise<Caller> {
  const own = await readPerson(caller.sub, { fresh });
  if (!own?.aliasOf) return merge(caller, own);
  // A linked subject acts as the person it is linked to, with that person's roles (and its token's).
  const target = await readPerson(own.aliasOf, { fresh });
  return merge(caller, target ?? { sub: own.aliasOf, roles: [], createdAt: '', updatedAt: '' }, caller.sub);
}

/** The caller with KAIRR's own role assignments (and a link, if an admin made one) merged in. */
export async function withKairrRoles(caller: Caller, needs: 'any' | readonly Role[]): Promise<Caller> {
  const merged = await resolve(caller, false);
  if (needs === 'any' || hasRole(merged, ...needs)) return merged;
  // About to be refused on what may be a stale record: read it once more, consistently.
  return resolve(caller, true);
}

// Conflicts of interest and reviewer assignment. A person is conflicted on a proposal when they
// are its PI, belong to the PI's organisation (registry ids: the org the PI's verified claims
// matched, the reviewer's org in the pool or the chair's own; never names anyone typed), are named
// on the team, or declared a conflict. Reviewers
// are picked from the call's pool: never a conflicted one, never one at their maximum load, never
// one already on this proposal's round; among the rest, those covering the proposal's field first,
// then those who reviewed the previous round (a resubmission goes back to its panel), then the
// least loaded, then a tie-break that is fixed per proposal but differs between proposals (so equal
// reviewers share the work instead of the alphabetically first taking all of it).
import type { PoolReviewer, Proposal, TeamMember } from './model';

export type ConflictReason = 'pi' | 'institution' | 'team' | 'declared';

export interface Person {
  sub: string;
  /** The person's organisations in the registry (any of them conflicts with the PI's). */
  orgIds?: readonly string[];
  email?: string;
}

export type ConflictSubject = Pick<Proposal, 'ownerSub' | 'team'> & { pi?: { email: string; affiliation?: { orgId?: string } } };

/** A pool reviewer as a person for conflicts: their registry org, if the admin gave one. */
export const poolPerson = (r: PoolReviewer): Person => ({ sub: r.sub, email: r.email, orgIds: r.orgId ? [r.orgId] : [] });

const sameEmail = (a?: string, b?: string) => !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();

function onTeam(person: Person, team: readonly TeamMember[]): boolean {
  return team.some((m) => (m.sub !== undefined && m.sub === person.sub) || sameEmail(m.email, person.email));
}

/** Why `person` may not review or decide on the proposal, or null when they may. */
export function conflictOf(person: Person, p: ConflictSubject, declared: ReadonlySet<string>): ConflictReason | null {
  if (person.sub === p.ownerSub || (p.pi && sameEmail(p.pi.email, person.email))) return 'pi';
  if (onTeam(person, p.team)) return 'team';
  if (declared.has(person.sub)) return 'declared';
  const piOrg = p.pi?.affiliation?.orgId;
  if (piOrg && person.orgIds?.includes(piOrg)) return 'institution';
  return null;
}

export const CONFLICT_TEXT: Record<ConflictReason, string> = {
  pi: "is the proposal's PI",
  institution: "belongs to the PI's organisation",
  team: "is named on the proposal's team",
  declared: 'declared a conflict of interest',
};

export interface PickInput {
  pool: readonly PoolReviewer[];
  proposal: ConflictSubject & { id: string; field?: string };
  declared: ReadonlySet<string>;
  /** Open assignments per reviewer now. */
  loads: Readonly<Record<string, number>>;
  /** Reviewers who may not take this slot (already on the round, or already tried on it). */
  exclude: ReadonlySet<string>;
  /** Reviewers to prefer when otherwise equal (the previous round's panel). */
  prefer?: ReadonlySet<string>;
  count: number;
}

export interface PickResult {
  picked: PoolReviewer[];
  passedOver: { sub: string; reason: ConflictReason | 'at-max-load' | 'excluded' }[];
}

/** FNV-1a: a small, stable, well-spread hash for the tie-break. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const norm = (f: string) => f.trim().toLowerCase();

export function coversField(r: PoolReviewer, field: string | undefined): boolean {
  return !!field && r.fields.some((f) => norm(f) === norm(field));
}

export function eligibleReviewers(input: Omit<PickInput, 'count'>): { candidates: PoolReviewer[]; passedOver: PickResult['passedOver'] } {
  const passedOver: PickResult['passedOver'] = [];
  const candidates: PoolReviewer[] = [];
  for (const r of input.pool) {
    if (input.exclude.has(r.sub)) {
      passedOver.push({ sub: r.sub, reason: 'excluded' });
      continue;
    }
    const c = conflictOf(poolPerson(r), input.proposal, input.declared);
    if (c) {
      passedOver.push({ sub: r.sub, reason: c });
      continue;
    }
    if ((input.loads[r.sub] ?? 0) >= r.maxLoad) {
      passedOver.push({ sub: r.sub, reason: 'at-max-load' });
      continue;
    }
    candidates.push(r);
  }
  const field = input.proposal.field;
  const key = (r: PoolReviewer) => [coversField(r, field) ? 0 : 1, input.prefer?.has(r.sub) ? 0 : 1, input.loads[r.sub] ?? 0, fnv(`${input.proposal.id}:${r.sub}`)];
  candidates.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
    return a.sub < b.sub ? -1 : 1;
  });
  return { candidates, passedOver };
}

/** Up to `count` reviewers, best first (fewer when the pool cannot supply them). */
export function pickReviewers(input: PickInput): PickResult {
  const { candidates, passedOver } = eligibleReviewers(input);
  return { picked: candidates.slice(0, Math.max(0, input.count)), passedOver };
}

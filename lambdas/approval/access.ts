// Who may see what of calls and proposals, and the audit context of an HTTP caller: shared by the
// three API functions (calls, proposals, reviews and decisions), so that none of them carries
// another's service code only to ask "may this caller read it?".
import { hasRole, type Caller } from '../shared/http/caller';
import type { AuditContext } from '../shared/store/write-path';
import { CONFLICT_TEXT, conflictOf, type Proposal } from '../domain/approval';
import { orgIdsOf } from '../shared/identity/orgs'; // identity
import { declaredConflicts, listAssignments, readCall, type StoredAssignment } from './store';

export function ctxOf(caller: Caller, requestId: string, role: string, reason?: string | null): AuditContext {
  return { actor: { sub: caller.sub, role }, requestId, reason: reason ?? null };
}

export const replayHeaders = (replayed: boolean): Record<string, string> => (replayed ? { 'idempotent-replayed': 'true' } : {});

/** Staff read every proposal (chairs, admins, auditors). */
export function isStaff(caller: Caller): boolean {
  return hasRole(caller, 'chair', 'admin', 'auditor');
}

/** A chair who is neither admin nor auditor: the review summary of a proposal they are conflicted on is hidden from them. */
export const isChairOnly = (caller: Caller) => hasRole(caller, 'chair') && !hasRole(caller, 'admin', 'auditor');

/** The caller's assignment on the proposal's current round (at most one: a reviewer is never on a round twice). */
export async function myAssignment(p: Proposal, sub: string): Promise<StoredAssignment | undefined> {
  if (p.round === 0) return undefined;
  return (await listAssignments(p.id, p.round)).find((x) => x.assignment.reviewerSub === sub);
}

/** A reviewer may read a proposal while they hold (or held) a non-conflicted assignment on it. */
export async function reviewerMayRead(p: Proposal, sub: string): Promise<boolean> {
  if (p.round === 0) return false;
  const mine = (await listAssignments(p.id)).filter((x) => x.assignment.reviewerSub === sub);
  if (!mine.length || mine.some((x) => x.assignment.status === 'conflicted')) return false;
  return !(await declaredConflicts(p.id)).has(sub);
}

/**
 * Why a chair may not act on this proposal (their own, or conflicted), or null. A chair is
 * recognised on the team by sub or e-mail, and by organisation: every org their verified claims
 * or an admin's record give them, and their org in the call's pool.
 */
export async function chairConflict(caller: Caller, p: Proposal): Promise<string | null> {
  if (p.ownerSub === caller.sub) return 'it is their own proposal';
  const [{ call }, orgIds, declared] = await Promise.all([readCall(p.callId), orgIdsOf(caller), declaredConflicts(p.id)]);
  const inPool = call.reviewerPool.find((r) => r.sub === caller.sub);
  if (inPool?.orgId) orgIds.add(inPool.orgId);
  const c = conflictOf({ sub: caller.sub, email: caller.email ?? inPool?.email, orgIds: [...orgIds] }, { ownerSub: p.ownerSub, team: p.team, pi: p.pi }, declared);
  return c ? `they are conflicted: the chair ${CONFLICT_TEXT[c]}` : null;
}

/** A staff member's view of whether they are conflicted: known only for chairs. */
export async function staffConflicted(caller: Caller, p: Proposal): Promise<boolean | undefined> {
  return hasRole(caller, 'chair') ? (await chairConflict(caller, p)) !== null : undefined;
}

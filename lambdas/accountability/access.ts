// Who may see and do what: an allocation someone may not see is answered like a missing one; the
// PI acts for the project; chairs and admins review, decide and release; auditors read.
import { runtimeConfig } from '../shared/config';
import { hasRole, type Caller } from '../shared/http/caller';
import type { AuditContext } from '../shared/store/write-path';
import { allocationOf, canSee, getAllocationItem, newEntryId } from '../ledger';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import type { Allocation } from '../domain/ledger/model';
import { toMc } from '../domain/ledger/money';
import type { OpContext } from '../domain/ledger/operations';
import type { Role } from '../shared/http/spec';

export async function visibleAllocation(id: string, caller: Caller): Promise<Allocation> {
  const item = await getAllocationItem(id);
  const a = item ? allocationOf(item) : undefined;
  if (!a || !canSee(caller, a)) throw new NotFoundError('Allocation', id);
  return a;
}

export function requirePi(caller: Caller, a: Allocation): void {
  if (a.piSub !== caller.sub) throw new ForbiddenError("Only the allocation's PI can do this");
}

/** Staff who decide must not belong to the allocation they decide on. */
export function requireOutsider(caller: Caller, a: Allocation, what: string): void {
  if (a.members.some((m) => m.sub === caller.sub)) throw new ForbiddenError(`A member of the allocation cannot ${what}`);
}

export function actingRole(caller: Caller, ...allowed: Role[]): string {
  return allowed.find((r) => hasRole(caller, r)) ?? caller.roles[0] ?? 'unknown';
}

export function ctxOf(caller: Caller, requestId: string, role: string, now: Date, reason?: string | null): AuditContext {
  return { actor: { sub: caller.sub, role }, requestId, reason: reason ?? null, now };
}

export function opContext(ctx: AuditContext, ref: string): OpContext {
  return { now: (ctx.now ?? new Date()).toISOString(), actor: ctx.actor, reason: ctx.reason ?? null, ref, overdraftMc: toMc(runtimeConfig().policy.overdraftCredits), newEntryId };
}

// Refused attempts to break a trust rule (choose a scheduler user, confirm a system account as a
// login, claim another person's login) are audited, not only answered: each refusal is a subject of
// its own (refusal/<id>, one event), written through the one audited write path, so an auditor
// finds who tried what, where and when (GET /v1/audit/events?action=security.refused). The request
// itself changes nothing else. A refusal that cannot be recorded is logged, and the caller still
// gets its 4xx: the answer must not depend on the audit table being reachable.
import { KairrError, type ErrorDetail } from '../../domain/errors';
import { newId } from '../../domain/ids';
import { logger } from '../log';
import { trustKeys } from './keys';
import { commit, type AuditContext, type Item } from './write-path';

export interface Refusal {
  /** The stable error code the caller gets. */
  code: string;
  /** Where the attempt came in, e.g. "POST /v1/allocations/{id}/members". */
  route: string;
  /** The fields and what was wrong with each (values are cut to 64 characters). */
  fields: { path: string; value: string; problem: string }[];
  /** The subject the attempt was about, when there is one (an allocation, a site account). */
  about?: { type: string; id: string };
}

export const REFUSAL_ACTION = 'security.refused';

export async function recordRefusal(ctx: AuditContext, r: Refusal): Promise<string> {
  const id = newId('ref');
  const now = (ctx.now ?? new Date()).toISOString();
  const fields = r.fields.map((f) => ({ ...f, value: f.value.slice(0, 64) }));
  const item: Item = { ...trustKeys.refusal(id), id, code: r.code, route: r.route, fields, ...(r.about ? { about: r.about } : {}), actor: ctx.actor, at: now };
  try {
    await commit(ctx, {
      changes: [{ subject: { type: 'refusal', id }, before: null, after: item, action: REFUSAL_ACTION, details: { code: r.code, route: r.route, fields, ...(r.about ? { about: `${r.about.type}/${r.about.id}` } : {}) } }],
    });
  } catch (e) {
    logger.error('a refusal could not be audited', { code: r.code, route: r.route, error: (e as Error).message });
  }
  return id;
}

/** Records the refusal, then returns the error to throw (a 4xx naming each field). */
export async function refuse(ctx: AuditContext, r: Refusal & { status: number; message: string }): Promise<KairrError> {
  await recordRefusal(ctx, r);
  const details: ErrorDetail[] = r.fields.map((f) => ({ path: f.path, problem: f.problem }));
  return new KairrError(r.status, r.code, r.message, details);
}

/**
 * Refuses (400, audited) a request that names a scheduler user: logins at the sites are site
 * accounts, which only the sites create. Does nothing when no such field was given.
 */
export async function refuseChosenSchedulerUser(ctx: AuditContext, route: string, fields: { path: string; value: unknown }[], about?: Refusal['about']): Promise<void> {
  const given = fields.filter((f) => f.value !== undefined && f.value !== null);
  if (!given.length) return;
  const problem = 'cannot be chosen: a login at a site is the site account the site creates (see GET /v1/sites/{siteId}/accounts/{sub})';
  throw await refuse(ctx, {
    status: 400,
    code: 'scheduler_user_not_selectable',
    message: `The scheduler user is never the requester's choice: ${given.map((f) => f.path).join(', ')} ${given.length > 1 ? 'are' : 'is'} refused`,
    route,
    fields: given.map((f) => ({ path: f.path, value: String(f.value), problem })),
    about,
  });
}

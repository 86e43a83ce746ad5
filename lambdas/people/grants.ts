// Programme roles as audited KAIRR items, never token groups: org-manager (given by admins), and
// instructor (per course) and host (per organisation's postings), given by admins or by managers of
// the provider or host organisation. One item per (role, scope, person), so granting twice is
// harmless and revoking is a state change with its own audit event.
import type { Caller } from '../shared/http/caller';
import { peopleGsi, peopleKeys } from '../shared/store/keys';
import { commit, retryOnStale, type AuditContext } from '../shared/store/write-path';
import { ForbiddenError, ValidationError } from '../domain/errors';
import { hasRole } from '../shared/http/caller';
import { grantId, type Course, type Grant, type GrantBody } from '../domain/people';
import { asManager } from './access';
import { orgDirectory } from './org-directory';
import { getItem, grantItem, mustGet, queryAllIndex, strip } from './store';

async function scopeOf(body: GrantBody): Promise<{ scopeType: 'org' | 'course'; scopeId: string; orgId: string }> {
  if (body.role === 'instructor') {
    if (!body.courseId || body.orgId) throw ValidationError.field(body.courseId ? 'orgId' : 'courseId', body.courseId ? 'is not used for the instructor role (give courseId only)' : 'is required for the instructor role');
    const course = await getItem(peopleKeys.course(body.courseId));
    if (!course) throw ValidationError.field('courseId', `"${body.courseId}" is not a course`);
    return { scopeType: 'course', scopeId: body.courseId, orgId: strip<Course>(course).providerOrgId };
  }
  if (!body.orgId || body.courseId) throw ValidationError.field(body.orgId ? 'courseId' : 'orgId', body.orgId ? `is not used for the ${body.role} role (give orgId only)` : `is required for the ${body.role} role`);
  if (!(await orgDirectory().get(body.orgId))) throw ValidationError.field('orgId', `"${body.orgId}" is not an organisation in the directory`);
  return { scopeType: 'org', scopeId: body.orgId, orgId: body.orgId };
}

export async function grantRole(c: Caller, body: GrantBody, requestId: string): Promise<{ grant: Grant; created: boolean }> {
  const scope = await scopeOf(body);
  let actingAs: string;
  if (body.role === 'org-manager') {
    if (!hasRole(c, 'admin')) throw new ForbiddenError('Only admins may make someone an organisation manager');
    actingAs = 'admin';
  } else actingAs = await asManager(c, scope.orgId, `give the ${body.role} role`);
  const id = grantId(body.role, scope.scopeType, scope.scopeId, body.sub);
  return retryOnStale(async () => {
    const item = await getItem(peopleKeys.grant(id));
    const prev = item ? strip<Grant>(item) : null;
    if (prev?.status === 'active') return { grant: prev, created: false };
    const now = new Date().toISOString();
    const grant: Grant = { id, role: body.role, scopeType: scope.scopeType, scopeId: scope.scopeId, sub: body.sub, status: 'active', grantedBy: c.sub, grantedAt: now, updatedAt: now };
    const ctx: AuditContext = { actor: { sub: c.sub, role: actingAs }, requestId, reason: body.reason ?? null };
    await commit(ctx, { changes: [{ subject: { type: 'people-grant', id }, before: item, after: grantItem(grant), action: 'people.grant', details: { role: grant.role, scope: `${grant.scopeType}/${grant.scopeId}`, sub: grant.sub } }] });
    return { grant, created: true };
  });
}

export async function revokeRole(c: Caller, id: string, reason: string | undefined, requestId: string): Promise<Grant> {
  return retryOnStale(async () => {
    const { value: g, item } = await mustGet<Grant>(peopleKeys.grant(id), 'Grant', id);
    let actingAs: string;
    if (g.role === 'org-manager') {
      if (!hasRole(c, 'admin')) throw new ForbiddenError('Only admins may remove an organisation manager');
      actingAs = 'admin';
    } else {
      const orgId = g.scopeType === 'org' ? g.scopeId : (await mustGet<Course>(peopleKeys.course(g.scopeId), 'Course', g.scopeId)).value.providerOrgId;
      actingAs = await asManager(c, orgId, `remove the ${g.role} role`);
    }
    if (g.status === 'revoked') return g;
    const next: Grant = { ...g, status: 'revoked', updatedAt: new Date().toISOString() };
    await commit(
      { actor: { sub: c.sub, role: actingAs }, requestId, reason: reason ?? null },
      { changes: [{ subject: { type: 'people-grant', id }, before: item, after: grantItem(next), action: 'people.revoke', details: { role: g.role, scope: `${g.scopeType}/${g.scopeId}`, sub: g.sub } }] },
    );
    return next;
  });
}

export async function listGrants(q: { sub?: string; orgId?: string; courseId?: string }): Promise<Grant[]> {
  if (q.sub) return (await queryAllIndex('gsi1', peopleGsi.grantsOf(q.sub))).map((i) => strip<Grant>(i));
  if (q.courseId) return (await queryAllIndex('gsi2', peopleGsi.grantsOn('course', q.courseId))).map((i) => strip<Grant>(i));
  if (q.orgId) return (await queryAllIndex('gsi2', peopleGsi.grantsOn('org', q.orgId))).map((i) => strip<Grant>(i));
  throw ValidationError.field('query', 'needs one of sub, orgId or courseId');
}

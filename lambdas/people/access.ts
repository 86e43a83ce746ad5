// Who may do what in the programmes. Token roles say who a caller is (admin, researcher, auditor);
// the programme roles are KAIRR items (audited grants, lambdas/people/grants.ts): an org-manager
// of an organisation manages its courses and postings and gives its instructor and host roles; an
// instructor teaches one course; a host runs one organisation's internship postings.
import { hasRole, type Caller } from '../shared/http/caller';
import { peopleKeys } from '../shared/store/keys';
import { ForbiddenError } from '../domain/errors';
import { grantId, type PeopleRole } from '../domain/people';
import { getItem } from './store';

export async function holds(sub: string, role: PeopleRole, scopeType: 'org' | 'course', scopeId: string): Promise<boolean> {
  const it = await getItem(peopleKeys.grant(grantId(role, scopeType, scopeId, sub)));
  return it?.status === 'active';
}

/** The role the caller acts in (for the audit event), or a 403. */
export async function asManager(c: Caller, orgId: string, what: string): Promise<string> {
  if (hasRole(c, 'admin')) return 'admin';
  if (await holds(c.sub, 'org-manager', 'org', orgId)) return 'org-manager';
  throw new ForbiddenError(`Only admins and managers of ${orgId} may ${what}`);
}

export async function asInstructor(c: Caller, course: { id: string; providerOrgId: string }, what: string): Promise<string> {
  if (hasRole(c, 'admin')) return 'admin';
  const [instructor, manager] = await Promise.all([holds(c.sub, 'instructor', 'course', course.id), holds(c.sub, 'org-manager', 'org', course.providerOrgId)]);
  if (instructor) return 'instructor';
  if (manager) return 'org-manager';
  throw new ForbiddenError(`Only the course's instructors, managers of ${course.providerOrgId} and admins may ${what}`);
}

export async function asHost(c: Caller, orgId: string, what: string): Promise<string> {
  if (hasRole(c, 'admin')) return 'admin';
  const [host, manager] = await Promise.all([holds(c.sub, 'host', 'org', orgId), holds(c.sub, 'org-manager', 'org', orgId)]);
  if (host) return 'host';
  if (manager) return 'org-manager';
  throw new ForbiddenError(`Only hosts and managers of ${orgId} and admins may ${what}`);
}

/** Learners, applicants, mentors and mentees: any signed-in researcher. */
export function asResearcher(c: Caller, what: string): string {
  if (hasRole(c, 'researcher')) return 'researcher';
  throw new ForbiddenError(`Only researchers may ${what}`);
}

export const isStaffReader = (c: Caller) => hasRole(c, 'admin', 'auditor');

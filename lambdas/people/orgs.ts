// The interim organisation directory's writes (admins), and a person's declared affiliation.
// Both are audited subjects. When the trust capability's registry lands, these routes retire and
// OrgDirectory (org-directory.ts) reads the registry instead (docs/people.md).
import type { Caller } from '../shared/http/caller';
import { hasRole } from '../shared/http/caller';
import { peopleKeys } from '../shared/store/keys';
import { commit, retryOnStale } from '../shared/store/write-path';
import { ForbiddenError, ValidationError } from '../domain/errors';
import type { Org, OrgBody } from '../domain/people';
import { orgDirectory } from './org-directory';
import { getItem } from './store';

export async function putOrg(c: Caller, id: string, body: OrgBody, requestId: string): Promise<{ org: Org; created: boolean }> {
  if (!hasRole(c, 'admin')) throw new ForbiddenError('Only admins keep the organisation directory');
  return retryOnStale(async () => {
    const item = await getItem(peopleKeys.org(id));
    const org: Org = { id, ...body };
    await commit(
      { actor: { sub: c.sub, role: 'admin' }, requestId },
      {
        changes: [
          { subject: { type: 'org-directory', id }, before: item, after: { ...peopleKeys.org(id), ...org }, action: item ? 'org.update' : 'org.register', details: { orgType: org.orgType, region: org.region, verified: org.verified } },
        ],
      },
    );
    return { org, created: !item };
  });
}

export async function declareAffiliation(c: Caller, orgId: string, requestId: string): Promise<Org> {
  const org = await orgDirectory().get(orgId);
  if (!org) throw ValidationError.field('orgId', `"${orgId}" is not an organisation in the directory`);
  await retryOnStale(async () => {
    const item = await getItem(peopleKeys.affiliation(c.sub));
    await commit(
      { actor: { sub: c.sub, role: 'researcher' }, requestId },
      { changes: [{ subject: { type: 'affiliation', id: c.sub }, before: item, after: { ...peopleKeys.affiliation(c.sub), sub: c.sub, orgId, declaredAt: new Date().toISOString() }, action: 'affiliation.declare', details: { orgId } }] },
    );
  });
  return org;
}

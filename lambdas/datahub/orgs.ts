// Owner organisations, resolved in ONE place. Issue 11's organisation registry (`orgs`) is not
// merged yet: until it is, an organisation id is accepted by its shape (domain/datahub/org.ts)
// and its display name is the id. When the registry lands, resolveOrg() reads it (and refuses an
// unknown or suspended organisation); no caller changes.
import { checkOrgId, type OrgResolution } from '../domain/datahub/org';

export async function resolveOrg(orgId: string): Promise<OrgResolution & { name?: string }> {
  const shape = checkOrgId(orgId);
  return shape.ok ? { ...shape, name: orgId } : shape;
}

// The ONE interface through which the people capability learns about organisations (course
// providers, internship hosts, the org type and region of reports and SME/startup priority).
// Today it reads a minimal interim item (keys.ts peopleKeys.org) that admins keep with
// PUT /v1/people/orgs/{orgId}; when the trust capability's registry lands, dynamoOrgDirectory
// is pointed at the registry's org item (id, names, orgType, verified, region) and nothing else in
// this capability changes. Affiliation (which org a person is at) is declared by the person today
// (PUT /v1/people/me/affiliation) and read through the same interface.
import { peopleKeys } from '../shared/store/keys';
import type { Org, OrgSnapshot } from '../domain/people';
import { batchGet, getItem, strip } from './store';

export interface OrgDirectory {
  get(id: string): Promise<Org | null>;
  getMany(ids: readonly string[]): Promise<Map<string, Org>>;
  /** The organisation a person is affiliated with, if any. */
  affiliationOf(sub: string): Promise<Org | null>;
}

export const dynamoOrgDirectory: OrgDirectory = {
  async get(id) {
    const it = await getItem(peopleKeys.org(id), false);
    return it ? strip<Org>(it) : null;
  },
  async getMany(ids) {
    const uniq = [...new Set(ids)];
    const items = uniq.length ? await batchGet(uniq.map((id) => peopleKeys.org(id))) : [];
    return new Map(items.map((it) => [String(it.id), strip<Org>(it)]));
  },
  async affiliationOf(sub) {
    const a = await getItem(peopleKeys.affiliation(sub), false);
    return a ? this.get(String(a.orgId)) : null;
  },
};

let directory: OrgDirectory = dynamoOrgDirectory;
export const orgDirectory = (): OrgDirectory => directory;
/** For tests: another directory (e.g. one that counts reads). */
export function setOrgDirectory(d: OrgDirectory | undefined): void {
  directory = d ?? dynamoOrgDirectory;
}

/** What a participation record keeps of a person's organisation, at the time they took part. */
export async function snapshotOf(sub: string): Promise<OrgSnapshot> {
  const org = await orgDirectory().affiliationOf(sub);
  return { orgId: org?.id ?? null, orgType: org?.orgType ?? null, region: org?.region ?? null };
}

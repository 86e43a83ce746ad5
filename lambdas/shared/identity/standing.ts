// Whether an award counts towards a fairness floor, decided when it is made (a decision, the
// starter tier's automatic approval, an award plan): only for a verified affiliation, re-read at
// that moment (the org's verified flag, and an admin's record of the owner's affiliation), never
// for the org type a researcher typed. Recorded on the decision, so a release gives back exactly
// what the reservation took.
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../store/client';
import { identityKeys } from '../store/keys';
import { floorOrgType, type Affiliation, type Org, type OrgType } from '../../domain/identity/affiliation';
import type { Person } from './people';

export interface Standing {
  ownerSub: string;
  affiliation?: Affiliation;
}

/** For each entry, in order: the org type its award counts towards, or null (no floor). */
export async function floorTypes(list: Standing[]): Promise<(OrgType | null)[]> {
  const owners = [...new Set(list.map((s) => s.ownerSub))];
  const people = new Map<string, Person>();
  const orgs = new Map<string, Org>();
  const get = async (keys: { pk: string; sk: string }[], put: (it: Record<string, unknown>) => void) => {
    for (let i = 0; i < keys.length; i += 100) {
      let request: Record<string, { Keys: { pk: string; sk: string }[]; ConsistentRead: boolean }> | undefined = { [mainTable()]: { Keys: keys.slice(i, i + 100), ConsistentRead: true } };
      while (request && Object.keys(request).length) {
        const res = await ddb().send(new BatchGetCommand({ RequestItems: request }));
        (res.Responses?.[mainTable()] ?? []).forEach(put);
        request = res.UnprocessedKeys as typeof request;
      }
    }
  };
  await get(
    owners.map((s) => identityKeys.person(s)),
    (it) => people.set(String(it.sub), it as unknown as Person),
  );
  const orgIds = new Set<string>();
  for (const s of list) {
    const recorded = people.get(s.ownerSub)?.affiliation?.orgId;
    const id = recorded ?? s.affiliation?.orgId;
    if (id) orgIds.add(id);
  }
  await get(
    [...orgIds].map((id) => identityKeys.org(id)),
    (it) => orgs.set(String(it.orgId), it as unknown as Org),
  );
  return list.map((s) => {
    // An admin's record of the owner's organisation stands for verified membership; otherwise the
    // org their verified claims matched when they applied.
    const recorded = people.get(s.ownerSub)?.affiliation?.orgId;
    const org = orgs.get(recorded ?? s.affiliation?.orgId ?? '');
    return org ? floorOrgType({ status: org.verified ? 'verified' : 'unverified-org', orgType: org.orgType }) : null;
  });
}

export async function floorTypeOf(s: Standing): Promise<OrgType | null> {
  return (await floorTypes([s]))[0];
}

// Reading the organisation registry: an org by id, and which orgs a caller's verified claims
// match (one BatchGetItem of the match items their evidence may hit). Shared by the identity API,
// the approval capability (a proposal's affiliation, conflicts of interest) and the ledger (a
// chair's conflicts on allocation requests).
import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../store/client';
import { identityKeys, type ItemKey } from '../store/keys';
import type { Caller } from '../http/caller';
import type { AffiliationEvidence } from '../../domain/identity/issuers';
import { hitKey, lookupsFor, matchedOrgs, resolveAffiliation, type Affiliation, type MatchKind, type Org } from '../../domain/identity/affiliation';
import { readPerson } from './people';

async function batchGet(keyList: ItemKey[]): Promise<Record<string, unknown>[]> {
  const unique = [...new Map(keyList.map((k) => [`${k.pk}|${k.sk}`, k])).values()];
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < unique.length; i += 100) {
    let request: Record<string, { Keys: ItemKey[] }> | undefined = { [mainTable()]: { Keys: unique.slice(i, i + 100) } };
    while (request && Object.keys(request).length) {
      const res = await ddb().send(new BatchGetCommand({ RequestItems: request }));
      out.push(...(res.Responses?.[mainTable()] ?? []));
      request = res.UnprocessedKeys as typeof request;
    }
  }
  return out;
}

export function orgOfItem(it: Record<string, unknown>): Org {
  const { pk: _a, sk: _b, gsi1pk: _c, gsi1sk: _d, auditSeq: _e, auditHash: _f, ...org } = it;
  return org as unknown as Org;
}

export async function readOrg(orgId: string): Promise<Org | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: identityKeys.org(orgId), ConsistentRead: true }));
  return out.Item ? orgOfItem(out.Item) : undefined;
}

export async function readOrgs(orgIds: string[]): Promise<Map<string, Org>> {
  const items = await batchGet(orgIds.map((id) => identityKeys.org(id)));
  return new Map(items.map((it) => [String(it.orgId), orgOfItem(it)]));
}

/** Match item hits of the evidence: `${kind}#${value}` → orgId. */
export async function matchHits(evidence: AffiliationEvidence[]): Promise<Map<string, string>> {
  return exactHits(evidence.flatMap(lookupsFor));
}

/** Which org holds each of these exact match keys. */
export async function exactHits(lookups: { kind: MatchKind; value: string }[]): Promise<Map<string, string>> {
  if (!lookups.length) return new Map();
  const items = await batchGet(lookups.map((l) => identityKeys.orgMatch(l.kind, l.value)));
  return new Map(items.map((it) => [hitKey(it.kind as MatchKind, String(it.value)), String(it.orgId)]));
}

/** The caller's affiliation now: from their verified claims and an admin's record. */
export async function affiliationOf(caller: Caller, opts: { wanted?: string; now?: Date } = {}): Promise<Affiliation> {
  const evidence = caller.affiliation ?? [];
  const [hits, person] = await Promise.all([matchHits(evidence), readPerson(caller.sub)]);
  const ids = [...new Set([...hits.values(), ...(person?.affiliation ? [person.affiliation.orgId] : []), ...(opts.wanted ? [opts.wanted] : [])])];
  const orgs = ids.length ? await readOrgs(ids) : new Map<string, Org>();
  return resolveAffiliation({ evidence, hits, orgs, recorded: person?.affiliation, wanted: opts.wanted, now: (opts.now ?? new Date()).toISOString() });
}

/**
 * Every org the caller belongs to by any account KAIRR has of them (claims, an admin's record),
 * verified or not: conflicts of interest err on the side of a conflict.
 */
export async function orgIdsOf(caller: Caller): Promise<Set<string>> {
  const [hits, person] = await Promise.all([matchHits(caller.affiliation ?? []), readPerson(caller.sub)]);
  return new Set([...matchedOrgs(caller.affiliation ?? [], hits).map((m) => m.orgId), ...(person?.affiliation ? [person.affiliation.orgId] : [])]);
}

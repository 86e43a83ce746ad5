// The organisation registry's writes. An org and its match items (one per e-mail domain, home
// organisation and entity id) change in one audited transaction; each match item is conditioned on
// not existing (or on being this org's), so two orgs can never both claim a domain, even racing.
// Changing what an admin verified (type, identifiers, registration number) unverifies the org.
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { identityGsi, identityKeys } from '../shared/store/keys';
import { commit, retryOnStale, type AuditContext, type Item, type SideWrite } from '../shared/store/write-path';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { exactHits, orgOfItem, readOrg } from '../shared/identity/orgs';
import { ConflictError, NotFoundError, ValidationError, type ErrorDetail } from '../domain/errors';
import { hitKey, matchKeysOf, type MatchKind, type Org } from '../domain/identity/affiliation';
import type { CreateOrgBody, UpdateOrgBody } from './api';

type Identifiers = Pick<Org, 'emailDomains' | 'homeOrganizations' | 'entityIds'>;
const FIELD: Record<MatchKind, keyof Identifiers> = { 'email-domain': 'emailDomains', 'home-org': 'homeOrganizations', 'entity-id': 'entityIds' };

function orgItem(org: Org): Item {
  return { ...identityKeys.org(org.orgId), gsi1pk: identityGsi.allOrgs, gsi1sk: `${org.names.en.toLowerCase()}#${org.orgId}`, ...org } as Item;
}

/** Repeats inside the body (400), and identifiers another org already holds (409, naming it). */
async function identifierProblems(orgId: string, ids: Identifiers): Promise<void> {
  const dupes: ErrorDetail[] = [];
  for (const field of ['emailDomains', 'homeOrganizations', 'entityIds'] as const) {
    ids[field].forEach((v, i) => {
      const first = ids[field].indexOf(v);
      if (first !== i) dupes.push({ path: `${field}[${i}]`, problem: `repeats ${field}[${first}]` });
    });
  }
  if (dupes.length) throw new ValidationError(dupes);
  const keys = matchKeysOf(ids);
  const hits = await exactHits(keys);
  const taken = keys.flatMap((k) => {
    const owner = hits.get(hitKey(k.kind, k.value));
    return owner && owner !== orgId ? [{ path: `${FIELD[k.kind]}[${ids[FIELD[k.kind]].indexOf(k.value)}]`, problem: `"${k.value}" belongs to organisation ${owner}` }] : [];
  });
  if (taken.length) throw new ConflictError(`An identifier belongs to another organisation: ${taken.map((t) => t.problem).join('; ')}`, taken, 'identifier_taken');
}

function matchWrites(orgId: string, before: Identifiers | null, after: Identifiers): SideWrite[] {
  const key = (k: { kind: string; value: string }) => `${k.kind}#${k.value}`;
  const had = new Map((before ? matchKeysOf(before) : []).map((k) => [key(k), k]));
  const has = new Map(matchKeysOf(after).map((k) => [key(k), k]));
  const out: SideWrite[] = [];
  for (const [k, m] of has) {
    if (had.has(k)) continue;
    out.push({
      put: { ...identityKeys.orgMatch(m.kind, m.value), kind: m.kind, value: m.value, orgId } as Item,
      condition: { expression: 'attribute_not_exists(pk)' },
      failure: () => new ConflictError(`"${m.value}" was claimed by another organisation at the same time`, [{ path: FIELD[m.kind], problem: `"${m.value}" belongs to another organisation` }], 'identifier_taken'),
    });
  }
  for (const [k, m] of had) {
    if (!has.has(k)) out.push({ delete: identityKeys.orgMatch(m.kind, m.value), condition: { expression: 'orgId = :o', values: { ':o': orgId } } });
  }
  return out;
}

const subject = (orgId: string) => ({ type: 'org', id: orgId });

export async function createOrg(body: CreateOrgBody, ctx: AuditContext, sideWrites: (o: Org) => SideWrite[]): Promise<Org> {
  if (await readOrg(body.orgId)) throw new ConflictError(`Organisation ${body.orgId} exists`, [{ path: 'orgId', problem: 'is taken' }], 'org_exists');
  await identifierProblems(body.orgId, body);
  const now = (ctx.now ?? new Date()).toISOString();
  const org: Org = {
    orgId: body.orgId,
    names: body.names,
    orgType: body.orgType,
    emailDomains: body.emailDomains,
    homeOrganizations: body.homeOrganizations,
    entityIds: body.entityIds,
    ...(body.registrationNumber ? { registrationNumber: body.registrationNumber } : {}),
    verified: false,
    createdAt: now,
    updatedAt: now,
    createdBy: ctx.actor.sub,
  };
  try {
    await commit(ctx, {
      changes: [{ subject: subject(org.orgId), before: null, after: orgItem(org), action: 'org.create', details: { orgType: org.orgType, identifiers: matchKeysOf(org).length } }],
      sideWrites: [...matchWrites(org.orgId, null, org), ...sideWrites(org)],
    });
  } catch (e) {
    if ((e as Error).name === 'StaleWriteError') throw new ConflictError(`Organisation ${body.orgId} exists`, [{ path: 'orgId', problem: 'is taken' }], 'org_exists');
    throw e;
  }
  return org;
}

async function current(orgId: string): Promise<{ org: Org; item: Item }> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: identityKeys.org(orgId), ConsistentRead: true }));
  if (!out.Item) throw new NotFoundError('Organisation', orgId);
  return { org: orgOfItem(out.Item), item: out.Item as Item };
}

const VERIFIED_FACTS = ['orgType', 'emailDomains', 'homeOrganizations', 'entityIds', 'registrationNumber'] as const;

export async function updateOrg(orgId: string, body: UpdateOrgBody, ctx: AuditContext): Promise<Org> {
  return retryOnStale(async () => {
    const { org, item } = await current(orgId);
    const { reason: _r, registrationNumber, ...rest } = body;
    const next: Org = { ...org, ...rest, updatedAt: (ctx.now ?? new Date()).toISOString() };
    if (registrationNumber === null) delete next.registrationNumber;
    else if (registrationNumber !== undefined) next.registrationNumber = registrationNumber;
    await identifierProblems(orgId, next);
    const changed = VERIFIED_FACTS.filter((f) => JSON.stringify(org[f] ?? null) !== JSON.stringify(next[f] ?? null));
    if (changed.length && org.verified) {
      next.verified = false;
      next.verificationNote = `unverified by the change of ${changed.join(', ')}`;
      delete next.verifiedBy;
      delete next.verifiedAt;
    }
    await commit(ctx, {
      changes: [
        {
          subject: subject(orgId),
          before: item,
          after: orgItem(next),
          action: 'org.update',
          details: { fields: Object.keys(rest).concat(registrationNumber !== undefined ? ['registrationNumber'] : []), unverified: changed.length > 0 && org.verified },
        },
      ],
      sideWrites: matchWrites(orgId, org, next),
    });
    return next;
  });
}

export async function verifyOrg(orgId: string, verified: boolean, ctx: AuditContext): Promise<Org> {
  return retryOnStale(async () => {
    const { org, item } = await current(orgId);
    const now = (ctx.now ?? new Date()).toISOString();
    const next: Org = { ...org, verified, updatedAt: now, verifiedBy: ctx.actor.sub, verifiedAt: now, verificationNote: ctx.reason ?? undefined };
    await commit(ctx, { changes: [{ subject: subject(orgId), before: item, after: orgItem(next), action: verified ? 'org.verify' : 'org.unverify', details: { orgType: org.orgType } }] });
    return next;
  });
}

export async function listOrgs(opts: { verified?: boolean; limit: number; nextToken?: string }): Promise<{ items: Org[]; nextToken?: string }> {
  const scope = `${identityGsi.allOrgs}#${opts.verified ?? ''}`;
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': identityGsi.allOrgs, ...(opts.verified !== undefined ? { ':v': opts.verified } : {}) },
      ...(opts.verified !== undefined ? { FilterExpression: 'verified = :v' } : {}),
      Limit: opts.limit,
      ExclusiveStartKey: decodeToken(opts.nextToken, scope),
    }),
  );
  return { items: (out.Items ?? []).map(orgOfItem), nextToken: encodeToken(out.LastEvaluatedKey, scope) };
}

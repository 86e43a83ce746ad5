// The people KAIRR keeps records of: roles admins assign, an affiliation an admin recorded, and
// links between subjects of different issuers. Every change is one audited transaction; a link
// changes both subjects' records together, so a half-made link cannot exist.
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { identityGsi, identityKeys } from '../shared/store/keys';
import { commit, retryOnStale, type AuditContext, type Change, type Item } from '../shared/store/write-path';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { roleProblem } from '../shared/http/caller';
import { runtimeConfig } from '../shared/config';
import { forgetPerson, type Person } from '../shared/identity/people';
import { readOrg } from '../shared/identity/orgs';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';

function personItem(p: Person): Item {
  return { ...identityKeys.person(p.sub), gsi1pk: identityGsi.allPeople, gsi1sk: p.sub, ...p } as Item;
}

export function personOf(it: Record<string, unknown>): Person {
  const { pk: _a, sk: _b, gsi1pk: _c, gsi1sk: _d, auditSeq: _e, auditHash: _f, ...p } = it;
  return { aliases: [], ...(p as unknown as Person) };
}

async function read(sub: string): Promise<{ person: Person | null; item: Item | null }> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: identityKeys.person(sub), ConsistentRead: true }));
  return out.Item ? { person: personOf(out.Item), item: out.Item as Item } : { person: null, item: null };
}

export async function getPerson(sub: string): Promise<Person> {
  const { person } = await read(sub);
  if (!person) throw new NotFoundError('Person', sub);
  return person;
}

const blank = (sub: string, now: string): Person => ({ sub, roles: [], aliases: [], createdAt: now, updatedAt: now });
const change = (before: Item | null, after: Person, action: string, details: Record<string, unknown>): Change => ({ subject: { type: 'person', id: after.sub }, before, after: personItem(after), action, details });

function notAnAlias(p: Person | null, what: string): void {
  if (p?.aliasOf) throw new ConflictError(`${p.sub} is linked to ${p.aliasOf}: ${what} ${p.aliasOf} instead`, [{ path: 'sub', problem: `is linked to ${p.aliasOf}` }], 'linked_subject');
}

export async function setRoles(sub: string, roles: string[], ctx: AuditContext): Promise<Person> {
  const sites = new Set(runtimeConfig().sites.map((s) => s.id));
  const problems = roles.flatMap((r, i) => {
    const p = roleProblem(r, sites);
    return p ? [{ path: `roles[${i}]`, problem: p }] : [];
  });
  if (problems.length) throw new ValidationError(problems);
  const wanted = [...new Set(roles)].sort();
  const out = await retryOnStale(async () => {
    const { person, item } = await read(sub);
    notAnAlias(person, 'assign roles to');
    const now = (ctx.now ?? new Date()).toISOString();
    const before = person?.roles ?? [];
    const next: Person = { ...(person ?? blank(sub, now)), roles: wanted, updatedAt: now };
    await commit(ctx, { changes: [change(item, next, 'person.roles', { added: wanted.filter((r) => !before.includes(r)), removed: before.filter((r) => !wanted.includes(r)) })] });
    return next;
  });
  forgetPerson(sub);
  return out;
}

export async function setAffiliation(sub: string, orgId: string | null, ctx: AuditContext): Promise<Person> {
  if (orgId && !(await readOrg(orgId))) throw ValidationError.field('orgId', `is not an organisation in the registry (${orgId})`);
  const out = await retryOnStale(async () => {
    const { person, item } = await read(sub);
    notAnAlias(person, 'record the affiliation of');
    const now = (ctx.now ?? new Date()).toISOString();
    const next: Person = { ...(person ?? blank(sub, now)), updatedAt: now };
    if (orgId) next.affiliation = { orgId, recordedBy: ctx.actor.sub, recordedAt: now, reason: ctx.reason ?? '' };
    else delete next.affiliation;
    await commit(ctx, { changes: [change(item, next, orgId ? 'person.affiliation.record' : 'person.affiliation.clear', { orgId, was: person?.affiliation?.orgId ?? null })] });
    return next;
  });
  forgetPerson(sub);
  return out;
}

export async function link(sub: string, subject: string, ctx: AuditContext): Promise<Person> {
  if (subject === sub) throw ValidationError.field('subject', 'is the person itself');
  const out = await retryOnStale(async () => {
    const [target, other] = await Promise.all([read(sub), read(subject)]);
    notAnAlias(target.person, 'link subjects to');
    const o = other.person;
    if (o?.aliasOf) throw new ConflictError(`${subject} is already linked to ${o.aliasOf}`, [{ path: 'subject', problem: `is linked to ${o.aliasOf}` }], 'already_linked');
    if (o && (o.roles.length || o.affiliation || o.aliases?.length)) {
      throw new ConflictError(`${subject} has a KAIRR record of its own (roles, an affiliation or links); clear it first`, [{ path: 'subject', problem: 'has roles, an affiliation or links of its own' }], 'subject_has_record');
    }
    const now = (ctx.now ?? new Date()).toISOString();
    const t = target.person ?? blank(sub, now);
    const next: Person = { ...t, aliases: [...new Set([...(t.aliases ?? []), subject])].sort(), updatedAt: now };
    const alias: Person = { ...(o ?? blank(subject, now)), aliasOf: sub, updatedAt: now };
    await commit(ctx, { changes: [change(target.item, next, 'person.link', { subject }), change(other.item, alias, 'person.linked', { to: sub })] });
    return next;
  });
  forgetPerson(sub);
  forgetPerson(subject);
  return out;
}

export async function unlink(sub: string, subject: string, ctx: AuditContext): Promise<Person> {
  const out = await retryOnStale(async () => {
    const [target, other] = await Promise.all([read(sub), read(subject)]);
    if (!target.person || !other.person || other.person.aliasOf !== sub) throw new NotFoundError('Link', `${sub} ← ${subject}`);
    const now = (ctx.now ?? new Date()).toISOString();
    const next: Person = { ...target.person, aliases: (target.person.aliases ?? []).filter((a) => a !== subject), updatedAt: now };
    const { aliasOf: _gone, ...rest } = other.person;
    await commit(ctx, { changes: [change(target.item, next, 'person.unlink', { subject }), change(other.item, { ...rest, updatedAt: now }, 'person.unlinked', { from: sub })] });
    return next;
  });
  forgetPerson(sub);
  forgetPerson(subject);
  return out;
}

export async function listPeople(limit: number, nextToken?: string): Promise<{ items: Person[]; nextToken?: string }> {
  const scope = identityGsi.allPeople;
  const out = await ddb().send(
    new QueryCommand({ TableName: mainTable(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': scope }, Limit: limit, ExclusiveStartKey: decodeToken(nextToken, scope) }),
  );
  return { items: (out.Items ?? []).map(personOf), nextToken: encodeToken(out.LastEvaluatedKey, scope) };
}

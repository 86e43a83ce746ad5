// The people capability's items in the main table, and the reads its services share. Every change
// goes through commit() (the audited write path); counters (seats, selected places) change in
// place with ADD inside the same transaction, guarded by their conditions.
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { peopleGsi, peopleKeys, type ItemKey } from '../shared/store/keys';
import type { Item } from '../shared/store/write-path';
import { NotFoundError } from '../domain/errors';
import type { Application, Certificate, Course, Enrolment, Grant, Instance, Internship, Match, MenteeRequest, Mentor } from '../domain/people';

const OWN_ATTRS = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'auditSeq', 'auditHash']);

export function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!OWN_ATTRS.has(k)) out[k] = v;
  return out as T;
}

// ---- item mappers ----------------------------------------------------------------------------

export const courseItem = (c: Course): Item => ({
  ...c,
  ...peopleKeys.course(c.id),
  ...(c.status === 'published' ? { gsi1pk: peopleGsi.publishedCourses, gsi1sk: `${c.createdAt}#${c.id}` } : {}),
  gsi2pk: peopleGsi.coursesInState(c.status),
  gsi2sk: `${c.createdAt}#${c.id}`,
});
export const instanceItem = (i: Instance): Item => ({ ...i, ...peopleKeys.instance(i.id), gsi1pk: peopleGsi.instancesOf(i.courseId), gsi1sk: `${i.startDate}#${i.id}` });
export const enrolmentItem = (e: Enrolment): Item => ({
  ...e,
  ...peopleKeys.enrolment(e.id),
  gsi1pk: peopleGsi.enrolmentsOf(e.learnerSub),
  gsi1sk: `${e.appliedAt}#${e.id}`,
  gsi2pk: peopleGsi.roster(e.instanceId),
  gsi2sk: `${e.state}#${peopleKeys.ticketOrder(e.ticket)}`,
});
export const certificateItem = (c: Certificate): Item => ({ ...c, ...peopleKeys.certificate(c.id) });
export const grantItem = (g: Grant): Item => ({
  ...g,
  ...peopleKeys.grant(g.id),
  gsi1pk: peopleGsi.grantsOf(g.sub),
  gsi1sk: `${g.role}#${g.scopeType}#${g.scopeId}`,
  gsi2pk: peopleGsi.grantsOn(g.scopeType, g.scopeId),
  gsi2sk: `${g.role}#${g.sub}`,
});
export const internshipItem = (i: Internship): Item => ({
  ...i,
  ...peopleKeys.internship(i.id),
  gsi1pk: peopleGsi.internships,
  gsi1sk: `${i.createdAt}#${i.id}`,
  gsi2pk: peopleGsi.internshipsOfHost(i.hostOrgId),
  gsi2sk: `${i.createdAt}#${i.id}`,
});
export const applicationItem = (a: Application): Item => ({
  ...a,
  ...peopleKeys.application(a.id),
  gsi1pk: peopleGsi.applicationsOf(a.applicantSub),
  gsi1sk: `${a.appliedAt}#${a.id}`,
  gsi2pk: peopleGsi.applicationsTo(a.internshipId),
  gsi2sk: `${a.appliedAt}#${a.id}`,
});
export const mentorItem = (m: Mentor): Item => ({ ...m, ...peopleKeys.mentor(m.sub), gsi1pk: peopleGsi.mentors, gsi1sk: m.sub });
export const menteeRequestItem = (r: MenteeRequest): Item => ({ ...r, ...peopleKeys.menteeRequest(r.id), gsi1pk: peopleGsi.menteeRequestsOf(r.menteeSub), gsi1sk: `${r.createdAt}#${r.id}` });
export const matchItem = (m: Match): Item => ({
  ...m,
  ...peopleKeys.match(m.id),
  gsi1pk: peopleGsi.matchesOfMentee(m.menteeSub),
  gsi1sk: `${m.startedAt}#${m.id}`,
  gsi2pk: peopleGsi.matchesOfMentor(m.mentorSub),
  gsi2sk: `${m.startedAt}#${m.id}`,
});

// ---- reads -------------------------------------------------------------------------------------

export async function getItem(key: ItemKey, consistent = true): Promise<Item | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: key, ConsistentRead: consistent }));
  return (out.Item as Item) ?? null;
}

/** Reads an entity by key, or throws a 404 naming it. */
export async function mustGet<T>(key: ItemKey, what: string, id: string): Promise<{ value: T; item: Item }> {
  const item = await getItem(key);
  if (!item) throw new NotFoundError(what, id);
  return { value: strip<T>(item), item };
}

export async function batchGet(keys: ItemKey[]): Promise<Item[]> {
  const out: Item[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let req: Record<string, { Keys: ItemKey[] }> | undefined = { [mainTable()]: { Keys: keys.slice(i, i + 100) } };
    while (req && Object.keys(req).length) {
      const res = await ddb().send(new BatchGetCommand({ RequestItems: req }));
      out.push(...((res.Responses?.[mainTable()] ?? []) as Item[]));
      req = res.UnprocessedKeys as typeof req;
    }
  }
  return out;
}

export interface Page {
  items: Item[];
  nextKey?: Record<string, unknown>;
}

export async function queryIndex(index: 'gsi1' | 'gsi2', pk: string, opts: { limit?: number; startKey?: Record<string, unknown>; forward?: boolean; skBeginsWith?: string } = {}): Promise<Page> {
  const pkName = `${index}pk`;
  const skName = `${index}sk`;
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      IndexName: index,
      KeyConditionExpression: opts.skBeginsWith ? `${pkName} = :p AND begins_with(${skName}, :s)` : `${pkName} = :p`,
      ExpressionAttributeValues: { ':p': pk, ...(opts.skBeginsWith ? { ':s': opts.skBeginsWith } : {}) },
      ScanIndexForward: opts.forward ?? false,
      Limit: opts.limit,
      ExclusiveStartKey: opts.startKey,
    }),
  );
  return { items: (out.Items ?? []) as Item[], nextKey: out.LastEvaluatedKey };
}

/** Every item of an index partition (bounded partitions: a course's instances, a roster, the mentors). */
export async function queryAllIndex(index: 'gsi1' | 'gsi2', pk: string, skBeginsWith?: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await queryIndex(index, pk, { startKey, forward: true, skBeginsWith, limit: 500 });
    items.push(...page.items);
    startKey = page.nextKey;
  } while (startKey);
  return items;
}

/** Items of a base-table partition with a sort-key prefix, consistently read, in key order. */
export async function queryPrefix(pk: string, skPrefix: string, limit?: number): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(
      new QueryCommand({ TableName: mainTable(), KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix }, ConsistentRead: true, ExclusiveStartKey: start, Limit: limit }),
    );
    items.push(...((out.Items ?? []) as Item[]));
    start = limit && items.length >= limit ? undefined : out.LastEvaluatedKey;
  } while (start);
  return items;
}

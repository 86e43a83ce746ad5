// Calls, proposals, assignments, decisions and reviewer loads in the main table. Every change goes
// through the audited write path (commit): each item here is a subject with its own audit chain,
// so writers of one proposal, one call, one assignment or one reviewer's load are serialised by
// that item's auditSeq. Events go to the outbox in the same transaction and are published after.
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { batchGet } from '../shared/store/batch-get';
import { queryAll } from '../shared/store/query-all';
import { approvalGsi, approvalKeys, type ItemKey } from '../shared/store/keys';
import { commit, type AuditContext, type Change, type ImmutablePut, type Item, type SideWrite } from '../shared/store/write-path';
import { outboxWrites, publish } from '../shared/events/outbox';
import type { DomainEvent } from '../domain/events';
import { NotFoundError } from '../domain/errors';
import { assignmentId, type Assignment, type Call, type DecisionItem, type Proposal } from '../domain/approval/model';

const OWN_ATTRS = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'auditSeq', 'auditHash']);

function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!OWN_ATTRS.has(k)) out[k] = v;
  return out as T;
}

// ---- item mappers --------------------------------------------------------------------------

export function callItem(c: Call): Item {
  return { ...c, ...approvalKeys.call(c.id), gsi1pk: approvalGsi.allCalls, gsi1sk: `${c.closesAt}#${c.id}` } as Item;
}
export const callOf = (item: Record<string, unknown>) => strip<Call>(item);

export function proposalItem(p: Proposal): Item {
  return {
    ...p,
    ...approvalKeys.proposal(p.id),
    gsi1pk: approvalGsi.proposalsOf(p.ownerSub),
    gsi1sk: `${p.createdAt}#${p.id}`,
    gsi2pk: approvalGsi.proposalsInState(p.state),
    gsi2sk: `${p.callId}#${p.submittedAt ?? p.createdAt}#${p.id}`,
  } as Item;
}
export const proposalOf = (item: Record<string, unknown>) => strip<Proposal>(item);

export function assignmentItem(a: Assignment): Item {
  return { ...a, ...approvalKeys.assignment(a.proposalId, a.round, a.slot, a.seq), gsi1pk: approvalGsi.assignmentsOf(a.reviewerSub), gsi1sk: `${a.assignedAt}#${assignmentId(a)}` } as Item;
}
export const assignmentOf = (item: Record<string, unknown>) => strip<Assignment>(item);

export function decisionItem(d: DecisionItem): Item {
  return { ...d, ...approvalKeys.decision(d.proposalId, d.round) } as Item;
}
export const decisionOf = (item: Record<string, unknown>) => strip<DecisionItem>(item);

export interface LoadState {
  sub: string;
  open: number;
  item: Item | null;
}

// ---- reads ---------------------------------------------------------------------------------

export async function getItem(key: ItemKey): Promise<Item | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: key, ConsistentRead: true }));
  return (out.Item as Item) ?? null;
}

export async function readCall(id: string): Promise<{ call: Call; item: Item }> {
  const item = await getItem(approvalKeys.call(id));
  if (!item) throw new NotFoundError('Call', id);
  return { call: callOf(item), item };
}

export async function readProposal(id: string): Promise<{ proposal: Proposal; item: Item }> {
  const item = await getItem(approvalKeys.proposal(id));
  if (!item) throw new NotFoundError('Proposal', id);
  return { proposal: proposalOf(item), item };
}

export async function readDecision(proposalId: string, round: number): Promise<{ decision: DecisionItem; item: Item } | null> {
  const item = await getItem(approvalKeys.decision(proposalId, round));
  return item ? { decision: decisionOf(item), item } : null;
}

async function queryPrefix(pk: string, skPrefix: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(
      new QueryCommand({ TableName: mainTable(), KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix }, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

export interface StoredAssignment {
  assignment: Assignment;
  item: Item;
}

/** A proposal's assignments (of one round, or one slot), in key order: round, slot, seq. */
export async function listAssignments(proposalId: string, round?: number, slot?: number): Promise<StoredAssignment[]> {
  const { pk, skPrefix } = approvalKeys.assignmentPrefix(proposalId, round, slot);
  return (await queryPrefix(pk, skPrefix)).map((item) => ({ assignment: assignmentOf(item), item }));
}

/** The live assignment of each slot of a round: the one with the highest seq. */
export function latestPerSlot(list: StoredAssignment[]): Map<number, StoredAssignment> {
  const out = new Map<number, StoredAssignment>();
  for (const a of list) {
    const cur = out.get(a.assignment.slot);
    if (!cur || a.assignment.seq > cur.assignment.seq) out.set(a.assignment.slot, a);
  }
  return out;
}

export async function readAssignment(id: { proposalId: string; round: number; slot: number; seq: number }): Promise<StoredAssignment | null> {
  const item = await getItem(approvalKeys.assignment(id.proposalId, id.round, id.slot, id.seq));
  return item ? { assignment: assignmentOf(item), item } : null;
}

export async function declaredConflicts(proposalId: string): Promise<Set<string>> {
  const { pk, skPrefix } = approvalKeys.conflictPrefix(proposalId);
  return new Set((await queryPrefix(pk, skPrefix)).map((i) => String(i.sub)));
}

export { batchGet };

/** Current open-assignment counts of these reviewers. */
export async function readLoads(subs: string[]): Promise<Map<string, LoadState>> {
  const got = await batchGet(subs.map((s) => approvalKeys.reviewerLoad(s)));
  const out = new Map<string, LoadState>();
  for (const sub of subs) {
    const k = approvalKeys.reviewerLoad(sub);
    const item = got.get(`${k.pk}|${k.sk}`) ?? null;
    out.set(sub, { sub, open: item ? Number(item.open ?? 0) : 0, item });
  }
  return out;
}

export interface Page<T> {
  items: T[];
  nextKey?: Record<string, unknown>;
}

export async function queryIndex(index: 'gsi1' | 'gsi2', pkValue: string, opts: { limit: number; startKey?: Record<string, unknown>; skBeginsWith?: string; skAbove?: string; forward?: boolean }): Promise<Page<Item>> {
  const pkName = `${index}pk`;
  const skName = `${index}sk`;
  let cond = `${pkName} = :p`;
  const values: Record<string, unknown> = { ':p': pkValue };
  if (opts.skBeginsWith) (cond += ` AND begins_with(${skName}, :s)`), (values[':s'] = opts.skBeginsWith);
  else if (opts.skAbove) (cond += ` AND ${skName} > :s`), (values[':s'] = opts.skAbove);
  const out = await ddb().send(
    new QueryCommand({ TableName: mainTable(), IndexName: index, KeyConditionExpression: cond, ExpressionAttributeValues: values, Limit: opts.limit, ExclusiveStartKey: opts.startKey, ScanIndexForward: opts.forward ?? false }),
  );
  return { items: (out.Items ?? []) as Item[], nextKey: out.LastEvaluatedKey };
}

// ---- typed readers for other capabilities (through lambdas/approval/index.ts) ----------------

/** A call, or null when there is none. */
export async function findCall(id: string): Promise<Call | null> {
  const item = await getItem(approvalKeys.call(id));
  return item ? callOf(item) : null;
}

/** Every call, by closing time (gsi1 CALLS); with `closingAfter`, those that close after it. */
export async function listCalls(opts: { closingAfter?: string } = {}): Promise<Call[]> {
  const after = opts.closingAfter;
  const items = await queryAll({
    TableName: mainTable(),
    IndexName: 'gsi1',
    KeyConditionExpression: after ? 'gsi1pk = :p AND gsi1sk > :s' : 'gsi1pk = :p',
    ExpressionAttributeValues: after ? { ':p': approvalGsi.allCalls, ':s': after } : { ':p': approvalGsi.allCalls },
  });
  return items.map(callOf);
}

/** The proposals in one state (gsi2 PROPSTATE#<state>), of one call when `callId` is given. */
export async function proposalsInState(state: string, callId?: string): Promise<Proposal[]> {
  const pk = approvalGsi.proposalsInState(state);
  const items = await queryAll({
    TableName: mainTable(),
    IndexName: 'gsi2',
    KeyConditionExpression: callId ? 'gsi2pk = :p AND begins_with(gsi2sk, :c)' : 'gsi2pk = :p',
    ExpressionAttributeValues: callId ? { ':p': pk, ':c': `${callId}#` } : { ':p': pk },
  });
  return items.map(proposalOf);
}

/** The proposals with these ids that exist, in no particular order. */
export async function readProposals(ids: readonly string[]): Promise<Proposal[]> {
  return [...(await batchGet(ids.map((id) => approvalKeys.proposal(id)))).values()].map(proposalOf);
}

/** The ids of those proposals on which `sub` declared a conflict. */
export async function conflictsDeclaredBy(sub: string, proposalIds: readonly string[]): Promise<Set<string>> {
  return new Set([...(await batchGet(proposalIds.map((id) => approvalKeys.conflict(id, sub)))).values()].map((it) => String(it.proposalId)));
}

// ---- changes -------------------------------------------------------------------------------

export const subject = {
  call: (id: string) => ({ type: 'call', id }),
  proposal: (id: string) => ({ type: 'proposal', id }),
  assignment: (a: Assignment) => ({ type: 'assignment', id: assignmentId(a) }),
  decision: (proposalId: string, round: number) => ({ type: 'decision', id: `${proposalId}.${round}` }),
  reviewerLoad: (sub: string) => ({ type: 'reviewer-load', id: sub }),
};

export function proposalChange(before: Item | null, after: Proposal, action: string, details?: Record<string, unknown>): Change {
  return { subject: subject.proposal(after.id), before, after: proposalItem(after), action, details: { state: after.state, ...(details ?? {}) } };
}

export function callChange(before: Item | null, after: Call, action: string, details?: Record<string, unknown>): Change {
  return { subject: subject.call(after.id), before, after: callItem(after), action, details };
}

export function assignmentChange(before: Item | null, after: Assignment, action: string, details?: Record<string, unknown>): Change {
  return { subject: subject.assignment(after), before, after: assignmentItem(after), action, details: { status: after.status, reviewer: after.reviewerSub, ...(details ?? {}) } };
}

export function decisionChange(before: Item | null, after: DecisionItem, action: string, details?: Record<string, unknown>): Change {
  return { subject: subject.decision(after.proposalId, after.round), before, after: decisionItem(after), action, details };
}

/** Moves a reviewer's open-assignment count by delta (never below zero). */
export function loadChange(load: LoadState, delta: number, now: string): Change {
  const open = Math.max(0, load.open + delta);
  load.open = open;
  const after = { ...approvalKeys.reviewerLoad(load.sub), sub: load.sub, open, updatedAt: now } as Item;
  const change: Change = { subject: subject.reviewerLoad(load.sub), before: load.item, after, action: delta > 0 ? 'reviewer.load.add' : 'reviewer.load.release', details: { open } };
  return change;
}

export interface ApprovalWrite {
  changes: Change[];
  puts?: ImmutablePut[];
  sideWrites?: SideWrite[];
  events?: DomainEvent[];
}

/**
 * Commits the changes (one audited transaction) and publishes the events after. Changes to the
 * same subject are merged first (the last one wins), as commit() allows one change per subject.
 */
export async function commitApproval(ctx: AuditContext, w: ApprovalWrite): Promise<void> {
  const merged = new Map<string, Change>();
  for (const c of w.changes) {
    const key = `${c.subject.type}/${c.subject.id}`;
    const prior = merged.get(key);
    merged.set(key, prior ? { ...c, before: prior.before, action: prior.action === c.action ? c.action : `${prior.action}+${c.action}`, details: { ...(prior.details ?? {}), ...(c.details ?? {}) } } : c);
  }
  await commit(ctx, { changes: [...merged.values()], puts: w.puts, sideWrites: [...(w.sideWrites ?? []), ...outboxWrites(w.events ?? [])] });
  if (w.events?.length) await publish(w.events);
}

// THE way to change state. Every state-changing write goes through commit(): the changed items and
// one audit event per changed subject are written in ONE DynamoDB transaction (TransactWriteItems),
// so a change without its event, or an event without its change, cannot happen.
//
// Concurrency is optimistic: each subject item carries its audit chain head (auditSeq, auditHash);
// the new item is written only if auditSeq is still what the caller read. That one condition both
// serialises writers of a subject and keeps its hash chain gap-free. A lost race throws
// StaleWriteError; retryOnStale() re-reads and re-applies. The chain head lives on the subject's own
// item, so there is no shared head item to become a hot partition (README, "Audit trail").
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
// the modules themselves, not the audit barrel: the write path needs no export or verify code
import { nextEvent, type AuditEvent } from '../../domain/audit/event';
import { digestOf } from '../../domain/audit/jcs';
import { ddb, mainTable, auditTable } from './client';
import { auditStream, type ItemKey } from './keys';
import { newId } from '../../domain/ids';
import { ConflictError, KairrError } from '../../domain/errors';
import { transactionalWcu } from './capacity';

export type Item = Record<string, unknown> & ItemKey;

export interface Actor {
  sub: string;
  /** The role the actor acted in (researcher, chair, ..., or "system" for KAIRR's own jobs). */
  role: string;
}

export interface AuditContext {
  actor: Actor;
  requestId: string;
  reason?: string | null;
  now?: Date;
}

export interface Change {
  subject: { type: string; id: string };
  /** The item as read (with its auditSeq/auditHash), or null when this change creates it. */
  before: Item | null;
  /** The complete item after the change (same key as before). */
  after: Item;
  action: string;
  /** A small JSON summary for auditors (amounts, state transitions). */
  details?: Record<string, unknown>;
}

export interface ImmutablePut {
  item: Item;
  /** Index of the change whose audit event records this item's digest (details.created). */
  recordedBy?: number;
}

export interface ConditionCheck {
  key: ItemKey;
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
  /** The error to raise when the condition does not hold. */
  failure: () => Error;
}

/**
 * An index or derived item maintained together with a change (a member index, a job's charge
 * state, an outbox record). Its content is covered by the change's event (details or a created
 * entry's digest); its optional condition guards concurrent writers like a subject's auditSeq does.
 */
type SideCondition = { expression: string; names?: Record<string, string>; values?: Record<string, unknown> };
export type SideWrite =
  | { put: Item; condition?: SideCondition; failure?: () => Error }
  | { delete: ItemKey; condition?: SideCondition; failure?: () => Error }
  // ---- dispatch holds: a counter changed in place (ADD), never rewritten whole ----
  | { update: { key: ItemKey; expression: string; names?: Record<string, string>; values?: Record<string, unknown> }; condition?: SideCondition; failure?: () => Error };

export interface WriteSet {
  changes: Change[];
  puts?: ImmutablePut[];
  checks?: ConditionCheck[];
  sideWrites?: SideWrite[];
  /**
   * Ask DynamoDB for the consumed capacity (default true: the ledger's metrics read it). A hot path
   * that never reads it turns it off: DynamoDB Local answers such a transaction 2-5 ms later
   * (bench/dispatch-profile.ts).
   */
  reportCapacity?: boolean;
}

/** Attributes the write path owns on every audited item. */
export const AUDIT_ATTRS = ['auditSeq', 'auditHash'] as const;

/** Someone else changed the subject since it was read: re-read and try again. */
export class StaleWriteError extends ConflictError {
  constructor(
    readonly subject: string,
    /** The subject's item as it is now, when DynamoDB returned it (saves a re-read). */
    readonly current?: Item,
  ) {
    super(`${subject} was changed by someone else at the same time; try again`, [], 'stale_write');
  }
}

/** An immutable item to create already exists (a retry, or a duplicate). */
export class DuplicateItemError extends ConflictError {
  constructor(readonly key: ItemKey) {
    super(`${key.pk}/${key.sk} already exists`, [], 'duplicate');
  }
}

/** The subject's state as digested into the audit event: the item without the write path's own attributes. */
export function subjectState(item: Item | null): Record<string, unknown> | null {
  if (!item) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!(AUDIT_ATTRS as readonly string[]).includes(k) && v !== undefined) out[k] = v;
  return out;
}

const MAX_ITEMS = 100;

export function buildTransaction(ctx: AuditContext, set: WriteSet): { input: TransactWriteCommandInput; events: AuditEvent[]; roles: string[] } {
  if (set.changes.length === 0) throw new Error('commit() needs at least one change: every write is a change of some subject');
  const time = (ctx.now ?? new Date()).toISOString();
  const seen = new Set<string>();
  const created = new Map<number, { pk: string; sk: string; digest: string }[]>();
  for (const p of set.puts ?? []) {
    if (p.recordedBy === undefined) continue;
    if (!set.changes[p.recordedBy]) throw new Error(`put ${p.item.pk}/${p.item.sk} is recorded by change ${p.recordedBy}, which does not exist`);
    const list = created.get(p.recordedBy) ?? [];
    list.push({ pk: p.item.pk, sk: p.item.sk, digest: digestOf(p.item) });
    created.set(p.recordedBy, list);
  }

  const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
  const roles: string[] = [];
  const events: AuditEvent[] = [];
  set.changes.forEach((c, i) => {
    const stream = auditStream(c.subject.type, c.subject.id);
    if (seen.has(stream)) throw new Error(`${stream} is changed twice in one commit; merge the changes`);
    seen.add(stream);
    if (c.before && (c.before.pk !== c.after.pk || c.before.sk !== c.after.sk)) throw new Error(`${stream}: before and after have different keys`);
    const prevSeq = c.before ? Number(c.before.auditSeq ?? 0) : 0;
    const head = c.before && prevSeq > 0 ? { seq: prevSeq, hash: String(c.before.auditHash) } : null;
    const det = { ...(c.details ?? {}), ...(created.has(i) ? { created: created.get(i) } : {}) };
    const event = nextEvent(head, {
      stream,
      eventId: newId('ev'),
      time,
      actor: { sub: ctx.actor.sub, role: ctx.actor.role },
      action: c.action,
      subject: { type: c.subject.type, id: c.subject.id },
      requestId: ctx.requestId,
      reason: ctx.reason ?? null,
      before: c.before ? digestOf(subjectState(c.before)) : null,
      after: digestOf(subjectState(c.after)),
      details: Object.keys(det).length ? det : null,
    });
    events.push(event);
    const after = { ...subjectState(c.after), pk: c.after.pk, sk: c.after.sk, auditSeq: event.seq, auditHash: event.hash };
    items.push({
      Put: {
        TableName: mainTable(),
        Item: after,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ...(c.before === null
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : prevSeq > 0
            ? { ConditionExpression: 'auditSeq = :seq', ExpressionAttributeValues: { ':seq': prevSeq } }
            : { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(auditSeq)' }),
      },
    });
    roles.push(`change:${i}`);
    items.push({
      Put: {
        TableName: auditTable(),
        Item: auditItem(event),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    roles.push(`event:${i}`);
  });
  (set.puts ?? []).forEach((p, i) => {
    items.push({ Put: { TableName: mainTable(), Item: p.item, ConditionExpression: 'attribute_not_exists(pk)' } });
    roles.push(`put:${i}`);
  });
  (set.sideWrites ?? []).forEach((w, i) => {
    const cond = w.condition
      ? { ConditionExpression: w.condition.expression, ...(w.condition.names ? { ExpressionAttributeNames: w.condition.names } : {}), ...(w.condition.values ? { ExpressionAttributeValues: w.condition.values } : {}) }
      : {};
    if ('put' in w) items.push({ Put: { TableName: mainTable(), Item: w.put, ...cond } });
    else if ('update' in w) {
      const names = { ...(w.update.names ?? {}), ...(w.condition?.names ?? {}) };
      const values = { ...(w.update.values ?? {}), ...(w.condition?.values ?? {}) };
      items.push({
        Update: {
          TableName: mainTable(),
          Key: w.update.key,
          UpdateExpression: w.update.expression,
          ...(w.condition ? { ConditionExpression: w.condition.expression } : {}),
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        },
      });
    } else items.push({ Delete: { TableName: mainTable(), Key: w.delete, ...cond } });
    roles.push(`side:${i}`);
  });
  (set.checks ?? []).forEach((c, i) => {
    items.push({
      ConditionCheck: {
        TableName: mainTable(),
        Key: c.key,
        ConditionExpression: c.expression,
        ...(c.names ? { ExpressionAttributeNames: c.names } : {}),
        ...(c.values ? { ExpressionAttributeValues: c.values } : {}),
      },
    });
    roles.push(`check:${i}`);
  });
  if (items.length > MAX_ITEMS) throw new Error(`A commit may hold at most ${MAX_ITEMS} items (DynamoDB transaction limit); this one has ${items.length}`);
  return { input: { TransactItems: items, ...(set.reportCapacity === false ? {} : { ReturnConsumedCapacity: 'TOTAL' as const }) }, events, roles };
}

/** The audit table's item for an event: the event itself plus its index keys. */
export function auditItem(event: AuditEvent): Record<string, unknown> {
  return {
    ...event,
    pk: event.stream,
    sk: event.seq,
    tpk: `DAY#${event.time.slice(0, 10)}`,
    tsk: `${event.time}#${event.stream}#${String(event.seq).padStart(12, '0')}`,
    apk: `ACTOR#${event.actor.sub}`,
  };
}

/** The event stored in an audit item (index keys removed). */
export function eventOfItem(item: Record<string, unknown>): AuditEvent {
  const { pk: _pk, sk: _sk, tpk: _tpk, tsk: _tsk, apk: _apk, ...event } = item;
  return event as unknown as AuditEvent;
}

export interface CommitResult {
  events: AuditEvent[];
  /** What DynamoDB reported (DynamoDB Local under-reports transactions: see capacity.ts). */
  consumedWcu: number;
  /** What the transaction costs by DynamoDB's published capacity rules. */
  pricedWcu: number;
}

function priced(input: TransactWriteCommandInput): number {
  let wcu = 0;
  for (const t of input.TransactItems ?? []) {
    if (t.Put) wcu += transactionalWcu(t.Put.Item as Record<string, unknown>);
    else if (t.Delete || t.ConditionCheck) wcu += 2;
    else if (t.Update) wcu += 2;
  }
  return wcu;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes the changes, their audit events, the immutable puts and checks, all or nothing.
 * Throws StaleWriteError (a subject changed since it was read), DuplicateItemError (an immutable
 * item exists), or the check's own error.
 */
export async function commit(ctx: AuditContext, set: WriteSet): Promise<CommitResult> {
  const { input, events, roles } = buildTransaction(ctx, set);
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await ddb().send(new TransactWriteCommand(input));
      const consumedWcu = (out.ConsumedCapacity ?? []).reduce((s, c) => s + (c.CapacityUnits ?? c.WriteCapacityUnits ?? 0), 0);
      return { events, consumedWcu, pricedWcu: priced(input) };
    } catch (e) {
      const err = e as { name?: string; CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[] };
      if (err.name === 'TransactionCanceledException' && err.CancellationReasons) {
        const reasons = err.CancellationReasons;
        if (reasons.some((r) => r.Code === 'TransactionConflict') && !reasons.some((r) => r.Code === 'ConditionalCheckFailed') && attempt < 6) {
          await sleep(Math.random() * 20 * 2 ** attempt);
          continue;
        }
        const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
        if (failed >= 0) {
          const [kind, idx] = roles[failed].split(':');
          const i = Number(idx);
          if (kind === 'change') {
            const c = set.changes[i];
            const cur = reasons[failed].Item;
            throw new StaleWriteError(auditStream(c.subject.type, c.subject.id), cur ? (unmarshall(cur as never) as Item) : undefined);
          }
          if (kind === 'event') {
            // Two writers produced the same seq for a subject that had no head item yet.
            const c = set.changes[i];
            throw new StaleWriteError(auditStream(c.subject.type, c.subject.id));
          }
          if (kind === 'put') throw new DuplicateItemError(set.puts![i].item);
          if (kind === 'side') {
            const w = set.sideWrites![i];
            if (w.failure) throw w.failure();
            const k = 'put' in w ? w.put : 'update' in w ? w.update.key : w.delete;
            throw new StaleWriteError(`${k.pk}/${k.sk}`);
          }
          if (kind === 'check') throw set.checks![i].failure();
        }
      }
      if (err.name === 'TransactionConflictException' && attempt < 6) {
        await sleep(Math.random() * 20 * 2 ** attempt);
        continue;
      }
      throw e;
    }
  }
}

/**
 * Runs read-modify-commit until it wins a race: `attempt` must re-read what it changes each time.
 * Backs off with jitter; gives up after `attempts` with the last StaleWriteError (a 409).
 */
export async function retryOnStale<T>(attempt: () => Promise<T>, opts: { attempts?: number; baseMs?: number } = {}): Promise<T> {
  const attempts = opts.attempts ?? 12;
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof StaleWriteError) || i + 1 >= attempts) throw e;
      await sleep(Math.random() * (opts.baseMs ?? 10) * 2 ** Math.min(i, 6));
    }
  }
}

export { KairrError };

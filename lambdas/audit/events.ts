// GET /v1/audit/events: the audit table read three ways, by the most selective filter given.
//   subject → the stream's partition (pk = type/id), seq order; time, actor and action filtered.
//   actor   → the byActor index (apk = ACTOR#sub), tsk range = time range; action filtered.
//   else    → the byTime index, one partition per UTC day (tpk = DAY#YYYY-MM-DD), day by day.
// A request reads at most MAX_READS pages from DynamoDB, so a sparse filter over a long range
// returns a short (even empty) page with a nextToken rather than scanning for minutes.
import { createHash } from 'node:crypto';
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { canonicalJson, type AuditEvent } from '../domain/audit';
import { isIsoMillis } from '../domain/audit/event';
import { ValidationError } from '../domain/errors';
import { ddb, auditTable } from '../shared/store/client';
import { auditStream } from '../shared/store/keys';
import { eventOfItem } from '../shared/store/write-path';
import { daysOf } from './by-time';

export interface EventFilters {
  /** Inclusive, ISO 8601 UTC with ms. */
  from?: string;
  /** Exclusive. */
  to?: string;
  subject?: { type: string; id: string };
  actor?: string;
  /** Exact, or a prefix when it ends in ".*". */
  action?: string;
}

export interface EventPage {
  items: AuditEvent[];
  nextToken?: string;
}

const DAY_MS = 86_400_000;
export const MAX_TIME_SPAN_DAYS = 366;
export const DEFAULT_TIME_SPAN_MS = DAY_MS;
const MAX_READS = 40;

/** ISO 8601 with any offset → UTC with milliseconds (the form events are stored in). */
export function toUtcMillis(iso: string): string {
  return new Date(iso).toISOString();
}

const dayPartition = (day: string) => `DAY#${day}`;

type Mode = 'subject' | 'actor' | 'time';

interface Plan {
  mode: Mode;
  from?: string;
  to?: string;
  filters: EventFilters;
}

/** Resolves defaults and checks the range; every problem names its query field. */
export function planQuery(f: EventFilters, now = new Date()): Plan {
  const from = f.from === undefined ? undefined : toUtcMillis(f.from);
  let to = f.to === undefined ? undefined : toUtcMillis(f.to);
  if (from !== undefined && to !== undefined && to <= from) throw ValidationError.field('query.to', 'must be after from');
  if (f.subject) return { mode: 'subject', from, to, filters: f };
  if (f.actor) return { mode: 'actor', from, to, filters: f };
  to ??= now.toISOString();
  const start = from ?? new Date(Date.parse(to) - DEFAULT_TIME_SPAN_MS).toISOString();
  if (to <= start) throw ValidationError.field('query.from', 'must be before to');
  if (Date.parse(to) - Date.parse(start) > MAX_TIME_SPAN_DAYS * DAY_MS) {
    throw ValidationError.field('query.from', `makes the range longer than ${MAX_TIME_SPAN_DAYS} days; narrow it, or filter by subject or actor`);
  }
  return { mode: 'time', from: start, to, filters: f };
}

/**
 * The token binds to the query as the caller wrote it (so a token from another query is refused with
 * a 400). A range left to its defaults is resolved once, on the first page, and travels in the token.
 */
function scopeOf(p: Plan): string {
  const f = p.filters;
  const q = { m: p.mode, from: f.from === undefined ? null : toUtcMillis(f.from), to: f.to === undefined ? null : toUtcMillis(f.to), s: f.subject ? auditStream(f.subject.type, f.subject.id) : null, a: f.actor ?? null, x: f.action ?? null };
  return 'audit-events:' + createHash('sha256').update(canonicalJson(q)).digest('hex').slice(0, 24);
}

interface Cursor {
  /** byTime: the range as resolved on the first page. */
  from?: string;
  to?: string;
  /** byTime: the day partition being read. */
  day?: string;
  /** The last item returned (its table and index keys), to resume after. */
  key?: Record<string, string | number>;
}

function encodeCursor(c: Cursor, scope: string): string {
  return Buffer.from(JSON.stringify({ s: scope, ...c })).toString('base64url');
}

const BAD_TOKEN = () => ValidationError.field('query.nextToken', 'is not a token this query issued');

function decodeCursor(token: string | undefined, scope: string, p: Plan): Cursor {
  if (!token) return {};
  let v: { s?: unknown; day?: unknown; key?: unknown };
  try {
    v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw BAD_TOKEN();
  }
  if (!v || typeof v !== 'object' || v.s !== scope) throw BAD_TOKEN();
  const out: Cursor = {};
  const w = v as { from?: unknown; to?: unknown };
  if (w.from !== undefined || w.to !== undefined) {
    if (p.mode !== 'time' || !isIsoMillis(w.from) || !isIsoMillis(w.to) || w.to <= w.from || Date.parse(w.to) - Date.parse(w.from) > MAX_TIME_SPAN_DAYS * DAY_MS) throw BAD_TOKEN();
    out.from = w.from;
    out.to = w.to;
  }
  if (v.day !== undefined) {
    if (typeof v.day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v.day) || p.mode !== 'time') throw BAD_TOKEN();
    out.day = v.day;
  }
  if (v.key !== undefined) {
    // Only keys of the exact shape DynamoDB expects for this read are passed on.
    const k = v.key as Record<string, unknown>;
    const want: Record<Mode, string[]> = { subject: ['pk', 'sk'], actor: ['pk', 'sk', 'apk', 'tsk'], time: ['pk', 'sk', 'tpk', 'tsk'] };
    const names = want[p.mode];
    if (!k || typeof k !== 'object' || Object.keys(k).length !== names.length || !names.every((n) => (n === 'sk' ? Number.isSafeInteger(k[n]) : typeof k[n] === 'string' && (k[n] as string).length <= 1024))) throw BAD_TOKEN();
    if (p.mode === 'time' && k.tpk !== dayPartition(out.day ?? '')) throw BAD_TOKEN();
    if (p.mode === 'actor' && k.apk !== `ACTOR#${p.filters.actor}`) throw BAD_TOKEN();
    if (p.mode === 'subject' && k.pk !== auditStream(p.filters.subject!.type, p.filters.subject!.id)) throw BAD_TOKEN();
    out.key = k as Record<string, string | number>;
  }
  return out;
}

function keyOf(item: Record<string, unknown>, mode: Mode): Record<string, string | number> {
  const k: Record<string, string | number> = { pk: item.pk as string, sk: item.sk as number };
  if (mode === 'time') Object.assign(k, { tpk: item.tpk as string, tsk: item.tsk as string });
  if (mode === 'actor') Object.assign(k, { apk: item.apk as string, tsk: item.tsk as string });
  return k;
}

/** FilterExpression parts for what the key condition does not cover. */
function filterOf(p: Plan): Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeNames'> & { values: Record<string, unknown> } {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const f = p.filters;
  if (p.mode === 'subject') {
    if (p.from) parts.push('#time >= :from'), (names['#time'] = 'time'), (values[':from'] = p.from);
    if (p.to) parts.push('#time < :to'), (names['#time'] = 'time'), (values[':to'] = p.to);
    if (f.actor) parts.push('#actor.#sub = :actor'), (names['#actor'] = 'actor'), (names['#sub'] = 'sub'), (values[':actor'] = f.actor);
  }
  if (f.action) {
    names['#action'] = 'action';
    if (f.action.endsWith('.*')) parts.push('begins_with(#action, :action)'), (values[':action'] = f.action.slice(0, -1));
    else parts.push('#action = :action'), (values[':action'] = f.action);
  }
  return { ...(parts.length ? { FilterExpression: parts.join(' AND '), ExpressionAttributeNames: names } : {}), values };
}

/** The key condition of one read: the stream, the actor's range, or one day's range. */
function keyConditionOf(p: Plan, day?: string): { expr: string; values: Record<string, unknown>; index?: string } {
  const f = p.filters;
  if (p.mode === 'subject') return { expr: 'pk = :pk', values: { ':pk': auditStream(f.subject!.type, f.subject!.id) } };
  const range = (values: Record<string, unknown>) => {
    // tsk = time#stream#seq: tsk >= from selects time >= from; tsk <= to selects time < to (a tsk
    // with time = to is longer than to, so it sorts after it).
    if (p.from && p.to) return { cond: ' AND tsk BETWEEN :lo AND :hi', values: { ...values, ':lo': p.from, ':hi': p.to } };
    if (p.from) return { cond: ' AND tsk >= :lo', values: { ...values, ':lo': p.from } };
    if (p.to) return { cond: ' AND tsk < :hi', values: { ...values, ':hi': p.to } };
    return { cond: '', values };
  };
  if (p.mode === 'actor') {
    const r = range({ ':apk': `ACTOR#${f.actor}` });
    return { expr: 'apk = :apk' + r.cond, values: r.values, index: 'byActor' };
  }
  const r = range({ ':tpk': dayPartition(day!) });
  return { expr: 'tpk = :tpk' + r.cond, values: r.values, index: 'byTime' };
}

/** One page of events for the filters. */
export async function listEvents(f: EventFilters, opts: { limit: number; nextToken?: string; now?: Date }): Promise<EventPage> {
  const p = planQuery(f, opts.now);
  const scope = scopeOf(p);
  const cursor = decodeCursor(opts.nextToken, scope, p);
  if (cursor.from && cursor.to) (p.from = cursor.from), (p.to = cursor.to);
  const days = p.mode === 'time' ? daysOf(p.from!, p.to!) : [];
  const at = (c: Omit<Cursor, 'from' | 'to'>) => encodeCursor(p.mode === 'time' ? { from: p.from, to: p.to, ...c } : c, scope);
  let dayIndex = 0;
  if (p.mode === 'time') {
    dayIndex = cursor.day ? days.indexOf(cursor.day) : 0;
    if (dayIndex < 0) throw BAD_TOKEN();
  }
  const filter = filterOf(p);
  const items: AuditEvent[] = [];
  let startKey = cursor.key;
  let reads = 0;
  for (;;) {
    const kc = keyConditionOf(p, days[dayIndex]);
    const remaining = opts.limit - items.length;
    const out = await ddb().send(
      new QueryCommand({
        TableName: auditTable(),
        IndexName: kc.index,
        KeyConditionExpression: kc.expr,
        ...(filter.FilterExpression ? { FilterExpression: filter.FilterExpression, ExpressionAttributeNames: filter.ExpressionAttributeNames } : {}),
        ExpressionAttributeValues: { ...kc.values, ...filter.values },
        ExclusiveStartKey: startKey,
        // With a filter, read more than needed per round trip; the page is cut at `limit` below.
        Limit: filter.FilterExpression ? Math.max(remaining, 500) : remaining,
      }),
    );
    reads++;
    const got = (out.Items ?? []) as Record<string, unknown>[];
    for (let i = 0; i < got.length; i++) {
      items.push(eventOfItem(got[i]));
      if (items.length === opts.limit) {
        // Full page: resume after this item (unless it was the very last of the last partition).
        const exhausted = i === got.length - 1 && !out.LastEvaluatedKey && (p.mode !== 'time' || dayIndex === days.length - 1);
        return { items, nextToken: exhausted ? undefined : at({ day: days[dayIndex], key: keyOf(got[i], p.mode) }) };
      }
    }
    if (out.LastEvaluatedKey) startKey = out.LastEvaluatedKey as Record<string, string | number>;
    else if (p.mode === 'time' && dayIndex < days.length - 1) {
      dayIndex++;
      startKey = undefined;
    } else return { items };
    if (reads >= MAX_READS) return { items, nextToken: at({ day: days[dayIndex], key: startKey }) };
  }
}

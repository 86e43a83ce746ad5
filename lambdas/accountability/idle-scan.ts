// The daily idle scan. Cheap over 100,000 allocations because it reads each active allocation once
// (the state index ALLOCSTATE#active, one sequential query, only the attributes the rule needs) and
// the records only of those that matter: the records already being watched (a sparse index) and
// those of allocations found behind plan today for the first time. It writes only changes of state
// (a run of days behind plan starts or ends, a warning, a proposal). bench/accountability.ts
// measures it against a plain Scan of the same table.
import { BatchGetCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { accountabilityGsi, accountabilityKeys, gsi } from '../shared/store/keys';
import { domainEvent } from '../shared/events/outbox';
import { retryOnStale, type AuditContext, type Item } from '../shared/store/write-path';
import { runtimeConfig } from '../shared/config';
import { logger } from '../shared/log';
import type { AccountabilityRecord } from '../domain/accountability/model';
import { DEFAULT_POLICY, type IdleRule } from '../domain/accountability/policy';
import { burnFigures, evaluateIdle, proposeReclaim, type BurnFacts } from '../domain/accountability/idle';
import { nextActionAt } from '../domain/accountability/schedule';
import { openProposal, RECLAIM_ACTOR } from './reclaims';
import { commitAccountability, heldForRunningJobsMc, policyOf, readRecord, recordChange, recordOf } from './store';

export interface ScanMetrics {
  queries: number;
  batchGets: number;
  itemsRead: number;
  /** Read capacity DynamoDB reported (eventually consistent reads of the indexes). */
  rcu: number;
}

export interface IdleScanStats {
  allocations: number;
  watched: number;
  candidates: number;
  actions: Record<'watch' | 'clear' | 'warn' | 'propose', number>;
  failed: number;
  reads: ScanMetrics;
}

type Facts = BurnFacts & { id: string; state: string; callId: string | null };

const count = (m: ScanMetrics, out: Pick<QueryCommandOutput, 'Items' | 'ConsumedCapacity'>) => {
  m.itemsRead += out.Items?.length ?? 0;
  m.rcu += out.ConsumedCapacity?.CapacityUnits ?? 0;
};

async function queryAll(
  index: 'gsi1' | 'gsi2',
  pk: string,
  m: ScanMetrics,
  extra: { skFrom?: string; projection?: string; names?: Record<string, string> } = {},
  onPage?: (items: Record<string, unknown>[]) => void,
): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(
      new QueryCommand({
        TableName: mainTable(),
        IndexName: index,
        KeyConditionExpression: `${index}pk = :p${extra.skFrom ? ` AND ${index}sk >= :s` : ''}`,
        ExpressionAttributeValues: { ':p': pk, ...(extra.skFrom ? { ':s': extra.skFrom } : {}) },
        ...(extra.projection ? { ProjectionExpression: extra.projection, ExpressionAttributeNames: extra.names } : {}),
        ExclusiveStartKey: start,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    m.queries++;
    count(m, out);
    if (onPage) onPage(out.Items ?? []);
    else all.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return all;
}

async function batchRecords(ids: string[], m: ScanMetrics): Promise<Map<string, Item>> {
  const out = new Map<string, Item>();
  for (let i = 0; i < ids.length; i += 100) {
    let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = { [mainTable()]: { Keys: ids.slice(i, i + 100).map((id) => ({ ...accountabilityKeys.record(id) })) } };
    while (request && Object.keys(request).length) {
      const res = await ddb().send(new BatchGetCommand({ RequestItems: request, ReturnConsumedCapacity: 'TOTAL' }));
      m.batchGets++;
      const items = res.Responses?.[mainTable()] ?? [];
      m.itemsRead += items.length;
      m.rcu += (res.ConsumedCapacity ?? []).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
      for (const it of items) out.set(String(it.allocationId), it as Item);
      request = res.UnprocessedKeys as typeof request;
    }
  }
  return out;
}

/** The rule each call sets, and the stage's for allocations of calls without a policy. */
async function rules(m: ScanMetrics): Promise<(callId: string | null) => IdleRule> {
  const fallback = runtimeConfig().policy.accountability?.idle ?? DEFAULT_POLICY.idle;
  const byCall = new Map((await queryAll('gsi1', accountabilityGsi.policies, m)).map((it) => [String(it.callId), policyOf(it).policy.idle]));
  return (callId) => (callId && byCall.get(callId)) || fallback;
}

/** A record for an allocation that had none (no call policy): the idle rule's state only. */
function bareRecord(f: Facts, rule: IdleRule, now: Date): AccountabilityRecord {
  const t = now.toISOString();
  return {
    allocationId: f.id,
    callId: f.callId,
    proposalId: null,
    purpose: null,
    policySource: 'stage-default',
    policy: { ...DEFAULT_POLICY, progressReports: { atMonths: [] }, finalReport: null, tranches: [{ share: 1, releaseOn: 'start' }], idle: rule },
    startDate: f.startDate,
    endDate: f.endDate,
    committedMc: Object.fromEntries(Object.entries(f.resources).map(([r, x]) => [r, x.awardedMc])),
    reports: [],
    tranches: [],
    idle: {},
    createdAt: t,
    updatedAt: t,
  };
}

export async function idleScan(now: Date, requestId: string, opts: { concurrency?: number } = {}): Promise<IdleScanStats> {
  const reads: ScanMetrics = { queries: 0, batchGets: 0, itemsRead: 0, rcu: 0 };
  const stats: IdleScanStats = { allocations: 0, watched: 0, candidates: 0, actions: { watch: 0, clear: 0, warn: 0, propose: 0 }, failed: 0, reads };
  const ruleOf = await rules(reads);
  const watched = new Map((await queryAll('gsi2', accountabilityGsi.watch, reads)).map((it) => [String(it.allocationId), it as Item]));
  stats.watched = watched.size;
  const today = now.toISOString().slice(0, 10);
  const toEvaluate = new Map<string, Facts>();
  // Active allocations whose end has not passed (gsi2sk = endDate#id), only what the rule reads.
  await queryAll('gsi2', gsi.allocationsInState('active'), reads, { skFrom: today, projection: 'id, callId, startDate, endDate, resources, #st', names: { '#st': 'state' } }, (items) => {
    for (const it of items) {
      stats.allocations++;
      const f: Facts = { id: String(it.id), state: String(it.state), callId: (it.callId as string | null) ?? null, startDate: String(it.startDate), endDate: String(it.endDate), resources: (it.resources ?? {}) as Facts['resources'] };
      if (watched.has(f.id) || burnFigures(f, now, ruleOf(f.callId).threshold).behind) toEvaluate.set(f.id, f);
    }
  });
  const fresh = [...toEvaluate.keys()].filter((id) => !watched.has(id));
  stats.candidates = fresh.length;
  const records = new Map([...watched, ...(await batchRecords(fresh, reads))]);
  const ctx: AuditContext = { actor: RECLAIM_ACTOR, requestId, now };
  const work: (() => Promise<void>)[] = [];
  for (const [id, f] of toEvaluate) work.push(() => evaluateOne(f, records.get(id) ?? null, ruleOf(f.callId), now, ctx, stats));
  // watched records whose allocation is no longer active: the run ends (an open proposal stays for the chair)
  for (const [id, item] of watched) if (!toEvaluate.has(id)) work.push(() => endWatch(recordOf(item), item, now, ctx));
  const limit = opts.concurrency ?? 8;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, work.length) }, async () => {
      while (next < work.length) {
        const job = work[next++];
        await job().catch((e: unknown) => {
          stats.failed++;
          logger.error('idle evaluation failed', { error: (e as Error).message });
        });
      }
    }),
  );
  return stats;
}

async function evaluateOne(f: Facts, item: Item | null, rule: IdleRule, now: Date, ctx: AuditContext, stats: IdleScanStats): Promise<void> {
  const first = item ? recordOf(item) : null;
  const out = evaluateIdle(f, first?.idle ?? {}, rule, now, first?.plan);
  if (out.action === 'none') return;
  await retryOnStale(async () => {
    // on a retry (someone else changed the record meanwhile), start again from the record as it is
    const cur = item && first ? { record: first, item } : await readRecord(f.id);
    item = null;
    const rec = cur?.record ?? bareRecord(f, rule, now);
    const o = evaluateIdle(f, rec.idle, rule, now, rec.plan);
    if (o.action === 'none') return;
    const events = [];
    if (o.action === 'propose') {
      const p = proposeReclaim(f, rule, now, await heldForRunningJobsMc(f.id), rec.plan);
      if (p) {
        const { changes, reclaim } = openProposal(rec, cur?.item ?? null, o.state, p, rule, now);
        await commitAccountability(ctx, {
          changes,
          events: [domainEvent('ReclaimProposed', { allocationId: f.id, callId: f.callId, reclaimId: reclaim.reclaimId, mode: reclaim.mode, summary: reclaim.explanation.summary, figures: reclaim.explanation.figures }, now)],
        });
        stats.actions.propose++;
        return;
      }
    }
    if (o.action === 'warn') events.push(domainEvent('IdleWarning', { allocationId: f.id, callId: f.callId, summary: o.explanation!.summary, figures: o.explanation!.figures }, now));
    const next: AccountabilityRecord = { ...rec, idle: o.state, updatedAt: now.toISOString() };
    await commitAccountability(ctx, { changes: [recordChange(cur?.item ?? null, next, nextActionAt(next, now), `idle.${o.action}`, o.explanation?.figures)], events });
    if (o.action !== 'propose') stats.actions[o.action]++;
  });
}

async function endWatch(rec: AccountabilityRecord, item: Item, now: Date, ctx: AuditContext): Promise<void> {
  if (!rec.idle.behindSince && !rec.idle.warnedAt) return;
  const idle = { ...(rec.idle.openReclaimId ? { openReclaimId: rec.idle.openReclaimId } : {}), ...(rec.idle.reclaimApplyAfter ? { reclaimApplyAfter: rec.idle.reclaimApplyAfter } : {}) };
  const next: AccountabilityRecord = { ...rec, idle, updatedAt: now.toISOString() };
  await commitAccountability(ctx, { changes: [recordChange(item, next, nextActionAt(next, now), 'idle.clear', { reason: 'the allocation is no longer active' })] });
}

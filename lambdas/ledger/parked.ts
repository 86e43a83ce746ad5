// Usage the ledger refused (an account KAIRR does not know yet, a job charged to another resource,
// an absurd figure) is PARKED, never dropped: a site's collector moves its watermark past a refused
// report, so without this the usage would be lost for good. Each parked report is an audited subject
// (parked-usage/<site>#<cluster>#<job>, item PARKED#<site> / <cluster>#<job>) holding the report and
// why it was refused. Operators list them and replay them once the cause is fixed (the account
// recorded, say); a replayed report that is charged is marked resolved and expires 30 days later.
// Every parking emits the metric KAIRR/ParkedUsageReports, on which an alarm fires.
import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { canonicalJson } from '../domain/audit/jcs';
import type { UsageReport } from '../domain/ledger/validate-usage';
import { ddb, mainTable } from '../shared/store/client';
import { trustKeys } from '../shared/store/keys';
import { commit, type AuditContext, type Change, type Item } from '../shared/store/write-path';
import { runtimeConfig } from '../shared/config';
import { emitMetric } from '../shared/metrics';
import { batchGet } from './store';
import type { IngestResult } from './ingest-result';

export interface ParkedUsage {
  siteId: string;
  cluster: string;
  jobId: string;
  report: UsageReport;
  reason: { code: string; path: string; problem: string };
  state: 'parked' | 'resolved';
  firstParkedAt: string;
  lastParkedAt: string;
  /** How often it was refused (a collector re-reads overlapping windows: the same refusal counts once). */
  refusals: number;
  reportHash: string;
  resolvedAt?: string;
  resolvedBy?: string;
}

const CHANGES_PER_COMMIT = 40;
const RESOLVED_TTL_S = 30 * 86_400;
const subjectOf = (p: Pick<ParkedUsage, 'siteId' | 'cluster' | 'jobId'>) => ({ type: 'parked-usage', id: `${p.siteId}#${p.cluster}#${p.jobId}` });
const hashOf = (r: UsageReport) =>
  createHash('sha256')
    .update(canonicalJson(r as never))
    .digest('hex');

function itemOf(p: ParkedUsage, extra: Record<string, unknown> = {}): Item {
  return { ...trustKeys.parkedUsage(p.siteId, p.cluster, p.jobId), ...p, ...extra } as Item;
}

export function parkedOf(it: Record<string, unknown>): ParkedUsage {
  const { pk: _a, sk: _b, auditSeq: _c, auditHash: _d, ttl: _e, ...p } = it;
  return p as unknown as ParkedUsage;
}

async function commitChanges(ctx: AuditContext, changes: Change[]): Promise<void> {
  for (let i = 0; i < changes.length; i += CHANGES_PER_COMMIT) await commit(ctx, { changes: changes.slice(i, i + CHANGES_PER_COMMIT) });
}

/** Parks every refused report of a batch (idempotent: the same report refused for the same reason again writes nothing). */
export async function parkRejected(siteId: string, reports: UsageReport[], results: IngestResult[], ctx: AuditContext): Promise<number> {
  const refused = results.filter((r) => r?.status === 'rejected' && r.reason).map((r) => ({ report: reports[r.index], reason: r.reason as ParkedUsage['reason'] }));
  if (!refused.length) return 0;
  const now = (ctx.now ?? new Date()).toISOString();
  const found = await batchGet(refused.map((x) => trustKeys.parkedUsage(siteId, x.report.cluster, x.report.jobId)));
  const changes: Change[] = [];
  const seen = new Set<string>();
  for (const { report, reason } of refused) {
    const k = trustKeys.parkedUsage(siteId, report.cluster, report.jobId);
    if (seen.has(k.sk)) continue; // the same job twice in one batch: its last report is parked
    seen.add(k.sk);
    const before = found.get(`${k.pk}|${k.sk}`) ?? null;
    const prev = before ? parkedOf(before) : undefined;
    const reportHash = hashOf(report);
    if (prev && prev.state === 'parked' && prev.reason.code === reason.code && prev.reportHash === reportHash) continue;
    const p: ParkedUsage = { siteId, cluster: report.cluster, jobId: report.jobId, report, reason, state: 'parked', firstParkedAt: prev?.firstParkedAt ?? now, lastParkedAt: now, refusals: (prev?.refusals ?? 0) + 1, reportHash };
    changes.push({ subject: subjectOf(p), before, after: itemOf(p), action: 'usage.parked', details: { jobId: report.jobId, cluster: report.cluster, code: reason.code, path: reason.path } });
  }
  await commitChanges(ctx, changes);
  if (changes.length) emitMetric('ParkedUsageReports', changes.length, { Stage: runtimeConfig().stage, Site: siteId });
  return changes.length;
}

export async function listParked(siteId: string, opts: { state?: ParkedUsage['state']; limit: number; startKey?: Record<string, unknown> }): Promise<{ items: ParkedUsage[]; nextKey?: Record<string, unknown> }> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      KeyConditionExpression: 'pk = :p',
      ...(opts.state ? { FilterExpression: '#st = :s', ExpressionAttributeNames: { '#st': 'state' } } : {}),
      ExpressionAttributeValues: { ':p': trustKeys.parkedUsagePrefix(siteId), ...(opts.state ? { ':s': opts.state } : {}) },
      Limit: opts.limit,
      ExclusiveStartKey: opts.startKey,
      ConsistentRead: true,
    }),
  );
  return { items: (out.Items ?? []).map(parkedOf), nextKey: out.LastEvaluatedKey };
}

export interface ReplayResult {
  replayed: number;
  resolved: { cluster: string; jobId: string; status: string }[];
  stillRefused: { cluster: string; jobId: string; reason: ParkedUsage['reason'] }[];
}

/**
 * Sends parked reports through ingestion again (all that are parked, or the named jobs). Those the
 * ledger now takes are marked resolved; the others stay parked with their latest reason.
 */
export async function replayParked(
  siteId: string,
  only: { cluster: string; jobId: string }[] | undefined,
  ctx: AuditContext,
  ingest: (siteId: string, reports: UsageReport[], ctx: AuditContext) => Promise<{ results: IngestResult[] }>,
): Promise<ReplayResult> {
  let parked: ParkedUsage[];
  if (only?.length) {
    const got = await batchGet(only.map((j) => trustKeys.parkedUsage(siteId, j.cluster, j.jobId)));
    parked = [...got.values()].map(parkedOf).filter((p) => p.state === 'parked');
  } else {
    parked = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await listParked(siteId, { state: 'parked', limit: 500, startKey: start });
      parked.push(...page.items);
      start = page.nextKey;
    } while (start && parked.length < 500);
    parked = parked.slice(0, 500);
  }
  const out: ReplayResult = { replayed: parked.length, resolved: [], stillRefused: [] };
  if (!parked.length) return out;
  const { results } = await ingest(
    siteId,
    parked.map((p) => p.report),
    ctx,
  );
  const now = (ctx.now ?? new Date()).toISOString();
  const took = parked.filter((_, i) => results[i] && results[i].status !== 'rejected' && results[i].status !== 'failed');
  const current = await batchGet(took.map((p) => trustKeys.parkedUsage(siteId, p.cluster, p.jobId)));
  const changes: Change[] = [];
  parked.forEach((p, i) => {
    const r = results[i];
    if (r.status === 'rejected' || r.status === 'failed') {
      out.stillRefused.push({ cluster: p.cluster, jobId: p.jobId, reason: (r.reason as ParkedUsage['reason']) ?? p.reason });
      return;
    }
    const k = trustKeys.parkedUsage(siteId, p.cluster, p.jobId);
    const before = current.get(`${k.pk}|${k.sk}`);
    if (!before) return;
    out.resolved.push({ cluster: p.cluster, jobId: p.jobId, status: r.status });
    const after: ParkedUsage = { ...parkedOf(before), state: 'resolved', resolvedAt: now, resolvedBy: ctx.actor.sub };
    changes.push({ subject: subjectOf(p), before, after: itemOf(after, { ttl: Math.floor(Date.parse(now) / 1000) + RESOLVED_TTL_S }), action: 'usage.parked.resolved', details: { jobId: p.jobId, cluster: p.cluster, status: r.status } });
  });
  await commitChanges(ctx, changes);
  return out;
}

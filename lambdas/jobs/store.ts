// Job items (connectorKeys.job: in the allocation's partition) and the Idempotency-Key pointers of
// dispatches. Every change of a job item is an audited commit on the subject job/<jobId>,
// serialised by its audit chain: of two writers, exactly one wins (used as the dispatch lease).
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { connectorKeys } from '../shared/store/keys';
import { commit, StaleWriteError, type AuditContext, type ConditionCheck, type Item, type SideWrite } from '../shared/store/write-path';
import { ConflictError } from '../domain/errors';
import type { JobState } from './api';

/** What KAIRR records of a dispatched job. The script and environment values are not stored (they may hold secrets): only their size, hash and names. */
export interface JobRecord {
  jobId: string;
  allocationId: string;
  siteId: string;
  resourceKey: string;
  cluster: string;
  account: string;
  /** The member's scheduler user name. */
  user: string;
  submittedBy: string;
  name?: string;
  gpus: number;
  nodes: number;
  timeLimitMinutes: number;
  workingDirectory: string;
  scriptBytes: number;
  scriptSha256: string;
  envNames: string[];
  creditsPerGpuHour: number;
  estimatedCredits: number;
  /** submitting → submitted | rejected | not-submitted; cancelled. The scheduler's phase is kept beside it. */
  state: 'submitting' | 'submitted' | 'rejected' | 'not-submitted' | 'cancelled';
  createdAt: string;
  /** While a worker submits: nobody else resubmits before this time. */
  leaseUntil: string;
  attempts: number;
  schedulerJobId?: string;
  submittedAt?: string;
  phase?: 'pending' | 'running' | 'finished';
  schedulerState?: string;
  reason?: string;
  exitCode?: number;
  start?: string;
  end?: string;
  elapsedSeconds?: number;
  cancelledAt?: string;
  cancelledBy?: string;
  error?: string;
  /** sha256 of the dispatch request (for Idempotency-Key replays). */
  requestHash: string;
  // ---- dispatch holds (holds.ts) ----
  /** Credits (mc) this job held against the balance when it was dispatched. */
  holdMc?: number;
  /** held: counted on the allocation's hold counter; tracked: its remainder sits in the job's hold item; released. */
  holdState?: 'held' | 'tracked' | 'released';
  // ---- end dispatch holds ----
}

export function jobItem(j: JobRecord): Item {
  return { ...j, ...connectorKeys.job(j.allocationId, j.jobId) } as Item;
}

export function jobOf(item: Record<string, unknown>): JobRecord {
  const { pk: _pk, sk: _sk, auditSeq: _s, auditHash: _h, ...j } = item;
  return j as unknown as JobRecord;
}

export async function getJobItem(allocationId: string, jobId: string): Promise<Item | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: connectorKeys.job(allocationId, jobId), ConsistentRead: true }));
  return (out.Item as Item) ?? null;
}

export async function getDispatchPointer(allocationId: string, sub: string, key: string): Promise<{ jobId: string; requestHash: string } | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: connectorKeys.dispatchKey(allocationId, sub, key), ConsistentRead: true }));
  return out.Item ? { jobId: String(out.Item.jobId), requestHash: String(out.Item.requestHash) } : null;
}

/** Another request with the same Idempotency-Key created its job first. */
export class DispatchRaceError extends ConflictError {
  constructor() {
    super('A request with the same Idempotency-Key is being processed', [], 'idempotency_race');
  }
}

const POINTER_TTL_SECONDS = 24 * 3600;

/** Records a new dispatch (state submitting) and, with an Idempotency-Key, its pointer, in one audited commit. */
/** What a job change carries besides the job item: index items, hold counters, and the conditions it rests on. */
export interface JobWriteExtra {
  sideWrites?: SideWrite[];
  checks?: ConditionCheck[];
}

export async function createJob(j: JobRecord, ctx: AuditContext, idempotency?: { sub: string; key: string }, extra: JobWriteExtra = {}): Promise<Item> {
  const after = jobItem(j);
  const pointer: SideWrite[] = idempotency
    ? [
        {
          put: { ...connectorKeys.dispatchKey(j.allocationId, idempotency.sub, idempotency.key), jobId: j.jobId, requestHash: j.requestHash, createdAt: j.createdAt, ttl: Math.floor(Date.parse(j.createdAt) / 1000) + POINTER_TTL_SECONDS },
          condition: { expression: 'attribute_not_exists(pk)' },
          failure: () => new DispatchRaceError(),
        },
      ]
    : [];
  const res = await commit(ctx, {
    changes: [
      {
        subject: { type: 'job', id: j.jobId },
        before: null,
        after,
        action: 'job.dispatch',
        details: {
          allocationId: j.allocationId,
          site: j.siteId,
          resource: j.resourceKey,
          account: j.account,
          user: j.user,
          gpus: j.gpus,
          nodes: j.nodes,
          timeLimitMinutes: j.timeLimitMinutes,
          scriptSha256: j.scriptSha256,
          ...(j.holdMc ? { holdMc: j.holdMc } : {}),
        },
      },
    ],
    sideWrites: [...pointer, ...(extra.sideWrites ?? [])],
    checks: extra.checks,
    reportCapacity: false,
  });
  return { ...after, auditSeq: res.events[0].seq, auditHash: res.events[0].hash };
}

/**
 * Changes a job item as read (`before`): throws StaleWriteError when someone else changed it first.
 * Returns the new item (with its new audit head) for further changes.
 */
export async function updateJob(before: Item, patch: Partial<JobRecord>, action: string, ctx: AuditContext, details?: Record<string, unknown>, extra: JobWriteExtra = {}): Promise<Item> {
  const next = { ...jobOf(before), ...patch } as JobRecord;
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
  const after = jobItem(next);
  // undefined means "remove the attribute"; the audit details carry only what is set
  const shown = JSON.parse(JSON.stringify(details ?? patch)) as Record<string, unknown>;
  const res = await commit(ctx, { changes: [{ subject: { type: 'job', id: next.jobId }, before, after, action, details: shown }], sideWrites: extra.sideWrites, checks: extra.checks, reportCapacity: false });
  return { ...after, auditSeq: res.events[0].seq, auditHash: res.events[0].hash };
}

export type JobChange = { patch: Partial<JobRecord>; action: string; details?: Record<string, unknown> } & JobWriteExtra;

/** Re-reads and retries `change` while another writer wins; `change` returns null for nothing to do. */
export async function updateJobFresh(allocationId: string, jobId: string, ctx: AuditContext, change: (current: Item) => JobChange | null | Promise<JobChange | null>): Promise<Item> {
  for (let attempt = 0; ; attempt++) {
    const current = await getJobItem(allocationId, jobId);
    if (!current) throw new Error(`job ${jobId} disappeared`);
    const c = await change(current);
    if (!c) return current;
    try {
      return await updateJob(current, c.patch, c.action, ctx, c.details, c);
    } catch (e) {
      if (!(e instanceof StaleWriteError) || attempt >= 8) throw e;
    }
  }
}

export async function listJobItems(allocationId: string, limit: number, startKey?: Record<string, unknown>): Promise<{ items: JobRecord[]; nextKey?: Record<string, unknown> }> {
  const { pk, skPrefix } = connectorKeys.jobPrefix(allocationId);
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: (out.Items ?? []).map(jobOf), nextKey: out.LastEvaluatedKey };
}

export type { JobState };

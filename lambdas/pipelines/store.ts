// The pipelines' items in the main table (keys: pipelineKeys in lambdas/shared/store/keys.ts).
//   PIPE#<id> / PIPE           the pipeline: plan, each stage's run, state, the doorbell. Audited
//                              subject pipeline/<id>: its auditSeq serialises every writer (the
//                              API's cancel and retry, the flow's steps), so no stage change is lost.
//   PIPE#<id> / STAGE#<stage>  a stage as submitted (scripts included): written once, on create,
//                              recorded by the create's audit event (its digest), never changed.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { PhysicalCopy } from '../domain/lineage/events';
import type { PipelinePlan } from '../domain/pipelines/plan';
import type { Stage } from '../domain/pipelines/spec';
import type { PipelineState, PipelineStatus, StageRuns } from '../domain/pipelines/state';
import { ddb, mainTable } from '../shared/store/client';
import { pipelineGsi, pipelineKeys } from '../shared/store/keys';
import { queryAll } from '../shared/store/query-all';
import { commit, StaleWriteError, type AuditContext, type Item, type SideWrite } from '../shared/store/write-path';

export interface PipelineRecord {
  pipelineId: string;
  name: string;
  description?: string;
  /** The verified token's subject of whoever submitted it: jobs run as their site accounts. */
  ownerSub: string;
  /** The owner's preferred_username when they submitted (the dispatch path's default scheduler user name). */
  ownerUsername?: string;
  createdAt: string;
  updatedAt: string;
  plan: PipelinePlan;
  runs: StageRuns;
  state: PipelineState;
  stoppedAt?: PipelineStatus['stoppedAt'];
  cancelRequested: boolean;
  /** 1 for the first execution; each retry starts the next (a new parent run in lineage). */
  run: number;
  /** The Step Functions execution name of the current run: `<pipelineId>-r<run>`. */
  executionId: string;
  /** Bumped by every change a waiting flow must see (the doorbell's "something happened"). */
  version: number;
  /** When the current run began (create, or the retry): the time of its lineage START. */
  runStartedAt?: string;
  /** Per started stage, the physical copies it reads and writes (its lineage events' datasets). */
  copies?: Record<string, { inputs: PhysicalCopy[]; outputs: PhysicalCopy[] }>;
  /** Per registration stage, the version it registers: picked at its first start, kept for every retry. */
  registered?: Record<string, { artifact: string; version: string; changelog?: string }>;
  endedAt?: string;
}

export interface StageRecord {
  pipelineId: string;
  stageId: string;
  stage: Stage;
}

const OWN = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'auditSeq', 'auditHash']);
function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!OWN.has(k)) out[k] = v;
  return out as T;
}

export const subjectOf = (id: string) => ({ type: 'pipeline', id });

/** Plain JSON: the domain's objects leave optional fields undefined, which the audit digest refuses. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export function pipelineItem(p: PipelineRecord): Item {
  const sort = `${p.createdAt}#${p.pipelineId}`;
  return { ...plain(p), ...pipelineKeys.pipeline(p.pipelineId), gsi1pk: pipelineGsi.ownedBy(p.ownerSub), gsi1sk: sort, gsi2pk: pipelineGsi.all, gsi2sk: sort } as Item;
}
export const pipelineOf = (item: Record<string, unknown>) => strip<PipelineRecord>(item);

export function stageItem(s: StageRecord): Item {
  return { ...plain(s), ...pipelineKeys.stage(s.pipelineId, s.stageId) } as Item;
}
export const stageOf = (item: Record<string, unknown>) => strip<StageRecord>(item);

/** The pipeline and its stage items, created together with the audit event (and, from the caller, the Idempotency-Key record). */
export async function createPipelineItems(ctx: AuditContext, p: PipelineRecord, stages: readonly Stage[], sideWrites: SideWrite[]): Promise<void> {
  await commit(ctx, {
    changes: [{ subject: subjectOf(p.pipelineId), before: null, after: pipelineItem(p), action: 'pipeline.create', details: { name: p.name, stages: p.plan.order, executionId: p.executionId } }],
    puts: stages.map((s) => ({ item: stageItem({ pipelineId: p.pipelineId, stageId: s.id, stage: s }), recordedBy: 0 })),
    sideWrites,
  });
}

export async function getPipelineItem(id: string): Promise<Item | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: pipelineKeys.pipeline(id), ConsistentRead: true }));
  return (out.Item as Item) ?? null;
}

export async function getStage(id: string, stageId: string): Promise<StageRecord | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: pipelineKeys.stage(id, stageId), ConsistentRead: true }));
  return out.Item ? stageOf(out.Item) : null;
}

/** The pipeline and every stage: one Query of its partition (at most 51 items). */
export async function getPipelineWithStages(id: string): Promise<{ pipeline: PipelineRecord; stages: StageRecord[] } | null> {
  const items = await queryAll({ TableName: mainTable(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pipelineKeys.partition(id) }, ConsistentRead: true });
  const head = items.find((i) => i.sk === 'PIPE');
  if (!head) return null;
  return { pipeline: pipelineOf(head), stages: items.filter((i) => String(i.sk).startsWith('STAGE#')).map(stageOf) };
}

export interface Page {
  items: PipelineRecord[];
  nextKey?: Record<string, unknown>;
}

/** An owner's pipelines (gsi1), or every pipeline (gsi2), newest first. */
export async function listPipelines(scope: { owner: string } | 'all', limit: number, startKey?: Record<string, unknown>): Promise<Page> {
  const [index, pk] = scope === 'all' ? ['gsi2', pipelineGsi.all] : ['gsi1', pipelineGsi.ownedBy(scope.owner)];
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      IndexName: index,
      KeyConditionExpression: `${index}pk = :pk`,
      ExpressionAttributeValues: { ':pk': pk },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: (out.Items ?? []).map(pipelineOf), nextKey: out.LastEvaluatedKey };
}

export interface PipelineChange {
  patch: Partial<PipelineRecord>;
  /** Attributes to remove (e.g. the task token once it is answered). */
  remove?: (keyof PipelineRecord)[];
  action: string;
  details?: Record<string, unknown>;
}

/**
 * Reads the pipeline, applies `change` to what it read, and commits; a concurrent writer makes it
 * read again and re-apply (so `change` must be a pure function of the record it is given).
 * Returns the record as written (or as read, when `change` returns null: nothing to do).
 */
export async function mutatePipeline(
  id: string,
  ctx: AuditContext,
  change: (p: PipelineRecord) => PipelineChange | null | Promise<PipelineChange | null>,
): Promise<{ before: PipelineRecord; after: PipelineRecord; changed: boolean } | null> {
  for (let attempt = 0; ; attempt++) {
    const item = await getPipelineItem(id);
    if (!item) return null;
    const before = pipelineOf(item);
    const c = await change(before);
    if (!c) return { before, after: before, changed: false };
    const after: PipelineRecord = { ...before, ...c.patch, updatedAt: (ctx.now ?? new Date()).toISOString() };
    for (const k of c.remove ?? []) delete after[k];
    try {
      await commit(ctx, { changes: [{ subject: subjectOf(id), before: item, after: pipelineItem(after), action: c.action, details: c.details }] });
      return { before, after, changed: true };
    } catch (e) {
      if (!(e instanceof StaleWriteError) || attempt >= 10) throw e;
    }
  }
}

// ---- the doorbell ---------------------------------------------------------------------------------
// The flow waits with a task token stored here together with the version of the pipeline it read.
// Whoever changes the pipeline (a bumped version) takes the token with a conditional delete and
// answers it; so does the waiter itself when it finds the version moved after storing the token.
// Of the two, exactly one delete succeeds, so a token is answered once and no wake-up is lost.

export async function storeDoorbell(id: string, taskToken: string, seenVersion: number): Promise<void> {
  await ddb().send(new PutCommand({ TableName: mainTable(), Item: { ...pipelineKeys.doorbell(id), taskToken, seenVersion } }));
}

/** Takes the stored token if it waits on a version older than `version` (or is exactly `token`); null when there is none to take. */
export async function takeDoorbell(id: string, opts: { olderThan: number } | { token: string }): Promise<string | null> {
  try {
    const out = await ddb().send(
      new DeleteCommand({
        TableName: mainTable(),
        Key: pipelineKeys.doorbell(id),
        ...('olderThan' in opts ? { ConditionExpression: 'seenVersion < :v', ExpressionAttributeValues: { ':v': opts.olderThan } } : { ConditionExpression: 'taskToken = :t', ExpressionAttributeValues: { ':t': opts.token } }),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes ? String(out.Attributes.taskToken) : null;
  } catch (e) {
    if ((e as { name?: string }).name === 'ConditionalCheckFailedException') return null;
    throw e;
  }
}

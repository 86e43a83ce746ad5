// The stage watcher's items in the main table (keys: pipelineKeys / pipelineGsi in
// lambdas/shared/store/keys.ts). None is audited: they say where to look, never what happened; the
// facts (a stage's end) are written to the audited pipeline item.
//   PIPE#<id> / WATCH#<stage>      a running stage's job at its site; gsi1 PIPEWAIT#<site>, so one
//                                  Query tells a site's watcher every job it must look out for.
//                                  Written when the stage starts, removed when its end is recorded.
//   PIPEWATCHER#<site> / WATCHER   when the site's watcher last ran (Plan's "is anyone watching?").
import { BatchGetCommand, DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { pipelineGsi, pipelineKeys } from '../shared/store/keys';
import { queryAll } from '../shared/store/query-all';

export interface WatchRecord {
  pipelineId: string;
  executionId: string;
  stageId: string;
  attempt: number;
  site: string;
  /** KAIRR's job id: the dispatch id stamped on the job at the site (Slurm: name kairr.<id>). */
  jobId: string;
  schedulerJobId?: string;
}

const FIELDS = ['pipelineId', 'executionId', 'stageId', 'attempt', 'site', 'jobId', 'schedulerJobId'] as const;

export async function putWatch(w: WatchRecord): Promise<void> {
  await ddb().send(
    new PutCommand({
      TableName: mainTable(),
      Item: { ...JSON.parse(JSON.stringify(w)), ...pipelineKeys.watch(w.pipelineId, w.stageId), gsi1pk: pipelineGsi.waitingAt(w.site), gsi1sk: `${w.pipelineId}#${w.stageId}` },
    }),
  );
}

/** Removes the watch of that attempt's job only: a later attempt's watch (a retry already running) stays. */
export async function deleteWatch(w: Pick<WatchRecord, 'pipelineId' | 'stageId' | 'attempt' | 'jobId'>): Promise<void> {
  try {
    await ddb().send(
      new DeleteCommand({
        TableName: mainTable(),
        Key: pipelineKeys.watch(w.pipelineId, w.stageId),
        ConditionExpression: 'attempt = :a AND jobId = :j',
        ExpressionAttributeValues: { ':a': w.attempt, ':j': w.jobId },
      }),
    );
  } catch (e) {
    if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
  }
}

/** Every stage waiting on a job at the site: one Query (more pages only past 1 MB, some thousands of stages). */
export async function listWaitingAt(siteId: string): Promise<WatchRecord[]> {
  const items = await queryAll({ TableName: mainTable(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': pipelineGsi.waitingAt(siteId) } });
  return items.map((i) => Object.fromEntries(FIELDS.filter((f) => i[f] !== undefined).map((f) => [f, i[f]])) as unknown as WatchRecord);
}

/** The site's watcher ran now. */
export async function touchWatcher(siteId: string, at: Date = new Date()): Promise<void> {
  await ddb().send(new PutCommand({ TableName: mainTable(), Item: { ...pipelineKeys.watcher(siteId), siteId, lastRunAt: at.toISOString(), ttl: Math.floor(at.getTime() / 1000) + 86_400 } }));
}

/** When each of the sites' watchers last ran (absent: never, or not for a day). */
export async function watchersLastRun(siteIds: readonly string[]): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  if (siteIds.length === 0) return out;
  const res = await ddb().send(new BatchGetCommand({ RequestItems: { [mainTable()]: { Keys: siteIds.map((s) => pipelineKeys.watcher(s)) } } }));
  for (const i of res.Responses?.[mainTable()] ?? []) out.set(String(i.siteId), new Date(String(i.lastRunAt)));
  return out;
}

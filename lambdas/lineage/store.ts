// The lineage store in the main table (keys: lineageKeys in lambdas/shared/store/keys.ts).
//
// Writing: an event is checked (OpenLineage 2-0-2's rules), kept as it came, and each of its
// edges is added to both ends' neighbour sets with ADD on a string set, which is idempotent: a
// retried or duplicated event changes nothing, and an event whose edges were half-applied (the
// writer died) is completed by its retry. Lineage items are facts observed about runs, derived
// from the stored events and rebuildable from them (bulkLoad); they carry no balance, state or
// permission, so they are written outside the audited write path, whose one-transaction-per-
// subject model would serialise every job that reads a popular dataset on that dataset's item.
//
// Reading: breadth first, one level at a time; a level is one wave of BatchGetItem requests (100
// nodes each, PARALLEL_REQUESTS at once), plus a wave for DynamoDB's unprocessed keys when it
// throttles, plus one Query wave for the rare hub whose neighbours overflowed its item.
import { BatchGetCommand, BatchWriteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../domain/errors';
import { checkRunEvent } from '../domain/lineage/check';
import type { RunEvent } from '../domain/lineage/events';
import { edgesOf, parseNodeId, traverse, type Direction, type LineageAnswer } from '../domain/lineage/graph';
import { ddb, mainTable } from '../shared/store/client';
import { lineageKeys } from '../shared/store/keys';

/** Neighbours kept on a node's own item, per direction (ids are ≲ 200 bytes: well under 400 KB). */
export const INLINE_NEIGHBOURS = 400;
export const BATCH_GET_KEYS = 100;
export const PARALLEL_REQUESTS = 16;

const isConditionFailure = (e: unknown) => (e as { name?: string }).name === 'ConditionalCheckFailedException';
const attr = (d: Direction) => d; // the item attributes are named "up" and "down"
const overflowAttr = (d: Direction) => `${d}Overflow`;

export interface RecordResult {
  /** false when this event (same run, time and type) was stored before: a duplicate. */
  stored: boolean;
  edges: number;
}

export interface RecordOptions {
  /** Neighbours kept on a node's item (default INLINE_NEIGHBOURS; tests make hubs with fewer). */
  inlineNeighbours?: number;
}

export async function recordEvent(event: RunEvent, opts: RecordOptions = {}): Promise<RecordResult> {
  const max = opts.inlineNeighbours ?? INLINE_NEIGHBOURS;
  const problems = checkRunEvent(event);
  if (problems.length) throw new ValidationError(problems, 'The event does not follow OpenLineage 2-0-2');
  let stored = true;
  try {
    await ddb().send(
      new PutCommand({
        TableName: mainTable(),
        Item: { ...lineageKeys.event(event.run.runId, event.eventTime, event.eventType), job: `${event.job.namespace}/${event.job.name}`, event: JSON.stringify(event) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    stored = false;
  }
  const edges = edgesOf(event);
  await inParallel(
    edges.flatMap((e) => [() => addNeighbour(e.from, 'down', e.to, max), () => addNeighbour(e.to, 'up', e.from, max)]),
    PARALLEL_REQUESTS,
  );
  return { stored, edges: edges.length };
}

async function addNeighbour(node: string, direction: Direction, neighbour: string, max: number): Promise<void> {
  const info = parseNodeId(node);
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: mainTable(),
        Key: lineageKeys.node(node),
        UpdateExpression: 'ADD #a :n SET #k = if_not_exists(#k, :k)',
        ConditionExpression: 'attribute_not_exists(#a) OR size(#a) < :max OR contains(#a, :one)',
        ExpressionAttributeNames: { '#a': attr(direction), '#k': 'kind' },
        ExpressionAttributeValues: { ':n': new Set([neighbour]), ':one': neighbour, ':k': info.kind, ':max': max },
      }),
    );
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    // a hub: this neighbour goes to an edge item of its own, and the node says it has some
    await ddb().send(new PutCommand({ TableName: mainTable(), Item: { ...lineageKeys.edge(node, direction, neighbour), neighbour } }));
    await ddb().send(
      new UpdateCommand({
        TableName: mainTable(),
        Key: lineageKeys.node(node),
        UpdateExpression: 'SET #o = :t',
        ExpressionAttributeNames: { '#o': overflowAttr(direction) },
        ExpressionAttributeValues: { ':t': true },
      }),
    );
  }
}

/** What one level of a query cost. */
export interface LevelCost {
  level: number;
  frontier: number;
  /** DynamoDB requests sent (BatchGetItem and, for hubs, Query pages). */
  requests: number;
  /** Waves of requests that had to wait for the previous one: the latency a level costs. */
  roundTrips: number;
}

export interface LineageQueryAnswer extends LineageAnswer {
  cost: LevelCost[];
}

/** Ancestors (up) or descendants (down) of a node, to `depth` edges. */
export async function queryLineage(start: string, direction: Direction, depth: number): Promise<LineageQueryAnswer> {
  const cost: LevelCost[] = [];
  const answer = await traverse(start, direction, depth, async (ids, dir) => {
    const c: LevelCost = { level: cost.length + 1, frontier: ids.length, requests: 0, roundTrips: 0 };
    cost.push(c);
    return readNeighbours(ids, dir, c);
  });
  return { ...answer, cost };
}

async function readNeighbours(ids: string[], direction: Direction, cost: LevelCost): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const hubs: string[] = [];
  let pending: Record<string, unknown>[] = ids.map((id) => ({ ...lineageKeys.node(id) }));
  for (let attempt = 0; pending.length; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
    const chunks: Record<string, unknown>[][] = [];
    for (let i = 0; i < pending.length; i += BATCH_GET_KEYS) chunks.push(pending.slice(i, i + BATCH_GET_KEYS));
    const unprocessed: Record<string, unknown>[] = [];
    cost.roundTrips += Math.ceil(chunks.length / PARALLEL_REQUESTS);
    await inParallel(
      chunks.map((keys) => async () => {
        cost.requests++;
        const res = await ddb().send(
          new BatchGetCommand({
            RequestItems: {
              [mainTable()]: { Keys: keys, ProjectionExpression: 'pk, #a, #o', ExpressionAttributeNames: { '#a': attr(direction), '#o': overflowAttr(direction) } },
            },
          }),
        );
        for (const item of res.Responses?.[mainTable()] ?? []) {
          const id = String(item.pk).slice('LINEAGE#'.length);
          out.set(id, [...((item[attr(direction)] as Set<string> | undefined) ?? [])].sort());
          if (item[overflowAttr(direction)]) hubs.push(id);
        }
        unprocessed.push(...((res.UnprocessedKeys?.[mainTable()]?.Keys as Record<string, unknown>[] | undefined) ?? []));
      }),
      PARALLEL_REQUESTS,
    );
    pending = unprocessed;
  }
  if (hubs.length) {
    let waves = 0;
    await inParallel(
      hubs.map((id) => async () => {
        const k = lineageKeys.edgePrefix(id, direction);
        let start: Record<string, unknown> | undefined;
        let pages = 0;
        do {
          cost.requests++;
          pages++;
          const res = await ddb().send(
            new QueryCommand({
              TableName: mainTable(),
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
              ExpressionAttributeValues: { ':pk': k.pk, ':p': k.skPrefix },
              ProjectionExpression: 'neighbour',
              ExclusiveStartKey: start,
            }),
          );
          out.get(id)!.push(...(res.Items ?? []).map((i) => String(i.neighbour)));
          start = res.LastEvaluatedKey;
        } while (start);
        waves = Math.max(waves, pages);
      }),
      PARALLEL_REQUESTS,
    );
    cost.roundTrips += waves * Math.ceil(hubs.length / PARALLEL_REQUESTS);
  }
  return out;
}

/**
 * Writes whole node items at once (BatchWriteItem, 25 a request): to rebuild the graph from the
 * stored events, and to seed benchmarks. Overwrites the nodes given.
 */
export async function bulkLoad(nodes: ReadonlyMap<string, { up: ReadonlySet<string>; down: ReadonlySet<string> }>, parallel = 8): Promise<void> {
  const items: Record<string, unknown>[] = [];
  for (const [id, n] of nodes) {
    const item: Record<string, unknown> = { ...lineageKeys.node(id), kind: parseNodeId(id).kind };
    for (const d of ['up', 'down'] as const) {
      const all = [...n[d]];
      if (all.length) item[d] = new Set(all.slice(0, INLINE_NEIGHBOURS));
      if (all.length > INLINE_NEIGHBOURS) {
        item[overflowAttr(d)] = true;
        for (const m of all.slice(INLINE_NEIGHBOURS)) items.push({ ...lineageKeys.edge(id, d, m), neighbour: m });
      }
    }
    items.push(item);
  }
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await inParallel(
    batches.map((batch) => async () => {
      let req: { PutRequest: { Item: Record<string, unknown> } }[] = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; req.length; attempt++) {
        if (attempt) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const res = await ddb().send(new BatchWriteCommand({ RequestItems: { [mainTable()]: req } }));
        req = (res.UnprocessedItems?.[mainTable()] as typeof req | undefined) ?? [];
      }
    }),
    parallel,
  );
}

/** The stored events of a run, in time order (for forwarding again, or a rebuild). */
export async function eventsOfRun(runId: string): Promise<RunEvent[]> {
  const k = lineageKeys.eventsOf(runId);
  const res = await ddb().send(new QueryCommand({ TableName: mainTable(), KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': k.pk, ':p': k.skPrefix } }));
  return (res.Items ?? []).map((i) => JSON.parse(String(i.event)) as RunEvent);
}

async function inParallel(tasks: (() => Promise<unknown>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

// npm run bench:ledger — usage records per second through the ingestion path (validation, pricing,
// idempotency reads, audited transactions) against two baselines on the same DynamoDB Local, in the
// same run: raw BatchWriteItem of the same number of items, and the exactly-once floor:
// TransactWriteItems of the items ingestion writes (allocation item on its auditSeq condition, its
// audit event, entries and job charge items on attribute_not_exists), in the same packs
// (domain/ledger/packing.ts) at the same concurrency, with nothing read, validated or priced.
// The ingestion path runs twice, on fresh allocations and job ids: packed per ingest call (no module
// state: what one Lambda environment serving one invocation does) and through the module-level
// group-commit queue (concurrent calls in this process merged). Also write capacity units per usage
// record (ReturnConsumedCapacity). Last line: one JSON object with every figure.
// Options (environment): BENCH_RECORDS (20000), BENCH_ALLOCATIONS (40), BENCH_CONCURRENCY (4).
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoLocal } from '../local/dynamo';
import { AUDIT_TABLE, MAIN_TABLE, TABLES, tableEnvName } from '../lambdas/shared/store/table-design';
import { packUsage } from '../lambdas/domain/ledger/packing';
import { auditStream, keys } from '../lambdas/shared/store/keys';
import { setDdb } from '../lambdas/shared/store/client';
import { createInputOf } from '../test/support/dynamo';
import { useStageConfig } from '../test/support/config';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 20_000);
const ALLOCATIONS = Number(process.env.BENCH_ALLOCATIONS ?? 40);
const BATCH = 500; // the API's batch limit
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

type BenchRecord = { cluster: string; jobId: string; allocationId: string; resource: string; user: string; gpus: number; start: string; end: string; elapsedSeconds: number };

/**
 * TransactWriteItems of what ingestion writes for these records, in the packs it forms per call,
 * CONCURRENCY batches at a time (each batch's waves in order, a wave's packs in parallel). Per
 * allocation in a pack: the allocation item on `auditSeq = :seq` (the allocation's condition in
 * write-path.ts), its audit event, one entry per resource listing its jobs, and one charge item per
 * job, each on attribute_not_exists(pk). A lost race is retried with the seq DynamoDB returns
 * (ReturnValuesOnConditionCheckFailure), with write-path's jittered backoff.
 */
async function transactFloor(doc: DynamoDBDocumentClient, tables: { main: string; audit: string }, records: BenchRecord[], allocIds: string[], read: (id: string) => Promise<Record<string, unknown> | null>) {
  const heads = new Map<string, { seq: number; item: Record<string, unknown> }>();
  for (const id of allocIds) {
    const item = await read(id);
    if (!item) throw new Error(`allocation ${id} is missing`);
    await doc.send(new BatchWriteCommand({ RequestItems: { [tables.main]: [{ PutRequest: { Item: item } }] } }));
    heads.set(id, { seq: Number(item.auditSeq), item });
  }
  const now = new Date().toISOString();
  const hex = () => randomBytes(32).toString('hex');
  let transactions = 0;
  let retries = 0;
  let wcu = 0;
  const commitPack = async (pack: BenchRecord[]) => {
    const byAlloc = new Map<string, BenchRecord[]>();
    for (const r of pack) byAlloc.set(r.allocationId, [...(byAlloc.get(r.allocationId) ?? []), r]);
    const ids = [...byAlloc.keys()];
    for (let attempt = 0; ; attempt++) {
      const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
      const seqs = ids.map((id) => heads.get(id)!.seq);
      ids.forEach((id, k) => {
        const group = byAlloc.get(id)!;
        const seq = seqs[k];
        const stream = auditStream('allocation', id);
        items.push({
          Put: {
            TableName: tables.main,
            Item: { ...heads.get(id)!.item, auditSeq: seq + 1, auditHash: hex(), updatedAt: now },
            ConditionExpression: 'auditSeq = :seq',
            ExpressionAttributeValues: { ':seq': seq },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        });
        items.push({
          Put: {
            TableName: tables.audit,
            Item: {
              pk: stream,
              sk: seq + 1,
              v: 1,
              eventId: `ev-${hex().slice(0, 26)}`,
              time: now,
              tpk: now.slice(0, 10),
              tsk: `${now}#${stream}`,
              apk: 'system:bench',
              actor: { sub: 'system:bench', role: 'system' },
              action: 'ledger.usage',
              subject: { type: 'allocation', id },
              requestId: 'bench-floor',
              reason: null,
              before: hex(),
              after: hex(),
              prevHash: hex(),
              hash: hex(),
              details: { site: 'spc', jobs: group.length, entries: [{ kind: 'usage', resource: 'spc/h200', amountMc: -1 }] },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        });
        for (const resource of new Set(group.map((r) => r.resource))) {
          const entryId = `le-${hex().slice(0, 26)}`;
          const jobs = group.filter((r) => r.resource === resource).map((r) => ({ siteId: 'spc', cluster: r.cluster, jobId: r.jobId, credits: 1, totalCredits: 1 }));
          items.push({
            Put: {
              TableName: tables.main,
              Item: {
                ...keys.ledgerEntry(id, entryId),
                entryId,
                allocationId: id,
                kind: 'usage',
                resource: `spc/${resource}`,
                amountMc: -jobs.length,
                overLimit: false,
                time: now,
                actor: { sub: 'system:bench', role: 'system' },
                ref: 'bench-floor',
                reason: null,
                jobs,
                allocSeq: seq + 1,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          });
        }
        for (const r of group)
          items.push({
            Put: {
              TableName: tables.main,
              Item: { ...keys.jobUsage('spc', r.cluster, r.jobId), siteId: 'spc', ...r, resource: `spc/${r.resource}`, chargedMc: 900, rev: 1, rate: 0.9, updatedAt: now, allocSeq: seq + 1 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          });
      });
      try {
        const out = await doc.send(new TransactWriteCommand({ TransactItems: items, ReturnConsumedCapacity: 'TOTAL' }));
        wcu += (out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? c.WriteCapacityUnits ?? 0), 0);
        ids.forEach((id, k) => (heads.get(id)!.seq = Math.max(heads.get(id)!.seq, seqs[k] + 1)));
        transactions++;
        return;
      } catch (e) {
        const err = e as { name?: string; CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[] };
        if (attempt >= 50 || (err.name !== 'TransactionCanceledException' && err.name !== 'TransactionConflictException')) throw e;
        // a lost race on an allocation item returns that item: its seq is the one to write after
        const plain = (v: unknown) => (v && typeof v === 'object' ? ((v as { S?: string; N?: string }).S ?? (v as { N?: string }).N) : v);
        for (const r of err.CancellationReasons ?? []) {
          const h = r.Code === 'ConditionalCheckFailed' && r.Item ? heads.get(String(plain(r.Item.id))) : undefined;
          if (h) h.seq = Math.max(h.seq, Number(plain(r.Item!.auditSeq)));
        }
        if (err.CancellationReasons?.some((r) => r.Code && r.Code !== 'None' && r.Code !== 'ConditionalCheckFailed' && r.Code !== 'TransactionConflict')) throw e;
        retries++;
        await new Promise((res) => setTimeout(res, Math.random() * 10 * 2 ** Math.min(attempt, 6)));
      }
    }
  };
  const batches = Array.from({ length: Math.ceil(records.length / BATCH) }, (_, i) => records.slice(i * BATCH, (i + 1) * BATCH));
  const t = process.hrtime.bigint();
  await pool(batches, CONCURRENCY, async (b) => {
    const waves = packUsage(b, (r) => ({ actor: 'system|system:bench', allocationId: r.allocationId, resource: `spc/${r.resource}`, held: false }));
    for (const packs of waves) await Promise.all(packs.map(commitPack));
  });
  const sec = Number(process.hrtime.bigint() - t) / 1e9;
  return { sec, rate: records.length / sec, transactions, retries, wcuPerRecord: wcu / records.length };
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dynamo = await startDynamoLocal();
  try {
    useStageConfig('local');
    // The allocations' AllocationCreated events have no bus here (the outbox keeps them); keep the output to figures.
    process.env.LOG_LEVEL ??= 'error';
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'ap-northeast-2', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const suffix = randomBytes(3).toString('hex');
    for (const t of TABLES) {
      const name = `bench-${t.logicalName}-${suffix}`;
      await client.send(new CreateTableCommand(createInputOf(t, name)));
      process.env[tableEnvName(t)] = name;
    }
    await client.send(new CreateTableCommand(createInputOf(MAIN_TABLE, `bench-raw-${suffix}`)));
    const floorMain = `bench-floor-main-${suffix}`;
    const floorAudit = `bench-floor-audit-${suffix}`;
    await client.send(new CreateTableCommand(createInputOf(MAIN_TABLE, floorMain)));
    await client.send(new CreateTableCommand(createInputOf(AUDIT_TABLE, floorAudit)));
    setDdb(doc);
    // Loaded after the environment (table names, config) is set, as a cold Lambda would be.
    const { createAllocation } = require('../lambdas/ledger/service') as typeof import('../lambdas/ledger/service');
    const { ingestUsage } = require('../lambdas/ledger/ingest') as typeof import('../lambdas/ledger/ingest');
    const { ledgerMetrics, getAllocationItem } = require('../lambdas/ledger/store') as typeof import('../lambdas/ledger/store');
    const { newId } = require('../lambdas/domain/ids') as typeof import('../lambdas/domain/ids');
    const system = { actor: { sub: 'system:bench', role: 'system' }, requestId: 'bench' };

    const award = async () => {
      const ids: string[] = [];
      for (let i = 0; i < ALLOCATIONS; i++) {
        const id = newId('alloc');
        await createAllocation(
          {
            id,
            title: 'bench',
            piSub: `pi-${i}`,
            institution: 'KAIST',
            orgType: 'university',
            field: 'cs',
            proposalId: null,
            callId: null,
            tier: null,
            startDate: '2026-01-01',
            endDate: '2027-12-31',
            members: [],
            awardsMc: { 'spc/h200': 1e12, 'spc/b200': 1e12 },
          },
          system,
        );
        ids.push(id);
      }
      return ids;
    };
    const start = '2026-10-01T00:00:00.000Z';
    const recordsFor = (allocs: string[], tag: string) =>
      Array.from({ length: RECORDS }, (_, i) => ({
        cluster: 'spc',
        jobId: `bench-${tag}-${i}`,
        allocationId: allocs[i % allocs.length],
        resource: i % 3 ? 'h200' : 'b200',
        user: 'alice',
        gpus: 1 + (i % 4),
        start,
        end: new Date(Date.parse(start) + (60 + (i % 3600)) * 1000).toISOString(),
        elapsedSeconds: 60 + (i % 3600),
      }));
    const batchesOf = <T>(list: T[]) => Array.from({ length: Math.ceil(list.length / BATCH) }, (_, i) => list.slice(i * BATCH, (i + 1) * BATCH));
    const floorAllocs = await award();
    const perCallAllocs = await award();
    const groupAllocs = await award();
    const records = recordsFor(perCallAllocs, 'p');
    console.log(
      `load average ${(await import('node:os'))
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${(await import('node:os')).cpus().length} cores`,
    );
    console.log(`DynamoDB Local ${dynamo.endpoint}; ${RECORDS} usage records over ${ALLOCATIONS} allocations, batches of ${BATCH}, ${CONCURRENCY} at a time`);

    // Baseline: raw BatchWriteItem of the same number of items of the same size, same concurrency.
    const rawItems = records.map((r) => ({ pk: `RAW#${r.jobId}`, sk: 'RAW', ...r, balanceMc: 0, overLimitMc: 0, rev: 1, rate: 0.9, account: '', updatedAt: start }));
    const rawChunks: (typeof rawItems)[] = [];
    for (let i = 0; i < rawItems.length; i += 25) rawChunks.push(rawItems.slice(i, i + 25));
    let rawWcu = 0;
    const t0 = process.hrtime.bigint();
    await pool(rawChunks, CONCURRENCY * 4, async (chunk) => {
      let req: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = { [`bench-raw-${suffix}`]: chunk.map((Item) => ({ PutRequest: { Item } })) };
      while (req && Object.keys(req).length) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: req, ReturnConsumedCapacity: 'TOTAL' }));
        rawWcu += (out.ConsumedCapacity ?? []).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
        req = out.UnprocessedItems as typeof req;
      }
    });
    const rawSec = Number(process.hrtime.bigint() - t0) / 1e9;
    const rawRate = RECORDS / rawSec;
    console.log(`raw BatchWriteItem:   ${rawRate.toFixed(0)} items/s (${rawSec.toFixed(1)} s), ${(rawWcu / RECORDS).toFixed(2)} WCU/item`);

    // The exactly-once floor: the same items ingestion writes, in the same packs, at the same
    // concurrency, on the same conditions, as TransactWriteItems; none of ingestion's reads,
    // validation, pricing or audit hashing. Lost races are retried as ingestion retries them.
    const floor = await transactFloor(doc, { main: floorMain, audit: floorAudit }, recordsFor(floorAllocs, 'f'), floorAllocs, (id) => getAllocationItem(id));
    console.log(
      `transaction floor:    ${floor.rate.toFixed(0)} records/s (${floor.sec.toFixed(1)} s), ${floor.transactions} transactions (${(RECORDS / floor.transactions).toFixed(1)} records each), ${floor.retries} retried after a lost race, ${floor.wcuPerRecord.toFixed(2)} WCU/record reported`,
    );

    // The ingestion path, packed per call (no module state) and through the group-commit queue.
    const statuses: Record<string, number> = {};
    const runIngest = async (mode: 'per-call' | 'group', recs: typeof records) => {
      ledgerMetrics.consumedWcu = 0;
      ledgerMetrics.pricedWcu = 0;
      ledgerMetrics.commits = 0;
      const seen: Record<string, number> = {};
      const cpu0 = process.cpuUsage();
      const t = process.hrtime.bigint();
      await pool(batchesOf(recs), CONCURRENCY, async (b) => {
        const { results } = await ingestUsage('spc', b, { ...system, requestId: `bench-${b[0].jobId}` }, { commit: mode });
        for (const r of results) seen[r.status] = (seen[r.status] ?? 0) + 1;
      });
      const sec = Number(process.hrtime.bigint() - t) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const out = { mode, sec, rate: RECORDS / sec, cpuSec: (cpu.user + cpu.system) / 1e6, commits: ledgerMetrics.commits, wcu: ledgerMetrics.consumedWcu / RECORDS, priced: ledgerMetrics.pricedWcu / RECORDS, statuses: seen };
      console.log(
        `ingestion, ${mode.padEnd(8)}: ${out.rate.toFixed(0)} records/s (${sec.toFixed(1)} s; this process used ${out.cpuSec.toFixed(1)} s CPU), ${out.commits} transactions (${(RECORDS / out.commits).toFixed(1)} records each)`,
        seen,
      );
      return out;
    };
    const perCall = await runIngest('per-call', records);
    const group = await runIngest('group', recordsFor(groupAllocs, 'g'));
    Object.assign(statuses, perCall.statuses);
    // the figures below are the product's path: packed per call (the README says why)
    const ingRate = perCall.rate;
    const wcuPerRecord = perCall.wcu;
    const pricedPerRecord = perCall.priced;
    const batches = batchesOf(records);
    console.log(`write capacity:       ${pricedPerRecord.toFixed(2)} WCU/record by DynamoDB's capacity rules (transactional 2x, with index writes); DynamoDB Local reported ${wcuPerRecord.toFixed(2)} (it counts one item per transaction)`);
    console.log(`ratios:               ingestion/raw BatchWriteItem ${(ingRate / rawRate).toFixed(2)}; ingestion/transaction floor ${(ingRate / floor.rate).toFixed(2)}; group commit/per call ${(group.rate / perCall.rate).toFixed(2)}`);

    // Re-sending the same batch costs reads only: duplicates write nothing.
    ledgerMetrics.consumedWcu = 0;
    const t2 = process.hrtime.bigint();
    await pool(batches.slice(0, 4), CONCURRENCY, async (b) => void (await ingestUsage('spc', b, { ...system, requestId: 'bench-dup' }, { commit: 'per-call' })));
    const dupSec = Number(process.hrtime.bigint() - t2) / 1e9;
    const dupRecords = batches.slice(0, 4).reduce((s, b) => s + b.length, 0);
    console.log(`duplicates re-sent:   ${(dupRecords / dupSec).toFixed(0)} records/s, ${ledgerMetrics.consumedWcu} WCU`);
    console.log('Targets: ingestion/raw ratio >= 0.5; ingestion/transaction floor >= 0.8; at most 3 WCU per record.');
    const r2 = (x: number) => Math.round(x * 100) / 100;
    console.log(
      JSON.stringify({
        records: RECORDS,
        allocations: ALLOCATIONS,
        raw_batchwrite_items_per_s: Math.round(rawRate),
        ingest_records_per_s: Math.round(ingRate),
        ingest_to_raw_ratio: r2(ingRate / rawRate),
        transact_floor_records_per_s: Math.round(floor.rate),
        ingest_to_transact_floor_ratio: r2(ingRate / floor.rate),
        transact_floor_transactions: floor.transactions,
        transact_floor_retries: floor.retries,
        ingest_group_commit_records_per_s: Math.round(group.rate),
        group_commit_to_per_call_ratio: r2(group.rate / perCall.rate),
        group_commit_transactions: group.commits,
        wcu_per_record: r2(pricedPerRecord),
        wcu_per_record_reported_by_dynamodb_local: r2(wcuPerRecord),
        raw_wcu_per_item: r2(rawWcu / RECORDS),
        transactions: perCall.commits,
        duplicate_records_per_s: Math.round(dupRecords / dupSec),
        duplicate_wcu: ledgerMetrics.consumedWcu,
        ingest_cpu_s: r2(perCall.cpuSec),
        accepted: statuses.accepted ?? 0,
        failed: statuses.failed ?? 0,
      }),
    );
  } finally {
    await dynamo.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

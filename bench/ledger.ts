// npm run bench:ledger — usage records per second through the ingestion path (validation, pricing,
// idempotency reads, audited transactions) against raw BatchWriteItem of the same number of items
// on the same DynamoDB Local, as a ratio; and write capacity units per usage record
// (ReturnConsumedCapacity). Last line: one JSON object with every figure.
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoLocal } from '../local/dynamo';
import { TABLES, tableEnvName } from '../lambdas/shared/store/table-design';
import { setDdb } from '../lambdas/shared/store/client';
import { createInputOf } from '../test/support/dynamo';
import { useStageConfig } from '../test/support/config';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 20_000);
const ALLOCATIONS = Number(process.env.BENCH_ALLOCATIONS ?? 40);
const BATCH = 500; // the API's batch limit
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
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
    await client.send(new CreateTableCommand(createInputOf(TABLES[0], `bench-raw-${suffix}`)));
    setDdb(doc);
    // Loaded after the environment (table names, config) is set, as a cold Lambda would be.
    const { createAllocation } = require('../lambdas/ledger/service') as typeof import('../lambdas/ledger/service');
    const { ingestUsage } = require('../lambdas/ledger/ingest') as typeof import('../lambdas/ledger/ingest');
    const { ledgerMetrics } = require('../lambdas/ledger/store') as typeof import('../lambdas/ledger/store');
    const { newId } = require('../lambdas/domain/ids') as typeof import('../lambdas/domain/ids');
    const system = { actor: { sub: 'system:bench', role: 'system' }, requestId: 'bench' };

    const allocs: string[] = [];
    for (let i = 0; i < ALLOCATIONS; i++) {
      const id = newId('alloc');
      await createAllocation(
        { id, title: 'bench', piSub: `pi-${i}`, institution: 'KAIST', orgType: 'university', field: 'cs', proposalId: null, callId: null, tier: null, startDate: '2026-01-01', endDate: '2027-12-31', members: [], awardsMc: { 'spc/h200': 1e12, 'spc/b200': 1e12 } },
        system,
      );
      allocs.push(id);
    }
    const start = '2026-10-01T00:00:00.000Z';
    const records = Array.from({ length: RECORDS }, (_, i) => ({
      cluster: 'spc',
      jobId: `bench-${i}`,
      allocationId: allocs[i % allocs.length],
      resource: i % 3 ? 'h200' : 'b200',
      user: 'alice',
      gpus: 1 + (i % 4),
      start,
      end: new Date(Date.parse(start) + (60 + (i % 3600)) * 1000).toISOString(),
      elapsedSeconds: 60 + (i % 3600),
    }));
    console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
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

    // The ingestion path.
    const batches: (typeof records)[] = [];
    for (let i = 0; i < records.length; i += BATCH) batches.push(records.slice(i, i + BATCH));
    const statuses: Record<string, number> = {};
    ledgerMetrics.consumedWcu = 0;
    ledgerMetrics.pricedWcu = 0;
    ledgerMetrics.commits = 0;
    const cpu0 = process.cpuUsage();
    const t1 = process.hrtime.bigint();
    await pool(batches, CONCURRENCY, async (b) => {
      const { results } = await ingestUsage('spc', b, { ...system, requestId: `bench-${b[0].jobId}` });
      for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    });
    const ingSec = Number(process.hrtime.bigint() - t1) / 1e9;
    const ingRate = RECORDS / ingSec;
    const cpu = process.cpuUsage(cpu0);
    const wcuPerRecord = ledgerMetrics.consumedWcu / RECORDS;
    const pricedPerRecord = ledgerMetrics.pricedWcu / RECORDS;
    console.log(`ingestion path:       ${ingRate.toFixed(0)} records/s (${ingSec.toFixed(1)} s; this process used ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU), ${ledgerMetrics.commits} transactions (${(RECORDS / ledgerMetrics.commits).toFixed(1)} records each)`, statuses);
    console.log(`write capacity:       ${pricedPerRecord.toFixed(2)} WCU/record by DynamoDB's capacity rules (transactional 2x, with index writes); DynamoDB Local reported ${wcuPerRecord.toFixed(2)} (it counts one item per transaction)`);

    // Re-sending the same batch costs reads only: duplicates write nothing.
    ledgerMetrics.consumedWcu = 0;
    const t2 = process.hrtime.bigint();
    await pool(batches.slice(0, 4), CONCURRENCY, async (b) => void (await ingestUsage('spc', b, { ...system, requestId: 'bench-dup' })));
    const dupSec = Number(process.hrtime.bigint() - t2) / 1e9;
    const dupRecords = batches.slice(0, 4).reduce((s, b) => s + b.length, 0);
    console.log(`duplicates re-sent:   ${(dupRecords / dupSec).toFixed(0)} records/s, ${ledgerMetrics.consumedWcu} WCU`);
    console.log('Targets: ingestion/raw ratio >= 0.5; at most 3 WCU per record.');
    const r2 = (x: number) => Math.round(x * 100) / 100;
    console.log(
      JSON.stringify({
        records: RECORDS,
        allocations: ALLOCATIONS,
        raw_batchwrite_items_per_s: Math.round(rawRate),
        ingest_records_per_s: Math.round(ingRate),
        ingest_to_raw_ratio: r2(ingRate / rawRate),
        wcu_per_record: r2(pricedPerRecord),
        wcu_per_record_reported_by_dynamodb_local: r2(wcuPerRecord),
        raw_wcu_per_item: r2(rawWcu / RECORDS),
        transactions: ledgerMetrics.commits,
        duplicate_records_per_s: Math.round(dupRecords / dupSec),
        duplicate_wcu: ledgerMetrics.consumedWcu,
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

// npm run bench:accountability — the daily idle scan over N allocations (default 100,000): its time
// and the reads it costs, as ratios to a plain Scan of the same table on the same DynamoDB Local;
// and the public record's first page over N awards, in DynamoDB round trips. Last line: one JSON
// object with every figure.
//
// The table is seeded (BatchWriteItem) with the items the write path writes, built by the same item
// builders: per allocation, its item, an award and two usage ledger entries, a member index item, its
// accountability record and its public listing. The day measured is a steady one: 10% of the
// allocations are behind plan and already watched, 0.5% fall behind today, 0.5% catch up today.
import { randomBytes } from 'node:crypto';
import { loadavg, cpus } from 'node:os';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoLocal } from '../local/dynamo';
import { TABLES, tableEnvName } from '../lambdas/shared/store/table-design';
import { setDdb } from '../lambdas/shared/store/client';
import { createInputOf } from '../test/support/dynamo';
import { useStageConfig } from '../test/support/config';

const N = Number(process.env.BENCH_ALLOCATIONS ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const NOW = new Date('2026-07-02T00:15:00.000Z');

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}
const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.LOG_LEVEL ??= 'error';
  const dynamo = await startDynamoLocal();
  try {
    useStageConfig('local');
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'ap-northeast-2', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const suffix = randomBytes(3).toString('hex');
    for (const t of TABLES) {
      const name = `bench-${t.logicalName}-${suffix}`;
      await client.send(new CreateTableCommand(createInputOf(t, name)));
      process.env[tableEnvName(t)] = name;
    }
    const main = process.env.TABLE_MAIN!;
    setDdb(doc);
    // no bus here: events stay in the outbox, as they would if publishing failed
    process.env.EVENT_BUS_NAME = 'bench-none';
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = 'http://127.0.0.1:9';
    const { allocationItem, entryItem } = require('../lambdas/ledger/store') as typeof import('../lambdas/ledger/store');
    const { recordItem, listingItem } = require('../lambdas/accountability/store') as typeof import('../lambdas/accountability/store');
    const { idleScan } = require('../lambdas/accountability/idle-scan') as typeof import('../lambdas/accountability/idle-scan');
    const { listAwards, publicMetrics } = require('../lambdas/accountability/public') as typeof import('../lambdas/accountability/public');
    const { buildReports } = require('../lambdas/domain/accountability/schedule') as typeof import('../lambdas/domain/accountability/schedule');
    const { DEFAULT_POLICY } = require('../lambdas/domain/accountability/policy') as typeof import('../lambdas/domain/accountability/policy');
    const { emptyCounts } = require('../lambdas/domain/accountability/outcomes') as typeof import('../lambdas/domain/accountability/outcomes');
    const { keys, gsi } = require('../lambdas/shared/store/keys') as typeof import('../lambdas/shared/store/keys');
    console.log(
      `load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${cpus().length} cores; DynamoDB Local ${dynamo.endpoint}; ${N} allocations`,
    );

    // ---- seed ----
    const head = { auditSeq: 3, auditHash: 'f'.repeat(64) };
    const reports = buildReports(DEFAULT_POLICY, '2026-01-01', '2027-01-01');
    const orgs = ['KAIST', 'SNU', 'POSTECH', 'Hangul AI', 'KISTI', 'UNIST', 'Seoul Vision', 'GIST'];
    const seed: Record<string, unknown>[] = [];
    let written = 0;
    const flush = async (all = false) => {
      if (seed.length < 25 * CONCURRENCY * 8 && !all) return;
      const chunks: Record<string, unknown>[][] = [];
      while (seed.length) chunks.push(seed.splice(0, 25));
      await pool(chunks, CONCURRENCY, async (c) => {
        let req: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = { [main]: c.map((Item) => ({ PutRequest: { Item } })) };
        while (req && Object.keys(req).length) {
          const out = await doc.send(new BatchWriteCommand({ RequestItems: req }));
          req = out.UnprocessedItems as typeof req;
        }
        written += c.length;
      });
    };
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const id = `alloc-${String(i).padStart(26, '0')}`;
      // 10% behind and watched; 0.5% newly behind; 0.5% watched but back on plan; the rest on plan
      const kind = i % 200 === 0 ? 'new-behind' : i % 200 === 1 ? 'caught-up' : i % 10 === 2 ? 'watched' : 'on-plan';
      const usedMc = kind === 'on-plan' || kind === 'caught-up' ? 500_000 : 50_000;
      const a = {
        id,
        state: 'active' as const,
        title: `Project ${i}`,
        piSub: `pi-${i}`,
        institution: orgs[i % orgs.length],
        orgType: i % 3 ? 'university' : 'startup',
        field: i % 2 ? 'computer-science' : 'biology',
        proposalId: `prop-${i}`,
        callId: `call-${i % 4}`,
        tier: 'standard',
        startDate: '2026-01-01',
        endDate: '2027-01-01',
        members: [{ sub: `pi-${i}`, username: 'alice', role: 'pi' as const, addedAt: '2026-01-01T00:00:00Z' }],
        resources: { 'spc/h200': { awardedMc: 1_000_000, balanceMc: 1_000_000 - usedMc, usedMc, overLimitMc: 0, exhausted: false } },
        schedulerAccounts: { 'spc/h200': `kairr-${i}` },
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-06-30T00:00:00Z',
        entryCount: 3,
      };
      seed.push({ ...allocationItem(a), ...head });
      const entry = (n: number, kind: 'award' | 'usage', amountMc: number) =>
        entryItem({
          entryId: `le-${id}-${n}`,
          allocationId: id,
          kind,
          resource: 'spc/h200',
          amountMc,
          overLimit: false,
          time: '2026-03-01T00:00:00Z',
          actor: { sub: 'system:connector-spc', role: 'system' },
          reason: null,
          ref: `batch-${i}`,
          ...(kind === 'usage' ? { jobs: [{ siteId: 'spc', cluster: 'spc', jobId: `${i}${n}`, deltaMc: -amountMc, totalMc: -amountMc, rev: 1 }] } : {}),
        });
      seed.push(entry(0, 'award', 1_000_000), entry(1, 'usage', -usedMc / 2), entry(2, 'usage', -usedMc / 2));
      seed.push({ ...keys.allocationMember(id, `pi-${i}`), gsi1pk: gsi.memberOf(`pi-${i}`), gsi1sk: `2026-01-01T00:00:00Z#${id}`, allocationId: id, role: 'pi' });
      const rec = {
        allocationId: id,
        callId: a.callId,
        proposalId: a.proposalId,
        purpose: 'pretraining',
        policy: DEFAULT_POLICY,
        policySource: 'call' as const,
        startDate: a.startDate,
        endDate: a.endDate,
        committedMc: { 'spc/h200': 1_000_000 },
        reports,
        tranches: [],
        idle: kind === 'watched' || kind === 'caught-up' ? { behindSince: '2026-06-20T00:15:00.000Z' } : {},
        createdAt: a.createdAt,
        updatedAt: a.updatedAt,
      };
      seed.push({ ...recordItem(rec, null), ...head });
      seed.push({
        ...listingItem({
          allocationId: id,
          callId: a.callId,
          proposalId: a.proposalId,
          title: a.title,
          abstract: 'We study how Korean-language model quality scales with data and parameters. '.repeat(4),
          field: a.field,
          organisation: a.institution,
          orgType: a.orgType,
          region: 'Daejeon',
          startDate: `2026-01-${String(1 + (i % 28)).padStart(2, '0')}`,
          endDate: a.endDate,
          committedMc: 1_000_000,
          outcomes: emptyCounts(),
          listing: { showPi: false },
          createdAt: a.createdAt,
          updatedAt: a.updatedAt,
        }),
        ...head,
      });
      await flush();
    }
    await flush(true);
    const seedSec = secs(t0);
    console.log(`seeded ${written} items in ${seedSec.toFixed(0)} s`);

    // ---- baseline: a plain Scan of the same table ----
    const t1 = process.hrtime.bigint();
    let scanItems = 0;
    let scanRcu = 0;
    let scanPages = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(new ScanCommand({ TableName: main, ExclusiveStartKey: start, ReturnConsumedCapacity: 'TOTAL' }));
      scanItems += out.Count ?? 0;
      scanRcu += out.ConsumedCapacity?.CapacityUnits ?? 0;
      scanPages++;
      start = out.LastEvaluatedKey;
    } while (start);
    const scanSec = secs(t1);
    console.log(`plain Scan:      ${scanSec.toFixed(1)} s, ${scanPages} pages, ${scanItems} items, ${scanRcu.toFixed(0)} RCU`);

    // ---- the idle scan, on the day measured, then again the same day (nothing left to change) ----
    const t2 = process.hrtime.bigint();
    const day = await idleScan(NOW, 'bench');
    const daySec = secs(t2);
    console.log(
      `idle scan:       ${daySec.toFixed(1)} s, ${day.reads.queries} queries + ${day.reads.batchGets} batch reads, ${day.reads.itemsRead} items, ${day.reads.rcu.toFixed(0)} RCU; ${day.allocations} allocations, ${day.watched} watched, ${day.candidates} new candidates, actions ${JSON.stringify(day.actions)}, failed ${day.failed}`,
    );
    const t3 = process.hrtime.bigint();
    const again = await idleScan(new Date(NOW.getTime() + 60_000), 'bench-again');
    const againSec = secs(t3);
    console.log(`idle scan again: ${againSec.toFixed(1)} s, ${again.reads.itemsRead} items, ${again.reads.rcu.toFixed(0)} RCU, actions ${JSON.stringify(again.actions)}`);

    // ---- the public record's first page ----
    const t4 = process.hrtime.bigint();
    const page = await listAwards({ limit: 50 });
    const pageMs = secs(t4) * 1000;
    const firstPageTrips = publicMetrics.roundTrips;
    const filtered = await listAwards({ limit: 50, orgType: 'startup' });
    const filteredTrips = publicMetrics.roundTrips;
    console.log(`public record:   first page of ${page.items.length} of ${N} awards in ${firstPageTrips} DynamoDB round trips (${pageMs.toFixed(0)} ms); filtered by org type: ${filtered.items.length} in ${filteredTrips} round trips`);

    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    console.log(
      JSON.stringify({
        allocations: N,
        items_in_table: scanItems,
        seed_s: Math.round(seedSec),
        plain_scan_s: r3(scanSec),
        plain_scan_items: scanItems,
        plain_scan_rcu: Math.round(scanRcu),
        idle_scan_s: r3(daySec),
        idle_scan_items_read: day.reads.itemsRead,
        idle_scan_rcu: Math.round(day.reads.rcu),
        idle_scan_round_trips: day.reads.queries + day.reads.batchGets,
        idle_scan_time_ratio: r3(daySec / scanSec),
        idle_scan_items_ratio: r3(day.reads.itemsRead / scanItems),
        idle_scan_rcu_ratio: scanRcu > 0 ? r3(day.reads.rcu / scanRcu) : null,
        idle_scan_actions: day.actions,
        idle_scan_failed: day.failed,
        idle_scan_again_s: r3(againSec),
        idle_scan_again_time_ratio: r3(againSec / scanSec),
        idle_scan_again_rcu_ratio: scanRcu > 0 ? r3(again.reads.rcu / scanRcu) : null,
        public_first_page_items: page.items.length,
        public_first_page_round_trips: firstPageTrips,
        public_first_page_ms: Math.round(pageMs),
        public_filtered_page_items: filtered.items.length,
        public_filtered_page_round_trips: filteredTrips,
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

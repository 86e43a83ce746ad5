// npm run bench:datahub — the data hub's two measured paths, each against a baseline measured in the
// same run on the same DynamoDB Local:
//  1. search over BENCH_DATASETS (10,000) datasets with Korean and English text: the first page's
//     latency (median over BENCH_RUNS runs per query) as a ratio to one DynamoDB Query of a
//     20-item page, its DynamoDB round trips (waves), reads (read units; DynamoDB Local reports
//     them) and bytes returned;
//  2. registering a BENCH_FILES (100,000) file manifest through the service (validation, a
//     BatchGetItem check that no path is in another page, BatchWriteItem of the files, one audited
//     commit per page of 1,000): files per second and write units, against raw BatchWriteItem of
//     the same items at the same concurrency (target: at least 0.5x).
// Last line: one JSON object with every figure.
import { randomBytes } from 'node:crypto';
import { loadavg, cpus } from 'node:os';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoLocal } from '../local/dynamo';
import { TABLES, tableEnvName } from '../lambdas/shared/store/table-design';
import { setDdb } from '../lambdas/shared/store/client';
import { createInputOf } from '../test/support/dynamo';
import { useStageConfig } from '../test/support/config';
import type { Artifact, Version } from '../lambdas/domain/datahub/model';

const DATASETS = Number(process.env.BENCH_DATASETS ?? 10_000);
const FILES = Number(process.env.BENCH_FILES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const CONCURRENCY = 8;

// A deterministic corpus: Korean words (some with particles attached, some compounds written without
// spaces), English words, fields of science, licences, sizes and formats.
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const KO =
  '언어 모델 데이터셋 말뭉치 한국어 영상 의료 기후 위성 음성 인식 번역 대화 문서 분류 요약 생성 학습 평가 기상 해양 농업 교통 도시 에너지 전력 반도체 소재 화학 단백질 유전체 뇌 신경 로봇 자율 주행 금융 법률 교육 공공 통계 센서 관측 지진 대기 수질 산림 천문 입자 물리 재료 시뮬레이션 그래프 추천 검색 질의 응답 감성 분석 개체명'.split(
    ' ',
  );
const EN =
  'language model dataset corpus korean image medical climate satellite speech recognition translation dialogue document classification summarization generation training evaluation weather ocean agriculture traffic urban energy power semiconductor materials chemistry protein genome brain neural robot autonomous driving finance legal education public statistics sensor observation earthquake atmosphere water forest astronomy particle physics simulation graph recommendation retrieval question answering sentiment entity'.split(
    ' ',
  );
const PARTICLES = ['', '', '', '을', '를', '의', '에서', '으로', '과', '은'];
const FIELDS = ['1.1', '1.2', '1.3', '1.5', '1.6', '2.2', '3.2', '5.2', '6.2'];
const LICENCES = ['CC-BY-4.0', 'CC0-1.0', 'MIT', 'Apache-2.0', 'CC-BY-NC-4.0', 'ODbL-1.0'];
const FORMATS = ['text/csv', 'application/jsonl', 'image/png', 'application/x-parquet', 'audio/wav'];

function corpus(n: number) {
  const r = rng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const koText = (words: number) =>
    Array.from({ length: words }, () => {
      const w = pick(KO);
      return r() < 0.2 ? w + pick(KO) : w + pick(PARTICLES); // compounds without a space, and particles
    }).join(' ');
  const enText = (words: number) => Array.from({ length: words }, () => pick(EN)).join(' ');
  const now = '2026-06-01T00:00:00.000Z';
  return Array.from({ length: n }, (_, i) => {
    const a: Artifact = {
      id: `ds-bench${String(i).padStart(21, '0')}`,
      kind: 'dataset',
      owner: { type: 'organisation', orgId: `org-${pick(['kisti', 'kaist', 'snu', 'etri', 'nia'])}` },
      stewards: ['bench'],
      name: { ko: koText(3 + Math.floor(r() * 3)), en: enText(3 + Math.floor(r() * 3)) },
      description: { ko: koText(20 + Math.floor(r() * 30)), en: enText(20 + Math.floor(r() * 30)) },
      keywords: [pick(KO), pick(EN)],
      fieldOfScience: pick(FIELDS),
      licence: pick(LICENCES),
      accessLevel: r() < 0.7 ? 'public' : r() < 0.5 ? 'registered' : 'restricted',
      aliases: {},
      latestVersion: '1.0.0',
      publishedVersions: ['1.0.0'],
      sites: r() < 0.5 ? ['kisti6'] : ['spc'],
      createdAt: now,
      createdBy: 'bench',
      updatedAt: now,
    };
    const v: Version = {
      artifactId: a.id,
      kind: 'dataset',
      version: '1.0.0',
      state: 'published',
      changelog: '',
      derivedFrom: [],
      files: 10,
      bytes: Math.floor(10 ** (3 + r() * 9)),
      formats: [pick(FORMATS)],
      pages: {},
      licence: a.licence,
      createdAt: now,
      createdBy: 'bench',
      publishedAt: now,
    };
    return { a, v };
  });
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

async function batchPut(doc: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[]): Promise<number> {
  let wcu = 0;
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  await pool(chunks, CONCURRENCY, async (c) => {
    let req: { PutRequest: { Item: Record<string, unknown> } }[] | undefined = c.map((Item) => ({ PutRequest: { Item } }));
    while (req?.length) {
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: req }, ReturnConsumedCapacity: 'TOTAL' }));
      wcu += (out.ConsumedCapacity ?? []).reduce((s, x) => s + (x.CapacityUnits ?? 0), 0);
      req = out.UnprocessedItems?.[table] as typeof req;
    }
  });
  return wcu;
}

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
    const raw = `bench-raw-${suffix}`;
    await client.send(new CreateTableCommand(createInputOf(TABLES[0], raw)));
    setDdb(doc);
    const { entryAndDoc, bulkItems } = require('../lambdas/datahub/search-index') as typeof import('../lambdas/datahub/search-index');
    const { search } = require('../lambdas/datahub/search') as typeof import('../lambdas/datahub/search');
    const { putPage } = require('../lambdas/datahub/manifest') as typeof import('../lambdas/datahub/manifest');
    const { createArtifact } = require('../lambdas/datahub/artifacts') as typeof import('../lambdas/datahub/artifacts');
    const { createVersion } = require('../lambdas/datahub/versions') as typeof import('../lambdas/datahub/versions');
    const main = process.env.TABLE_MAIN!;
    console.log(
      `load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${cpus().length} cores; DynamoDB Local ${dynamo.endpoint}`,
    );

    // ---- 1. search ------------------------------------------------------------------------------
    const t0 = Date.now();
    const docs = corpus(DATASETS).map(({ a, v }, i) => ({ docNo: i + 1, ...entryAndDoc(a, v) }));
    const items = bulkItems('dataset', docs);
    await batchPut(doc, main, items);
    const postings = items.length - docs.length;
    console.log(`indexed ${DATASETS} datasets: ${postings} posting items + ${docs.length} summaries in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Baseline: one Query of a 20-item page of summary-sized items on the same DynamoDB Local.
    await batchPut(
      doc,
      main,
      docs.slice(0, 20).map((d, i) => ({ pk: 'BENCH#PAGE', sk: String(i).padStart(4, '0'), ...d.doc })),
    );
    const q1 = async () => doc.send(new QueryCommand({ TableName: main, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'BENCH#PAGE' }, Limit: 20 }));
    for (let i = 0; i < 3; i++) await q1();
    const baseline: number[] = [];
    for (let i = 0; i < RUNS * 3; i++) {
      const s = process.hrtime.bigint();
      await q1();
      baseline.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    const baseMs = median(baseline);

    const viewer = { sub: 'bench-user', roles: ['researcher'] };
    const QUERIES: [string, Record<string, string | number>][] = [
      ['ko compound', { q: '언어모델' }],
      ['ko particle', { q: '데이터셋' }],
      ['ko two words', { q: '의료 영상' }],
      ['en two words', { q: 'language model' }],
      ['en rare + filter', { q: 'earthquake', field: '1.5' }],
      ['mixed + licence', { q: '기후 climate', licence: 'CC-BY-4.0' }],
      ['no q, newest, site', { site: 'kisti6' }],
      ['q + size range', { q: '위성', minBytes: 1e6, maxBytes: 1e9 }],
    ];
    const searchFigures: Record<string, unknown>[] = [];
    for (const [label, q] of QUERIES) {
      const query = { ...q, limit: 20 } as never;
      await search('dataset', query, viewer);
      const times: number[] = [];
      let last: Awaited<ReturnType<typeof search>> | undefined;
      for (let i = 0; i < RUNS; i++) {
        const s = process.hrtime.bigint();
        last = await search('dataset', query, viewer);
        times.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      const ms = median(times);
      const f = {
        query: label,
        ms: round(ms),
        ratio: round(ms / baseMs),
        roundTrips: last!.stats.roundTrips,
        requests: last!.stats.requests,
        readUnits: round(last!.stats.readUnits, 1),
        kb: round(last!.stats.bytes / 1024, 1),
        hits: last!.hits.length,
        total: last!.total,
      };
      searchFigures.push(f);
      console.log(`search ${label.padEnd(20)} ${String(f.ms).padStart(7)} ms  ${String(f.ratio).padStart(6)}x a Query  ${f.roundTrips} round trips  ${f.requests} requests  ${f.readUnits} RU  ${f.kb} KB  ${f.total} matches`);
    }
    console.log(`baseline: one Query of 20 items ${round(baseMs)} ms (median of ${baseline.length})`);

    // ---- 2. manifest registration ---------------------------------------------------------------
    const ctx = { actor: { sub: 'bench', role: 'researcher' }, requestId: 'bench' };
    const stewardViewer = { sub: 'bench', roles: ['researcher'] };
    const art = await createArtifact('dataset', { name: { en: 'bench manifest' }, description: { en: 'x' }, keywords: [], fieldOfScience: '1.2', licence: 'MIT', accessLevel: 'public', stewards: [] }, ctx);
    await createVersion('dataset', art.id, { version: '1.0.0', changelog: '', derivedFrom: [] }, stewardViewer, ctx);
    const PAGE = 1000;
    const files = Array.from({ length: FILES }, (_, i) => ({
      path: `shard-${String(Math.floor(i / 1000)).padStart(3, '0')}/sample-${String(i).padStart(6, '0')}.jsonl`,
      bytes: 1000 + i,
      sha256: i.toString(16).padStart(8, '0').repeat(8),
      mediaType: 'application/jsonl',
    }));
    // Raw baseline: the same file items, BatchWriteItem, same concurrency, into another table.
    const rawItems = files.map((f, i) => ({ pk: `DHMAN#${art.id}#1.0.0`, sk: `F#${f.path}`, ...f, page: Math.floor(i / PAGE) + 1 }));
    let s = Date.now();
    const rawWcu = await batchPut(doc, raw, rawItems);
    const rawMs = Date.now() - s;
    const stats = { requests: 0, consumedWcu: 0, readUnits: 0 };
    s = Date.now();
    for (let p = 0; p * PAGE < FILES; p++) {
      await putPage('dataset', art.id, '1.0.0', p + 1, { files: files.slice(p * PAGE, (p + 1) * PAGE) }, stewardViewer, ctx, stats);
    }
    const oursMs = Date.now() - s;
    const rawRate = FILES / (rawMs / 1000);
    const oursRate = FILES / (oursMs / 1000);
    console.log(`manifest: ${FILES} files in pages of ${PAGE}: ${Math.round(oursRate)} files/s (${(oursMs / 1000).toFixed(1)} s), ${round(stats.consumedWcu)} WCU for the file items, ${round(stats.readUnits)} RU for the path check`);
    console.log(`raw BatchWriteItem of the same items: ${Math.round(rawRate)} files/s (${(rawMs / 1000).toFixed(1)} s), ${round(rawWcu)} WCU; ratio ${round(oursRate / rawRate)} (target >= 0.5)`);

    const worst = searchFigures.reduce((m, f) => Math.max(m, f.roundTrips as number), 0);
    console.log(
      JSON.stringify({
        bench: 'datahub',
        datasets: DATASETS,
        postingItems: postings,
        baselineQueryMs: round(baseMs),
        search: searchFigures,
        searchMaxRoundTrips: worst,
        searchRoundTripTarget: 3,
        manifest: {
          files: FILES,
          pageFiles: PAGE,
          filesPerSecond: Math.round(oursRate),
          rawFilesPerSecond: Math.round(rawRate),
          ratio: round(oursRate / rawRate),
          target: 0.5,
          wcu: round(stats.consumedWcu),
          rawWcu: round(rawWcu),
          pathCheckRu: round(stats.readUnits),
          requests: stats.requests,
        },
        loadAverage: round(loadavg()[0], 1),
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

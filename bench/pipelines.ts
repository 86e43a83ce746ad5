// npm run bench:pipelines: what of pipelines exists now, measured against a baseline in the same run.
//   1. transfer throughput: the transfer job's script (rsync --checksum through the source site's
//      rsync daemon, then the SHA-256 of every file against the manifest) against a plain
//      `rsync -rt --checksum` of the same files from the same daemon into an equally fresh folder,
//      alternating, as a ratio of medians (target ≥ 0.9); and a re-run that has nothing to move;
//   2. lineage queries: ancestors to depth 10 in a graph of 100,000 edges on DynamoDB Local, as
//      DynamoDB round trips per level, requests and latency, against one Query on the same table;
//   3. the stage-to-stage gap on the two local real clusters (bench/pipelines-gap.ts): one job's
//      scheduler end → the next stage's job submitted, median over two-stage pipelines with the
//      stage watcher, against the polling-only setting in the same run, alternated (as a ratio).
// Figures are printed as they come; the LAST line is one JSON object with every figure.
// Options: --mb N (transfer size, default 256), --files N (default 64), --runs N (transfer pairs,
// default 3), --width N (lineage layer width, default 2500: 20 layers × 2 parents = 100,000 edges),
// --queries N (default 20), --gap-runs N (pipelines per setting, default 3), --only transfer|lineage|gap.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoLocal } from '../local/dynamo';
import { createInputOf } from '../test/support/dynamo';
import { startRsyncDaemon } from '../test/support/rsyncd';
import { openTree, runScript, writeVersion } from '../test/support/transfer-fixtures';
import { TABLES, tableEnvName } from '../lambdas/shared/store/table-design';
import { mainTable, setDdb } from '../lambdas/shared/store/client';
import { lineageKeys } from '../lambdas/shared/store/keys';
import { transferScript } from '../lambdas/domain/pipelines/transfer-script';
import { jobNodeId, versionNodeId } from '../lambdas/domain/lineage/graph';
import { bulkLoad, queryLineage } from '../lambdas/lineage/store';
import { stageGaps } from './pipelines-gap';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MB = arg('mb', 256);
const FILES = arg('files', 64);
const RUNS = arg('runs', 3);
const WIDTH = arg('width', 2500);
const LAYERS = 21;
const QUERIES = arg('queries', 20);
const GAP_RUNS = arg('gap-runs', 3);
const DEPTH = 10;

const figures: Record<string, unknown> = {};
const say = (s: string) => console.log(s);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

async function transfers(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'kairr-bench-transfer-'));
  const spc = join(base, 'spc-storage');
  const k6 = join(base, 'kisti6-storage');
  mkdirSync(k6, { recursive: true });
  const bytesEach = Math.floor((MB * 1024 * 1024) / FILES);
  const manifest = writeVersion(
    join(spc, 'catalogue/ds-bench/1'),
    Array.from({ length: FILES }, (_, i) => ({ path: `part-${String(i).padStart(4, '0')}.bin`, bytes: bytesEach })),
  );
  openTree(base);
  const daemon = await startRsyncDaemon(spc, 'spc');
  const source = `${daemon.url}/catalogue/ds-bench/1`;
  const totalMiB = manifest.reduce((s, e) => s + e.bytes, 0) / 2 ** 20;
  say(`transfer: ${FILES} files, ${totalMiB.toFixed(0)} MiB, from spc's rsync daemon into kisti6's storage root (${base})`);
  try {
    const ours: number[] = [];
    const plain: number[] = [];
    const oursCpu: number[] = [];
    const plainCpu: number[] = [];
    let rerunMs = 0;
    for (let r = 0; r < RUNS; r++) {
      // alternate which goes first, so neither always has the warmer page cache
      for (const which of r % 2 ? (['plain', 'ours'] as const) : (['ours', 'plain'] as const)) {
        const dest = join(k6, `${which}-${r}`);
        rmSync(dest, { recursive: true, force: true });
        const script = join(base, `t-${r}.sh`);
        const resultFile = join(k6, `.kairr-${r}.json`);
        writeFileSync(script, transferScript({ transferId: `bench-${r}`, label: 'bench', source, destination: dest, resultFile, manifest, mover: { kind: 'rsync', timeLimitMinutes: 60 } }));
        const command = which === 'plain' ? `rsync -rt --checksum '${source}/' '${dest}/'` : `bash '${script}' >/dev/null`;
        const t0 = performance.now();
        const run = timed(command);
        (which === 'plain' ? plain : ours).push(performance.now() - t0);
        (which === 'plain' ? plainCpu : oursCpu).push(run.cpuSeconds);
        if (which === 'ours') {
          const res = JSON.parse(readFileSync(resultFile, 'utf8')) as { state: string };
          if (run.status !== 0 || res.state !== 'verified') throw new Error(`the transfer script did not verify: ${run.stderr}`);
          if (r === RUNS - 1) {
            const t1 = performance.now();
            const again = await runScript(script, resultFile);
            rerunMs = performance.now() - t1;
            if (again.result?.moved.files !== 0) throw new Error('the re-run moved files');
          }
        } else if (run.status !== 0) throw new Error(`plain rsync failed: ${run.stderr}`);
      }
      say(`  run ${r + 1}: ours ${ours[r].toFixed(0)} ms (${oursCpu[r].toFixed(2)} CPU-s), plain rsync --checksum ${plain[r].toFixed(0)} ms (${plainCpu[r].toFixed(2)} CPU-s)`);
    }
    const oursMiBs = totalMiB / (median(ours) / 1000);
    const plainMiBs = totalMiB / (median(plain) / 1000);
    const ratio = oursMiBs / plainMiBs;
    say(`transfer: ours ${oursMiBs.toFixed(1)} MiB/s (copy + SHA-256 of every file), plain rsync --checksum ${plainMiBs.toFixed(1)} MiB/s: ratio ${ratio.toFixed(3)} (target ≥ 0.9)`);
    const cpuRatio = median(plainCpu) / median(oursCpu);
    say(`transfer: CPU per transfer (client side: bash, rsync, sha256sum): ours ${median(oursCpu).toFixed(2)} s, plain ${median(plainCpu).toFixed(2)} s: throughput per CPU-second ratio ${cpuRatio.toFixed(3)}`);
    say(`transfer: a re-run with nothing to move (checksums on both sides, SHA-256 again) took ${rerunMs.toFixed(0)} ms`);
    Object.assign(figures, {
      transferMiB: round(totalMiB, 1),
      transferFiles: FILES,
      transferRuns: RUNS,
      transferOursMiBps: round(oursMiBs, 1),
      transferPlainRsyncMiBps: round(plainMiBs, 1),
      transferRatio: round(ratio),
      transferRatioPerCpuSecond: round(cpuRatio),
      transferOursCpuS: oursCpu.map((x) => round(x, 2)),
      transferPlainCpuS: plainCpu.map((x) => round(x, 2)),
      transferOursMs: ours.map((x) => Math.round(x)),
      transferPlainMs: plain.map((x) => Math.round(x)),
      transferRerunNothingToMoveMs: Math.round(rerunMs),
    });
  } finally {
    await daemon.stop();
    rmSync(base, { recursive: true, force: true });
  }
}

/** Runs a shell command; its wall time is measured by the caller, its children's CPU by bash's `times`. */
function timed(command: string): { status: number | null; stderr: string; cpuSeconds: number } {
  const r = spawnSync('bash', ['-c', `${command}; rc=$?; times >&2; exit $rc`], { encoding: 'utf8' });
  const lines = r.stderr.trim().split('\n');
  const [user, sys] = (lines[lines.length - 1] ?? '').split(' ').map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  });
  return { status: r.status, stderr: lines.slice(0, -2).join('\n'), cpuSeconds: user + sys };
}

/** A layered graph: datasets and jobs alternate by layer; each node has 2 parents in the layer above. */
function layeredGraph(width: number, layers: number) {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const id = (layer: number, i: number) => (layer % 2 ? jobNodeId('slurm://spc', `bench-l${layer}-${i}`) : versionNodeId(`ds-l${layer}-${i}`, '1'));
  const nodes = new Map<string, { up: Set<string>; down: Set<string> }>();
  for (let l = 0; l < layers; l++) for (let i = 0; i < width; i++) nodes.set(id(l, i), { up: new Set(), down: new Set() });
  let edges = 0;
  for (let l = 1; l < layers; l++) {
    for (let i = 0; i < width; i++) {
      const a = Math.floor(rand() * width);
      let b = Math.floor(rand() * width);
      if (b === a) b = (a + 1) % width;
      for (const p of [a, b]) {
        nodes.get(id(l, i))!.up.add(id(l - 1, p));
        nodes.get(id(l - 1, p))!.down.add(id(l, i));
        edges++;
      }
    }
  }
  return { nodes, edges, leaf: (i: number) => id(layers - 1, i) };
}

async function lineage(): Promise<void> {
  const dynamo = await startDynamoLocal();
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'ap-northeast-2', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 8 });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  try {
    const suffix = randomBytes(3).toString('hex');
    for (const t of TABLES) {
      const name = `bench-${t.logicalName}-${suffix}`;
      await client.send(new CreateTableCommand(createInputOf(t, name)));
      process.env[tableEnvName(t)] = name;
    }
    setDdb(doc);
    const g = layeredGraph(WIDTH, LAYERS);
    const t0 = performance.now();
    await bulkLoad(g.nodes);
    say(`lineage: ${g.edges.toLocaleString()} edges, ${g.nodes.size.toLocaleString()} nodes in ${LAYERS} layers, loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // warm both paths once
    await queryLineage(g.leaf(0), 'up', DEPTH);
    const one = async (i: number) => {
      const s = performance.now();
      await doc.send(new QueryCommand({ TableName: mainTable(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': lineageKeys.node(g.leaf(i)).pk } }));
      return performance.now() - s;
    };
    await one(0);
    const queryMs: number[] = [];
    const singleMs: number[] = [];
    const found: number[] = [];
    const perLevelTrips: number[] = [];
    const requests: number[] = [];
    const widest: number[] = [];
    for (let q = 0; q < QUERIES; q++) {
      const leaf = 1 + ((q * 997) % (WIDTH - 1));
      singleMs.push(await one(leaf));
      const s = performance.now();
      const a = await queryLineage(g.leaf(leaf), 'up', DEPTH);
      queryMs.push(performance.now() - s);
      if (a.cost.length !== DEPTH) throw new Error(`expected ${DEPTH} levels, got ${a.cost.length}`);
      found.push(a.nodes.length - 1);
      perLevelTrips.push(...a.cost.map((c) => c.roundTrips));
      requests.push(a.cost.reduce((n, c) => n + c.requests, 0));
      widest.push(Math.max(...a.cost.map((c) => c.frontier)));
    }
    const qMed = median(queryMs);
    const oneMed = median(singleMs);
    say(`lineage: ancestors to depth ${DEPTH}: median ${qMed.toFixed(1)} ms for ${median(found).toFixed(0)} ancestors (widest level ${median(widest).toFixed(0)} nodes), ${median(requests).toFixed(0)} requests`);
    say(`lineage: round trips per level: max ${Math.max(...perLevelTrips)}, mean ${(perLevelTrips.reduce((a, b) => a + b, 0) / perLevelTrips.length).toFixed(2)}`);
    say(`lineage: one Query on the same table: median ${oneMed.toFixed(2)} ms; the depth-${DEPTH} query is ${(qMed / oneMed).toFixed(1)}× one Query (${(qMed / oneMed / DEPTH).toFixed(2)}× per level)`);
    Object.assign(figures, {
      lineageEdges: g.edges,
      lineageNodes: g.nodes.size,
      lineageDepth: DEPTH,
      lineageQueries: QUERIES,
      lineageAncestorsMedian: median(found),
      lineageWidestLevelMedian: median(widest),
      lineageQueryMedianMs: round(qMed, 1),
      lineageSingleQueryMedianMs: round(oneMed, 2),
      lineageRatioToOneQuery: round(qMed / oneMed, 1),
      lineageRatioPerLevel: round(qMed / oneMed / DEPTH, 2),
      lineageRoundTripsPerLevelMax: Math.max(...perLevelTrips),
      lineageRoundTripsPerLevelMean: round(perLevelTrips.reduce((a, b) => a + b, 0) / perLevelTrips.length, 2),
      lineageRequestsMedian: median(requests),
    });
  } finally {
    setDdb(undefined);
    client.destroy();
    await dynamo.stop();
  }
}

async function main(): Promise<void> {
  say(
    `bench:pipelines on ${new Date().toISOString()} (load average ${(await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')})`,
  );
  // --only transfer|lineage|gap runs one part
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  if (!only || only === 'transfer') await transfers();
  if (!only || only === 'lineage') await lineage();
  if (!only || only === 'gap') await gaps();
  console.log(JSON.stringify(figures));
}

// ---- stage-to-stage gap: one job's end → the next stage's job accepted by the scheduler, median
// over --gap-runs pipelines per setting on the local clusters, target ≤ 10 s (docs/pipelines.md
// section 8), against the polling-only setting of the same run (bench/pipelines-gap.ts)
async function gaps(): Promise<void> {
  const dynamo = await startDynamoLocal();
  process.env.KAIRR_TEST_DYNAMO_ENDPOINT = dynamo.endpoint;
  try {
    const runs = await stageGaps(GAP_RUNS, say);
    const of = (m: string) => runs.filter((r) => r.mode === m).map((r) => r.gapS);
    const watched = median(of('watcher'));
    const polled = median(of('polling'));
    say(`stage-to-stage gap: median ${watched.toFixed(1)} s with the stage watcher, ${polled.toFixed(1)} s polling only (pollSeconds 10): ${(watched / polled).toFixed(2)}×`);
    Object.assign(figures, {
      stageToStageGapMedianS: watched,
      stageToStageGapsS: of('watcher'),
      stageToStageGapPollingMedianS: polled,
      stageToStageGapPollingS: of('polling'),
      stageToStageGapRatioToPolling: round(watched / polled, 2),
      stageToStageGapEndsSeenByWatcher: runs.filter((r) => r.mode === 'watcher' && r.endSeenBy === 'watcher').length,
    });
  } finally {
    await dynamo.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

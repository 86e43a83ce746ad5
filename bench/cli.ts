// npm run bench:cli — the cold start of the compiled kairr (cli/kairr.cjs, built first), against
// `node -e 0` in the same run: `kairr --help`, and `kairr alloc list --json` against a small API in
// this process (so the figure is the CLI's, not a real API's). Fresh processes, the three
// alternating, so that load on the machine affects all alike; the overhead is each run's time less
// node's own in the same round. Issue 19's target: at most 150 ms over node's start.
//
// Then the audit-export half: BENCH_EVENTS (default 200,000; 0 skips it) chained audit events are
// seeded in DynamoDB Local, and `kairr audit export --out DIR --no-verify` then `kairr audit verify DIR` (the same verifier export runs by itself without --no-verify, timed apart) run
// as an auditor runs them, against the real audit API handler served over HTTP by this process,
// with bench/export.ts's machinery: its seeding, fauxqs in its own process as the S3 the files go
// to and are downloaded from (presigned URLs), and the export worker run here when the handler
// invokes it. The API's own export time is the time from POST /v1/audit/exports to the export's
// succeeded state (what bench/export.ts times); the CLI's is from starting `kairr audit export`
// to the end of `kairr audit verify`, so what the CLI adds is its start, its polling (--poll 1),
// the download and the verification. Issue 19's target: at most 10% over the API's time.
// Last line: one JSON object with every figure.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { startDynamoLocal } from '../local/dynamo';
import { createInputOf } from '../test/support/dynamo';
import { useStageConfig } from '../test/support/config';
import { apiOf, person } from '../test/support/invoke';
import { AUDIT_TABLE, MAIN_TABLE, tableEnvName } from '../lambdas/shared/store/table-design';
import { setDdb } from '../lambdas/shared/store/client';
import { auditApi } from '../lambdas/audit/api';
import { setClients } from '../lambdas/audit/clients';
import type { ExportRecord } from '../lambdas/audit/exports';
import { runExportJob } from '../lambdas/audit/export-worker';
import { handler } from '../lambdas/audit/handler';
import { BUCKET, procCpuSeconds, REGION, seed, startFauxqsProcess, WINDOW } from './export';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 2_000);
const TARGET_CLI_OVER_API_PCT = 10;
/** BENCH_CLI_VERIFY=separate: `export --no-verify` then `audit verify`, timed apart (the old way); default: export verifies as it downloads. */
const SEPARATE = process.env.BENCH_CLI_VERIFY === 'separate';
const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'cli', 'kairr.cjs');
const load = () => Math.round(loadavg()[0] * 10) / 10;
const s = (ms: number) => Math.round(ms) / 1000;

function wallMs(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t) / 1e6) : reject(new Error(`${args.join(' ')} exited ${code}: ${err}`))));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One CLI process, stdout and stderr kept (stderr is a pipe: no progress is drawn), timed from spawn to exit. */
function runCli(args: string[], env: Record<string, string>): Promise<{ ms: number; code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t, code: code ?? -1, out, err }));
  });
}

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => resolve(b));
    req.on('error', reject);
  });

/** The audit-export half: returns its figures, named audit*. */
async function auditExportBench(): Promise<Record<string, number | string | boolean>> {
  const r: Record<string, number | string | boolean> = { auditEvents: EVENTS, auditStreams: STREAMS, auditFormat: 'jsonl', auditPollS: 1, auditLoadAverageStart: load() };
  console.log(`\naudit export through the CLI: ${EVENTS.toLocaleString('en-US')} events in ${STREAMS.toLocaleString('en-US')} streams over 3 days (jsonl), load ${load()}`);
  useStageConfig('local');
  const dynamo = await startDynamoLocal();
  const fauxqs = await startFauxqsProcess();
  const tmp = mkdtempSync(join(tmpdir(), 'kairr-bench-cli-'));
  const server = createServer();
  try {
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
      EXPORT_BUCKET: BUCKET,
      EXPORT_WORKER_FUNCTION: 'bench-export-worker',
      LOG_LEVEL: 'warn',
    });
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 8 });
    const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    for (const t of [MAIN_TABLE, AUDIT_TABLE]) {
      const name = `bench-cli-${t.logicalName}`;
      await client.send(new CreateTableCommand(createInputOf(t, name)));
      process.env[tableEnvName(t)] = name;
    }
    setDdb(doc);
    const s3 = new S3Client({
      endpoint: fauxqs.endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    // The handler starts the worker with an asynchronous Invoke (InvocationType Event); here that
    // runs the worker's own function in this process, as bench/export.ts runs it.
    const at = { post: 0, workerStart: 0, succeeded: 0, firstSucceededGet: 0 };
    let worker: Promise<ExportRecord | Error> | undefined;
    const lambda = {
      send: async (cmd: InvokeCommand) => {
        const { exportId } = JSON.parse(Buffer.from(cmd.input.Payload as Uint8Array).toString('utf8')) as { exportId: string };
        at.workerStart = performance.now();
        worker = runExportJob(exportId, { requestId: 'bench-cli-worker' }).then(
          (rec) => ((at.succeeded = performance.now()), rec),
          (e: Error) => e,
        );
        return { StatusCode: 202 };
      },
    };
    setClients({ s3, lambda: lambda as unknown as LambdaClient });

    const seeded = await seed(doc, process.env[tableEnvName(AUDIT_TABLE)]!, EVENTS, STREAMS);
    r.auditSeedS = Math.round(seeded.seconds * 10) / 10;
    console.log(`  seeded in ${seeded.seconds.toFixed(1)} s (not counted), load ${load()}`);

    // The real audit API handler, called as API Gateway calls it, the caller an auditor (the CLI's token is not checked here).
    const call = apiOf(auditApi, handler);
    const auditor = person('bench-auditor', ['auditor']);
    server.on('request', (req, res) => {
      void (async () => {
        try {
          const text = await body(req);
          if (req.method === 'POST' && req.url === '/v1/audit/exports' && !at.post) at.post = performance.now();
          const key = req.headers['idempotency-key'];
          const got = await call(auditor, req.method ?? 'GET', req.url ?? '/', text ? JSON.parse(text) : undefined, typeof key === 'string' ? { 'idempotency-key': key } : {});
          if (got.body?.state === 'succeeded' && !at.firstSucceededGet) at.firstSucceededGet = performance.now();
          res.writeHead(got.status, { 'content-type': 'application/json' }).end(JSON.stringify(got.body));
        } catch (e) {
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'bench', message: String(e), details: [] } }));
        }
      })();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    const env = { KAIRR_API: `http://127.0.0.1:${(server.address() as { port: number }).port}`, KAIRR_TOKEN: 'bench', XDG_CONFIG_HOME: '/nonexistent' };
    const dir = join(tmp, 'export');

    const loadBefore = load();
    const fauxqsCpu0 = procCpuSeconds(fauxqs.child.pid);
    const t0 = performance.now();
    const exp = await runCli(['audit', 'export', '--from', WINDOW.from, '--to', WINDOW.to, '--format', 'jsonl', '--out', dir, '--poll', '1', '--json', ...(SEPARATE ? ['--no-verify'] : [])], env);
    const t1 = performance.now();
    const fauxqsCpu = procCpuSeconds(fauxqs.child.pid) - fauxqsCpu0;
    // inline: export verified the files as they came (its report on stderr); verify again, untimed, as the check
    const ver = await runCli(['audit', 'verify', dir], env);
    const t2 = SEPARATE ? performance.now() : t1;
    if (!SEPARATE && !new RegExp(`^OK: ${EVENTS} records in ${STREAMS} streams`, 'm').test(exp.err)) throw new Error(`kairr audit export did not verify: ${exp.err}`);
    r.auditVerifyMode = SEPARATE ? 'separate' : 'inline';
    const done = await worker;
    if (exp.code !== 0 || !(done && !(done instanceof Error)) || done.state !== 'succeeded')
      throw new Error(`the export did not succeed: kairr exited ${exp.code}: ${exp.err}; the worker: ${done instanceof Error ? done.stack : JSON.stringify(done)}`);
    const verified = ver.code === 0 && new RegExp(`^OK: ${EVENTS} records in ${STREAMS} streams`).test(ver.out);
    if (!verified) throw new Error(`kairr audit verify exited ${ver.code}: ${ver.out}${ver.err}`);
    const files = readdirSync(dir).filter((n) => n !== 'manifest.json');
    const bytes = files.reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);

    const api = at.succeeded - at.post;
    const total = t2 - t0;
    Object.assign(r, {
      auditApiExportS: s(api),
      auditWorkerS: s(at.succeeded - at.workerStart),
      auditCliExportS: s(t1 - t0),
      auditCliStartToPostS: s(at.post - t0),
      auditCliPollWaitS: s(at.firstSucceededGet - at.succeeded),
      auditCliDownloadS: s(t1 - at.firstSucceededGet),
      auditCliVerifyS: s(t2 - t1),
      auditCliTotalS: s(total),
      auditCliOverApiS: s(total - api),
      auditCliOverApiPct: Math.round(((total - api) / api) * 1000) / 10,
      auditCliToApiRatio: Math.round((total / api) * 1000) / 1000,
      auditTargetOverApiPct: TARGET_CLI_OVER_API_PCT,
      auditWithinTarget: ((total - api) / api) * 100 <= TARGET_CLI_OVER_API_PCT,
      auditFiles: files.length,
      auditBytes: bytes,
      auditDownloadMBPerS: Math.round((bytes / 1e6 / ((t1 - at.firstSucceededGet) / 1000)) * 10) / 10,
      auditFauxqsCpuS: Math.round(fauxqsCpu * 100) / 100,
      // inline, verification runs with the download: records over the download-and-verify time
      auditVerifyRecordsPerS: Math.round(EVENTS / ((SEPARATE ? t2 - t1 : t1 - at.firstSucceededGet) / 1000)),
      auditVerified: verified,
      auditLoadAverage: Math.round(((loadBefore + load()) / 2) * 10) / 10,
    });
    console.log(
      `  API: POST /v1/audit/exports → succeeded ${s(api).toFixed(2)} s (the worker ${(r.auditWorkerS as number).toFixed(2)} s); ` +
        `CLI: kairr audit export --out ${s(t1 - t0).toFixed(2)} s (start → POST ${(r.auditCliStartToPostS as number).toFixed(2)} s, poll wait ${(r.auditCliPollWaitS as number).toFixed(2)} s, ` +
        `download of ${files.length} file(s), ${(bytes / 1e6).toFixed(1)} MB, ${(r.auditCliDownloadS as number).toFixed(2)} s) + kairr audit verify ${s(t2 - t1).toFixed(2)} s (${(r.auditVerifyRecordsPerS as number).toLocaleString('en-US')} records/s) = ${s(total).toFixed(2)} s`,
    );
    console.log(`  the CLI end to end is ${(r.auditCliToApiRatio as number).toFixed(3)}× the API's export time: +${r.auditCliOverApiPct}% (target +${TARGET_CLI_OVER_API_PCT}%), load ${r.auditLoadAverage}`);
    s3.destroy();
    client.destroy();
  } finally {
    server.close();
    await fauxqs.stop();
    await dynamo.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  r.auditLoadAverageEnd = load();
  return r;
}

async function main(): Promise<void> {
  const b = spawnSync('node', [join(ROOT, 'cli', 'build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) throw new Error('building cli/kairr.cjs failed');
  const api = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [] })));
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  const env = { KAIRR_API: `http://127.0.0.1:${(api.address() as { port: number }).port}`, KAIRR_TOKEN: 'bench', XDG_CONFIG_HOME: '/nonexistent' };
  const node: number[] = [];
  const help: number[] = [];
  const list: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const n = await wallMs(['-e', '0'], env);
    const h = await wallMs([CLI, '--help'], env);
    const l = await wallMs([CLI, 'alloc', 'list', '--json'], env);
    if (i === 0) continue; // warm-up: the file cache
    node.push(n), help.push(h), list.push(l);
  }
  api.close();
  const over = (xs: number[]) => median(xs.map((x, i) => x - node[i]));
  const result = { runs: RUNS, nodeMs: median(node), helpMs: median(help), allocListJsonMs: median(list), helpOverNodeMs: over(help), allocListOverNodeMs: over(list), targetOverNodeMs: 150 };
  console.log(
    `kairr cold start, median of ${RUNS} (wall ms): node -e 0 ${result.nodeMs.toFixed(0)}, kairr --help ${result.helpMs.toFixed(0)} (+${result.helpOverNodeMs.toFixed(0)}), kairr alloc list --json ${result.allocListJsonMs.toFixed(0)} (+${result.allocListOverNodeMs.toFixed(0)}); target +150`,
  );
  const audit = EVENTS > 0 ? await auditExportBench() : {};
  console.log(JSON.stringify({ ...result, ...audit }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

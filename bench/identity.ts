// npm run bench:identity — what reading KAIRR's own role assignments costs, and where it is cheaper.
//  1. Bundles: the authorizer as shipped (no AWS SDK) against the same authorizer that would read
//     the person record itself (plus @aws-sdk/client-dynamodb + lib-dynamodb), both built as
//     KairrFunction builds them; size and cold module init (median of BENCH_RUNS fresh processes,
//     measured alternately).
//  2. Requests: one route through the real router on DynamoDB Local, without the enrichment (the
//     baseline), with it and the person cached (the usual case), and with it uncached (one GetItem
//     each: a cold environment, or the first request of a caller).
// Ends with one JSON line holding every figure.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { REPO_ROOT } from '../local/build';
import { startDynamoLocal } from '../local/dynamo';
import { loadStageConfig } from '../lib/config/load';
import { runtimeConfigOf } from '../lib/config/schema';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

const CONFIG = JSON.stringify(runtimeConfigOf(loadStageConfig('local')));

async function bundle(entry: string, out: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    mainFields: ['module', 'main'],
    define: { 'process.env.KAIRR_CONFIG': JSON.stringify(CONFIG) },
    logLevel: 'silent',
  });
  return statSync(out).size / 1024;
}

function initMs(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
  const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'ap-northeast-2', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', OIDC_ISSUERS: '[]', TABLE_MAIN: 't' };
  const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`loading ${file} failed: ${r.stderr}`);
  return Number(r.stdout);
}

async function bundles(work: string) {
  const shipped = join(work, 'authorizer.js');
  const withSdk = join(work, 'authorizer-with-dynamodb.js');
  // The alternative: the authorizer reads the caller's person record itself (what people.ts does).
  const altEntry = join(work, 'authorizer-with-dynamodb.ts');
  writeFileSync(
    altEntry,
    `import { handler as verify } from ${JSON.stringify(join(REPO_ROOT, 'lambdas/authorizer/handler'))};
import { readPerson } from ${JSON.stringify(join(REPO_ROOT, 'lambdas/shared/identity/people'))};
export async function handler(e: any) { const r = await verify(e); await readPerson(String(r.principalId)); return r; }
`,
  );
  const kb = { shipped: await bundle(join(REPO_ROOT, 'lambdas/authorizer/handler.ts'), shipped), withSdk: await bundle(altEntry, withSdk) };
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(initMs(shipped));
    b.push(initMs(withSdk));
  }
  return { kb, initMs: { shipped: median(a), withSdk: median(b) } };
}

async function requests() {
  const dynamo = await startDynamoLocal();
  try {
    Object.assign(process.env, { AWS_REGION: 'ap-northeast-2', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', KAIRR_TEST_DYNAMO_ENDPOINT: dynamo.endpoint, KAIRR_CONFIG: CONFIG, LOG_LEVEL: 'error' });
    // the tables of the real table design, and the shared client pointed at them (as the unit tests do)
    const { createTestTables } = require('../test/support/dynamo') as typeof import('../test/support/dynamo');
    const t = await createTestTables();
    const tables = { main: t.names.main };
    const { defineApi } = require('../lambdas/shared/http/spec') as typeof import('../lambdas/shared/http/spec');
    const { createHandler } = require('../lambdas/shared/http/router') as typeof import('../lambdas/shared/http/router');
    const { callerToContext } = require('../lambdas/shared/http/caller') as typeof import('../lambdas/shared/http/caller');
    const people = require('../lambdas/shared/identity/people') as typeof import('../lambdas/shared/identity/people');
    const { identityKeys } = require('../lambdas/shared/store/keys') as typeof import('../lambdas/shared/store/keys');
    const { ddb } = require('../lambdas/shared/store/client') as typeof import('../lambdas/shared/store/client');
    const api = defineApi({ probe: { method: 'GET', path: '/v1/probe', tag: 'bench', summary: 'probe', auth: ['auditor'], responses: { 200: { description: 'ok' } } } });
    const impl = { probe: async () => ({ body: { ok: true } }) };
    const plain = createHandler(api, impl);
    const enriched = createHandler(api, impl, { caller: people.withKairrRoles });
    // the caller's token says researcher; KAIRR assigns auditor (the route needs it: plain answers 403, as it would)
    await ddb().send(new PutCommand({ TableName: tables.main, Item: { ...identityKeys.person('bench-user'), sub: 'bench-user', roles: ['auditor'], aliases: [], createdAt: 'x', updatedAt: 'x' } }));
    const event = (roles: string) =>
      ({
        httpMethod: 'GET',
        resource: '/v1/probe',
        path: '/v1/probe',
        headers: {},
        requestContext: { requestId: 'r', authorizer: callerToContext({ sub: 'bench-user', roles: roles.split(',') as never, siteIds: [] }) },
      }) as unknown as APIGatewayProxyEvent;
    const time = async (fn: () => Promise<{ statusCode: number }>, expect: number) => {
      const t = process.hrtime.bigint();
      const r = await fn();
      if (r.statusCode !== expect) throw new Error(`status ${r.statusCode}, expected ${expect}`);
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const base: number[] = [];
    const cached: number[] = [];
    const uncached: number[] = [];
    for (let i = 0; i < 50; i++) await time(() => enriched(event('researcher')), 200); // warm up the client
    for (let i = 0; i < REQUESTS; i++) {
      // the baseline carries the role in its token: the same work without the read
      base.push(await time(() => plain(event('auditor')), 200));
      cached.push(await time(() => enriched(event('researcher')), 200));
      people.forgetPerson();
      uncached.push(await time(() => enriched(event('researcher')), 200));
    }
    return {
      baseMs: { p50: r3(median(base)), p95: r3(pct(base, 0.95)) },
      cachedMs: { p50: r3(median(cached)), p95: r3(pct(cached, 0.95)) },
      uncachedMs: { p50: r3(median(uncached)), p95: r3(pct(uncached, 0.95)) },
    };
  } finally {
    await dynamo.stop();
  }
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'kairr-bench-identity-'));
  const b = await bundles(work);
  console.log(`authorizer as shipped: ${r1(b.kb.shipped)} KB, init ${r1(b.initMs.shipped)} ms`);
  console.log(`authorizer reading the person record itself: ${r1(b.kb.withSdk)} KB (×${r3(b.kb.withSdk / b.kb.shipped)}), init ${r1(b.initMs.withSdk)} ms (+${r1(b.initMs.withSdk - b.initMs.shipped)})`);
  const q = await requests();
  console.log(
    `request through the router (${REQUESTS} each, DynamoDB Local): token roles only p50 ${q.baseMs.p50} ms / p95 ${q.baseMs.p95}; with KAIRR's roles cached p50 ${q.cachedMs.p50} / p95 ${q.cachedMs.p95} (×${r3(q.cachedMs.p50 / q.baseMs.p50)}); uncached (one GetItem) p50 ${q.uncachedMs.p50} / p95 ${q.uncachedMs.p95} (×${r3(q.uncachedMs.p50 / q.baseMs.p50)})`,
  );
  console.log(
    JSON.stringify({
      bench: 'identity',
      runs: RUNS,
      requests: REQUESTS,
      authorizerKb: r1(b.kb.shipped),
      authorizerInitMs: r1(b.initMs.shipped),
      authorizerWithDynamoKb: r1(b.kb.withSdk),
      authorizerWithDynamoInitMs: r1(b.initMs.withSdk),
      sizeRatio: r3(b.kb.withSdk / b.kb.shipped),
      routerBaseP50Ms: q.baseMs.p50,
      routerBaseP95Ms: q.baseMs.p95,
      routerCachedP50Ms: q.cachedMs.p50,
      routerCachedP95Ms: q.cachedMs.p95,
      routerUncachedP50Ms: q.uncachedMs.p50,
      routerUncachedP95Ms: q.uncachedMs.p95,
      cachedRatio: r3(q.cachedMs.p50 / q.baseMs.p50),
      uncachedRatio: r3(q.uncachedMs.p50 / q.baseMs.p50),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

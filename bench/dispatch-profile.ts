// npm run bench:dispatch-profile: where a dispatch's time goes, without Slurm (DynamoDB Local only).
//   1. shapes: what each TransactWriteItems shape costs on DynamoDB Local, in interleaved rounds (the
//      exactly-once limit's two puts; KAIRR's dispatch transaction as it was, six items, and as it is,
//      five; with and without ReturnConsumedCapacity; the outcome's three), and 320 of some at
//      concurrency 32 (DynamoDB Local serialises writes: throughput falls with the items written).
//   2. phases: the jobs handler in-process with an instant fake driver, every DynamoDB call timed,
//      against the limit (one transaction, then the same instant submit) in alternating rounds.
// Scratch figures for finding the time, not figures of record (those are bench:dispatch's).
// Options: --rounds N (default 40), --shapes a,b (the concurrent ones), --only shapes,phases.
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoLocal } from '../local/dynamo';
import { createTestTables } from '../test/support/dynamo';
import { useStageConfig } from '../test/support/config';
import { auditTable, ddb, mainTable, setDdb } from '../lambdas/shared/store/client';
import { useDriverFactory } from '../lambdas/connectors/sites';
import { callerToContext, type Caller } from '../lambdas/shared/http/caller';
import { newId } from '../lambdas/domain/ids';
import { toMc } from '../lambdas/domain/ledger/money';
import type { SchedulerDriver } from '../lambdas/connectors/driver';
import { handler } from '../lambdas/jobs/handler';
import { createAllocation } from '../lambdas/ledger/service';
import { recordProvisioned } from '../lambdas/connectors/allocation-writes';
import { onceTransaction } from './dispatch-limits';
import { median, round } from './dispatch-support';

process.env.LOG_LEVEL ??= 'error';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const opt = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const ROUNDS = Number(opt('rounds', '40'));
const ONLY = new Set(opt('only', 'shapes,phases').split(','));
const BOB: Caller = { sub: 'sub-bob', roles: ['researcher'], siteIds: [], username: 'bob' };
const OPERATOR: Caller = { sub: 'sub-op-spc', roles: ['site-operator'], siteIds: ['spc'] };

/** Runs each named step once per round, in turn (so a load spike hits all of them), and returns the medians. */
async function interleaved(steps: Record<string, () => Promise<unknown>>, rounds: number): Promise<Record<string, number>> {
  for (const f of Object.values(steps)) for (let i = 0; i < 3; i++) await f();
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++)
    for (const [k, f] of Object.entries(steps)) {
      const t0 = performance.now();
      await f();
      times[k].push(performance.now() - t0);
    }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round(median(v))]));
}

async function shapes(doc: DynamoDBDocumentClient): Promise<void> {
  const A = 'ALLOC#profile';
  const member = { sub: 's', role: 'member', addedAt: '2026-01-01T00:00:00Z' };
  await doc.send(new PutCommand({ TableName: mainTable(), Item: { pk: A, sk: 'ALLOC', state: 'active', resources: { 'spc/h200': { balanceMc: 1e12, exhausted: false } }, schedulerAccounts: { 'spc/h200': 'acct' }, members: [member] } }));
  await doc.send(new PutCommand({ TableName: mainTable(), Item: { pk: A, sk: 'MEMBER#s' } }));
  await doc.send(new PutCommand({ TableName: mainTable(), Item: { pk: 'SITEACCT#spc#s', sk: 'SITEACCT', state: 'active', username: 'alice' } }));
  const now = new Date().toISOString();
  const job = {
    allocationId: 'profile',
    siteId: 'spc',
    resourceKey: 'spc/h200',
    cluster: 'spc',
    account: 'acct',
    user: 'alice',
    submittedBy: 's',
    gpus: 1,
    nodes: 1,
    timeLimitMinutes: 1,
    workingDirectory: '/tmp',
    scriptBytes: 20,
    scriptSha256: 'x'.repeat(64),
    envNames: [],
    creditsPerGpuHour: 1,
    estimatedCredits: 1,
    state: 'submitting',
    createdAt: now,
    leaseUntil: now,
    attempts: 1,
    requestHash: 'y'.repeat(64),
    holdMc: 1000,
    holdState: 'held',
    auditSeq: 1,
    auditHash: 'z'.repeat(64),
  };
  const jobPut = (id: string) => ({ Put: { TableName: mainTable(), Item: { pk: A, sk: `JOB#${id}`, jobId: id, ...job }, ConditionExpression: 'attribute_not_exists(pk)' } });
  const eventPut = (id: string) => ({
    Put: {
      TableName: auditTable(),
      Item: { pk: `job/${id}`, sk: 1, action: 'job.dispatch', time: now, tpk: 'DAY#x', tsk: `t#${id}`, apk: 'ACTOR#s', hash: 'h'.repeat(64), details: { account: 'acct', user: 'alice' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  });
  const hold = {
    Update: {
      TableName: mainTable(),
      Key: { pk: A, sk: 'HOLD#spc/h200' },
      UpdateExpression: 'ADD heldMc :e SET updatedAt = :t',
      ConditionExpression: 'attribute_not_exists(heldMc) OR heldMc <= :max',
      ExpressionAttributeValues: { ':e': 1000, ':t': now, ':max': 1e12 },
    },
  };
  const allocExpr = '#st = :active AND resources.#rk.exhausted = :no AND schedulerAccounts.#rk = :acct AND resources.#rk.balanceMc >= :bal';
  const allocValues = { ':active': 'active', ':no': false, ':acct': 'acct', ':bal': 0 };
  const allocCheck = { ConditionCheck: { TableName: mainTable(), Key: { pk: A, sk: 'ALLOC' }, ConditionExpression: allocExpr, ExpressionAttributeNames: { '#st': 'state', '#rk': 'spc/h200' }, ExpressionAttributeValues: allocValues } };
  const allocWithMember = { ConditionCheck: { ...allocCheck.ConditionCheck, ConditionExpression: `${allocExpr} AND contains(members, :me)`, ExpressionAttributeValues: { ...allocValues, ':me': member } } };
  const memberCheck = { ConditionCheck: { TableName: mainTable(), Key: { pk: A, sk: 'MEMBER#s' }, ConditionExpression: 'attribute_exists(pk)' } };
  const accountCheck = {
    ConditionCheck: {
      TableName: mainTable(),
      Key: { pk: 'SITEACCT#spc#s', sk: 'SITEACCT' },
      ConditionExpression: '#st = :active AND username = :u',
      ExpressionAttributeNames: { '#st': 'state' },
      ExpressionAttributeValues: { ':active': 'active', ':u': 'alice' },
    },
  };
  const tx =
    (items: (id: string) => unknown[], capacity = false) =>
    () => {
      const id = newId('p');
      return doc.send(new TransactWriteCommand({ TransactItems: items(id) as never, ...(capacity ? { ReturnConsumedCapacity: 'TOTAL' as const } : {}) }));
    };
  const steps: Record<string, () => Promise<unknown>> = {
    limit2: () => onceTransaction(doc),
    was6_capacity: tx((id) => [jobPut(id), eventPut(id), hold, allocCheck, memberCheck, accountCheck], true),
    was6: tx((id) => [jobPut(id), eventPut(id), hold, allocCheck, memberCheck, accountCheck]),
    now5: tx((id) => [jobPut(id), eventPut(id), hold, allocWithMember, accountCheck]),
    outcome3_capacity: tx((id) => [jobPut(id), eventPut(id), { Put: { TableName: mainTable(), Item: { pk: `JOBHOLD#${id}`, sk: 'H', heldMc: 1 }, ConditionExpression: 'attribute_not_exists(pk)' } }], true),
    outcome3: tx((id) => [jobPut(id), eventPut(id), { Put: { TableName: mainTable(), Item: { pk: `JOBHOLD#${id}`, sk: 'H', heldMc: 1 }, ConditionExpression: 'attribute_not_exists(pk)' } }]),
  };
  console.log(`\n1. shapes, median of ${ROUNDS} interleaved rounds (ms):`, JSON.stringify(await interleaved(steps, ROUNDS)));
  for (const k of opt('shapes', 'limit2,was6_capacity,now5').split(',')) {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next++ < 320) await steps[k]();
      }),
    );
    console.log(`   ${k}: 320 at concurrency 32, ${round(320 / ((performance.now() - t0) / 1000))} per second`);
  }
}

async function phases(): Promise<void> {
  let submittedAt = 0;
  useStageConfig('local');
  useDriverFactory(
    (site) =>
      ({
        driver: 'fake',
        siteId: site.id,
        cluster: site.scheduler.cluster,
        submitJob: async () => ((submittedAt = performance.now()), { jobId: String(1 + Math.floor(Math.random() * 1e9)), alreadySubmitted: false }),
      }) as unknown as SchedulerDriver,
  );
  const call = async (resource: string, path: string, params: Record<string, string>, caller: Caller, method: string, body: unknown) =>
    (await handler(
      {
        httpMethod: method,
        resource,
        path,
        pathParameters: params,
        queryStringParameters: null,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        isBase64Encoded: false,
        requestContext: { requestId: newId('req'), authorizer: callerToContext(caller) },
      } as unknown as APIGatewayProxyEvent,
      undefined,
    )) as { statusCode: number; body: string };
  const login = await call('/v1/sites/{siteId}/accounts/{sub}', `/v1/sites/spc/accounts/${BOB.sub}`, { siteId: 'spc', sub: BOB.sub }, OPERATOR, 'PUT', { username: 'bob' });
  if (login.statusCode !== 200) throw new Error(login.body);
  const ctx = { actor: { sub: 'sub-admin', role: 'admin' }, requestId: 'profile' };
  const a = await createAllocation(
    {
      id: newId('alloc'),
      title: 'profile',
      piSub: 'sub-alice',
      institution: 'KISTI',
      orgType: 'research-institute',
      field: 'cs',
      proposalId: null,
      callId: null,
      tier: null,
      startDate: new Date().toISOString().slice(0, 10),
      endDate: '2099-12-31',
      members: [{ sub: BOB.sub, role: 'member' as const }],
      awardsMc: { 'spc/h200': toMc(100_000) },
    },
    ctx,
  );
  await recordProvisioned(a.id, [{ resourceKey: 'spc/h200', siteId: 'spc', account: 'kairr-profile' }], { actor: { sub: 'system:connector-spc', role: 'system' }, requestId: 'profile' });
  const real = ddb();
  const send = real.send.bind(real) as (c: unknown) => Promise<unknown>;
  const calls: string[] = [];
  setDdb(Object.assign(Object.create(real), { send: (c: unknown) => (calls.push((c as object).constructor.name.replace('Command', '')), send(c)) }));
  const seen = new Map<string, number>();
  const toSubmit: number[] = [];
  const dispatch = async () => {
    calls.length = 0;
    const t0 = performance.now();
    const r = await call('/v1/allocations/{id}/jobs', `/v1/allocations/${a.id}/jobs`, { id: a.id }, BOB, 'POST', { site: 'spc', resource: 'h200', script: '#!/bin/bash\ntrue\n', gpus: 1, timeLimit: 1 });
    if (r.statusCode !== 201) throw new Error(r.body);
    toSubmit.push(submittedAt - t0);
    seen.set(calls.join(','), (seen.get(calls.join(',')) ?? 0) + 1);
  };
  try {
    const m = await interleaved({ limit: () => onceTransaction(real), dispatch }, ROUNDS);
    console.log(
      `\n2. phases, instant submit, median of ${ROUNDS} (ms): the limit ${m.limit}, a KAIRR dispatch to its submit ${round(median(toSubmit.slice(3)))}, whole (both commits) ${m.dispatch}; DynamoDB calls per dispatch:`,
      JSON.stringify(Object.fromEntries(seen)),
    );
  } finally {
    setDdb(real);
    useDriverFactory(undefined);
  }
}

async function main(): Promise<void> {
  const dynamo = await startDynamoLocal();
  process.env.KAIRR_TEST_DYNAMO_ENDPOINT = dynamo.endpoint;
  Object.assign(process.env, { AWS_REGION: 'ap-northeast-2', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  const tables = await createTestTables();
  try {
    console.log(
      `load average ${(await import('node:os'))
        .loadavg()
        .map((x) => round(x, 2))
        .join(' ')}`,
    );
    if (ONLY.has('shapes')) await shapes(tables.doc);
    if (ONLY.has('phases')) await phases();
  } finally {
    await tables.drop();
    await dynamo.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

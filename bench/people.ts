// bench:people — 2,000 learners enrol at once into a 1,000-seat course instance, through the
// people API's own handler (router, validation, the audited write path, the seat counter).
// Checks exactly 1,000 enrolled and 1,000 waitlisted, the waitlist gap-free in ticket order, no
// over-enrolment; reports enrolments/s against raw conditional writes on the same DynamoDB Local,
// measured in the same run with the same concurrency:
//   raw put      one conditional PutItem (attribute_not_exists) per learner, distinct keys
//   raw counter  one conditional UpdateItem (ADD n, n < 1,000) per learner on ONE item: the hot
//                counter alone, the floor any race-free seat count pays
// Ends with one JSON line. BENCH_LEARNERS, BENCH_SEATS, BENCH_CONCURRENCY override the defaults.
import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { startDynamoLocal } from '../local/dynamo';
import { TABLES, tableEnvName } from '../lambdas/shared/store/table-design';
import { setDdb } from '../lambdas/shared/store/client';
import { callerToContext, type Caller } from '../lambdas/shared/http/caller';
import { createInputOf } from '../test/support/dynamo';
import { useStageConfig } from '../test/support/config';

const LEARNERS = Number(process.env.BENCH_LEARNERS ?? 2000);
const SEATS = Number(process.env.BENCH_SEATS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);

async function pool<T>(n: number, concurrency: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await run(i);
    }),
  );
  return out;
}

const who = (sub: string, roles: Caller['roles'] = ['researcher']): Caller => ({ sub, roles, siteIds: [], username: sub, name: sub });

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.LOG_LEVEL ??= 'error';
  const dynamo = await startDynamoLocal();
  try {
    useStageConfig('local');
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'ap-northeast-2', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 3 });
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
    const { handler } = require('../lambdas/people/handler') as typeof import('../lambdas/people/handler');
    const { peopleApi } = require('../lambdas/people/api') as typeof import('../lambdas/people/api');
    const { peopleKeys } = require('../lambdas/shared/store/keys') as typeof import('../lambdas/shared/store/keys');
    let n = 0;
    const call = async (c: Caller, name: keyof typeof peopleApi, pathParameters: Record<string, string> | null, body: unknown) => {
      const r = peopleApi[name];
      const res = await handler({
        httpMethod: r.method,
        resource: r.path,
        path: r.path,
        pathParameters,
        queryStringParameters: null,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        isBase64Encoded: false,
        requestContext: { requestId: `b-${++n}`, authorizer: callerToContext(c) },
      } as unknown as APIGatewayProxyEvent);
      return { status: res.statusCode, body: JSON.parse(res.body) };
    };
    // ---- setup: an organisation, its manager, a published course, a 1,000-seat instance ----
    const admin = who('bench-admin', ['admin']);
    const { putOrg } = require('../lambdas/people/orgs') as typeof import('../lambdas/people/orgs');
    await putOrg(admin, 'bench-org', { names: { ko: '벤치', en: 'Bench' }, orgType: 'university', region: 'Seoul', verified: true }, 'setup');
    const course = await call(admin, 'createCourse', null, {
      providerOrgId: 'bench-org',
      name: { ko: '벤치 강좌', en: 'Bench course' },
      description: { ko: '설명', en: 'Description' },
      audience: ['all'],
      level: 'beginner',
      keywords: ['bench'],
      field: 'computer-science',
      teaches: ['x'],
      mode: 'online',
      languages: ['ko'],
    });
    await call(admin, 'grantRole', null, { role: 'instructor', courseId: course.body.id, sub: 'bench-instructor' });
    await call(admin, 'updateCourse', { courseId: course.body.id }, { status: 'published' });
    const now = Date.now();
    const inst = await call(
      admin,
      'createInstance',
      { courseId: course.body.id },
      {
        startDate: new Date(now + 7 * 86400_000).toISOString(),
        endDate: new Date(now + 8 * 86400_000).toISOString(),
        enrolmentOpens: new Date(now - 3600_000).toISOString(),
        enrolmentCloses: new Date(now + 6 * 86400_000).toISOString(),
        capacity: SEATS,
        link: 'https://meet.example/bench',
        instructors: [{ sub: 'bench-instructor', name: 'I' }],
      },
    );
    if (inst.status !== 201) throw new Error(`instance: ${JSON.stringify(inst.body)}`);
    const instanceId = inst.body.id as string;

    // ---- baselines on the same DynamoDB Local ----
    let t0 = performance.now();
    await pool(LEARNERS, CONCURRENCY, (i) =>
      doc.send(new PutCommand({ TableName: raw, Item: { pk: `RAW#${i}`, sk: 'RAW', sub: `learner-${i}`, state: 'enrolled', at: new Date().toISOString() }, ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    const rawPutS = (performance.now() - t0) / 1000;
    await doc.send(new PutCommand({ TableName: raw, Item: { pk: 'COUNTER', sk: 'C', n: 0 } }));
    t0 = performance.now();
    let counterFull = 0;
    await pool(LEARNERS, CONCURRENCY, (i) =>
      doc.send(new UpdateCommand({ TableName: raw, Key: { pk: 'COUNTER', sk: 'C' }, UpdateExpression: 'ADD n :one', ConditionExpression: 'n < :cap', ExpressionAttributeValues: { ':one': 1, ':cap': SEATS } })).catch((e: Error) => {
        if (e.name !== 'ConditionalCheckFailedException') throw new Error(`counter ${i}: ${e.message}`);
        counterFull++;
      }),
    );
    const rawCounterS = (performance.now() - t0) / 1000;

    // ---- the run: every learner enrols at once (CONCURRENCY in flight) ----
    const t1 = performance.now();
    const results = await pool(LEARNERS, CONCURRENCY, (i) => call(who(`learner-${i}`), 'enrol', { instanceId }, {}));
    const enrolS = (performance.now() - t1) / 1000;
    const failed = results.filter((r) => r.status !== 201);
    if (failed.length) throw new Error(`${failed.length} enrolments failed, e.g. ${JSON.stringify(failed[0].body)}`);

    // ---- checks ----
    const seats = (await doc.send(new GetCommand({ TableName: process.env.TABLE_MAIN, Key: peopleKeys.seats(instanceId), ConsistentRead: true }))).Item!;
    const waitEntries: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: process.env.TABLE_MAIN,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :w)',
          ExpressionAttributeValues: { ':p': `CINST#${instanceId}`, ':w': 'WAIT#' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      waitEntries.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const ids = results.map((r) => r.body.id as string);
    const stored: Record<string, unknown>[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const got = await doc.send(new BatchGetCommand({ RequestItems: { [process.env.TABLE_MAIN!]: { Keys: ids.slice(i, i + 100).map((id) => peopleKeys.enrolment(id)), ConsistentRead: true } } }));
      stored.push(...(got.Responses?.[process.env.TABLE_MAIN!] ?? []));
    }
    const enrolled = stored.filter((e) => e.state === 'enrolled').length;
    const waitlisted = stored.filter((e) => e.state === 'waitlisted');
    const tickets = waitEntries.map((w) => Number(w.ticket));
    const inOrder = tickets.every((t, i) => i === 0 || t > tickets[i - 1]) && waitlisted.length === waitEntries.length;
    const waitIds = new Set(waitEntries.map((w) => String(w.enrolmentId)));
    const consistent = waitlisted.every((e) => waitIds.has(String(e.id)));
    // How closely the queue follows request order: pairs of waitlisted learners whose tickets are
    // in the opposite order of their requests (requests overlap, so some is expected).
    const byTicket = [...waitlisted].sort((a, b) => Number(a.ticket) - Number(b.ticket)).map((e) => Number(String(e.learnerSub).split('-')[1]));
    let inversions = 0;
    for (let i = 1; i < byTicket.length; i++) if (byTicket[i] < byTicket[i - 1]) inversions++;
    const ok = enrolled === SEATS && waitlisted.length === LEARNERS - SEATS && Number(seats.enrolled) === SEATS && Number(seats.waiting) === LEARNERS - SEATS && inOrder && consistent;

    const figures = {
      bench: 'people',
      learners: LEARNERS,
      seats: SEATS,
      concurrency: CONCURRENCY,
      enrolled,
      waitlisted: waitlisted.length,
      counter: { enrolled: Number(seats.enrolled), waiting: Number(seats.waiting), nextTicket: Number(seats.nextTicket) },
      waitlistGapFreeInTicketOrder: inOrder && consistent,
      adjacentOrderInversions: inversions,
      overEnrolled: Math.max(0, enrolled - SEATS),
      ok,
      enrolSeconds: +enrolS.toFixed(2),
      enrolmentsPerSecond: +(LEARNERS / enrolS).toFixed(1),
      rawConditionalPutsPerSecond: +(LEARNERS / rawPutS).toFixed(1),
      rawHotCounterUpdatesPerSecond: +(LEARNERS / rawCounterS).toFixed(1),
      rawCounterRefused: counterFull,
      ratioToRawPuts: +(rawPutS / enrolS).toFixed(3),
      ratioToRawHotCounter: +(rawCounterS / enrolS).toFixed(3),
    };
    console.log(`enrolled ${enrolled}, waitlisted ${waitlisted.length} (gap-free in ticket order: ${inOrder && consistent}), over-enrolled ${figures.overEnrolled}`);
    console.log(
      `enrolments ${figures.enrolmentsPerSecond}/s; raw conditional puts ${figures.rawConditionalPutsPerSecond}/s (ratio ${figures.ratioToRawPuts}); raw hot counter ${figures.rawHotCounterUpdatesPerSecond}/s (ratio ${figures.ratioToRawHotCounter})`,
    );
    console.log(JSON.stringify(figures));
    if (!ok) process.exitCode = 1;
  } finally {
    await dynamo.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

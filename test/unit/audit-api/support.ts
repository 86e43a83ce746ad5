// Shared setup for the audit API tests: tables on DynamoDB Local, fauxqs (a real S3-compatible
// server, in its own process, as the local runtime runs it) with the export and anchor buckets, and
// the local Lambda Invoke endpoint wired to the export worker in-process, so POST /v1/audit/exports
// starts the worker exactly as it does when deployed (InvokeCommand, InvocationType Event).
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { startFauxqs, startLambdaAndSecrets, type FauxqsProcess, type LocalServiceEndpoints } from '../../../local/aws-services';
import type { LambdaHost } from '../../../local/lambda-host';
import { callerToContext, type Caller } from '../../../lambdas/shared/http/caller';
import type { Role } from '../../../lambdas/shared/http/spec';
import { auditApi } from '../../../lambdas/audit/api';
import { setClients } from '../../../lambdas/audit/clients';
import { commit, type Item } from '../../../lambdas/shared/store/write-path';
import type { AuditEvent } from '../../../lambdas/domain/audit';

export const REGION = 'ap-northeast-2';
export const EXPORT_BUCKET = 'kairr-test-exports';
export const ANCHOR_BUCKET = 'kairr-test-anchors';

export interface AuditFixture {
  tables: TestTables;
  s3: S3Client;
  s3Endpoint: string;
  lambda: LocalServiceEndpoints;
  /** Worker invocations (payloads) the Invoke endpoint received. */
  invoked: unknown[];
  /** Replaces what an invocation of the worker does (default: the real worker handler). */
  setWorker(fn: ((payload: unknown) => Promise<unknown>) | null): void;
  stop(): Promise<void>;
}

export async function auditFixture(): Promise<AuditFixture> {
  useStageConfig('local');
  const tables = await createTestTables();
  const fauxqs: FauxqsProcess = await startFauxqs({ region: REGION, buckets: [EXPORT_BUCKET, ANCHOR_BUCKET], topics: [], queues: [] });
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
    EXPORT_BUCKET,
    ANCHOR_BUCKET,
    EXPORT_WORKER_FUNCTION: 'kairr-test-export-worker',
    EXPORT_URL_TTL_SECONDS: '300',
  });
  process.env.LOG_LEVEL ??= 'error'; // the failure tests log errors on purpose; request logs are noise here
  const s3 = new S3Client({
    endpoint: fauxqs.endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const invoked: unknown[] = [];
  let worker: ((payload: unknown) => Promise<unknown>) | null = null;
  const host = {
    resolve: (name: string) => name === 'kairr-test-export-worker',
    invoke: async (_name: string, payload: unknown) => {
      invoked.push(payload);
      if (worker) return worker(payload);
      const { handler } = require('../../../lambdas/audit/export-worker') as typeof import('../../../lambdas/audit/export-worker');
      return handler(payload as { exportId: string });
    },
  } as unknown as LambdaHost;
  const lambda = await startLambdaAndSecrets(host, () => ({}));
  setClients({ s3, lambda: new LambdaClient({ endpoint: lambda.lambdaEndpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 }) });
  return {
    tables,
    s3,
    s3Endpoint: fauxqs.endpoint,
    lambda,
    invoked,
    setWorker: (fn) => (worker = fn),
    async stop() {
      await lambda.idle();
      await lambda.stop();
      setClients({ s3: undefined, lambda: undefined });
      s3.destroy();
      await fauxqs.stop();
      await tables.drop();
    },
  };
}

// ---- calling the API in-process, as API Gateway would ----------------------------------------

const routes = Object.values(auditApi).map((r) => ({ ...r, re: new RegExp(`^${r.path.replace(/\{([^}]+)\}/g, '(?<$1>[^/]+)')}$`) }));
let requestCounter = 0;

export function caller(sub: string, roles: Role[]): Caller {
  return { sub, roles, siteIds: [] };
}
export const auditor = caller('auditor-1', ['auditor']);
export const admin = caller('admin-1', ['admin']);
export const researcher = caller('researcher-1', ['researcher']);

export interface ApiResult {
  status: number;
  body: any;
  text: string;
  headers: Record<string, string>;
}

export async function api(who: Caller | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
  const { handler } = require('../../../lambdas/audit/handler') as typeof import('../../../lambdas/audit/handler');
  const [pathOnly, qs] = path.split('?');
  const route = routes.find((r) => r.method === method && r.re.test(pathOnly));
  if (!route) throw new Error(`no route for ${method} ${pathOnly}`);
  const event = {
    httpMethod: method,
    resource: route.path,
    path: pathOnly,
    pathParameters: route.re.exec(pathOnly)!.groups ?? null,
    queryStringParameters: qs ? Object.fromEntries(new URLSearchParams(qs)) : null,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: `req-${++requestCounter}`, authorizer: who ? callerToContext(who) : undefined },
  } as unknown as APIGatewayProxyEvent;
  const res = await handler(event);
  let parsed: unknown;
  try {
    parsed = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, body: parsed, text: res.body, headers: res.headers };
}

export const as = (who: Caller) => ({
  get: (path: string, headers?: Record<string, string>) => api(who, 'GET', path, undefined, headers),
  post: (path: string, body?: unknown, headers?: Record<string, string>) => api(who, 'POST', path, body, headers),
});

// ---- seeding audit events through the real write path --------------------------------------

/**
 * Changes a test subject `times.length` times through commit(), one event per change at each given
 * time (ISO), so the audit table holds real chains. Returns the events written.
 */
export async function seedSubject(type: string, id: string, times: string[], actor = { sub: 'admin-1', role: 'admin' }, action = `${type}.update`): Promise<AuditEvent[]> {
  const key = { pk: `TEST#${type}#${id}`, sk: 'TEST' };
  let before: Item | null = null;
  const out: AuditEvent[] = [];
  for (let i = 0; i < times.length; i++) {
    const after = { ...key, value: i, label: `=change ${i}, "quoted"` } as Item;
    const { events } = await commit({ actor, requestId: `seed-${i}`, reason: i % 2 ? null : `=HYPERLINK("x") step ${i}`, now: new Date(times[i]) }, { changes: [{ subject: { type, id }, before, after, action, details: { step: i } }] });
    out.push(...events);
    before = { ...after, auditSeq: events[0].seq, auditHash: events[0].hash } as Item;
  }
  return out;
}

/** Every object under a prefix: key → text. */
export async function readFolder(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
      out.set(o.Key!.slice(prefix.length), await got.Body!.transformToString('utf8'));
    }
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

/** ISO time `minutes` after a base. */
export const at = (base: string, minutes: number) => new Date(Date.parse(base) + minutes * 60_000).toISOString();

/** An export folder held in memory, as the verifier reads one. */
export function memorySource(files: Map<string, string>): import('../../../lambdas/domain/audit').ExportSource {
  return {
    list: async () => [...files.keys()],
    read: async function* (name: string) {
      yield Buffer.from(files.get(name) ?? '', 'utf8');
    },
  };
}

/** Downloads a succeeded export through its presigned URLs (what an auditor does). */
export async function download(view: { files: { name: string; url: string }[]; manifest: { url: string } }): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of [...view.files, { name: 'manifest.json', url: view.manifest.url }]) {
    const res = await fetch(f.url);
    if (!res.ok) throw new Error(`download of ${f.name} failed: ${res.status}`);
    out.set(f.name, await res.text());
  }
  return out;
}

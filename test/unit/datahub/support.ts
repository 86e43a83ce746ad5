// The data hub's API in-process: the real handler, DynamoDB Local tables made from the table
// design, and (for uploads) fauxqs as S3. Calls look as API Gateway would make them.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { callerToContext, type Caller } from '../../../lambdas/shared/http/caller';
import type { Role } from '../../../lambdas/shared/http/spec';
import { datahubApi } from '../../../lambdas/datahub/api';
import { resetDatahubConfig } from '../../../lambdas/datahub/config';
import { setS3 } from '../../../lambdas/datahub/clients';
import { startFauxqs } from '../../../local/aws-services';

export const BUCKET = 'kairr-datahub-test';

export interface Fixture {
  tables: TestTables;
  s3?: S3Client;
  s3Endpoint?: string;
  stop(): Promise<void>;
}

export async function datahubFixture(opts: { s3?: boolean; config?: Record<string, unknown> } = {}): Promise<Fixture> {
  useStageConfig('local');
  process.env.LOG_LEVEL ??= 'error';
  process.env.DATAHUB_CONFIG = JSON.stringify({
    doiPrefix: '10.5072',
    // fauxqs cannot parse part checksums in CompleteMultipartUpload (config.ts says why); uploads.test shows it.
    upload: { completeWithPartChecksums: false },
    siteStorage: { kisti6: { roots: [{ name: 'scratch', path: '/scratch/kairr-datahub' }] }, spc: { roots: [{ name: 'data', path: '/data/kairr' }] } },
    ...opts.config,
  });
  resetDatahubConfig();
  process.env.DATAHUB_BUCKET = BUCKET;
  const tables = await createTestTables();
  let stopS3: () => Promise<void> = async () => undefined;
  let s3: S3Client | undefined;
  let s3Endpoint: string | undefined;
  if (opts.s3) {
    const f = await startFauxqs({ region: 'ap-northeast-2', buckets: [BUCKET], topics: [], queues: [] });
    s3Endpoint = f.endpoint;
    s3 = new S3Client({
      endpoint: f.endpoint,
      region: 'ap-northeast-2',
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    setS3(s3);
    stopS3 = f.stop;
  }
  return {
    tables,
    s3,
    s3Endpoint,
    async stop() {
      setS3(undefined);
      await stopS3();
      await tables.drop();
    },
  };
}

export interface ApiResult {
  status: number;
  body: any;
  text: string;
  headers: Record<string, string>;
}

const routes = Object.values(datahubApi).map((r) => ({ ...r, re: new RegExp(`^${r.path.replace(/\{([^}+]+)\+\}/g, '(?<$1>.+)').replace(/\{([^}]+)\}/g, '(?<$1>[^/]+)')}$`) }));

let counter = 0;

export function who(sub: string, ...roles: Role[]): Caller {
  return { sub, roles, siteIds: [], username: sub };
}

export const ROLE_CALLERS = {
  steward: who('steward-1', 'researcher'),
  researcher: who('researcher-9', 'researcher'),
  curator: who('curator-1', 'curator'),
  admin: who('admin-1', 'admin'),
  auditor: who('auditor-1', 'auditor'),
  reviewer: who('reviewer-1', 'reviewer'),
};

export async function api(caller: Caller | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
  const { handler } = require('../../../lambdas/datahub/handler') as typeof import('../../../lambdas/datahub/handler');
  const [pathOnly, qs] = path.split('?');
  const candidates = routes.filter((r) => r.method === method && r.re.test(pathOnly));
  // Literal segments win over parameters, as in API Gateway.
  const route = candidates.sort((a, b) => b.path.split('{').length - a.path.split('{').length).reverse()[0];
  if (!route) throw new Error(`no route for ${method} ${pathOnly}`);
  const params = route.re.exec(pathOnly)!.groups ?? null;
  const event = {
    httpMethod: method,
    resource: route.path,
    path: pathOnly,
    pathParameters: params,
    queryStringParameters: qs ? Object.fromEntries(new URLSearchParams(qs)) : null,
    headers: { 'content-type': 'application/json', host: 'kairr.test', 'x-forwarded-proto': 'https', ...headers },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: `req-${++counter}`, authorizer: caller ? callerToContext(caller) : undefined },
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

export const sha = (s: string | Buffer) => require('node:crypto').createHash('sha256').update(s).digest('hex') as string;

export const DATASET = {
  name: { ko: '한국어 언어 모델 학습 말뭉치', en: 'Korean language model training corpus' },
  description: { ko: '공공 데이터셋을 정제한 한국어 텍스트입니다.', en: 'Cleaned Korean text from public datasets.' },
  keywords: ['nlp', '말뭉치'],
  fieldOfScience: '1.2',
  licence: 'cc-by-4.0',
  accessLevel: 'public',
  owner: { type: 'organisation', orgId: 'org-kisti' },
};

export const FILES = [
  { path: 'train/part-0.jsonl', bytes: 11, sha256: sha('hello world'), mediaType: 'application/jsonl' },
  { path: 'README.md', bytes: 5, sha256: sha('hello'), mediaType: 'text/markdown' },
];

/** A dataset with one version walked to published by a steward and a curator. */
export async function publishedDataset(over: Record<string, unknown> = {}, version = '1.0.0'): Promise<{ id: string }> {
  const s = ROLE_CALLERS.steward;
  const created = await api(s, 'POST', '/v1/datasets', { ...DATASET, ...over });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  const id = created.body.id as string;
  await publishVersion(id, version);
  return { id };
}

export async function publishVersion(id: string, version: string, kind: 'datasets' | 'models' = 'datasets', extra: Record<string, unknown> = {}): Promise<void> {
  const s = ROLE_CALLERS.steward;
  const steps: [number, ApiResult][] = [
    [201, await api(s, 'POST', `/v1/${kind}/${id}/versions`, { version, changelog: 'first', ...extra })],
    [200, await api(s, 'PUT', `/v1/${kind}/${id}/versions/${version}/manifest/pages/1`, { files: FILES })],
    [200, await api(s, 'POST', `/v1/${kind}/${id}/versions/${version}/transitions`, { action: 'submit' })],
    [200, await api(ROLE_CALLERS.curator, 'POST', `/v1/${kind}/${id}/versions/${version}/transitions`, { action: 'publish' })],
  ];
  for (const [want, r] of steps) if (r.status !== want) throw new Error(`publish ${id}@${version}: ${r.status} ${r.text}`);
}

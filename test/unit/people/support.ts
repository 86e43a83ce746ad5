// The people capability in-process: both functions (public catalogue, signed-in API) called as
// API Gateway would, against DynamoDB Local tables made from the table design.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { callerToContext, type Caller } from '../../../lambdas/shared/http/caller';
import type { Role } from '../../../lambdas/shared/http/spec';
import { catalogueApi } from '../../../lambdas/people/catalogue-api';
import { peopleApi } from '../../../lambdas/people/api';

export interface ApiResult {
  status: number;
  body: any;
  text: string;
  headers: Record<string, string>;
}

const routes = [...Object.values(catalogueApi).map((r) => ({ ...r, fn: 'catalogue' as const })), ...Object.values(peopleApi).map((r) => ({ ...r, fn: 'people' as const }))].map((r) => ({
  ...r,
  re: new RegExp(`^${r.path.replace(/\{([^}]+)\}/g, '(?<$1>[^/]+)')}$`),
  literals: r.path.split('/').filter((s) => s && !s.startsWith('{')).length,
}));
routes.sort((a, b) => b.literals - a.literals);

let counter = 0;

export function caller(sub: string, roles: Role[] = ['researcher'], extra: Partial<Caller> = {}): Caller {
  return { sub, roles, siteIds: [], username: sub, name: extra.name ?? `Name of ${sub}`, ...extra };
}

export async function api(who: Caller | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
  const [pathOnly, qs] = path.split('?');
  const route = routes.find((r) => r.method === method && r.re.test(pathOnly));
  if (!route) throw new Error(`no route for ${method} ${pathOnly}`);
  const mod = route.fn === 'catalogue' ? require('../../../lambdas/people/catalogue-handler') : require('../../../lambdas/people/handler');
  const event = {
    httpMethod: method,
    resource: route.path,
    path: pathOnly,
    pathParameters: route.re.exec(pathOnly)!.groups ?? null,
    queryStringParameters: qs ? Object.fromEntries(new URLSearchParams(qs)) : null,
    headers: { 'content-type': 'application/json', host: 'kairr.test', 'x-forwarded-proto': 'https', ...headers },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    // Public routes have no authorizer: API Gateway passes no caller, whoever sent the request.
    requestContext: { requestId: `req-${++counter}`, authorizer: who && route.auth !== 'public' ? callerToContext(who) : undefined },
  } as unknown as APIGatewayProxyEvent;
  const res = await mod.handler(event);
  let parsed: unknown;
  try {
    parsed = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, body: parsed, text: res.body, headers: res.headers };
}

export const as = (who: Caller | undefined) => ({
  get: (p: string) => api(who, 'GET', p),
  post: (p: string, b?: unknown, h?: Record<string, string>) => api(who, 'POST', p, b ?? {}, h),
  put: (p: string, b?: unknown) => api(who, 'PUT', p, b),
  patch: (p: string, b?: unknown) => api(who, 'PATCH', p, b),
  del: (p: string, b?: unknown) => api(who, 'DELETE', p, b ?? {}),
});
export const anon = as(undefined);

export const admin = caller('people-admin', ['admin']);
export const auditor = caller('people-auditor', ['auditor']);

export async function peopleFixture(): Promise<TestTables> {
  useStageConfig('local');
  process.env.LOG_LEVEL ??= 'error';
  return createTestTables();
}

export const paths = (r: ApiResult): string[] => (r.body?.error?.details ?? []).map((d: { path: string }) => d.path);

let uniq = 0;
export const unique = (p: string) => `${p}-${process.pid}-${++uniq}`;

export function orgBody(orgType = 'university', region = 'Daejeon', verified = true) {
  return { names: { ko: '카이스트', en: 'KAIST' }, orgType, region, verified };
}

export async function newOrg(orgType = 'university', region = 'Daejeon'): Promise<string> {
  const id = unique('org').toLowerCase();
  const r = await as(admin).put(`/v1/people/orgs/${id}`, orgBody(orgType, region));
  if (r.status !== 201) throw new Error(`org: ${r.status} ${JSON.stringify(r.body)}`);
  return id;
}

export function courseBody(providerOrgId: string, o: Record<string, unknown> = {}) {
  return {
    providerOrgId,
    code: 'GPU101',
    name: { ko: 'GPU 분산학습 입문', en: 'Introduction to distributed GPU training' },
    description: { ko: '대규모 모델을 여러 GPU에서 학습하는 방법을 배웁니다.', en: 'How to train large models across many GPUs with data and tensor parallelism.' },
    audience: ['graduate students', 'SME engineers'],
    level: 'beginner',
    keywords: ['GPU', 'distributed training', '분산학습'],
    field: 'computer-science',
    teaches: ['Launch a multi-node training job with Slurm', 'Choose data, tensor and pipeline parallelism'],
    mode: 'hybrid',
    languages: ['ko', 'en'],
    resources: ['spc/h200'],
    timeRequired: 'P2D',
    ...o,
  };
}

export function instanceBody(o: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    startDate: new Date(now + 7 * 86400_000).toISOString(),
    endDate: new Date(now + 9 * 86400_000).toISOString(),
    enrolmentOpens: new Date(now - 3600_000).toISOString(),
    enrolmentCloses: new Date(now + 6 * 86400_000).toISOString(),
    capacity: 2,
    place: { name: 'KISTI Supercomputing Center', locality: 'Yuseong-gu', region: 'Daejeon' },
    link: 'https://meet.kairr.example/gpu101',
    instructors: [{ sub: 'inst-1', name: 'Park Instructor' }],
    ...o,
  };
}

/** An org, its manager, a published course with an instructor, and an instance. */
export async function scenario(o: { course?: Record<string, unknown>; instance?: Record<string, unknown>; instructor?: string } = {}) {
  const orgId = await newOrg();
  const manager = caller(unique('manager'));
  const instructor = caller(o.instructor ?? unique('inst'));
  expect((await as(admin).post('/v1/people/roles', { role: 'org-manager', orgId, sub: manager.sub })).status).toBe(201);
  const course = await as(manager).post('/v1/programmes/courses', courseBody(orgId, o.course));
  if (course.status !== 201) throw new Error(`course: ${course.status} ${JSON.stringify(course.body)}`);
  expect((await as(manager).post('/v1/people/roles', { role: 'instructor', courseId: course.body.id, sub: instructor.sub })).status).toBe(201);
  expect((await as(manager).patch(`/v1/programmes/courses/${course.body.id}`, { status: 'published' })).status).toBe(200);
  const inst = await as(manager).post(`/v1/programmes/courses/${course.body.id}/instances`, instanceBody({ instructors: [{ sub: instructor.sub, name: 'Park Instructor' }], ...o.instance }));
  if (inst.status !== 201) throw new Error(`instance: ${inst.status} ${JSON.stringify(inst.body)}`);
  return { orgId, manager, instructor, courseId: course.body.id as string, instanceId: inst.body.id as string };
}

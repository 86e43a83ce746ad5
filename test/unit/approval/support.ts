// The approval capability in-process: the real ASL file on the local Step Functions service, the
// flow function and the three API functions called in-process (the flow reaches the service over HTTP,
// as deployed), DynamoDB Local tables, and a local EventBridge that records what is published.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { startLocalEventBridge, type LocalEventBridge } from '../../../local/events';
import { startLocalSfn, type LocalSfn, type StateTimeOverrides } from '../../../local/sfn';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { callerToContext, type Caller } from '../../../lambdas/shared/http/caller';
import type { Role } from '../../../lambdas/shared/http/spec';
import type { ApiSpec } from '../../../lambdas/shared/http/spec';
import { callsApi } from '../../../lambdas/approval/calls-api';
import { proposalsApi } from '../../../lambdas/approval/proposals-api';
import { reviewsApi } from '../../../lambdas/approval/reviews-api';

export const REGION = 'ap-northeast-2';
export const ACCOUNT = '000000000000';
export const FLOW_FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:approval-flow`;
export const ASL_FILE = join(__dirname, '..', '..', '..', 'statemachines', 'approval.asl.json');

/** The ASL file with its substitutions applied, as CloudFormation (and the local runtime) does. */
export function approvalDefinition(substitutions: Record<string, string> = { FlowFunctionArn: FLOW_FN }): any {
  const text = readFileSync(ASL_FILE, 'utf8').replace(/\$\{([^}]+)\}/g, (m, k: string) => substitutions[k] ?? m);
  return JSON.parse(text);
}

export interface Published {
  type: string;
  detail: Record<string, any>;
}

export interface ApprovalFixture {
  tables: TestTables;
  bus: LocalEventBridge;
  sfn: LocalSfn;
  machineArn: string;
  published: Published[];
  /** Flow steps the state machine invoked, in order. */
  steps: { step: string; payload: any }[];
  /** Make invocations of a step fail (to test the error paths); the function may delete itself to fail once. */
  failStep: Map<string, () => Error>;
  /** Run something just before a step (e.g. change the call under the flow's feet). */
  beforeStep: Map<string, () => Promise<void>>;
  stop(): Promise<void>;
}

let machineCounter = 0;

export async function approvalFixture(opts: { timeOverrides?: StateTimeOverrides } = {}): Promise<ApprovalFixture> {
  useStageConfig('local');
  process.env.LOG_LEVEL ??= 'error';
  const tables = await createTestTables();
  const published: Published[] = [];
  const bus = await startLocalEventBridge({
    eventBuses: ['kairr-test'],
    rules: [{ name: 'all', eventBusName: 'kairr-test', eventPattern: { source: ['kairr'] }, targets: [{ id: 'record', arn: 'arn:aws:lambda:local:0:function:record' }] }],
    deliver: (_t, payload) => {
      const e = payload as { 'detail-type': string; detail: Record<string, unknown> };
      published.push({ type: e['detail-type'], detail: e.detail });
    },
    scheduler: false,
  });
  Object.assign(process.env, {
    EVENT_BUS_NAME: 'kairr-test',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  const steps: { step: string; payload: any }[] = [];
  const failStep = new Map<string, () => Error>();
  const beforeStep = new Map<string, () => Promise<void>>();
  // Loaded after the environment is set: the modules create their SDK clients lazily, once.
  const flow = require('../../../lambdas/approval/flow-handler') as typeof import('../../../lambdas/approval/flow-handler');
  const machineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:approval-${process.pid}-${++machineCounter}`;
  const sfn = await startLocalSfn({
    region: REGION,
    accountId: ACCOUNT,
    taskHandlers: {
      invokeLambda: async (fn, payload) => {
        if (fn !== FLOW_FN) throw new Error(`unexpected function ${fn}`);
        const p = payload as { step: string };
        steps.push({ step: p.step, payload });
        const before = beforeStep.get(p.step);
        if (before) beforeStep.delete(p.step), await before();
        const fail = failStep.get(p.step);
        if (fail) throw fail();
        return flow.handler(p as never);
      },
    },
    stateMachines: [{ arn: machineArn, name: machineArn.split(':').pop()!, definition: approvalDefinition(), timeOverrides: opts.timeOverrides }],
  });
  process.env.AWS_ENDPOINT_URL_SFN = sfn.url;
  process.env.APPROVAL_STATE_MACHINE_ARN = machineArn;
  await seedOrgs(); // identity
  return {
    tables,
    bus,
    sfn,
    machineArn,
    published,
    steps,
    failStep,
    beforeStep,
    async stop() {
      await sfn.stop();
      await bus.stop();
      await tables.drop();
    },
  };
}

// ---- calling the API in-process -----------------------------------------------------------------

export interface ApiResult {
  status: number;
  body: any;
  headers: Record<string, string>;
}

type ApprovalHandler = typeof import('../../../lambdas/approval/calls-handler').handler;

// Each part of the API is its own function, as deployed (lib/approval/approval.ts): a route reaches
// the handler of its part's spec. Required on first use, after the tests' environment is set.
const parts: { api: ApiSpec; load: () => ApprovalHandler }[] = [
  { api: callsApi, load: () => require('../../../lambdas/approval/calls-handler').handler },
  { api: proposalsApi, load: () => require('../../../lambdas/approval/proposals-handler').handler },
  { api: reviewsApi, load: () => require('../../../lambdas/approval/reviews-handler').handler },
];
const routes = parts.flatMap(({ api, load }) => Object.values(api).map((r) => ({ ...r, load, re: new RegExp(`^${r.path.replace(/\{([^}]+)\}/g, '(?<$1>[^/]+)')}$`) })));

let requestCounter = 0;

export function caller(sub: string, roles: Role[], extra: Partial<Caller> = {}): Caller {
  return { sub, roles, siteIds: [], username: extra.username ?? sub.replace(/[^a-z0-9_.-]/g, '').slice(0, 30), ...extra };
}

/** Calls the API as `who` would through API Gateway (path → route → its part's function, authorizer context). */
export async function api(who: Caller | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
  const [pathOnly, qs] = path.split('?');
  const route = routes.find((r) => r.method === method && r.re.test(pathOnly));
  if (!route) throw new Error(`no route for ${method} ${pathOnly}`);
  const handler = route.load();
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
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
}

export const as = (who: Caller) => ({
  get: (path: string) => api(who, 'GET', path),
  post: (path: string, body?: unknown, headers?: Record<string, string>) => api(who, 'POST', path, body, headers),
  patch: (path: string, body?: unknown) => api(who, 'PATCH', path, body),
});

// ---- fixtures -----------------------------------------------------------------------------

export const admin = caller('admin-1', ['admin']);
export const chair = caller('chair-1', ['chair'], { email: 'chair@kairr.example' });

// ---- identity: the organisations the fixtures use, in the registry (verified) ----
/** Institution (display name) → registry org: id, type and e-mail domain. */
export const ORGS: Record<string, { orgId: string; orgType: string; domain: string }> = {
  KAIST: { orgId: 'kaist', orgType: 'university', domain: 'kaist.example' },
  POSTECH: { orgId: 'postech', orgType: 'university', domain: 'postech.example' },
  UNIST: { orgId: 'unist', orgType: 'university', domain: 'unist.example' },
  GIST: { orgId: 'gist', orgType: 'university', domain: 'gist.example' },
  SNU: { orgId: 'snu', orgType: 'university', domain: 'snu.example' },
  'Tiny AI': { orgId: 'tiny-ai', orgType: 'startup', domain: 'startup.example' },
};

export async function seedOrgs(): Promise<void> {
  const { createOrg, verifyOrg } = require('../../../lambdas/identity/orgs') as typeof import('../../../lambdas/identity/orgs');
  const ctx = { actor: { sub: 'admin-1', role: 'admin' }, requestId: 'seed-orgs', reason: 'test registry' };
  for (const [name, o] of Object.entries(ORGS)) {
    await createOrg({ orgId: o.orgId, names: { ko: name, en: name }, orgType: o.orgType as 'university', emailDomains: [o.domain], homeOrganizations: [], entityIds: [] }, ctx, () => []);
    await verifyOrg(o.orgId, true, ctx);
  }
}

/** A researcher whose verified e-mail is at `institution`'s domain (their affiliation is that org). */
export function memberOf(institution: keyof typeof ORGS, sub: string, roles: Role[] = ['researcher']): Caller {
  return caller(sub, roles, { affiliation: [{ source: 'email', value: ORGS[institution].domain }] });
}

/** The reviewer pool used by most tests: fields and institutions chosen per test by sub (a known institution's org id too). */
export function pool(entries: { sub: string; institution: string; fields?: string[]; maxLoad?: number; email?: string }[]) {
  return entries.map((e) => ({
    sub: e.sub,
    name: `Reviewer ${e.sub}`,
    institution: e.institution,
    ...(ORGS[e.institution] ? { orgId: ORGS[e.institution].orgId } : {}),
    fields: e.fields ?? ['computer-science'],
    maxLoad: e.maxLoad ?? 5,
    ...(e.email ? { email: e.email } : {}),
  }));
}
// ---- end identity ----

export function callBody(overrides: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    title: 'AI Research Call 2026',
    description: 'Open call for GPU time',
    opensAt: new Date(now - 3600_000).toISOString(),
    closesAt: new Date(now + 30 * 86400_000).toISOString(),
    capacity: { 'spc/h200': 10_000, 'kisti6/gh200': 5_000 },
    tiers: { starter: { maxCredits: 100 }, standard: { maxCredits: 2_000, reviewers: 2, minReviews: 2 }, flagship: { reviewers: 3, minReviews: 2 } },
    eligibleOrgTypes: ['university', 'research-institute', 'startup'],
    maxRequestCredits: 5_000,
    reviewerPool: pool([
      { sub: 'rev-a', institution: 'POSTECH' },
      { sub: 'rev-b', institution: 'UNIST' },
      { sub: 'rev-c', institution: 'GIST' },
    ]),
    reviewDeadlineHours: 72,
    ...overrides,
  };
}

export async function newCall(overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await as(admin).post('/v1/calls', callBody(overrides));
  if (res.status !== 201) throw new Error(`call: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export function proposalBody(callId: string, overrides: Record<string, unknown> = {}) {
  return {
    callId,
    title: 'Scaling laws for Korean LLMs',
    abstract: 'We study how Korean-language model quality scales with data and parameters, and release the checkpoints.',
    field: 'computer-science',
    pi: { name: 'Kim Ji-woo', email: 'jiwoo@kaist.example', institution: 'KAIST', orgType: 'university' },
    team: [{ name: 'Lee Min', email: 'min@kaist.example', institution: 'KAIST', role: 'student' }],
    workload: {
      purpose: 'pretraining',
      modelParameters: 7e9,
      precision: 'bf16',
      dataset: { sizeGB: 2000, location: { siteId: 'spc' } },
      memoryPerGpuGB: 120,
      interconnect: 'high',
      trainingTokens: 2e11,
    },
    credits: { 'spc/h200': 1_000 },
    durationMonths: 6,
    // a catalogue id must name a real catalogue entry (catalogue-links.test.ts); a URI names data anywhere
    datasets: [{ name: 'Korean web corpus', uri: 'https://dumps.wikimedia.org/kowiki/' }],
    models: [],
    justification: 'Pretraining a 7B model on 200B tokens needs about a thousand H200 GPU-hours at 40% MFU, by our measurement.',
    ...overrides,
  };
}

export async function newProposal(researcher: Caller, callId: string, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await as(researcher).post('/v1/proposals', proposalBody(callId, overrides));
  if (res.status !== 201) throw new Error(`proposal: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export function reviewBody(score = 4, recommendation = 'approve') {
  return {
    scores: { merit: score, feasibility: score, impact: score, resourceJustification: score },
    comments: `Solid plan; score ${score}. The resource estimate is well argued.`,
    confidentialComments: 'For the committee only.',
    recommendation,
  };
}

// ---- waiting on conditions (never a fixed sleep) ------------------------------------------------

export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function enteredStates(events: HistoryEvent[]): string[] {
  return events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!);
}

export async function proposalState(researcher: Caller, id: string, state: string): Promise<any> {
  return until(`proposal ${id} to be ${state}`, async () => {
    const r = await as(researcher).get(`/v1/proposals/${id}`);
    return r.body?.state === state ? r.body : undefined;
  });
}

/** The reviewer's open assignment on the proposal, once the flow has made it. */
export async function assignmentOf(reviewer: Caller, proposalId: string, status = 'assigned'): Promise<any> {
  return until(`an ${status} assignment of ${reviewer.sub} on ${proposalId}`, async () => {
    const r = await as(reviewer).get('/v1/reviews/assignments');
    return r.body?.items?.find((a: any) => a.proposalId === proposalId && a.status === status);
  });
}

/** Who the flow assigned (staff view). */
export async function panel(proposalId: string, count: number): Promise<string[]> {
  return until(`${count} open assignments on ${proposalId}`, async () => {
    const r = await as(admin).get(`/v1/proposals/${proposalId}/reviews`);
    const open = (r.body?.assignments ?? []).filter((a: any) => a.status === 'assigned').map((a: any) => a.reviewerSub);
    return open.length >= count ? open : undefined;
  });
}

// The accountability capability in-process: DynamoDB Local tables, the stage config, a local
// EventBridge that records what is published, the API handler called as API Gateway calls it,
// and a clock the tests move (the handlers' clock, and the daily job's event time).
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { startLocalEventBridge, type LocalEventBridge } from '../../../local/events';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { callerToContext, type Caller } from '../../../lambdas/shared/http/caller';
import type { Role } from '../../../lambdas/shared/http/spec';
import { accountabilityApi } from '../../../lambdas/accountability/api';
import { useClock } from '../../../lambdas/accountability/clock';
import { accountabilityAtAward } from '../../../lambdas/accountability/award';
import { createAllocation } from '../../../lambdas/ledger/service';
import { recordProvisioned } from '../../../lambdas/connectors/allocation-writes';
import { readCall, callChange } from '../../../lambdas/approval/store';
import { reserve } from '../../../lambdas/domain/approval/capacity';
import { endDateAfter } from '../../../lambdas/domain/approval/rules';
import { newId } from '../../../lambdas/domain/ids';
import { toMc } from '../../../lambdas/domain/ledger/money';
import type { Allocation } from '../../../lambdas/domain/ledger/model';
import type { RuntimeConfig } from '../../../lib/config/schema';
import { api as approvalApiCall, callBody, proposalBody, seedOrgs } from '../approval/support';

export interface Fixture {
  tables: TestTables;
  bus: LocalEventBridge;
  published: { type: string; detail: Record<string, any> }[];
  clock: { now: Date; set(iso: string): void };
  stop(): Promise<void>;
}

export async function fixture(patch?: (c: RuntimeConfig) => RuntimeConfig): Promise<Fixture> {
  useStageConfig('local', patch);
  process.env.LOG_LEVEL ??= 'error';
  const tables = await createTestTables();
  const published: Fixture['published'] = [];
  const bus = await startLocalEventBridge({
    eventBuses: ['kairr-test'],
    rules: [{ name: 'all', eventBusName: 'kairr-test', eventPattern: { source: ['kairr'] }, targets: [{ id: 'record', arn: 'arn:aws:lambda:local:0:function:record' }] }],
    deliver: (_t, payload) => {
      const e = payload as { 'detail-type': string; detail: Record<string, unknown> };
      published.push({ type: e['detail-type'], detail: e.detail });
    },
    scheduler: false,
  });
  Object.assign(process.env, { EVENT_BUS_NAME: 'kairr-test', AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url, AWS_REGION: 'ap-northeast-2', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  const clock = {
    now: new Date('2026-03-01T09:00:00Z'),
    set(iso: string) {
      clock.now = new Date(iso);
    },
  };
  useClock(() => clock.now);
  await seedOrgs(); // the approval fixtures' calls name reviewers' registry orgs
  return {
    tables,
    bus,
    published,
    clock,
    async stop() {
      useClock(undefined);
      await bus.stop();
      await tables.drop();
    },
  };
}

export function caller(sub: string, roles: Role[], extra: Partial<Caller> = {}): Caller {
  return { sub, roles, siteIds: [], username: sub.replace(/[^a-z0-9_.-]/g, '').slice(0, 30), ...extra };
}

export const admin = caller('admin-1', ['admin']);
export const chair = caller('chair-1', ['chair']);
export const auditor = caller('auditor-1', ['auditor']);
export const reviewer = caller('reviewer-1', ['reviewer']);
export const operator = caller('op-spc', ['site-operator'], { siteIds: ['spc'] });
export const pi = caller('pi-1', ['researcher'], { username: 'alice' });
export const member = caller('member-1', ['researcher'], { username: 'bob' });
export const stranger = caller('stranger-1', ['researcher']);

const routes = Object.values(accountabilityApi).map((r) => ({ ...r, re: new RegExp(`^${r.path.replace(/\{([^}]+)\}/g, '(?<$1>[^/]+)')}$`) }));
let counter = 0;

export interface ApiResult {
  status: number;
  body: any;
  headers: Record<string, string>;
  text: string;
}

/** Calls the accountability function as `who` would through API Gateway (undefined: no token). */
export async function api(who: Caller | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
  const { handler } = require('../../../lambdas/accountability/handler') as typeof import('../../../lambdas/accountability/handler');
  const [pathOnly, qs] = path.split('?');
  const route = routes.find((r) => r.method === method && r.re.test(pathOnly));
  if (!route) throw new Error(`no route for ${method} ${pathOnly}`);
  const res = await handler({
    httpMethod: method,
    resource: route.path,
    path: pathOnly,
    pathParameters: route.re.exec(pathOnly)!.groups ?? null,
    queryStringParameters: qs ? Object.fromEntries(new URLSearchParams(qs)) : null,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: `req-${++counter}`, authorizer: who ? callerToContext(who) : undefined },
  } as unknown as APIGatewayProxyEvent);
  let parsed: unknown;
  try {
    parsed = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, body: parsed, headers: res.headers, text: res.body };
}

export const as = (who: Caller | undefined) => ({
  get: (path: string, headers?: Record<string, string>) => api(who, 'GET', path, undefined, headers),
  post: (path: string, body?: unknown, headers?: Record<string, string>) => api(who, 'POST', path, body, headers),
  put: (path: string, body?: unknown) => api(who, 'PUT', path, body),
});

/** A call made by an admin through the approval API, with an accountability policy when given. */
export async function newCall(policy?: unknown, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await approvalApiCall(admin, 'POST', '/v1/calls', callBody({ capacity: { 'spc/h200': 10_000, 'kisti6/gh200': 5_000 }, ...overrides }));
  if (res.status !== 201) throw new Error(`call: ${res.status} ${JSON.stringify(res.body)}`);
  if (policy) {
    const p = await as(admin).put(`/v1/calls/${res.body.id}/accountability`, policy);
    if (p.status !== 200) throw new Error(`policy: ${p.status} ${JSON.stringify(p.body)}`);
  }
  return res.body.id;
}

/**
 * An award as the approval flow makes it: the call's capacity reserved, then the allocation with the
 * accountability hook's first tranche, record and listing, in one transaction (lambdas/approval/flow.ts).
 * The e2e and flow tests go through the real flow; this is the same calls without the committee.
 */
export async function award(o: {
  callId: string;
  credits: Record<string, number>;
  startDate: string;
  months?: number;
  orgType?: string;
  institution?: string;
  field?: string;
  title?: string;
  provisioned?: boolean;
  proposalId?: string;
}): Promise<Allocation> {
  const id = newId('alloc');
  const awardMc = Object.fromEntries(Object.entries(o.credits).map(([k, v]) => [k, toMc(v)]));
  const endDate = endDateAfter(o.startDate, o.months ?? 12);
  const now = new Date(`${o.startDate}T08:00:00Z`);
  const orgType = o.orgType ?? 'university';
  const proposal = {
    id: o.proposalId ?? newId('prop'),
    title: o.title ?? 'Scaling laws for Korean LLMs',
    abstract: 'We study how Korean-language model quality scales.',
    field: o.field ?? 'computer-science',
    pi: { institution: o.institution ?? 'KAIST', orgType },
    workload: { purpose: 'pretraining' },
  };
  const acct = await accountabilityAtAward({ allocationId: id, callId: o.callId, proposal, awardMc, startDate: o.startDate, endDate, now });
  const { call, item } = await readCall(o.callId);
  const a = await createAllocation(
    {
      id,
      title: proposal.title,
      piSub: pi.sub,
      institution: proposal.pi.institution,
      orgType,
      field: proposal.field,
      proposalId: proposal.id,
      callId: o.callId,
      tier: 'standard',
      startDate: o.startDate,
      endDate,
      members: [{ sub: member.sub, role: 'member' }],
      awardsMc: acct.awardsMc,
    },
    { actor: { sub: 'system:approval-flow', role: 'system' }, requestId: `award-${id}`, now },
    { extraChanges: [callChange(item, reserve(call, { requestedMc: awardMc, awardMc, orgType: orgType as never }), 'call.capacity.reserve', {}), ...acct.extraChanges] },
  );
  if (!o.provisioned) return a;
  // as the connectors record it once the scheduler holds the accounts: the allocation becomes active
  const accounts = Object.keys(awardMc).map((k) => ({ resourceKey: k, siteId: k.split('/')[0], account: `kairr-${id.slice(-10)}-${k.split('/')[1]}` }));
  return (await recordProvisioned(id, accounts, { actor: { sub: 'system:connector', role: 'system' }, requestId: `prov-${id}`, now })).allocation;
}

/** Runs the daily job as its schedule would, at `iso` (the event's time is the job's clock). */
export async function runDaily(iso: string): Promise<any> {
  const { handler } = require('../../../lambdas/accountability/daily-job') as typeof import('../../../lambdas/accountability/daily-job');
  return handler({ id: `ev-${++counter}`, time: iso, 'detail-type': 'Scheduled Event', source: 'aws.events' });
}

export const TWO_TRANCHES = {
  progressReports: { atMonths: [1, 3, 9], wordLimit: 500 },
  finalReport: { withinDaysAfterEnd: 30, pageLimit: 3 },
  reminders: { daysBefore: 7 },
  graceDays: 14,
  resubmitDays: 14,
  wordsPerPage: 500,
  tranches: [
    { share: 0.5, releaseOn: 'start' },
    { share: 0.5, releaseOn: 'report-accepted' },
  ],
  idle: { threshold: 0.2, windowDays: 30, graceDays: 14, reclaimShare: 0.5, mode: 'chair', responseDays: 7, minimumCredits: 1 },
};

export function reportBody(extra: Record<string, unknown> = {}) {
  return {
    language: 'en',
    progress: 'We pretrained the 1B model on 40B tokens and evaluated it on KLUE.',
    problems: 'Data loading was slow at first.',
    nextPlan: 'Scale to 7B parameters.',
    outcomes: [
      { kind: 'publication', doi: 'https://doi.org/10.1145/3580305.3599256', title: 'Korean scaling laws', venue: 'KDD', year: 2026 },
      { kind: 'dataset', catalogueId: 'ds-kowiki' },
      { kind: 'people-trained', count: 2, level: 'phd' },
    ],
    ...extra,
  };
}

/** A draft proposal by the PI through the approval API (its PI name is what an opted-in listing shows). */
export async function draftProposal(callId: string): Promise<string> {
  const res = await approvalApiCall(pi, 'POST', '/v1/proposals', proposalBody(callId));
  if (res.status !== 201) throw new Error(`proposal: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

// Helpers for the approval e2e suites: HTTP against a KAIRR (the suite's local runtime, or one a
// test file starts itself), identities minted per test run, the approval state machine through the
// Step Functions API (DescribeExecution, GetExecutionHistory, ListExecutions), and condition waits
// with deadlines (never a fixed sleep).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { checkAgainstCatalogue } from '../support/response-check';
import { send } from './support/client';

export interface ApprovalTarget {
  apiUrl: string;
  tokens: Record<string, string>;
  tokenMintUrl?: string;
  /** Present when the target is a local runtime: its Step Functions endpoint and the approval machine. */
  sfn?: { endpoint: string; region: string; stateMachineArn: string };
}

/** The e2e suite's target (global setup), with the local runtime's Step Functions details when it has them. */
export function suiteTarget(): ApprovalTarget {
  const file = process.env.KAIRR_E2E_TARGET!;
  const t = JSON.parse(readFileSync(file, 'utf8')) as ApprovalTarget & { local?: boolean };
  // The global setup keeps the runtime's state (local.json) beside the target file.
  const info = join(dirname(file), 'state', 'local.json');
  if (t.local && existsSync(info)) {
    const i = JSON.parse(readFileSync(info, 'utf8')) as { sfnEndpoint: string; region: string; stateMachines: Record<string, string> };
    const arn = Object.entries(i.stateMachines).find(([id]) => /^Approval/.test(id))?.[1];
    if (arn) t.sfn = { endpoint: i.sfnEndpoint, region: i.region, stateMachineArn: arn };
  }
  return t;
}

export interface Res {
  status: number;
  body: any;
  headers: Headers;
}

export class Client {
  constructor(
    readonly target: ApprovalTarget,
    readonly token: string | undefined,
    readonly sub: string,
  ) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
    const h: Record<string, string> = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await send(`${this.target.apiUrl}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    // Held to the route's response spec, as every answer through client.ts call() is.
    checkAgainstCatalogue({ method, path, status: res.status, contentType: res.headers.get('content-type'), text });
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }
  get = (path: string) => this.call('GET', path);
  post = (path: string, body?: unknown, headers?: Record<string, string>) => this.call('POST', path, body, headers);
  patch = (path: string, body?: unknown) => this.call('PATCH', path, body);
}

export const runId = randomBytes(3).toString('hex');

/** A fresh identity for this run (sub is unique per run, so loads and lists start empty). */
export async function identity(t: ApprovalTarget, name: string, groups: string[], extra: Record<string, unknown> = {}): Promise<Client> {
  if (!t.tokenMintUrl) throw new Error('This target has no token mint; the approval e2e suite needs one to act as several reviewers');
  const sub = `${name}-${runId}`;
  const res = await send(
    t.tokenMintUrl,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub, groups, preferred_username: name.replace(/[^a-z0-9]/g, '').slice(0, 20) || 'user', email: `${sub}@e2e.example`, ...extra }),
    },
    true, // minting a dev token changes nothing
  );
  if (!res.ok) throw new Error(`mint failed: ${res.status}`);
  return new Client(t, ((await res.json()) as { token: string }).token, sub);
}

export function devClient(t: ApprovalTarget, role: string): Client {
  const sub = { researcher: 'dev-researcher', reviewer: 'dev-reviewer', chair: 'dev-chair', admin: 'dev-admin', auditor: 'dev-auditor', 'site-operator': 'dev-site-operator' }[role] ?? role;
  return new Client(t, t.tokens[role], sub);
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- fixtures ---------------------------------------------------------------------------------

export function callBody(pool: { sub: string; institution: string; email?: string; orgId?: string }[], overrides: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    title: `E2E call ${runId}`,
    opensAt: new Date(now - 3600_000).toISOString(),
    closesAt: new Date(now + 30 * 86400_000).toISOString(),
    capacity: { 'spc/h200': 10_000, 'kisti6/gh200': 5_000 },
    tiers: { starter: { maxCredits: 100 }, standard: { maxCredits: 2_000, reviewers: 2, minReviews: 2 }, flagship: { reviewers: 3, minReviews: 2 } },
    eligibleOrgTypes: ['university', 'research-institute', 'startup'],
    maxRequestCredits: 5_000,
    reviewerPool: pool.map((p) => ({ sub: p.sub, name: `Reviewer ${p.sub}`, institution: p.institution, fields: ['computer-science'], maxLoad: 5, ...(p.email ? { email: p.email } : {}), ...(p.orgId ? { orgId: p.orgId } : {}) })),
    reviewDeadlineHours: 72,
    ...overrides,
  };
}

export function proposalBody(callId: string, overrides: Record<string, unknown> = {}) {
  return {
    callId,
    title: 'Scaling laws for Korean LLMs',
    abstract: 'We study how Korean-language model quality scales with data and parameters, and release the checkpoints.',
    field: 'computer-science',
    pi: { name: 'Kim Ji-woo', email: `jiwoo-${runId}@kaist.example`, institution: 'KAIST', orgType: 'university' },
    team: [{ name: 'Lee Min', email: `min-${runId}@kaist.example`, institution: 'KAIST', role: 'student' }],
    workload: { purpose: 'pretraining', modelParameters: 7e9, precision: 'bf16', dataset: { sizeGB: 2000, location: { siteId: 'spc' } }, memoryPerGpuGB: 120, interconnect: 'high', trainingTokens: 2e11 },
    credits: { 'spc/h200': 1_000 },
    durationMonths: 6,
    datasets: [{ name: 'Korean web corpus' }],
    models: [],
    justification: 'Pretraining a 7B model on 200B tokens needs about a thousand H200 GPU-hours at 40% MFU, by our measurement.',
    ...overrides,
  };
}

export function reviewBody(score = 4, recommendation = 'approve') {
  return {
    scores: { merit: score, feasibility: score, impact: score, resourceJustification: score },
    comments: `Solid plan; score ${score}. The resource estimate is well argued.`,
    confidentialComments: 'For the committee only.',
    recommendation,
  };
}

export async function createCall(admin: Client, body: Record<string, unknown>): Promise<any> {
  const res = await admin.post('/v1/calls', body);
  if (res.status !== 201) throw new Error(`create call: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createProposal(researcher: Client, body: Record<string, unknown>): Promise<any> {
  const res = await researcher.post('/v1/proposals', body);
  if (res.status !== 201) throw new Error(`create proposal: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function stateOf(who: Client, id: string, state: string, timeoutMs?: number): Promise<any> {
  return until(
    `proposal ${id} to be ${state}`,
    async () => {
      const r = await who.get(`/v1/proposals/${id}`);
      if (r.body?.state === 'error' && state !== 'error') throw new Error(`proposal ${id} is in error: ${JSON.stringify(r.body.error)}`);
      return r.body?.state === state ? r.body : undefined;
    },
    timeoutMs,
  );
}

export async function stageOf(who: Client, id: string, stage: string): Promise<any> {
  return until(`proposal ${id} at stage ${stage}`, async () => {
    const r = await who.get(`/v1/proposals/${id}`);
    if (r.body?.state === 'error') throw new Error(`proposal ${id} is in error: ${JSON.stringify(r.body.error)}`);
    return r.body?.stage === stage ? r.body : undefined;
  });
}

/** The open assignments of a proposal, as staff see them, once there are `count`. */
export async function openPanel(staff: Client, id: string, count: number, round = 1): Promise<string[]> {
  return until(`${count} open assignments on ${id}`, async () => {
    const r = await staff.get(`/v1/proposals/${id}/reviews`);
    const open = (r.body?.assignments ?? []).filter((a: any) => a.status === 'assigned' && a.round === round).map((a: any) => a.reviewerSub);
    return open.length === count ? open : undefined;
  });
}

export async function review(reviewer: Client, id: string, score = 4): Promise<void> {
  await until(`${reviewer.sub}'s assignment on ${id}`, async () => (await reviewer.get('/v1/reviews/assignments')).body?.items?.some((a: any) => a.proposalId === id && a.status === 'assigned'));
  const res = await reviewer.post(`/v1/proposals/${id}/reviews`, reviewBody(score));
  if (res.status !== 201) throw new Error(`review by ${reviewer.sub}: ${res.status} ${JSON.stringify(res.body)}`);
}

// ---- the state machine, through the Step Functions API -------------------------------------------

export function sfnClient(t: ApprovalTarget): SFNClient | undefined {
  if (!t.sfn) return undefined;
  return new SFNClient({ endpoint: t.sfn.endpoint, region: t.sfn.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 2 });
}

export function executionArn(t: ApprovalTarget, proposalId: string, round = 1): string {
  return `${t.sfn!.stateMachineArn.replace(':stateMachine:', ':execution:')}:${proposalId}-r${round}`;
}

/** Waits until the proposal's execution of `round` has ended; returns its status and the states it entered. */
export async function finished(t: ApprovalTarget, proposalId: string, round = 1): Promise<{ status: string; states: string[]; events: HistoryEvent[] } | undefined> {
  const client = sfnClient(t);
  if (!client) return undefined;
  try {
    const arn = executionArn(t, proposalId, round);
    const d = await until(`execution ${arn} to end`, async () => {
      const out = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
      return out.status !== 'RUNNING' ? out : undefined;
    });
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new GetExecutionHistoryCommand({ executionArn: arn, nextToken, maxResults: 500 }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: t.sfn!.stateMachineArn, maxResults: 1000 }));
    if (!(listed.executions ?? []).some((e) => e.executionArn === arn)) throw new Error(`ListExecutions does not list ${arn}`);
    return { status: d.status!, states: events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!), events };
  } finally {
    client.destroy();
  }
}

// The award-plan endpoint in-process against DynamoDB Local: it plans a call's reviewed proposals
// with HiGHS, stores plan and inputs, audits chair overrides, and names infeasible floors.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { commit } from '../../../lambdas/shared/store/write-path';
import { callItem, proposalItem } from '../../../lambdas/approval/store';
import type { Call, Proposal } from '../../../lambdas/domain/approval/model';
import { handler } from '../../../lambdas/recommendation/award-plan-handler';
import { createOrg, verifyOrg } from '../../../lambdas/identity/orgs';
import type { Affiliation } from '../../../lambdas/domain/identity/affiliation';

let t: TestTables;
// A verified registry org per org type (floors count only verified affiliations), and one that is not.
const ORG_OF_TYPE: Record<string, string> = { university: 'uni', sme: 'sme-co', startup: 'start-co', 'research-institute': 'inst', enterprise: 'big-co', 'public-agency': 'agency' };
beforeAll(async () => {
  useStageConfig('local');
  t = await createTestTables();
  const ctx = { actor: { sub: 'admin-1', role: 'admin' }, requestId: 'seed', reason: 'registry' };
  for (const [orgType, orgId] of Object.entries(ORG_OF_TYPE)) {
    await createOrg({ orgId, names: { ko: orgId, en: orgId }, orgType: orgType as 'university', emailDomains: [`${orgId}.example`], homeOrganizations: [], entityIds: [] }, ctx, () => []);
    await verifyOrg(orgId, true, ctx);
  }
  await createOrg({ orgId: 'unchecked', names: { ko: 'u', en: 'Unchecked' }, orgType: 'sme', emailDomains: ['unchecked.example'], homeOrganizations: [], entityIds: [] }, ctx, () => []);
});
afterAll(async () => {
  await t.drop();
});

const now = new Date().toISOString();

function call(id: string, capacity: Record<string, number>, floors: Call['fairnessFloors'] = {}): Call {
  return {
    id,
    title: 'Test call',
    description: 'for the award plan',
    kind: 'open',
    opensAt: '2026-01-01T00:00:00.000Z',
    closesAt: '2026-02-01T00:00:00.000Z',
    capacityMc: Object.fromEntries(Object.entries(capacity).map(([k, v]) => [k, v * 1000])),
    awardedMc: {},
    awardedByOrgTypeMc: {},
    tiers: { starter: { maxMc: 0 }, standard: { maxMc: 1e9, reviewers: 2, minReviews: 2 }, flagship: { reviewers: 3, minReviews: 3 } },
    eligibleOrgTypes: ['university', 'sme', 'startup', 'research-institute', 'enterprise', 'public-agency'],
    maxRequestMc: 1e9,
    fairnessFloors: floors,
    reviewerPool: [],
    reviewDeadlineHours: 72,
    decisionDeadlineDays: 14,
    createdAt: now,
    updatedAt: now,
    createdBy: 'admin',
  };
}

function proposal(
  id: string,
  callId: string,
  orgType: Proposal['pi'] extends infer P ? (P extends { orgType: infer O } ? O : never) : never,
  score: number,
  requested: Record<string, number>,
  org: string | null = ORG_OF_TYPE[orgType],
  team: Proposal['team'] = [],
): Proposal {
  const affiliation: Affiliation = org ? { status: 'verified', orgId: org, orgType, orgName: org, source: 'email', candidates: [org], evidence: [], resolvedAt: now } : { status: 'unmatched', candidates: [], evidence: [], resolvedAt: now };
  return {
    id,
    callId,
    ownerSub: `owner-${id}`,
    state: 'in-review',
    stage: 'awaiting-decision',
    round: 1,
    title: `Proposal ${id}`,
    pi: { name: 'PI', email: 'pi@example.kr', institution: 'Uni', orgType, username: 'alice', affiliation },
    team,
    requestedMc: Object.fromEntries(Object.entries(requested).map(([k, v]) => [k, v * 1000])),
    datasets: [],
    models: [],
    createdAt: now,
    updatedAt: now,
    submittedAt: now,
    reviewSummary: { count: 2, minReviews: 2, quorum: true, means: { merit: score, feasibility: score, impact: score, resourceJustification: score }, overall: score, spread: 0, recommendations: {} },
  };
}

async function seed(c: Call, ps: Proposal[]) {
  const ctx = { actor: { sub: 'seed', role: 'system' }, requestId: 'seed' };
  await commit(ctx, { changes: [{ subject: { type: 'call', id: c.id }, before: null, after: callItem(c), action: 'call.create' }] });
  for (const p of ps) await commit(ctx, { changes: [{ subject: { type: 'proposal', id: p.id }, before: null, after: proposalItem(p), action: 'proposal.seed' }] });
}

function event(method: string, resource: string, pathParameters: Record<string, string>, roles: string, body?: unknown, sub = 'chair-1', query: Record<string, string> | null = null, affiliation?: string): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    resource,
    path: resource,
    pathParameters,
    queryStringParameters: query,
    headers: {},
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: `req-${Math.random()}`, authorizer: { sub, roles, siteIds: '', ...(affiliation ? { affiliation } : {}) } },
  } as unknown as APIGatewayProxyEvent;
}

const parse = (r: { statusCode: number; body: string }) => ({ status: r.statusCode, body: JSON.parse(r.body || 'null') });

describe('POST /v1/calls/{callId}/award-plan', () => {
  it('plans the reviewed proposals: the hand-computed optimum, stored and audited', async () => {
    // Capacity 1000 on spc/h200; A (score 5) asks 800, B (score 4) asks 500, C (score 3) asks 200.
    // All or nothing (minimum viable fraction 1): A+C = 5*800 + 3*200 = 4600 fits exactly and beats
    // A alone (4000), B+C (2600) and A+B (does not fit).
    await seed(call('call-a', { 'spc/h200': 1000 }), [
      proposal('prop-a', 'call-a', 'university', 5, { 'spc/h200': 800 }),
      proposal('prop-b', 'call-a', 'sme', 4, { 'spc/h200': 500 }),
      proposal('prop-c', 'call-a', 'startup', 3, { 'spc/h200': 200 }),
    ]);
    const res = parse(await handler(event('POST', '/v1/calls/{callId}/award-plan', { callId: 'call-a' }, 'chair', { minViableFraction: 1 })));
    expect(res.status).toBe(201);
    expect(res.body.plan.objective).toBeCloseTo(4600, 6);
    const awarded = Object.fromEntries(res.body.plan.proposals.map((p: { proposalId: string; awardedTotal: number }) => [p.proposalId, p.awardedTotal]));
    expect(awarded).toEqual({ 'prop-a': 800, 'prop-b': 0, 'prop-c': 200 });
    expect(res.body.input.proposals.map((p: { id: string }) => p.id)).toEqual(['prop-a', 'prop-b', 'prop-c']);
    // Each outcome is explained by its binding constraint.
    for (const p of res.body.plan.proposals) expect(p).toEqual(expect.objectContaining({ binding: expect.any(Object), explanation: expect.any(String) }));

    const got = parse(await handler(event('GET', '/v1/calls/{callId}/award-plans/{planId}', { callId: 'call-a', planId: res.body.planId }, 'auditor', undefined, 'aud-1')));
    expect(got.status).toBe(200);
    expect(got.body.input).toEqual(res.body.input); // anyone can re-run it from the stored inputs

    const ev = await t.doc.send(new QueryCommand({ TableName: t.names.audit, KeyConditionExpression: 'pk = :s', ExpressionAttributeValues: { ':s': `award-plan/${res.body.planId}` } }));
    expect((ev.Items ?? []).map((e) => e.action)).toEqual(['award-plan.create']);
  });

  it('records a chair override with its reason (audited) and shows the rule it breaks', async () => {
    const plan = parse(await handler(event('POST', '/v1/calls/{callId}/award-plan', { callId: 'call-a' }, 'chair', { minViableFraction: 1 })));
    const over = parse(
      await handler(event('POST', '/v1/calls/{callId}/award-plans/{planId}/overrides', { callId: 'call-a', planId: plan.body.planId }, 'chair', { proposalId: 'prop-b', resourceKey: 'spc/h200', credits: 500, reason: 'strategic priority' })),
    );
    expect(over.status).toBe(200);
    expect(over.body.overrides).toEqual([expect.objectContaining({ proposalId: 'prop-b', credits: 500, reason: 'strategic priority', by: 'chair-1' })]);
    expect(over.body.plan.violations.length).toBeGreaterThan(0); // 800 + 500 + 200 > 1000
    const ev = await t.doc.send(new QueryCommand({ TableName: t.names.audit, KeyConditionExpression: 'pk = :s', ExpressionAttributeValues: { ':s': `award-plan/${plan.body.planId}` } }));
    expect((ev.Items ?? []).map((e) => [e.action, e.reason])).toEqual([
      ['award-plan.create', null],
      ['award-plan.override', 'strategic priority'],
    ]);
    const bad = parse(
      await handler(event('POST', '/v1/calls/{callId}/award-plans/{planId}/overrides', { callId: 'call-a', planId: plan.body.planId }, 'chair', { proposalId: 'prop-zzz', resourceKey: 'spc/h200', credits: 1, reason: 'typo' })),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('proposalId');
  });

  it('names the floors that cannot hold together (422)', async () => {
    await seed(call('call-f', { 'spc/h200': 1000 }, { sme: 0.7, university: 0.6 }), [proposal('prop-f1', 'call-f', 'sme', 4, { 'spc/h200': 900 }), proposal('prop-f2', 'call-f', 'university', 4, { 'spc/h200': 900 })]);
    const res = parse(await handler(event('POST', '/v1/calls/{callId}/award-plan', { callId: 'call-f' }, 'chair', {})));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('infeasible_floors');
    expect(res.body.error.details.map((d: { path: string }) => d.path).join(' ')).toMatch(/sme/);
    expect(res.body.error.details.map((d: { path: string }) => d.path).join(' ')).toMatch(/university/);
  });

  it('refuses researchers (403) and answers 404 for an unknown call and 422 when nothing is reviewed', async () => {
    expect(parse(await handler(event('POST', '/v1/calls/{callId}/award-plan', { callId: 'call-a' }, 'researcher', {}, 'r-1'))).status).toBe(403);
    expect(parse(await handler(event('POST', '/v1/calls/{callId}/award-plan', { callId: 'call-none' }, 'chair', {}))).status).toBe(404);
    await seed(call('call-empty', { 'spc/h200': 10 }), []);
    const empty = parse(await handler(event('POST', '/v1/calls/{callId}/award-plan', { callId: 'call-empty' }, 'admin', {}, 'admin-1')));
    expect(empty.status).toBe(422);
    expect(empty.body.error.code).toBe('nothing_to_plan');
  });
});

describe('GET /v1/calls/{callId}/award-plans', () => {
  const list = (callId: string, query: Record<string, string> | null, roles = 'auditor') => handler(event('GET', '/v1/calls/{callId}/award-plans', { callId }, roles, undefined, 'aud-1', query)).then(parse);

  it('pages through the stored plans newest first, each plan exactly once', async () => {
    await seed(call('call-p', { 'spc/h200': 1000 }), [proposal('prop-p1', 'call-p', 'university', 5, { 'spc/h200': 400 })]);
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push(parse(await handler(event('POST', '/v1/calls/{callId}/award-plan', { callId: 'call-p' }, 'chair', {}))).body.planId);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await list('call-p', { limit: '2', ...(token ? { nextToken: token } : {}) });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((p: { planId: string }) => p.planId));
      token = page.body.nextToken;
      pages++;
    } while (token && pages < 10);
    expect(seen).toEqual([...created].reverse());
    expect(pages).toBe(3);
  });

  it('refuses a token issued for another call, a bad limit, and researchers', async () => {
    const first = await list('call-p', { limit: '1' });
    expect(first.body.nextToken).toEqual(expect.any(String));
    const foreign = await list('call-a', { nextToken: first.body.nextToken });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.details[0].path).toBe('query.nextToken');
    const zero = await list('call-p', { limit: '0' });
    expect(zero.status).toBe(400);
    expect(zero.body.error.details[0].path).toMatch(/limit/);
    expect((await list('call-p', null, 'researcher')).status).toBe(403);
  });
});

// ---- identity: floors count verified affiliations only; a chair's conflicts (issue 11, sections 2 and 5) ----
describe('award plans and trust', () => {
  it('a proposal whose PI\'s affiliation is not verified is planned as "unverified": it counts towards no floor', async () => {
    // 1000 credits, 60% kept for SMEs. The only "SME" asking is unmatched (it typed sme), the other
    // SME org is in the registry but not verified: neither counts, so the floor is capped by requests (0).
    await seed(call('call-u', { 'spc/h200': 1000 }, { sme: 0.6 }), [
      proposal('prop-u1', 'call-u', 'sme', 5, { 'spc/h200': 700 }, null),
      proposal('prop-u2', 'call-u', 'sme', 4, { 'spc/h200': 300 }, 'unchecked'),
      proposal('prop-u3', 'call-u', 'university', 3, { 'spc/h200': 300 }),
    ]);
    const res = parse(await handler(event('POST', '/v1/calls/{callId}/award-plan', { callId: 'call-u' }, 'chair', { minViableFraction: 1 })));
    expect(res.status).toBe(201);
    expect(Object.fromEntries(res.body.input.proposals.map((p: any) => [p.id, p.orgType]))).toEqual({ 'prop-u1': 'unverified', 'prop-u2': 'unverified', 'prop-u3': 'university' });
    expect(res.body.plan.floors).toEqual([expect.objectContaining({ orgType: 'sme', awarded: 0, status: 'capped-by-requests' })]);
  });

  describe("a chair's conflicts", () => {
    const plans = '/v1/calls/{callId}/award-plans/{planId}';
    let planId: string;
    beforeAll(async () => {
      await seed(call('call-c', { 'spc/h200': 1000 }), [
        proposal('prop-c1', 'call-c', 'university', 5, { 'spc/h200': 400 }),
        proposal('prop-c2', 'call-c', 'sme', 4, { 'spc/h200': 400 }),
        proposal('prop-c3', 'call-c', 'startup', 3, { 'spc/h200': 400 }, 'start-co', [{ name: 'C', email: 'chair-team@kairr.example', institution: 'x', role: 'co-investigator' }]),
      ]);
      planId = parse(await handler(event('POST', '/v1/calls/{callId}/award-plan', { callId: 'call-c' }, 'admin', { minViableFraction: 1 }, 'admin-1'))).body.planId;
    });
    // this chair belongs to "uni" (prop-c1's PI's org) by a verified e-mail
    const uniChair = JSON.stringify([{ source: 'email', value: 'uni.example' }]);

    it("a conflicted chair's view leaves out the proposals they are conflicted on (org, team); admins, auditors and other chairs see all", async () => {
      const mine = parse(await handler({ ...event('GET', plans, { callId: 'call-c', planId }, 'chair', undefined, 'chair-uni', null, uniChair) }));
      expect(mine.status).toBe(200);
      expect(mine.body.masked).toBe(1);
      expect(mine.body.input.proposals.map((p: any) => p.id)).toEqual(['prop-c2', 'prop-c3']);
      expect(mine.body.plan.proposals.map((p: any) => p.proposalId)).toEqual(['prop-c2', 'prop-c3']);
      expect(JSON.stringify(mine.body)).not.toContain('prop-c1');
      const onTeam = event('GET', plans, { callId: 'call-c', planId }, 'chair', undefined, 'chair-team');
      (onTeam.requestContext.authorizer as Record<string, string>).email = 'chair-team@kairr.example';
      expect(parse(await handler(onTeam)).body.plan.proposals.map((p: any) => p.proposalId)).toEqual(['prop-c1', 'prop-c2']);
      for (const [roles, sub] of [
        ['admin', 'admin-1'],
        ['auditor', 'aud-1'],
        ['chair', 'chair-free'],
        ['chair,admin', 'chair-uni'],
      ]) {
        const all = parse(await handler(event('GET', plans, { callId: 'call-c', planId }, roles, undefined, sub, null, sub === 'chair-uni' ? uniChair : undefined)));
        expect(all.body.masked).toBeUndefined();
        expect(all.body.plan.proposals).toHaveLength(3);
      }
    });

    it("refuses a conflicted chair's override of such a proposal, and takes another chair's", async () => {
      const refused = parse(await handler(event('POST', `${plans}/overrides`, { callId: 'call-c', planId }, 'chair', { proposalId: 'prop-c1', resourceKey: 'spc/h200', credits: 0, reason: 'not them' }, 'chair-uni', null, uniChair)));
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(/conflicted on \(prop-c1\)/);
      const own = parse(await handler(event('POST', `${plans}/overrides`, { callId: 'call-c', planId }, 'chair', { proposalId: 'prop-c2', resourceKey: 'spc/h200', credits: 100, reason: 'trim it' }, 'chair-uni', null, uniChair)));
      expect(own.status).toBe(200);
      expect(own.body.plan.proposals.map((p: any) => p.proposalId)).toEqual(['prop-c2', 'prop-c3']);
      const other = parse(await handler(event('POST', `${plans}/overrides`, { callId: 'call-c', planId }, 'chair', { proposalId: 'prop-c1', resourceKey: 'spc/h200', credits: 200, reason: 'halve it' }, 'chair-free')));
      expect(other.status).toBe(200);
    });
  });
});
// ---- end identity ----

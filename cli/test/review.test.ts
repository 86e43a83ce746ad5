// kairr review list | submit | conflict and kairr decide, against a fake API. Both sides of the
// fake are held to the approval API's own schemas: what the CLI sends must pass the route's strict
// body schema, and what the fake answers must be what the route promises.
import { reviewsApi } from '../../lambdas/approval/reviews-api';
import type { RouteSpec } from '../../lambdas/shared/http/spec';
import { parseCredits } from '../src/credits';
import { fakeApi, kairr, type Recorded } from './harness';

const env = { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' };
const P = `prop-${'c'.repeat(26)}`;
const assignment = { assignmentId: `asg-${'d'.repeat(26)}`, proposalId: P, callId: `call-${'e'.repeat(26)}`, title: 'Scaling laws', round: 1, status: 'assigned', assignedAt: '2026-12-01T00:00:00Z', deadline: '2026-12-04T00:00:00Z' };
const decided = {
  proposalId: P,
  state: 'approved',
  decision: { round: 1, outcome: 'approve', credits: { 'spc/h200': 1000 }, reason: 'Strong', decidedAt: '2026-12-03T00:00:00Z', automatic: false },
  reviewSummary: null,
  reviews: [],
  allocationId: `alloc-${'f'.repeat(26)}`,
};

const bodyOk = (route: keyof typeof reviewsApi, r: Recorded) => {
  const parsed = (reviewsApi[route] as RouteSpec).body!.safeParse(r.body);
  if (!parsed.success) throw new Error(`${route} body: ${JSON.stringify(parsed.error.issues)}`);
};
const answerOk = (route: keyof typeof reviewsApi, status: number, body: unknown) =>
  expect((reviewsApi[route].responses as Record<number, { schema?: { safeParse(x: unknown): { success: boolean } } }>)[status].schema!.safeParse(body).success).toBe(true);

it('the fake answers are what the routes promise', () => {
  answerOk('listAssignments', 200, { items: [assignment] });
  answerOk('submitReview', 201, { ...assignment, status: 'submitted' });
  answerOk('decide', 200, decided);
  answerOk('declareConflict', 201, { proposalId: P, declaredAt: '2026-12-03T00:00:00Z', reassigned: true });
});

it('review list: a table of assignments, filtered by status', async () => {
  const api = fakeApi({ 'GET /v1/reviews/assignments': [200, { items: [assignment] }] });
  const r = await kairr(['review', 'list', '--status', 'assigned'], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  expect(new URL(api.calls[0].url).searchParams.get('status')).toBe('assigned');
  expect(r.out).toMatch(/^PROPOSAL\s+TITLE\s+ROUND\s+STATUS\s+DEADLINE\n/);
  expect(r.out).toContain(`${P}  Scaling laws`);
  expect((await kairr(['review', 'list', '--status', 'lost'], { env, fetch: api.fetch })).code).toBe(2);
});

it('review submit: a file and flags (flags win), sent once with an Idempotency-Key as the strict body the API takes', async () => {
  const api = fakeApi({ [`POST /v1/proposals/${P}/reviews`]: (rec) => (bodyOk('submitReview', rec), [201, { ...assignment, status: 'submitted' }]) });
  const file = JSON.stringify({ scores: { merit: 2, feasibility: 4, impact: 4, resourceJustification: 3 }, comments: 'A careful plan; the token budget is well argued.', recommendation: 'revise' });
  const r = await kairr(['review', 'submit', P, '-f', '-', '--merit', '5', '--recommendation', 'approve'], { env, fetch: api.fetch, stdin: file });
  expect(r.code).toBe(0);
  expect(api.calls[0].body).toEqual({ scores: { merit: 5, feasibility: 4, impact: 4, resourceJustification: 3 }, comments: 'A careful plan; the token budget is well argued.', recommendation: 'approve' });
  expect(api.calls[0].headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  expect(r.out).toMatch(/status:\s+submitted/);
  expect((await kairr(['review', 'submit', P, '--merit', '6'], { env, fetch: api.fetch })).code).toBe(2);
});

it("review submit: the API's 400 naming a missing field is printed, exit 1", async () => {
  const api = fakeApi({ [`POST /v1/proposals/${P}/reviews`]: [400, { error: { code: 'validation_failed', message: 'The request is invalid', details: [{ path: 'comments', problem: 'is required' }] } }] });
  const r = await kairr(['review', 'submit', P, '--merit', '3'], { env, fetch: api.fetch });
  expect(r.code).toBe(1);
  expect(r.err).toContain('comments');
});

it('review conflict: the reason is sent; the reassignment shown', async () => {
  const api = fakeApi({ [`POST /v1/proposals/${P}/conflicts`]: (rec) => (bodyOk('declareConflict', rec), [201, { proposalId: P, declaredAt: '2026-12-03T00:00:00Z', reassigned: true }]) });
  const r = await kairr(['review', 'conflict', P, '--reason', 'I co-authored with the PI'], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/reassigned:\s+yes/);
});

it('decide approve: credits per resource (repeatable), the body the API takes, the allocation shown', async () => {
  const api = fakeApi({ [`POST /v1/proposals/${P}/decision`]: (rec) => (bodyOk('decide', rec), [200, decided]) });
  const r = await kairr(['decide', P, 'approve', '--credits', 'spc/h200=1000', '--credits', 'kisti6/gh200=200', '--reason', 'Strong; GH200 for the analysis'], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  expect(api.calls[0].body).toEqual({ decision: 'approve', credits: { 'spc/h200': 1000, 'kisti6/gh200': 200 }, reason: 'Strong; GH200 for the analysis' });
  expect(r.out).toMatch(/allocation:\s+alloc-f+/);
});

it('decide: usage errors before any request (approve without credits, credits with reject, a bad decision or credit)', async () => {
  const api = fakeApi({});
  for (const args of [
    [P, 'approve', '--reason', 'Fine work'],
    [P, 'reject', '--credits', 'spc/h200=5', '--reason', 'Out of scope'],
    [P, 'maybe', '--reason', 'Hmm'],
    [P, 'approve', '--credits', 'h200:5', '--reason', 'Fine work'],
  ])
    expect((await kairr(['decide', ...args], { env, fetch: api.fetch })).code).toBe(2);
  expect(api.calls).toHaveLength(0);
  expect(parseCredits('spc/h200=1.5,kisti6/gh200=2')).toEqual({ 'spc/h200': 1.5, 'kisti6/gh200': 2 });
});

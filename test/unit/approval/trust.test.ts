// Issue 11, sections 2 and 5, through the approval API and the real ASL on the local Step
// Functions: a proposal's organisation comes from the PI's verified claims, not from what they
// type; an affiliation that is not verified counts towards no fairness floor until an admin
// verifies it; conflicts of interest follow registry ids; a conflicted chair sees no scores.
import { admin, approvalFixture, as, assignmentOf, caller, chair, memberOf, newCall, newProposal, panel, pool, reviewBody, until, type ApprovalFixture } from './support';
import type { Caller } from '../../../lambdas/shared/http/caller';

let fx: ApprovalFixture;
beforeAll(async () => {
  fx = await approvalFixture();
});
afterAll(async () => {
  await fx?.stop();
});

let n = 0;
const POOL = pool([
  { sub: 'tr-rev-postech', institution: 'POSTECH' },
  { sub: 'tr-rev-unist', institution: 'UNIST' },
  { sub: 'tr-rev-kaist', institution: 'KAIST' },
]);

async function awaitingDecision(r: Caller, callId: string, overrides: Record<string, unknown> = {}) {
  const p = await newProposal(r, callId, overrides);
  expect((await as(r).post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
  for (const s of await panel(p.id, 2)) {
    const who = caller(s, ['reviewer']);
    await assignmentOf(who, p.id);
    expect((await as(who).post(`/v1/proposals/${p.id}/reviews`, reviewBody())).status).toBe(201);
  }
  await until('awaiting a decision', async () => ((await as(admin).get(`/v1/proposals/${p.id}`)).body.stage === 'awaiting-decision' ? true : undefined));
  return p;
}

const approve = (who: Caller, id: string, credits: number) => as(who).post(`/v1/proposals/${id}/decision`, { decision: 'approve', credits: { 'spc/h200': credits }, reason: 'Fund it.' });

describe('the organisation a proposal counts for', () => {
  it('comes from verified claims: what the PI types is a display name, and a different declared type is flagged', async () => {
    const call = await newCall({ reviewerPool: POOL });
    const r = memberOf('KAIST', `tr-pi-${++n}`);
    const p = await newProposal(r, call.id, { pi: { name: 'Kim', email: 'kim@anything.example', institution: 'Seoul National University', orgType: 'enterprise' } });
    expect(p.pi.affiliation).toMatchObject({ status: 'verified', orgId: 'kaist', orgType: 'university', source: 'email', evidence: [{ source: 'email', value: 'kaist.example' }] });
    // "enterprise" is not eligible for this call, but the registry says university: it may be submitted
    expect((await as(r).post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
    const staff = (await as(admin).get(`/v1/proposals/${p.id}`)).body;
    expect(staff.affiliationFlags).toEqual([{ code: 'org-type-differs', message: expect.stringMatching(/declared "enterprise"; the registry says KAIST is "university"/) }]);
    await as(r).post(`/v1/proposals/${p.id}/withdraw`);
  });

  it('refuses an org the PI asks for that their claims do not show', async () => {
    const call = await newCall({ reviewerPool: POOL });
    const res = await as(memberOf('KAIST', `tr-pi-${++n}`)).post('/v1/proposals', { callId: call.id, title: 'A proposal title', pi: { name: 'Kim', email: 'k@x.example', institution: 'POSTECH', orgType: 'university', orgId: 'postech' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'pi.orgId', problem: expect.stringMatching(/^is not an organisation your verified claims/) }]);
  });

  it('an unmatched affiliation may apply, is flagged to the chair, and counts towards no floor until an admin verifies it', async () => {
    // 1000 credits, half kept for universities
    const call = await newCall({ reviewerPool: POOL, capacity: { 'spc/h200': 1_000 }, fairnessFloors: { university: 0.5 } });
    const unmatched = caller(`tr-unmatched-${++n}`, ['researcher']); // no verified claim the registry knows
    const p1 = await awaitingDecision(unmatched, call.id, { credits: { 'spc/h200': 600 } });
    const seen = (await as(chair).get(`/v1/proposals/${p1.id}`)).body;
    expect(seen.pi.affiliation).toMatchObject({ status: 'unmatched' });
    expect(seen.affiliationFlags.map((f: any) => f.code)).toEqual(['affiliation-unmatched']);
    // it declared "university", but cannot take what the university floor holds: 500 left for it
    const tooMuch = await approve(chair, p1.id, 600);
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error.details).toEqual([{ path: 'credits.spc/h200', problem: expect.stringMatching(/only 500 are left for an affiliation that is not verified/) }]);
    expect((await approve(chair, p1.id, 200)).status).toBe(200);
    const afterFirst = (await as(admin).get(`/v1/calls/${call.id}`)).body;
    expect(afterFirst.awardedByOrgType).toEqual({ unverified: { 'spc/h200': 200 } });

    // an admin records the same person's affiliation: from now on their awards count for it
    const { setAffiliation } = require('../../../lambdas/identity/people') as typeof import('../../../lambdas/identity/people');
    await setAffiliation(unmatched.sub, 'kaist', { actor: { sub: 'admin-1', role: 'admin' }, requestId: 'verify', reason: 'confirmed by the university' });
    const p2 = await awaitingDecision(unmatched, call.id, { credits: { 'spc/h200': 700 } });
    expect((await approve(chair, p2.id, 700)).status).toBe(200);
    const afterSecond = (await as(admin).get(`/v1/calls/${call.id}`)).body;
    expect(afterSecond.awardedByOrgType).toEqual({ unverified: { 'spc/h200': 200 }, university: { 'spc/h200': 700 } });
  });
});

describe('conflicts of interest by registry ids', () => {
  it("a PI cannot exclude a rival's reviewers, nor keep their colleagues, by the institution they type", async () => {
    const call = await newCall({ reviewerPool: POOL });
    const r = memberOf('KAIST', `tr-pi-${++n}`);
    const p = await newProposal(r, call.id, { pi: { name: 'Kim', email: 'k@kaist.example', institution: 'POSTECH', orgType: 'university' } });
    await as(r).post(`/v1/proposals/${p.id}/submit`);
    const assigned = await panel(p.id, 2);
    expect(assigned.sort()).toEqual(['tr-rev-postech', 'tr-rev-unist']);
    await as(r).post(`/v1/proposals/${p.id}/withdraw`);
  });

  it("a chair of the PI's organisation (by their own verified claims) may not decide, and gets no review summary; other staff do", async () => {
    const call = await newCall({ reviewerPool: POOL });
    const p = await awaitingDecision(memberOf('KAIST', `tr-pi-${++n}`), call.id);
    const kaistChair = memberOf('KAIST', 'tr-chair-kaist', ['chair']);
    const conflicted = (await as(kaistChair).get(`/v1/proposals/${p.id}`)).body;
    expect(conflicted).toMatchObject({ id: p.id, conflicted: true });
    expect(conflicted.reviewSummary).toBeUndefined();
    const listed = (await as(kaistChair).get(`/v1/proposals?state=in-review&callId=${call.id}`)).body.items.find((x: any) => x.id === p.id);
    expect(listed.reviewSummary).toBeUndefined();
    const refused = await approve(kaistChair, p.id, 100);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/belongs to the PI's organisation/);
    // the other way: a chair of another org, an admin and an auditor see the panel's scores
    for (const who of [memberOf('POSTECH', 'tr-chair-postech', ['chair']), admin, caller('tr-auditor', ['auditor'])]) {
      const view = (await as(who).get(`/v1/proposals/${p.id}`)).body;
      expect(view.reviewSummary).toMatchObject({ count: 2, quorum: true });
    }
    expect((await as(memberOf('POSTECH', 'tr-chair-postech', ['chair'])).get(`/v1/proposals/${p.id}`)).body.conflicted).toBe(false);
    expect((await approve(memberOf('POSTECH', 'tr-chair-postech', ['chair']), p.id, 100)).status).toBe(200);
  });
});

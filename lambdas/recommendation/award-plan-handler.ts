// Award plans: built from the call and its reviewed proposals, solved with HiGHS, stored with
// their inputs (gzip, in the plan item) and audited; overrides are audited changes of the plan.
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHandler } from '../shared/http/router';
import { withKairrRoles } from '../shared/identity/people'; // identity
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { keys } from '../shared/store/keys';
import { commit, type AuditContext, type Item } from '../shared/store/write-path';
import { applyOverrides, computeAwardPlan, type AwardPlanInput } from '../domain/award-plan';
import { newId } from '../domain/ids';
import { ConflictError, ForbiddenError, RuleViolationError, ValidationError } from '../domain/errors';
import type { Call, OrgType, Proposal } from '../domain/approval/model';
// ---- identity ----
import { conflictOf } from '../domain/approval/reviewers';
import { hasRole, type Caller } from '../shared/http/caller';
import { orgIdsOf } from '../shared/identity/orgs';
import { floorTypes } from '../shared/identity/standing';
// ---- end identity ----
import { conflictsDeclaredBy, proposalsInState, readCall, readProposals } from '../approval';
import { awardPlanApi } from './award-plan-api';
import { loadHighsSolver } from './highs-loader';
import { listPlanSummaries, planItem, readPlan, type PlanRecord, type StoredOverride } from './award-plan-store';

// highs.wasm ships beside the bundle (KairrFunction assetFiles); in-process tests find it in node_modules.
const highs = () => loadHighsSolver();

export const DEFAULT_MIN_VIABLE_FRACTION = 0.5;

const pack = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v))).toString('base64');
const unpack = <T>(s: string): T => JSON.parse(gunzipSync(Buffer.from(s, 'base64')).toString('utf8')) as T;

/** Proposals of the call awaiting the committee with their reviews in (the ones a plan is for). */
async function reviewedProposals(callId: string, only?: string[]): Promise<Proposal[]> {
  const wanted = only ? new Set(only) : undefined;
  return (await proposalsInState('in-review', callId)).filter((p) => (!wanted || wanted.has(p.id)) && p.reviewSummary?.quorum && p.requestedMc && p.pi);
}

/**
 * @param floorTypes per proposal (same order): the org type its award counts towards for the
 *   floors, or null (its PI's affiliation is not verified: "unverified", no floor).
 */
export function planInput(call: Call, proposals: Proposal[], minViableFraction: number, floorTypes: (OrgType | null)[]): AwardPlanInput {
  const capacity: Record<string, number> = {};
  for (const [k, v] of Object.entries(call.capacityMc)) capacity[k] = Math.max(0, v - (call.awardedMc?.[k] ?? 0)) / 1000;
  return {
    callId: call.id,
    capacity,
    floors: call.fairnessFloors ?? {},
    minViableFraction,
    proposals: proposals
      .map((p, i) => ({
        id: p.id,
        orgType: floorTypes[i] ?? ('unverified' as const),
        score: Math.min(5, Math.max(1, p.reviewSummary!.overall)),
        requested: Object.fromEntries(
          Object.entries(p.requestedMc!)
            .filter(([k]) => k in capacity)
            .map(([k, v]) => [k, v / 1000]),
        ),
      }))
      .filter((p) => Object.keys(p.requested).length)
      .sort((a, b) => a.id.localeCompare(b.id)),
  };
}

type Stored = { input: AwardPlanInput; plan: Awaited<ReturnType<typeof computeAwardPlan>>; parties?: Party[] };

/** What a chair's conflicts are judged on, kept with the plan (a plan of 10k proposals needs no 10k reads). */
interface Party {
  id: string;
  ownerSub: string;
  team: { sub?: string; email: string }[];
  piEmail?: string;
  piOrgId?: string;
}

const partyOf = (p: Proposal): Party => ({
  id: p.id,
  ownerSub: p.ownerSub,
  team: p.team.map((m) => ({ ...(m.sub ? { sub: m.sub } : {}), email: m.email })),
  ...(p.pi ? { piEmail: p.pi.email } : {}),
  ...(p.pi?.affiliation?.orgId ? { piOrgId: p.pi.affiliation.orgId } : {}),
});

/**
 * The plan as shown; `hidden` are proposals left out of it (a chair's conflicts): their lines,
 * scores, overrides and violations go, the totals stay (they name no proposal).
 */
function view(r: PlanRecord, hidden: ReadonlySet<string> = new Set()) {
  const { input, plan } = unpack<Stored>(r.body);
  const current = r.overrides.length ? applyOverrides(plan, r.overrides) : plan;
  if (!hidden.size) return { planId: r.planId, callId: r.callId, createdAt: r.createdAt, createdBy: r.createdBy, input, settings: r.settings, plan: current, overrides: r.overrides };
  const keep = <T extends { proposalId?: string }>(xs: T[]) => xs.filter((x) => !x.proposalId || !hidden.has(x.proposalId));
  return {
    planId: r.planId,
    callId: r.callId,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    input: { ...input, proposals: input.proposals.filter((p) => !hidden.has(p.id)) },
    settings: r.settings,
    plan: { ...current, proposals: keep(current.proposals), overrides: keep(current.overrides), violations: keep(current.violations as { proposalId?: string }[]) },
    overrides: keep(r.overrides),
    masked: hidden.size,
  };
}

// ---- identity: a chair's conflicts (issue 11, section 5) ----
const chairOnly = (c: Caller) => hasRole(c, 'chair') && !hasRole(c, 'admin', 'auditor');

/** The plan's proposals a chair (and not also an admin or auditor) is conflicted on. */
async function conflictedFor(caller: Caller, r: PlanRecord): Promise<Set<string>> {
  if (!chairOnly(caller)) return new Set();
  const stored = unpack<Stored>(r.body);
  const parties = stored.parties ?? (await partiesOfOldPlan(stored.input.proposals.map((p) => p.id)));
  const [{ call }, orgIds] = await Promise.all([readCall(r.callId), orgIdsOf(caller)]);
  const inPool = call.reviewerPool.find((x) => x.sub === caller.sub);
  if (inPool?.orgId) orgIds.add(inPool.orgId);
  const declared = await conflictsDeclaredBy(
    caller.sub,
    parties.map((p) => p.id),
  );
  const me = { sub: caller.sub, email: caller.email ?? inPool?.email, orgIds: [...orgIds] };
  const out = new Set<string>();
  for (const p of parties) {
    const c = conflictOf(me, { ownerSub: p.ownerSub, team: p.team as Proposal['team'], pi: p.piEmail ? { email: p.piEmail, affiliation: { orgId: p.piOrgId } } : undefined }, declared.has(p.id) ? new Set([caller.sub]) : new Set());
    if (c) out.add(p.id);
  }
  return out;
}

/** Plans stored before they kept their parties: read the proposals. */
async function partiesOfOldPlan(ids: string[]): Promise<Party[]> {
  return (await readProposals(ids)).map(partyOf);
}
// ---- end identity ----

const ctxOf = (sub: string, role: string, requestId: string, reason: string | null = null): AuditContext => ({ actor: { sub, role }, requestId, reason });

export const handler = createHandler(
  awardPlanApi,
  {
    async createAwardPlan({ caller, params, body, requestId }) {
      const { call } = await readCall(params.callId);
      const proposals = await reviewedProposals(params.callId, body.proposalIds);
      if (body.proposalIds) {
        const found = new Set(proposals.map((p) => p.id));
        const missing = body.proposalIds.filter((id) => !found.has(id));
        if (missing.length) throw ValidationError.field('proposalIds', `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not awaiting a decision with its reviews in`);
      }
      if (!proposals.length) throw new RuleViolationError('No proposal of this call is awaiting a decision with its reviews in', [], 'nothing_to_plan');
      const floors = await floorTypes(proposals.map((p) => ({ ownerSub: p.ownerSub, affiliation: p.pi!.affiliation })));
      const input = planInput(call, proposals, body.minViableFraction ?? DEFAULT_MIN_VIABLE_FRACTION, floors);
      const settings = body.settings ?? {};
      const plan = await computeAwardPlan(input, { highs: await highs(), settings });
      const now = new Date().toISOString();
      const record: PlanRecord = {
        planId: newId('plan'),
        callId: call.id,
        createdAt: now,
        createdBy: caller.sub,
        settings,
        body: pack({ input, plan, parties: proposals.map(partyOf) } satisfies Stored),
        objective: plan.objective,
        proposals: input.proposals.length,
        overrides: [],
      };
      await commit(ctxOf(caller.sub, caller.roles.includes('chair') ? 'chair' : 'admin', requestId), {
        changes: [
          {
            subject: { type: 'award-plan', id: record.planId },
            before: null,
            after: planItem(record),
            action: 'award-plan.create',
            details: { callId: call.id, proposals: record.proposals, objective: plan.objective, solver: plan.solver.status },
          },
        ],
      });
      return { status: 201, body: view(record, await conflictedFor(caller, record)) };
    },

    async listAwardPlans({ params, query }) {
      const pk = keys.awardPlansOf(params.callId);
      const page = await listPlanSummaries(params.callId, query.limit ?? 50, decodeToken(query.nextToken, pk));
      return { body: { items: page.items, nextToken: encodeToken(page.nextKey, pk) } };
    },

    async getAwardPlan({ caller, params }) {
      const { record } = await readPlan(params.callId, params.planId);
      return { body: view(record, await conflictedFor(caller, record)) };
    },

    async overrideAwardPlan({ caller, params, body, requestId }) {
      const { record, item } = await readPlan(params.callId, params.planId);
      const conflicted = await conflictedFor(caller, record);
      if (conflicted.has(body.proposalId)) throw new ForbiddenError(`A chair cannot override the plan's line of a proposal they are conflicted on (${body.proposalId})`);
      const override: StoredOverride = { proposalId: body.proposalId, resourceKey: body.resourceKey, credits: body.credits, reason: body.reason, by: caller.sub, at: new Date().toISOString() };
      const next = { ...record, overrides: [...record.overrides, override] };
      view(next); // validates the override against the plan (400 naming the field if it does not apply)
      try {
        await commit(ctxOf(caller.sub, 'chair', requestId, body.reason), {
          changes: [
            {
              subject: { type: 'award-plan', id: record.planId },
              before: item,
              after: { ...item, overrides: next.overrides } as Item,
              action: 'award-plan.override',
              details: { proposalId: body.proposalId, resourceKey: body.resourceKey, credits: body.credits },
            },
          ],
        });
      } catch (e) {
        if ((e as Error).name === 'StaleWriteError') throw new ConflictError('The plan changed while you edited it; reload it and try again');
        throw e;
      }
      return { body: view(next, conflicted) };
    },
  },
  { caller: withKairrRoles },
); // identity: KAIRR's role assignments

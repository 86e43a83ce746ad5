// What the reports read, each in one function, so a new data source is wired in one place.
//   allocations  the main table's allocation items (gsi1 ALLOCATIONS; gsi2 ALLOCSTATE#<state>)
//   proposals    calls and submitted proposals of the approval capability  → readFairnessInputs
//   award plans  stored award plans and chair overrides of each call       → readAwardPlans
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { queryAll } from '../shared/store/query-all';
import { gsi, keys } from '../shared/store/keys';
import { allocationOf } from '../ledger';
import { findCall, listCalls, proposalsInState } from '../approval';
import { PROPOSAL_STATES } from '../domain/approval/model';
import type { AllocationFacts, CallFacts, FairnessReport, ProposalFacts } from './reports';

export interface AllocationFilters {
  state?: string;
  callId?: string;
  orgType?: string;
  field?: string;
  institution?: string;
}

/** Every allocation matching the filters (all pages). */
export async function readAllocations(f: AllocationFilters): Promise<AllocationFacts[]> {
  const [index, pkName, scope] = f.state ? ['gsi2', 'gsi2pk', gsi.allocationsInState(f.state)] : ['gsi1', 'gsi1pk', gsi.allAllocations];
  const conds: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':p': scope };
  for (const k of ['callId', 'orgType', 'field', 'institution'] as const) {
    if (f[k] === undefined) continue;
    conds.push(`#${k} = :${k}`);
    names[`#${k}`] = k;
    values[`:${k}`] = f[k];
  }
  const out: AllocationFacts[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(
      new QueryCommand({
        TableName: mainTable(),
        IndexName: index,
        KeyConditionExpression: `${pkName} = :p`,
        ...(conds.length ? { FilterExpression: conds.join(' AND '), ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const a = allocationOf(item);
      out.push({
        id: a.id,
        title: a.title,
        state: a.state,
        piSub: a.piSub,
        institution: a.institution,
        orgType: a.orgType,
        field: a.field,
        callId: a.callId ?? null,
        proposalId: a.proposalId ?? null,
        tier: a.tier ?? null,
        startDate: a.startDate,
        endDate: a.endDate,
        resources: a.resources ?? {},
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

export interface FairnessInputs {
  calls: CallFacts[];
  proposals: ProposalFacts[];
  source: FairnessReport['source'];
}

/** Every state a submitted proposal can be in (drafts are not part of the report). */
const SUBMITTED_STATES = PROPOSAL_STATES.filter((s) => s !== 'draft');

/**
 * Calls and submitted proposals (approval capability: calls by gsi1 CALLS, proposals by gsi2
 * PROPSTATE#<state> with gsi2sk = callId#...). Awarded credits are the approving decision's.
 */
export async function readFairnessInputs(filter: { callId?: string }): Promise<FairnessInputs> {
  const callList = filter.callId ? [await findCall(filter.callId)].filter((c) => c !== null) : await listCalls();
  const calls: CallFacts[] = callList.map((c) => ({ id: c.id, title: c.title, capacityMc: c.capacityMc ?? {}, fairnessFloors: (c.fairnessFloors ?? {}) as Record<string, number> }));
  const proposals: ProposalFacts[] = [];
  for (const state of SUBMITTED_STATES) {
    for (const p of await proposalsInState(state, filter.callId)) {
      proposals.push({
        id: p.id,
        callId: p.callId,
        orgType: p.pi?.orgType ?? null,
        field: p.field ?? null,
        state: p.state,
        requestedMc: p.requestedMc ?? {},
        awardedMc: p.state === 'approved' && p.decision?.outcome === 'approve' ? (p.decision.creditsMc ?? null) : null,
        viaTraining: p.decision?.outcome === 'approve' && p.decision.via?.kind === 'training', // people
      });
    }
  }
  return { calls, proposals, source: { proposals: 'approval: calls and submitted proposals, decisions with awarded credits', awardPlans: AWARD_PLAN_SOURCE } };
}

const AWARD_PLAN_SOURCE = 'award plans stored by POST /v1/calls/{callId}/award-plan, with the chair overrides';

/**
 * The stored award plans of each call, newest first: a summary of each (the plan body itself is
 * GET /v1/calls/{callId}/award-plans/{planId}), with the chair's overrides and their reasons.
 * Plans live under keys.awardPlansOf(callId) (lambdas/recommendation/award-plan-handler.ts).
 */
export async function readAwardPlans(callIds: readonly string[]): Promise<Map<string, Record<string, unknown>[]>> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const callId of callIds) {
    const plans = await queryAll({
      TableName: mainTable(),
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': keys.awardPlansOf(callId) },
      ProjectionExpression: 'planId, callId, createdAt, createdBy, objective, proposals, overrides',
      ScanIndexForward: false,
    });
    if (plans.length) out.set(callId, plans);
  }
  return out;
}

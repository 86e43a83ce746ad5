// What the reports read, each in one function, so a new data source is wired in one place.
//   allocations  the main table's allocation items (gsi1 ALLOCATIONS; gsi2 ALLOCSTATE#<state>)
//   proposals    calls and proposals of the approval capability            → readFairnessInputs
//   award plans  stored award plans / chair overrides of a call            → readAwardPlans
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { gsi } from '../shared/store/keys';
import { allocationOf } from '../ledger/store';
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
        id: a.id, title: a.title, state: a.state, piSub: a.piSub, institution: a.institution, orgType: a.orgType, field: a.field,
        callId: a.callId ?? null, proposalId: a.proposalId ?? null, tier: a.tier ?? null, startDate: a.startDate, endDate: a.endDate,
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

/**
 * Calls and submitted proposals, for the fairness report.
 * HOOK(approval): the approval capability (lambdas/approval/**: calls, proposals with org type,
 * field, requested credits per resource, states, decisions with awarded credits) is not in the
 * repository yet. Until it is, this returns no calls and no proposals, and `source` says so; the
 * report keeps its full shape. Wiring it is this one function: list the calls, then each call's
 * proposals, and map them to CallFacts / ProposalFacts (awardedMc = the approving decision's credits).
 */
export async function readFairnessInputs(_filter: { callId?: string }): Promise<FairnessInputs> {
  return { calls: [], proposals: [], source: { proposals: 'none: the approval capability is not deployed yet', awardPlans: AWARD_PLAN_SOURCE } };
}

const AWARD_PLAN_SOURCE = 'none: award plans are not stored yet';

/**
 * The stored award plans and chair overrides of each call, newest first.
 * HOOK(award-plan): POST /v1/calls/{callId}/award-plan does not store its plans yet. When it does,
 * read them here (one call's plans by its key) and return a JSON summary per plan (planId, createdAt,
 * createdBy, objective, per-resource and per-org-type awards, overrides with their reasons).
 */
export async function readAwardPlans(_callIds: readonly string[]): Promise<Map<string, Record<string, unknown>[]>> {
  return new Map();
}

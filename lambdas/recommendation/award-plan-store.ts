// Award plans in the main table (keys.awardPlan: one partition per call, one item per plan, ULID
// ids). A plan item holds its inputs and result gzip-packed (large calls would not fit an item as
// plain JSON) and its chair overrides; every change is an audited commit made by the handler.
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { keys } from '../shared/store/keys';
import type { Item } from '../shared/store/write-path';
import type { AwardOverride, SolverSettings } from '../domain/award-plan';
import { NotFoundError } from '../domain/errors';

export interface StoredOverride extends AwardOverride {
  by: string;
  at: string;
}

export interface PlanRecord {
  planId: string;
  callId: string;
  createdAt: string;
  createdBy: string;
  settings: SolverSettings;
  /** gzip+base64 of {input, plan}: plans for large calls would not fit an item as plain JSON. */
  body: string;
  objective: number;
  proposals: number;
  overrides: StoredOverride[];
}

/** The item of a new plan. */
export const planItem = (r: PlanRecord): Item => ({ ...keys.awardPlan(r.callId, r.planId), ...r }) as Item;

export async function readPlan(callId: string, planId: string): Promise<{ record: PlanRecord; item: Item }> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: keys.awardPlan(callId, planId), ConsistentRead: true }));
  if (!out.Item) throw new NotFoundError('Award plan', planId);
  return { record: out.Item as unknown as PlanRecord, item: out.Item as Item };
}

/** A page of the call's plans, newest first, as summaries (no packed body). */
export async function listPlanSummaries(callId: string, limit: number, startKey?: Record<string, unknown>): Promise<{ items: Record<string, unknown>[]; nextKey?: Record<string, unknown> }> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': keys.awardPlansOf(callId) },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
      ProjectionExpression: 'planId, callId, createdAt, createdBy, objective, proposals, overrides',
    }),
  );
  return { items: out.Items ?? [], nextKey: out.LastEvaluatedKey };
}

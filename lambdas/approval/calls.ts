// Calls: admins create and edit them; everyone lists the open ones. Cross-field rules (window,
// tiers, floors, pool, resources) are checked on the whole call after a create or an edit, so
// both answer 400 with the same field paths.
import { readOrgs } from '../shared/identity/orgs'; // identity
import { runtimeConfig } from '../shared/config';
import { retryOnStale, type AuditContext, type SideWrite } from '../shared/store/write-path';
import { approvalGsi } from '../shared/store/keys';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { ValidationError } from '../domain/errors';
import { newId } from '../domain/ids';
import { findResource, parseResourceKey, type Site } from '../domain/catalogue';
import { fromMc, toMc } from '../domain/ledger/money';
import { windowState, type Call, type OrgType } from '../domain/approval';
import type { Problem } from '../domain/approval/rules';
import type { CreateCallBody, UpdateCallBody } from './api';
import { callChange, callOf, commitApproval, queryIndex, readCall } from './store';

const mcOf = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, toMc(v)]));

function tiersOf(t: CreateCallBody['tiers']): Call['tiers'] {
  const d = runtimeConfig().policy.approval ?? { standardReviewers: 2, flagshipReviewers: 4, flagshipMinReviews: 3, decisionDeadlineDays: 30 };
  const stdReviewers = t.standard.reviewers ?? d.standardReviewers;
  const flagReviewers = t.flagship?.reviewers ?? Math.max(d.flagshipReviewers, stdReviewers + 1);
  return {
    starter: { maxMc: toMc(t.starter.maxCredits) },
    standard: { maxMc: toMc(t.standard.maxCredits), reviewers: stdReviewers, minReviews: t.standard.minReviews ?? Math.min(2, stdReviewers) },
    flagship: { reviewers: flagReviewers, minReviews: t.flagship?.minReviews ?? Math.min(d.flagshipMinReviews, flagReviewers) },
  };
}

/** Every cross-field problem of a call, with the API's field paths. */
export function callProblems(c: Call, sites: readonly Site[]): Problem[] {
  const out: Problem[] = [];
  if (Date.parse(c.closesAt) <= Date.parse(c.opensAt)) out.push({ path: 'closesAt', problem: 'must be after opensAt' });
  const resources = Object.keys(c.capacityMc);
  if (!resources.length) out.push({ path: 'capacity', problem: 'must offer at least one resource' });
  for (const key of resources) {
    const rk = parseResourceKey(key);
    if (!rk || !findResource(sites, rk.siteId, rk.resourceId)) out.push({ path: `capacity.${key}`, problem: 'is not a resource of any site' });
    const awarded = c.awardedMc[key] ?? 0;
    if (c.capacityMc[key] < awarded) out.push({ path: `capacity.${key}`, problem: `cannot be below the ${fromMc(awarded)} credits already awarded` });
  }
  for (const [key, awarded] of Object.entries(c.awardedMc)) {
    if (awarded > 0 && c.capacityMc[key] === undefined) out.push({ path: `capacity.${key}`, problem: `cannot be removed: ${fromMc(awarded)} credits of it are already awarded` });
  }
  const t = c.tiers;
  if (c.kind === 'starter' && t.starter.maxMc <= 0) out.push({ path: 'tiers.starter.maxCredits', problem: 'must be greater than 0 in a starter call' });
  if (c.trainedOnly && c.kind !== 'starter') out.push({ path: 'trainedOnly', problem: 'is only for a starter call (kind: "starter"): training opens the starter tier' });
  if (t.starter.maxMc > 0 && t.starter.maxMc >= t.standard.maxMc) out.push({ path: 'tiers.starter.maxCredits', problem: 'must be below tiers.standard.maxCredits' });
  if (t.starter.maxMc > c.maxRequestMc) out.push({ path: 'tiers.starter.maxCredits', problem: 'must not exceed maxRequestCredits' });
  if (t.standard.minReviews > t.standard.reviewers) out.push({ path: 'tiers.standard.minReviews', problem: `must not exceed the panel size (${t.standard.reviewers})` });
  if (t.flagship.reviewers <= t.standard.reviewers) out.push({ path: 'tiers.flagship.reviewers', problem: `must be larger than the standard panel (${t.standard.reviewers})` });
  if (t.flagship.minReviews > t.flagship.reviewers) out.push({ path: 'tiers.flagship.minReviews', problem: `must not exceed the panel size (${t.flagship.reviewers})` });
  const floors = Object.values(c.fairnessFloors).reduce((s, v) => s + (v ?? 0), 0);
  if (floors > 1 + 1e-9) out.push({ path: 'fairnessFloors', problem: `add up to ${floors}, more than the whole capacity (1)` });
  const types = new Set<string>();
  c.eligibleOrgTypes.forEach((t, i) => {
    if (types.has(t)) out.push({ path: `eligibleOrgTypes[${i}]`, problem: `repeats "${t}"` });
    types.add(t);
  });
  const subs = new Map<string, number>();
  c.reviewerPool.forEach((r, i) => {
    if (subs.has(r.sub)) out.push({ path: `reviewerPool[${i}].sub`, problem: `repeats reviewerPool[${subs.get(r.sub)}]` });
    subs.set(r.sub, i);
  });
  return out;
}

// ---- identity ----
/** Each pool reviewer's orgId must be an organisation in the registry (conflicts rest on it). */
async function poolOrgProblems(c: Call): Promise<{ path: string; problem: string }[]> {
  const ids = [...new Set(c.reviewerPool.flatMap((r) => (r.orgId ? [r.orgId] : [])))];
  if (!ids.length) return [];
  const known = await readOrgs(ids);
  return c.reviewerPool.flatMap((r, i) => (r.orgId && !known.has(r.orgId) ? [{ path: `reviewerPool[${i}].orgId`, problem: `is not an organisation in the registry (${r.orgId})` }] : []));
}
// ---- end identity ----

async function assertValid(c: Call): Promise<void> {
  const problems = [...callProblems(c, runtimeConfig().sites), ...(await poolOrgProblems(c))];
  if (problems.length) throw new ValidationError(problems, `The call is invalid: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`);
}

export function buildCall(body: CreateCallBody, id: string, by: string, now: Date): Call {
  return {
    id,
    title: body.title,
    description: body.description ?? '',
    kind: body.kind ?? 'open',
    opensAt: new Date(body.opensAt).toISOString(),
    closesAt: new Date(body.closesAt).toISOString(),
    capacityMc: mcOf(body.capacity),
    awardedMc: {},
    awardedByOrgTypeMc: {},
    tiers: tiersOf(body.tiers),
    eligibleOrgTypes: body.eligibleOrgTypes as OrgType[],
    maxRequestMc: toMc(body.maxRequestCredits),
    fairnessFloors: (body.fairnessFloors ?? {}) as Call['fairnessFloors'],
    ...(body.trainedOnly ? { trainedOnly: true } : {}), // people
    reviewerPool: body.reviewerPool,
    reviewDeadlineHours: body.reviewDeadlineHours,
    decisionDeadlineDays: body.decisionDeadlineDays ?? runtimeConfig().policy.approval?.decisionDeadlineDays ?? 30,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    createdBy: by,
  };
}

export async function createCall(body: CreateCallBody, ctx: AuditContext, sideWrites: (c: Call) => SideWrite[] = () => []): Promise<Call> {
  const now = ctx.now ?? new Date();
  const call = buildCall(body, newId('call'), ctx.actor.sub, now);
  await assertValid(call);
  await commitApproval(ctx, { changes: [callChange(null, call, 'call.create', { resources: Object.keys(call.capacityMc) })], sideWrites: sideWrites(call) });
  return call;
}

export async function updateCall(id: string, body: UpdateCallBody, ctx: AuditContext): Promise<Call> {
  return retryOnStale(async () => {
    const { call, item } = await readCall(id);
    const now = ctx.now ?? new Date();
    const next: Call = {
      ...call,
      ...(body.title !== undefined ? { title: body.title } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.opensAt !== undefined ? { opensAt: new Date(body.opensAt).toISOString() } : {}),
      ...(body.closesAt !== undefined ? { closesAt: new Date(body.closesAt).toISOString() } : {}),
      ...(body.capacity !== undefined ? { capacityMc: mcOf(body.capacity) } : {}),
      ...(body.tiers !== undefined ? { tiers: tiersOf(body.tiers) } : {}),
      ...(body.eligibleOrgTypes !== undefined ? { eligibleOrgTypes: body.eligibleOrgTypes as OrgType[] } : {}),
      ...(body.maxRequestCredits !== undefined ? { maxRequestMc: toMc(body.maxRequestCredits) } : {}),
      ...(body.fairnessFloors !== undefined ? { fairnessFloors: body.fairnessFloors as Call['fairnessFloors'] } : {}),
      ...(body.reviewerPool !== undefined ? { reviewerPool: body.reviewerPool } : {}),
      ...(body.trainedOnly !== undefined ? { trainedOnly: body.trainedOnly } : {}), // people
      ...(body.reviewDeadlineHours !== undefined ? { reviewDeadlineHours: body.reviewDeadlineHours } : {}),
      ...(body.decisionDeadlineDays !== undefined ? { decisionDeadlineDays: body.decisionDeadlineDays } : {}),
      updatedAt: now.toISOString(),
    };
    await assertValid(next);
    const changed = Object.keys(body).filter((k) => k !== 'reason');
    await commitApproval({ ...ctx, reason: body.reason ?? ctx.reason }, { changes: [callChange(item, next, 'call.update', { fields: changed })] });
    return next;
  });
}

export async function listCalls(status: 'open' | 'upcoming' | 'closed' | 'all', limit: number, nextToken: string | undefined): Promise<{ items: Call[]; nextKey?: Record<string, unknown> }> {
  const scope = callsScope(status);
  const now = new Date();
  // gsi1sk starts with closesAt: calls not yet closed are the range above now.
  const skAbove = status === 'open' || status === 'upcoming' ? now.toISOString() : undefined;
  const items: Call[] = [];
  let start = decodeToken(nextToken, scope);
  // Read pages until the page is full or the index is exhausted (the window filter may drop items).
  // A full page ends at its last item, so the next page starts right after it.
  do {
    const page = await queryIndex('gsi1', approvalGsi.allCalls, { limit, startKey: start, skAbove, forward: status !== 'closed' });
    start = page.nextKey;
    for (const it of page.items) {
      const c = callOf(it);
      if (status !== 'all' && windowState(c, now) !== status) continue;
      items.push(c);
      if (items.length === limit) {
        start = { pk: it.pk, sk: it.sk, gsi1pk: it.gsi1pk, gsi1sk: it.gsi1sk };
        break;
      }
    }
  } while (start && items.length < limit);
  return { items, nextKey: start };
}

export const callsScope = (status: string) => `${approvalGsi.allCalls}#${status}`;
export { encodeToken };

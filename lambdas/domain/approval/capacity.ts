// A call's capacity per resource, what approvals have reserved of it, and the fairness floors.
// An award for org type T may use a resource's capacity minus what is already awarded minus what
// is still held back for the OTHER org types' floors (floor share x capacity, less what each of
// them already has). The store applies these in one audited transaction on the call item,
// conditioned on its auditSeq, so two approvals can never together overspend the call.
import { RuleViolationError } from '../errors';
import { fromMc, type Mc } from '../ledger/money';
import { clone } from '../clone';
import type { Call, OrgType } from './model';

export function remainingMc(call: Pick<Call, 'capacityMc' | 'awardedMc'>): Record<string, Mc> {
  return Object.fromEntries(Object.entries(call.capacityMc).map(([r, cap]) => [r, Math.max(0, cap - (call.awardedMc[r] ?? 0))]));
}

/**
 * Capacity of `resource` still held back for org types other than `orgType` by their floors. An
 * award that counts towards no floor (null: the affiliation is not verified) finds every floor held.
 */
export function heldForOthersMc(call: Pick<Call, 'capacityMc' | 'awardedByOrgTypeMc' | 'fairnessFloors'>, orgType: OrgType | null, resource: string): Mc {
  const cap = call.capacityMc[resource] ?? 0;
  let held = 0;
  for (const [t, share] of Object.entries(call.fairnessFloors) as [OrgType, number][]) {
    if (t === orgType || !share) continue;
    const floor = Math.ceil(share * cap);
    held += Math.max(0, floor - (call.awardedByOrgTypeMc[t]?.[resource] ?? 0));
  }
  return held;
}

/** What an award to `orgType` may still take of each resource. */
export function availableForMc(call: Call, orgType: OrgType | null): Record<string, Mc> {
  const rem = remainingMc(call);
  return Object.fromEntries(Object.keys(call.capacityMc).map((r) => [r, Math.max(0, rem[r] - heldForOthersMc(call, orgType, r))]));
}

export interface AwardCheck {
  requestedMc: Record<string, Mc>;
  awardMc: Record<string, Mc>;
  /** The org type the award counts towards for the floors; null: none (an affiliation not verified). */
  orgType: OrgType | null;
}

const bucket = (t: OrgType | null): OrgType | 'unverified' => t ?? 'unverified';

/**
 * Refuses (422, a detail per resource) an award above the request or above what the call can
 * still give this org type. Returns nothing when the award fits.
 */
export function assertAwardFits(call: Call, a: AwardCheck): void {
  const details: { path: string; problem: string }[] = [];
  const rem = remainingMc(call);
  const avail = availableForMc(call, a.orgType);
  const entries = Object.entries(a.awardMc);
  if (!entries.length) details.push({ path: 'credits', problem: 'must award at least one resource' });
  for (const [r, mc] of entries) {
    const path = `credits.${r}`;
    if (!(mc > 0)) details.push({ path, problem: 'must be greater than 0' });
    else if (a.requestedMc[r] === undefined) details.push({ path, problem: 'was not requested by the proposal' });
    else if (mc > a.requestedMc[r]) details.push({ path, problem: `is ${fromMc(mc)} credits, more than the ${fromMc(a.requestedMc[r])} requested` });
    else if (call.capacityMc[r] === undefined) details.push({ path, problem: `is not offered by call ${call.id}` });
    else if (mc > rem[r]) details.push({ path, problem: `is ${fromMc(mc)} credits, more than the ${fromMc(rem[r])} call ${call.id} has left` });
    else if (mc > avail[r])
      details.push({
        path,
        problem: `is ${fromMc(mc)} credits; only ${fromMc(avail[r])} are left for ${a.orgType ?? 'an affiliation that is not verified (it counts towards no floor)'} once the ${a.orgType ? "other org types' " : ''}fairness floors are kept`,
      });
  }
  if (details.length) throw new RuleViolationError(`The award does not fit the request or the call's remaining capacity: ${details.map((d) => `${d.path} ${d.problem}`).join('; ')}`, details, 'capacity_exceeded');
}

/** The call after reserving an award (checked first). */
export function reserve(call: Call, a: AwardCheck): Call {
  assertAwardFits(call, a);
  const next = clone(call);
  const byType = (next.awardedByOrgTypeMc[bucket(a.orgType)] ??= {});
  for (const [r, mc] of Object.entries(a.awardMc)) {
    next.awardedMc[r] = (next.awardedMc[r] ?? 0) + mc;
    byType[r] = (byType[r] ?? 0) + mc;
  }
  return next;
}

/** The call after giving back a reservation that was never awarded (the flow failed, or a withdrawal). */
export function release(call: Call, orgType: OrgType | null, mc: Record<string, Mc>): Call {
  const next = clone(call);
  const byType = (next.awardedByOrgTypeMc[bucket(orgType)] ??= {});
  for (const [r, v] of Object.entries(mc)) {
    next.awardedMc[r] = Math.max(0, (next.awardedMc[r] ?? 0) - v);
    byType[r] = Math.max(0, (byType[r] ?? 0) - v);
  }
  return next;
}

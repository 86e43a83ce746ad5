// Turns the optimiser's awards and duals into the plan a committee reads: per proposal, what it
// got and which constraint decided that, with the constraint's shadow price where one is meaningful.
import { CREDIT_TOL, orgTypeAt, type CanonicalProblem } from './problem';
import { ORG_TYPES } from './schema';
import type { AwardLine, AwardPlan, BindingConstraint, FloorFigures, FloorPlan, FundingStatus, ProposalPlan, ResourcePlan } from './types';

export interface Duals {
  /** Per resource: objective gained per extra credit of capacity. */
  lambda: Float64Array;
  /** Per org type: objective lost per extra credit of floor. */
  mu: Float64Array;
  /** Per line: reduced cost per credit of the line's column in the fixed-binary LP. */
  rcPerCredit: Float64Array;
  available: boolean;
}

const PRICE_TOL = 1e-9;

export function explainPlan(problem: CanonicalProblem, awards: Float64Array, duals: Duals, floors: FloorFigures): AwardPlan {
  const { n, keys, lineStart, lineKey, lineReq, f, score, org } = problem;
  const used = new Float64Array(keys.length);
  const byOrg = new Float64Array(ORG_TYPES.length);
  let objective = 0;
  for (let p = 0; p < n; p++) {
    for (let l = lineStart[p]; l < lineStart[p + 1]; l++) {
      used[lineKey[l]] += awards[l];
      byOrg[org[p]] += awards[l];
      objective += score[p] * awards[l];
    }
  }
  const remaining = Float64Array.from(problem.capacity, (c, k) => cleanZero(c - used[k], c));
  const exhausted = (k: number) => remaining[k] <= CREDIT_TOL * Math.max(1, problem.capacity[k]) * 10;
  const price = (x: number) => round6(Math.max(0, x));

  const capacityBinding = (k: number, s: number, marginal: boolean): BindingConstraint => {
    const lam = duals.lambda[k];
    const why = !exhausted(k)
      ? `${keys[k]} still has ${fmt(remaining[k])} credits; the optimiser stopped within its gap tolerance`
      : !duals.available
        ? `${keys[k]} is fully awarded`
        : marginal && Math.abs(s - lam) <= 1e-6 * Math.max(1, s)
          ? `${keys[k]} is fully awarded and this proposal is the marginal one on it: each further credit of ${keys[k]} would go to it`
          : s < lam - PRICE_TOL
            ? `${keys[k]} is fully awarded, and at the margin a credit of it is worth ${fmt(lam)} (score-weighted) elsewhere, more than this proposal's score of ${fmt(s)}`
            : `${keys[k]} is fully awarded; funding this proposal's minimum would displace awards worth more`;
    return { kind: 'capacity', resourceKey: keys[k], ...(duals.available ? { shadowPrice: price(lam) } : {}), note: why };
  };
  const floorBinding = (t: number, own: boolean): BindingConstraint => ({
    kind: 'org-type-floor',
    orgType: orgTypeAt(t),
    ...(duals.available ? { shadowPrice: price(duals.mu[t]) } : {}),
    note: own ? `the ${orgTypeAt(t)} floor (${fmt(floors.effective[t])} credits) holds credits for this org type` : `capacity is held for the ${orgTypeAt(t)} floor (${fmt(floors.effective[t])} credits)`,
  });
  // A floor decides a proposal's fate when it is met with nothing to spare and, on the same
  // resource, funds a proposal of its org type that scores lower than this one. The fixed-binary
  // LP cannot see that (the choice is discrete), so it is found from the plan itself.
  const floorTight = Uint8Array.from(ORG_TYPES, (_, t) => (floors.effective[t] > 0 && byOrg[t] <= floors.effective[t] * (1 + 1e-6) + 1e-6 ? 1 : 0));
  const T = ORG_TYPES.length;
  const lowestFundedScore = new Float64Array(keys.length * T).fill(Infinity);
  for (let p = 0; p < n; p++) {
    if (!floorTight[org[p]]) continue;
    for (let l = lineStart[p]; l < lineStart[p + 1]; l++) {
      const i = lineKey[l] * T + org[p];
      if (awards[l] > 0 && score[p] < lowestFundedScore[i]) lowestFundedScore[i] = score[p];
    }
  }
  const displacingFloor = (k: number, p: number): BindingConstraint | undefined => {
    let best = -1;
    for (let t = 0; t < T; t++) {
      if (t === org[p] || !(lowestFundedScore[k * T + t] < score[p])) continue;
      if (best < 0 || lowestFundedScore[k * T + t] < lowestFundedScore[k * T + best]) best = t;
    }
    if (best < 0) return undefined;
    return {
      kind: 'org-type-floor',
      orgType: orgTypeAt(best),
      ...(duals.available && duals.mu[best] > PRICE_TOL ? { shadowPrice: price(duals.mu[best]) } : {}),
      note: `the ${orgTypeAt(best)} floor (${fmt(floors.effective[best])} credits, met with nothing to spare) funds ${orgTypeAt(best)} proposals scoring as low as ${fmt(lowestFundedScore[k * T + best])} on ${keys[k]} ahead of this one`,
    };
  };
  const tightFloors = (except: number): number[] => (duals.available ? ORG_TYPES.flatMap((_, t) => (t !== except && floors.effective[t] > 0 && duals.mu[t] > PRICE_TOL ? [t] : [])) : []);

  const proposals: ProposalPlan[] = new Array(n);
  for (let p = 0; p < n; p++) {
    const a = lineStart[p];
    const b = lineStart[p + 1];
    const lines: AwardLine[] = [];
    let requestedTotal = 0;
    let awardedTotal = 0;
    let full = true;
    for (let l = a; l < b; l++) {
      lines.push({ resourceKey: keys[lineKey[l]], requested: lineReq[l], minViable: round6(f[p] * lineReq[l]), awarded: awards[l] });
      requestedTotal += lineReq[l];
      awardedTotal += awards[l];
      if (awards[l] < lineReq[l]) full = false;
    }
    const status: FundingStatus = awardedTotal <= 0 ? 'not-funded' : full ? 'funded' : 'partial';
    let binding: BindingConstraint;
    const alsoBinding: BindingConstraint[] = [];
    const s = score[p];

    if (a === b) {
      binding = { kind: 'request-cap', note: 'it requested no credits on any resource the call offers' };
    } else if (problem.unfundableLine[p] >= 0) {
      const l = problem.unfundableLine[p];
      binding = {
        kind: 'min-viable-fraction',
        resourceKey: keys[lineKey[l]],
        note: `its minimum viable award of ${fmt(f[p] * lineReq[l])} credits on ${keys[lineKey[l]]} exceeds the call's whole capacity of ${fmt(problem.capacity[lineKey[l]])}`,
      };
    } else if (status === 'not-funded') {
      // Which of its lines could not get even its minimum?
      let pick = -1;
      let pickExhausted = false;
      for (let l = a; l < b; l++) {
        const k = lineKey[l];
        const blocked = exhausted(k) || f[p] * lineReq[l] > remaining[k] + CREDIT_TOL * Math.max(1, lineReq[l]);
        if (!blocked) continue;
        const better = pick < 0 || (exhausted(k) && !pickExhausted) || (exhausted(k) === pickExhausted && duals.lambda[k] > duals.lambda[lineKey[pick]]);
        if (better) (pick = l), (pickExhausted = exhausted(k));
      }
      if (pick < 0) {
        // Every line's minimum fits in what is left: only the gap tolerance can explain it.
        let k0 = lineKey[a];
        for (let l = a; l < b; l++) if (duals.lambda[lineKey[l]] > duals.lambda[k0]) k0 = lineKey[l];
        binding = capacityBinding(k0, s, false);
      } else if (pickExhausted) {
        const k = lineKey[pick];
        const byFloor = displacingFloor(k, p);
        binding = byFloor ?? capacityBinding(k, s, false);
        if (byFloor) alsoBinding.push(capacityBinding(k, s, false));
      } else {
        const k = lineKey[pick];
        binding = {
          kind: 'min-viable-fraction',
          resourceKey: keys[k],
          note: `${keys[k]} has ${fmt(remaining[k])} credits left, less than this proposal's minimum viable award of ${fmt(f[p] * lineReq[pick])}, and a smaller award is not viable`,
        };
        const byFloor = displacingFloor(k, p);
        if (byFloor) alsoBinding.push(byFloor);
        alsoBinding.push(capacityBinding(k, s, false));
      }
      for (const t of tightFloors(org[p])) if (!alsoBinding.some((c) => c.orgType === orgTypeAt(t)) && binding.orgType !== orgTypeAt(t)) alsoBinding.push(floorBinding(t, false));
    } else if (status === 'funded') {
      let minRc = Infinity;
      let minKey = lineKey[a];
      for (let l = a; l < b; l++) {
        const rc = duals.rcPerCredit[l];
        if (!Number.isNaN(rc) && rc < minRc) (minRc = rc), (minKey = lineKey[l]);
      }
      binding = {
        kind: 'request-cap',
        ...(b - a > 1 ? {} : { resourceKey: keys[minKey] }),
        ...(duals.available && Number.isFinite(minRc) ? { shadowPrice: price(minRc) } : {}),
        note: duals.available && Number.isFinite(minRc) ? `it received everything it asked for; each further credit requested would add ${fmt(Math.max(0, minRc))} to the objective` : 'it received everything it asked for',
      };
      if (duals.available && duals.mu[org[p]] > PRICE_TOL) alsoBinding.push(floorBinding(org[p], true));
    } else {
      // Partial: the line furthest below its request decides.
      let pick = -1;
      let worst = -1;
      for (let l = a; l < b; l++) {
        const short = 1 - awards[l] / lineReq[l];
        if (short > worst + 1e-12) (worst = short), (pick = l);
      }
      const k = lineKey[pick];
      const byFloor = displacingFloor(k, p);
      binding = byFloor ?? capacityBinding(k, s, true);
      if (byFloor) alsoBinding.push(capacityBinding(k, s, true));
      const atMinimum = f[p] > 0 && Math.abs(awards[pick] - f[p] * lineReq[pick]) <= CREDIT_TOL * Math.max(1, lineReq[pick]);
      if (atMinimum) {
        const rc = duals.rcPerCredit[pick];
        alsoBinding.push({
          kind: 'min-viable-fraction',
          resourceKey: keys[k],
          ...(duals.available && !Number.isNaN(rc) ? { shadowPrice: price(-rc) } : {}),
          note: `this line is held at its minimum viable award of ${fmt(f[p] * lineReq[pick])} so the proposal can be funded at all`,
        });
      }
      if (duals.available && duals.mu[org[p]] > PRICE_TOL) alsoBinding.push(floorBinding(org[p], true));
    }

    const statusText =
      status === 'funded'
        ? `Funded in full (${fmt(awardedTotal)} credits)`
        : status === 'partial'
          ? `Funded in part (${fmt(awardedTotal)} of ${fmt(requestedTotal)} credits requested)`
          : `Not funded (${fmt(requestedTotal)} credits requested)`;
    proposals[p] = {
      proposalId: problem.ids[p],
      orgType: orgTypeAt(org[p]),
      score: s,
      minViableFraction: f[p],
      status,
      requestedTotal: round6(requestedTotal),
      awardedTotal: round6(awardedTotal),
      lines,
      binding,
      alsoBinding,
      explanation: `${statusText}: ${binding.note}.`,
    };
  }

  const resources: ResourcePlan[] = keys.map((resourceKey, k) => ({
    resourceKey,
    capacity: problem.capacity[k],
    awarded: round6(used[k]),
    remaining: round6(remaining[k]),
    shadowPrice: price(duals.lambda[k]),
  }));

  const floorPlans: FloorPlan[] = [];
  for (let t = 0; t < ORG_TYPES.length; t++) {
    if (!(problem.floorShare[t] > 0)) continue;
    const eff = floors.effective[t];
    floorPlans.push({
      orgType: orgTypeAt(t),
      share: problem.floorShare[t],
      target: round6(floors.target[t]),
      ...(Number.isNaN(floors.attainable[t]) ? {} : { attainable: round6(floors.attainable[t]) }),
      effectiveTarget: round6(eff),
      awarded: round6(byOrg[t]),
      status: floorStatus(byOrg[t], eff, floors.target[t]),
      shadowPrice: price(duals.mu[t]),
    });
  }

  return {
    ...(problem.callId !== undefined ? { callId: problem.callId } : {}),
    objective: round6(objective),
    totalCapacity: round6(problem.totalCapacity),
    totalAwarded: round6(used.reduce((x, y) => x + y, 0)),
    proposals,
    resources,
    floors: floorPlans,
    // Filled in by the solver; explainPlan is also used where there is no solve.
    solver: undefined as unknown as AwardPlan['solver'],
    overrides: [],
    violations: [],
  };
}

export function floorStatus(awarded: number, effective: number, target: number): FloorPlan['status'] {
  if (awarded < effective - CREDIT_TOL * Math.max(1, effective) * 10) return 'short';
  return effective < target - CREDIT_TOL * Math.max(1, target) ? 'capped-by-requests' : 'met';
}

function cleanZero(x: number, scale: number): number {
  return Math.abs(x) <= 1e-9 * Math.max(1, scale) ? 0 : x;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** 1234567.891 -> "1,234,567.89" (toLocaleString costs ~0.1 ms a call: seconds over a large call). */
export function fmt(x: number): string {
  const r = Math.round(x * 100) / 100;
  const [int, frac] = Math.abs(r).toString().split('.');
  const grouped = int.length > 3 ? int.replace(/\B(?=(\d{3})+$)/g, ',') : int;
  return (r < 0 ? '-' : '') + grouped + (frac ? '.' + frac : '');
}

// The greedy-by-score baseline: what a committee would do by hand, used by the benchmark as the
// yardstick for the optimiser (and as the optimiser's warm start). It honours the same rules:
// per-resource capacity, the request cap, the all-or-nothing minimum, and the floors (first, each
// floor is filled with its org type's best proposals; then everyone, best first, takes what fits).
import { ORG_TYPES, type AwardPlanInput } from './schema';
import { canonicalize, CREDIT_TOL, type CanonicalProblem } from './problem';

export interface GreedyResult {
  /** Credits per line (canonical line order). */
  awards: Float64Array;
  objective: number;
  /** Whether every floor target passed in was reached. */
  meetsFloors: boolean;
}

/** Proposals best score first; ties by id (canonical order), so the result is deterministic. */
export function scoreOrder(problem: CanonicalProblem): Int32Array {
  const order = Int32Array.from({ length: problem.n }, (_, i) => i);
  return order.sort((a, b) => problem.score[b] - problem.score[a] || a - b);
}

export function greedyOnProblem(problem: CanonicalProblem, floorTargets: Float64Array): GreedyResult {
  const { lineStart, lineKey, lineReq, f, org, score } = problem;
  const remaining = Float64Array.from(problem.capacity);
  const awards = new Float64Array(lineReq.length);
  const funded = new Uint8Array(problem.n);
  const byOrg = new Float64Array(ORG_TYPES.length);
  const order = scoreOrder(problem);
  const tol = (x: number) => CREDIT_TOL * Math.max(1, x);

  // Fund p with at most `cap` more credits (proportionally trimmed, never below its minimum).
  const tryFund = (p: number, cap: number): boolean => {
    if (problem.unfundableLine[p] >= 0 || lineStart[p] === lineStart[p + 1]) return false;
    let total = 0;
    for (let l = lineStart[p]; l < lineStart[p + 1]; l++) {
      const a = Math.min(lineReq[l], remaining[lineKey[l]]);
      if (a < f[p] * lineReq[l] - tol(lineReq[l])) return false;
      total += a;
    }
    if (total <= 0) return false;
    const alpha = total > cap ? cap / total : 1;
    for (let l = lineStart[p]; l < lineStart[p + 1]; l++) {
      const full = Math.min(lineReq[l], remaining[lineKey[l]]);
      const a = Math.min(full, Math.max(f[p] * lineReq[l], alpha * full));
      awards[l] = a;
      remaining[lineKey[l]] -= a;
      byOrg[org[p]] += a;
    }
    funded[p] = 1;
    return true;
  };

  for (let t = 0; t < ORG_TYPES.length; t++) {
    if (!(floorTargets[t] > 0)) continue;
    for (let i = 0; i < order.length && byOrg[t] < floorTargets[t] - tol(floorTargets[t]); i++) {
      const p = order[i];
      if (org[p] === t && !funded[p]) tryFund(p, floorTargets[t] - byOrg[t]);
    }
  }
  for (let i = 0; i < order.length; i++) {
    const p = order[i];
    if (!funded[p]) {
      tryFund(p, Infinity);
      continue;
    }
    for (let l = lineStart[p]; l < lineStart[p + 1]; l++) {
      const extra = Math.min(lineReq[l] - awards[l], remaining[lineKey[l]]);
      if (extra > 0) {
        awards[l] += extra;
        remaining[lineKey[l]] -= extra;
        byOrg[org[p]] += extra;
      }
    }
  }

  let objective = 0;
  for (let p = 0; p < problem.n; p++) for (let l = lineStart[p]; l < lineStart[p + 1]; l++) objective += score[p] * awards[l];
  let meetsFloors = true;
  for (let t = 0; t < ORG_TYPES.length; t++) if (byOrg[t] < floorTargets[t] - tol(floorTargets[t])) meetsFloors = false;
  return { awards, objective, meetsFloors };
}

export interface GreedyPlan {
  objective: number;
  meetsFloors: boolean;
  /** proposal id -> resource key -> credits (funded proposals only), ids sorted. */
  awards: Record<string, Record<string, number>>;
}

/**
 * Greedy-by-score plan for a call. Floor targets default to share x total capacity, capped at what
 * each org type requested in total; pass the optimiser's effective targets to compare like with like.
 */
export function greedyAwardPlan(input: AwardPlanInput, floorTargets?: Partial<Record<string, number>>): GreedyPlan {
  const problem = canonicalize(input);
  const targets = Float64Array.from(ORG_TYPES, (t, i) => {
    if (floorTargets && floorTargets[t] !== undefined) return floorTargets[t]!;
    let demand = 0;
    for (let p = 0; p < problem.n; p++) {
      if (problem.org[p] !== i || problem.unfundableLine[p] >= 0) continue;
      for (let l = problem.lineStart[p]; l < problem.lineStart[p + 1]; l++) demand += problem.lineReq[l];
    }
    return Math.min(problem.floorShare[i] * problem.totalCapacity, demand);
  });
  const result = greedyOnProblem(problem, targets);
  const awards: Record<string, Record<string, number>> = {};
  for (let p = 0; p < problem.n; p++) {
    for (let l = problem.lineStart[p]; l < problem.lineStart[p + 1]; l++) {
      if (result.awards[l] <= 0) continue;
      (awards[problem.ids[p]] ??= {})[problem.keys[problem.lineKey[l]]] = result.awards[l];
    }
  }
  return { objective: result.objective, meetsFloors: result.meetsFloors, awards };
}

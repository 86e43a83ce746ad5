// computeAwardPlan: floors, then the MIP (full, or the core reduction for large calls), then the
// duals and the per-proposal explanation. See docs/recommendation.md, "Award plan".
import { InfeasibleFloorsError, OptimiserFailedError, type FloorConflict } from './errors';
import { explainPlan, type Duals } from './explain';
import { greedyOnProblem } from './greedy';
import type { Highs } from 'highs';
import { runModel, type RunResult } from './highs-run';
import { awardsFromColumns, buildModel, COL_GROUP, COL_SHORTFALL, FIXED_IN, FIXED_OUT, FREE, startFromAwards, type BuiltModel } from './model';
import { canonicalize, CREDIT_TOL, type CanonicalProblem } from './problem';
import { ORG_TYPES, type AwardPlanInput, type SolverSettings } from './schema';
import type { AwardPlan, FloorFigures, SolveMethod } from './types';

/** Bumped whenever the formulation changes what plan a given input produces. */
export const FORMULATION = 'kairr-award-mip/1';

export const DEFAULT_SETTINGS: Required<SolverSettings> = { mipRelGap: 1e-5, timeLimitSeconds: 60, method: 'auto' };

/** `auto` switches to the core method above this many proposals with a binary decision. */
export const CORE_THRESHOLD = 200;

export interface AwardPlanOptions {
  settings?: SolverSettings;
  /** A loaded HiGHS (lambdas/recommendation/highs-loader.ts loads the process-wide one). */
  highs: Highs;
}

export async function computeAwardPlan(input: AwardPlanInput, options: AwardPlanOptions): Promise<AwardPlan> {
  return computeAwardPlanSync(options.highs, input, options.settings);
}

export type { FloorFigures };

interface MainSolve {
  awards: Float64Array;
  run: RunResult;
  built: BuiltModel;
  method: SolveMethod;
  freeProposals: number;
}

/** Progress events for benchmarks and diagnostics; never needed for the plan itself. */
export type AwardPlanTrace = (event: string, data: Record<string, number | string | boolean>) => void;

let trace: AwardPlanTrace | undefined;

export function computeAwardPlanSync(highs: Highs, input: AwardPlanInput, settings: SolverSettings = {}, onTrace?: AwardPlanTrace): AwardPlan {
  trace = onTrace;
  try {
    return computeAwardPlanInner(highs, input, settings);
  } finally {
    trace = undefined;
  }
}

function computeAwardPlanInner(highs: Highs, input: AwardPlanInput, settings: SolverSettings): AwardPlan {
  const s: Required<SolverSettings> = { ...DEFAULT_SETTINGS, ...settings };
  const started = performance.now();
  const secondsLeft = () => s.timeLimitSeconds - (performance.now() - started) / 1000;
  const problem = canonicalize(input);

  const shareSum = problem.floorShare.reduce((a, b) => a + b, 0);
  if (shareSum > 1 + 1e-12) {
    throw new InfeasibleFloorsError(
      'shares-exceed-total',
      ORG_TYPES.flatMap((orgType, t) => (problem.floorShare[t] > 0 ? [{ orgType, share: problem.floorShare[t], effectiveTarget: problem.floorShare[t] * problem.totalCapacity }] : [])),
    );
  }

  const floors = initialFloors(highs, problem, s, secondsLeft);
  let main = solveMain(highs, problem, floors.effective, s, secondsLeft);
  if (main === 'infeasible') {
    // Some floor may be beyond what its org type's requests can reach once the minimum-viable rule
    // is counted exactly: cap every floor at its exact attainable figure and try once more.
    let changed = false;
    for (let t = 0; t < ORG_TYPES.length; t++) {
      if (floors.target[t] > 0 && Number.isNaN(floors.attainable[t])) {
        floors.attainable[t] = attainable(highs, problem, t, s, secondsLeft);
        const eff = Math.min(floors.target[t], floors.attainable[t]);
        changed ||= eff < floors.effective[t];
        floors.effective[t] = eff;
      }
    }
    if (changed) main = solveMain(highs, problem, floors.effective, s, secondsLeft);
    if (main === 'infeasible') throw new InfeasibleFloorsError('jointly-infeasible', floorConflicts(highs, problem, floors, s, secondsLeft));
  }

  const duals = dualsOf(problem, main.built, main.run);
  const plan = explainPlan(problem, main.awards, duals, floors);
  const scale = main.built.scale;
  const proven = Number.isFinite(main.run.dualBound);
  const dualBound = Math.max(main.run.dualBound * scale, plan.objective);
  plan.solver = {
    engine: 'highs',
    highsVersion: highs.version.string,
    formulation: FORMULATION,
    method: main.method,
    status: main.run.status === 'optimal' ? 'optimal' : 'time-limit',
    mipRelGap: s.mipRelGap,
    timeLimitSeconds: s.timeLimitSeconds,
    dualBound: proven ? round6(dualBound) : null,
    gap: proven ? round6((dualBound - plan.objective) / Math.max(1, Math.abs(dualBound))) : null,
    freeProposals: main.freeProposals,
    reproducible: main.run.status === 'optimal',
  };
  return plan;
}

function initialFloors(highs: Highs, problem: CanonicalProblem, s: Required<SolverSettings>, secondsLeft: () => number): FloorFigures {
  const T = ORG_TYPES.length;
  const K = problem.keys.length;
  const target = Float64Array.from(problem.floorShare, (share) => share * problem.totalCapacity);
  const attainableFig = new Float64Array(T).fill(Number.NaN);
  const effective = Float64Array.from(target);
  const demand = new Float64Array(T * K);
  for (let p = 0; p < problem.n; p++) {
    if (problem.unfundableLine[p] >= 0) continue;
    for (let l = problem.lineStart[p]; l < problem.lineStart[p + 1]; l++) demand[problem.org[p] * K + problem.lineKey[l]] += problem.lineReq[l];
  }
  for (let t = 0; t < T; t++) {
    if (!(target[t] > 0)) continue;
    let total = 0;
    let bound = 0;
    let fitsEverywhere = true;
    for (let k = 0; k < K; k++) {
      const d = demand[t * K + k];
      total += d;
      bound += Math.min(d, problem.capacity[k]);
      if (d > problem.capacity[k] * (1 + CREDIT_TOL)) fitsEverywhere = false;
    }
    // If all of T's requests fit at once, T alone could be funded in full; otherwise, if even the
    // continuous bound falls short of the target, the exact figure decides the floor.
    if (fitsEverywhere) attainableFig[t] = total;
    else if (bound < target[t]) attainableFig[t] = attainable(highs, problem, t, s, secondsLeft);
    if (!Number.isNaN(attainableFig[t])) effective[t] = Math.min(target[t], attainableFig[t]);
  }
  return { target, attainable: attainableFig, effective };
}

/** The most credits org type t's proposals could receive with the call to themselves (a small MIP). */
function attainable(highs: Highs, problem: CanonicalProblem, t: number, s: Required<SolverSettings>, secondsLeft: () => number): number {
  const state = new Uint8Array(problem.n);
  for (let p = 0; p < problem.n; p++) state[p] = problem.org[p] === t && problem.unfundableLine[p] < 0 ? FREE : FIXED_OUT;
  const built = buildModel(highs, problem, { state, floorRhs: new Float64Array(ORG_TYPES.length), objective: 'credits' });
  if (built.numCols === 0) return 0;
  const run = runModel(highs, built, { mipRelGap: s.mipRelGap, timeLimitSeconds: secondsLeft(), wantDuals: false });
  if (run.status === 'infeasible') return 0;
  const awards = awardsFromColumns(problem, built, run.colValue);
  return awards.reduce((a, b) => a + b, 0);
}

function solveMain(highs: Highs, problem: CanonicalProblem, floorRhs: Float64Array, s: Required<SolverSettings>, secondsLeft: () => number): MainSolve | 'infeasible' {
  const greedy = greedyOnProblem(problem, floorRhs);
  const start = greedy.meetsFloors ? greedy.awards : undefined;
  let binaries = 0;
  for (let p = 0; p < problem.n; p++) if (problem.f[p] > 0 && problem.unfundableLine[p] < 0 && problem.lineStart[p + 1] > problem.lineStart[p]) binaries++;
  const useCore = s.method === 'core' || (s.method === 'auto' && binaries > CORE_THRESHOLD);
  if (useCore) {
    const core = solveCore(highs, problem, floorRhs, s, secondsLeft, start, greedy.meetsFloors ? greedy.objective : -Infinity);
    if (core === 'infeasible') return 'infeasible';
    if (core.kind === 'done') return core.solve;
    return solveFull(highs, problem, floorRhs, s, secondsLeft, core.start ?? start);
  }
  return solveFull(highs, problem, floorRhs, s, secondsLeft, start);
}

function baseState(problem: CanonicalProblem): Uint8Array {
  const state = new Uint8Array(problem.n);
  for (let p = 0; p < problem.n; p++) state[p] = problem.unfundableLine[p] >= 0 ? FIXED_OUT : FREE;
  return state;
}

function solveFull(highs: Highs, problem: CanonicalProblem, floorRhs: Float64Array, s: Required<SolverSettings>, secondsLeft: () => number, start: Float64Array | undefined): MainSolve | 'infeasible' {
  const state = baseState(problem);
  const built = buildModel(highs, problem, { state, floorRhs, objective: 'score' });
  const run = runModel(highs, built, {
    mipRelGap: s.mipRelGap,
    timeLimitSeconds: secondsLeft(),
    wantDuals: true,
    start: start ? startFromAwards(problem, built, start) : undefined,
  });
  if (run.status === 'infeasible') return 'infeasible';
  let free = 0;
  for (let p = 0; p < problem.n; p++) if (state[p] === FREE && problem.lineStart[p + 1] > problem.lineStart[p]) free++;
  if (!run.hasSolution) {
    // Out of time before HiGHS had any plan: the greedy plan is feasible, so it is the answer.
    if (!start) throw new OptimiserFailedError('time limit reached before any feasible plan');
    return { awards: start, run, built, method: 'greedy-fallback', freeProposals: free };
  }
  return { awards: awardsFromColumns(problem, built, run.colValue), run, built, method: 'full-mip', freeProposals: free };
}

/**
 * The core method (after the "core problem" of Balas & Zemel 1980 and Pisinger's knapsack
 * algorithms; Puchinger, Raidl & Pferschy 2010 for multidimensional knapsacks), made exact up to the
 * MIP gap with a Lagrangian bound:
 *  1. HiGHS solves the LP relaxation; its duals price each resource (lambda) and floor (mu).
 *  2. With those prices each proposal's best Lagrangian value if funded is
 *       v[p] = sum_l max(c[l], f*c[l]),  c[l] = (score - lambda[k] + mu[T]) * R[l],
 *     and UB = sum_k lambda[k] C[k] - sum_T mu[T] E[T] + sum_p max(v[p], 0) bounds the optimum.
 *     Any plan that puts p in the state its sign does not prefer is worth at most UB - |v[p]|.
 *  3. The core is every proposal with |v| <= delta, plus those where the greedy plan disagrees
 *     with the sign of v; the rest are fixed by that sign (a funded one keeps t in [f,1]; only its
 *     binary is fixed). The greedy plan is feasible for this restricted MIP, so HiGHS, warm-started
 *     from it, never returns worse.
 *  4. With m the smallest |v| outside the core, the full optimum is at most
 *     max(restricted bound, UB - m). If that is within the gap of the restricted plan, it is the
 *     plan; otherwise delta grows to what the bound needs and HiGHS solves again, for a few rounds,
 *     after which the full MIP is solved instead.
 */
function solveCore(
  highs: Highs,
  problem: CanonicalProblem,
  floorRhs: Float64Array,
  s: Required<SolverSettings>,
  secondsLeft: () => number,
  greedyAwards: Float64Array | undefined,
  incumbent: number,
): { kind: 'done'; solve: MainSolve } | { kind: 'fallback'; start?: Float64Array } | 'infeasible' {
  const { n, lineStart } = problem;
  const base = baseState(problem);
  const lpBuilt = buildModel(highs, problem, { state: base, floorRhs, objective: 'score', lpRelaxation: true });
  const lp = runModel(highs, lpBuilt, { mipRelGap: s.mipRelGap, timeLimitSeconds: secondsLeft(), wantDuals: true });
  if (lp.status === 'infeasible') return 'infeasible';
  if (!lp.hasSolution || !lp.rowDual || lp.status !== 'optimal') return { kind: 'fallback', start: greedyAwards };
  const S = lpBuilt.scale;

  // Proposals with a binary decision (f > 0, fundable, asking for something).
  const binary = new Uint8Array(n);
  const binaries: number[] = [];
  for (let p = 0; p < n; p++) {
    if (base[p] === FREE && problem.f[p] > 0 && lineStart[p + 1] > lineStart[p]) {
      binary[p] = 1;
      binaries.push(p);
    }
  }
  const prices = lagrangian(problem, floorRhs, pricesFromRows(lpBuilt, lp.rowDual), binary, S);
  const greedyFunded = (p: number) => {
    if (!greedyAwards) return prices.v[p] > 0;
    for (let l = lineStart[p]; l < lineStart[p + 1]; l++) if (greedyAwards[l] > 0) return true;
    return false;
  };
  const absV = binaries.map((p) => Math.abs(prices.v[p])).sort((a, b) => a - b);
  const inCore = new Uint8Array(n);
  // A first delta that takes in the few percent of proposals nearest the margin, or what the
  // greedy plan's own gap already rules out, whichever is smaller.
  const quantile = absV.length ? absV[Math.min(absV.length - 1, Math.max(100, Math.ceil(0.02 * absV.length)))] : 0;
  let delta = Math.min(quantile, Math.max(0, prices.ub - (incumbent / S) * (1 + s.mipRelGap)));
  trace?.('core-lp', { lpObjective: lp.objective * S, lpCols: lpBuilt.numCols, ub: prices.ub * S, delta: delta * S });

  let start = greedyAwards;
  for (let round = 0; round < 5 && secondsLeft() > 0; round++) {
    const state = new Uint8Array(n);
    let free = 0;
    let minOutside = Infinity;
    for (let p = 0; p < n; p++) {
      if (!binary[p]) {
        state[p] = base[p];
        continue;
      }
      const wantsIn = prices.v[p] > 0;
      if (!inCore[p] && (Math.abs(prices.v[p]) <= delta || wantsIn !== greedyFunded(p))) inCore[p] = 1;
      if (inCore[p]) {
        state[p] = FREE;
        free++;
      } else {
        state[p] = wantsIn ? FIXED_IN : FIXED_OUT;
        minOutside = Math.min(minOutside, Math.abs(prices.v[p]));
      }
    }
    const built = buildModel(highs, problem, { state, floorRhs, objective: 'score' });
    const run = runModel(highs, built, {
      mipRelGap: s.mipRelGap,
      timeLimitSeconds: secondsLeft(),
      wantDuals: true,
      start: start ? startFromAwards(problem, built, start) : undefined,
    });
    if (run.status === 'infeasible' || !run.hasSolution) return { kind: 'fallback', start };
    const awards = awardsFromColumns(problem, built, run.colValue);
    start = awards;
    const bound = Math.max(run.dualBound, prices.ub - minOutside);
    const gap = (bound - run.objective) / Math.max(1e-9, Math.abs(bound));
    trace?.('core-round', { round, free, rows: built.numRows, cols: built.numCols, status: run.status, nodes: run.nodes ?? -1, z: run.objective * S, bound: bound * S, gap });
    if (gap <= s.mipRelGap * (1 + 1e-9) || run.status !== 'optimal') {
      return { kind: 'done', solve: { awards, run: { ...run, dualBound: bound }, built, method: 'core-mip', freeProposals: free } };
    }
    // Grow the core to what the bound needs: everything UB - |v| could still beat the plan with.
    const needed = prices.ub - run.objective * (1 + s.mipRelGap);
    delta = Math.max(needed, delta * 2);
  }
  return { kind: 'fallback', start };
}

interface Prices {
  lambda: Float64Array;
  mu: Float64Array;
}

function pricesFromRows(built: BuiltModel, rowDual: Float64Array): Prices {
  const lambda = new Float64Array(built.numKeys);
  for (let k = 0; k < built.numKeys; k++) lambda[k] = Math.max(0, rowDual[k]);
  const mu = new Float64Array(built.floorRow.length);
  for (let t = 0; t < mu.length; t++) if (built.floorRow[t] >= 0) mu[t] = Math.max(0, -rowDual[built.floorRow[t]]);
  return { lambda, mu };
}

/** v[p] and the Lagrangian upper bound (scaled units) for the given prices. */
function lagrangian(problem: CanonicalProblem, floorRhs: Float64Array, prices: Prices, binary: Uint8Array, S: number): { v: Float64Array; ub: number } {
  const { n, lineStart, lineKey, lineReq, score, org, f } = problem;
  const v = new Float64Array(n);
  let ub = 0;
  for (let k = 0; k < prices.lambda.length; k++) ub += prices.lambda[k] * (problem.capacity[k] / S);
  for (let t = 0; t < prices.mu.length; t++) ub -= prices.mu[t] * (floorRhs[t] / S);
  for (let p = 0; p < n; p++) {
    if (problem.unfundableLine[p] >= 0) continue;
    let val = 0;
    for (let l = lineStart[p]; l < lineStart[p + 1]; l++) {
      const c = (score[p] - prices.lambda[lineKey[l]] + prices.mu[org[p]]) * (lineReq[l] / S);
      val += binary[p] ? Math.max(c, f[p] * c) : Math.max(c, 0);
    }
    v[p] = val;
    ub += Math.max(val, 0);
  }
  return { v, ub };
}

function dualsOf(problem: CanonicalProblem, built: BuiltModel, run: RunResult): Duals {
  const S = built.scale;
  const lambda = new Float64Array(problem.keys.length);
  const mu = new Float64Array(ORG_TYPES.length);
  const rcPerCredit = new Float64Array(problem.lineReq.length).fill(Number.NaN);
  if (!run.hasSolution || !run.rowDual || !run.colDual) return { lambda, mu, rcPerCredit, available: false };
  const prices = pricesFromRows(built, run.rowDual);
  lambda.set(prices.lambda);
  mu.set(prices.mu);
  for (let p = 0; p < problem.n; p++) {
    const yc = built.yCol[p];
    let yShare = Number.NaN;
    if (yc >= 0) {
      let minimum = 0;
      for (let l = problem.lineStart[p]; l < problem.lineStart[p + 1]; l++) minimum += problem.f[p] * problem.lineReq[l];
      yShare = minimum > 0 ? (run.colDual[yc] * S) / minimum : Number.NaN;
    }
    for (let l = problem.lineStart[p]; l < problem.lineStart[p + 1]; l++) {
      const lc = built.lineCol[l];
      rcPerCredit[l] = lc < 0 ? yShare : built.colKind[lc] === COL_GROUP ? run.colDual[lc] : (run.colDual[lc] * S) / problem.lineReq[l];
    }
  }
  return { lambda, mu, rcPerCredit, available: true };
}

/** Floors that cannot hold together: a MIP that minimises the total shortfall names them. */
function floorConflicts(highs: Highs, problem: CanonicalProblem, floors: FloorFigures, s: Required<SolverSettings>, secondsLeft: () => number): FloorConflict[] {
  const built = buildModel(highs, problem, { state: baseState(problem), floorRhs: floors.effective, objective: 'shortfall' });
  const run = runModel(highs, built, { mipRelGap: s.mipRelGap, timeLimitSeconds: secondsLeft(), wantDuals: false });
  const shortfall = new Float64Array(ORG_TYPES.length);
  if (run.status !== 'infeasible') {
    for (let c = 0; c < built.numCols; c++) if (built.colKind[c] === COL_SHORTFALL) shortfall[built.colRef[c]] = run.colValue[c] * built.scale;
  }
  const awarded = new Float64Array(ORG_TYPES.length);
  if (run.status !== 'infeasible') {
    const awards = awardsFromColumns(problem, built, run.colValue);
    for (let p = 0; p < problem.n; p++) for (let l = problem.lineStart[p]; l < problem.lineStart[p + 1]; l++) awarded[problem.org[p]] += awards[l];
  }
  // The floors short of their figure, and the ones they compete with: those met with nothing to spare.
  return ORG_TYPES.flatMap((orgType, t) => {
    const eff = floors.effective[t];
    if (!(eff > 0)) return [];
    const tight = awarded[t] <= eff * (1 + 1e-6) + 1e-6;
    if (shortfall[t] <= CREDIT_TOL * Math.max(1, eff) && !tight) return [];
    return [{ orgType, share: problem.floorShare[t], effectiveTarget: round6(eff), bestAchievable: round6(Math.min(eff, awarded[t])) }];
  });
}

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

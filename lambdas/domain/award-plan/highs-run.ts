// One HiGHS solve of a built model, with the options that make it reproducible, and the duals of
// the LP obtained by fixing every binary at its value in the solution.
import { OptimiserFailedError } from './errors';
import type { Highs } from 'highs';
import type { BuiltModel } from './model';

export interface RunOptions {
  mipRelGap: number;
  timeLimitSeconds: number;
  /** A candidate solution (column values); HiGHS checks it and ignores it if infeasible. */
  start?: Float64Array;
  /** Also solve the fixed-binary LP for row and column duals. */
  wantDuals: boolean;
}

export interface RunResult {
  status: 'optimal' | 'time-limit' | 'infeasible';
  /** False when the time limit struck before HiGHS had any feasible solution (colValue is then empty). */
  hasSolution: boolean;
  colValue: Float64Array;
  /** In the model's scaled units (objective / scale). */
  objective: number;
  dualBound: number;
  /** Branch-and-bound nodes HiGHS explored (diagnostics only). */
  nodes?: number;
  /** Duals of the fixed-binary LP (maximisation: d objective / d bound). Absent unless asked. */
  rowDual?: Float64Array;
  colDual?: Float64Array;
}

const MS = { optimal: 7, infeasible: 8, unboundedOrInfeasible: 9, timeLimit: 13, interrupted: 17 } as const;

/**
 * Options that hold for every solve: fixed seed, no console output. Presolve, symmetry detection and
 * the feasibility-jump heuristic are off: on these models (dense floor rows, many near-identical
 * binaries) they cost seconds in wasm and reduce nothing, while the root LP plus HiGHS's rounding
 * heuristics, warm-started from the greedy plan, already close the gap.
 */
function baseOptions(opts: RunOptions): Record<string, number | string | boolean> {
  return {
    output_flag: false,
    random_seed: 0,
    presolve: 'off',
    mip_detect_symmetry: false,
    mip_heuristic_run_feasibility_jump: false,
    mip_rel_gap: opts.mipRelGap,
    mip_abs_gap: 1e-9,
    time_limit: Math.max(0.05, opts.timeLimitSeconds),
  };
}

export function runModel(highs: Highs, built: BuiltModel, opts: RunOptions): RunResult {
  if (built.numCols === 0) {
    // Nothing to decide (HiGHS calls this model status "empty"): feasible unless a floor needs credits.
    const rowLower = built.data.rowLower as Float64Array;
    if (rowLower.some((v) => v > 0)) return { status: 'infeasible', hasSolution: false, colValue: new Float64Array(0), objective: -Infinity, dualBound: -Infinity };
    return { status: 'optimal', hasSolution: true, colValue: new Float64Array(0), objective: 0, dualBound: 0, rowDual: new Float64Array(built.numRows), colDual: new Float64Array(0) };
  }
  const model = highs.createModel(built.data);
  try {
    model.options.set(baseOptions(opts));
    const isMip = built.isMip;
    if (opts.start && isMip) model.setSolution({ colValue: opts.start });
    const { modelStatus } = model.run();
    if (modelStatus === MS.infeasible || modelStatus === MS.unboundedOrInfeasible) {
      return { status: 'infeasible', hasSolution: false, colValue: new Float64Array(0), objective: -Infinity, dualBound: -Infinity };
    }
    const hasPrimal = Number(model.info.get('primal_solution_status')) === highs.constants.solutionStatus.feasible;
    const limited = modelStatus === MS.timeLimit || modelStatus === MS.interrupted;
    if (limited && !hasPrimal) return { status: 'time-limit', hasSolution: false, colValue: new Float64Array(0), objective: -Infinity, dualBound: Infinity };
    if ((modelStatus !== MS.optimal && !limited) || !hasPrimal) throw new OptimiserFailedError(statusName(highs, modelStatus));
    const solution = model.getSolution();
    const objective = model.getObjectiveValue();
    const status = modelStatus === MS.optimal ? 'optimal' : 'time-limit';
    if (!isMip) {
      return { status, hasSolution: true, colValue: solution.colValue, objective, dualBound: status === 'optimal' ? objective : Infinity, rowDual: solution.rowDual, colDual: solution.colDual };
    }
    const dualBound = Number(model.info.get('mip_dual_bound'));
    const result: RunResult = {
      status,
      hasSolution: true,
      colValue: solution.colValue,
      objective,
      dualBound: Number.isFinite(dualBound) ? dualBound : Infinity,
      nodes: Number(model.info.get('mip_node_count')),
    };
    if (opts.wantDuals) {
      const fixed = model.getFixedLp('csc');
      const lp = highs.createModel({ ...fixed, integrality: undefined });
      try {
        lp.options.set({ output_flag: false, random_seed: 0, presolve: 'off', time_limit: Math.max(0.05, opts.timeLimitSeconds) });
        const lpStatus = lp.run().modelStatus;
        if (lpStatus === MS.optimal) {
          const duals = lp.getSolution();
          result.rowDual = duals.rowDual;
          result.colDual = duals.colDual;
        }
      } finally {
        lp.dispose();
      }
    }
    return result;
  } finally {
    model.dispose();
  }
}

function statusName(highs: Highs, code: number): string {
  const entry = Object.entries(highs.constants.modelStatus).find(([, v]) => v === code);
  return entry ? entry[0] : String(code);
}

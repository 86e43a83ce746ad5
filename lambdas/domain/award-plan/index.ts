// The committee's award-plan optimiser: pure TypeScript over HiGHS (wasm). See docs/recommendation.md.
export * from './schema';
export * from './types';
export { InfeasibleFloorsError, OptimiserFailedError, type FloorConflict } from './errors';
export { computeAwardPlan, computeAwardPlanSync, DEFAULT_SETTINGS, FORMULATION, CORE_THRESHOLD, type AwardPlanOptions } from './solve';
export { greedyAwardPlan, type GreedyPlan } from './greedy';
export type { Highs } from 'highs';
export { applyOverride, applyOverrides, recomputeTotals } from './override';
export { ValidationError } from '../errors';

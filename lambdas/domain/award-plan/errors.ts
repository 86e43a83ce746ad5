// Typed errors of the award-plan optimiser. They extend the shared KairrError family, so the one
// error mapper turns them into a 422 with a detail per floor.
import { RuleViolationError } from '../errors';
import type { OrgType } from './schema';

export interface FloorConflict {
  orgType: OrgType;
  /** Share of total capacity the call reserves for this org type. */
  share: number;
  /** share x total capacity, capped at what the org type's own requests could use (effective target). */
  effectiveTarget: number;
  /** In the plan that comes closest to meeting every floor at once; absent when the shares alone conflict. */
  bestAchievable?: number;
}

/**
 * The call's fairness floors cannot all hold. Raised when the shares sum to more than 100%, or when
 * floors each attainable on their own cannot be met together within the call's per-resource
 * capacity. A floor its org type's requests cannot fill is NOT an error: it is capped (see docs).
 */
export class InfeasibleFloorsError extends RuleViolationError {
  constructor(
    readonly reason: 'shares-exceed-total' | 'jointly-infeasible',
    readonly conflicts: FloorConflict[],
  ) {
    const names = conflicts.map((c) => c.orgType).join(', ');
    super(
      reason === 'shares-exceed-total' ? `The fairness floors (${names}) reserve more than 100% of the call's capacity` : `The fairness floors (${names}) cannot all be met together within the call's capacity`,
      conflicts.map((c) => ({
        path: `floors.${c.orgType}`,
        problem:
          reason === 'shares-exceed-total'
            ? `reserves ${(c.share * 100).toFixed(2)}% of capacity; the floors together exceed 100%`
            : `needs ${round2(c.effectiveTarget)} credits; at most ${round2(c.bestAchievable ?? 0)} can be met alongside the other floors`,
      })),
      'infeasible_floors',
    );
  }
}

/** HiGHS ended without a usable plan (a numerical failure, or the time limit before any feasible plan). */
export class OptimiserFailedError extends Error {
  constructor(readonly highsStatus: string) {
    super(`The award-plan optimiser ended without a plan (HiGHS status: ${highsStatus})`);
    this.name = 'OptimiserFailedError';
  }
}

function round2(x: number): string {
  return (Math.round(x * 100) / 100).toString();
}

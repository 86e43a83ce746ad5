// What computeAwardPlan returns. Every credit figure is in credits; every shadow price is in
// score-weighted credits of objective per credit (see docs/recommendation.md, "Award plan").
import type { AwardOverride, OrgType } from './schema';

export type FundingStatus = 'funded' | 'partial' | 'not-funded';

export type BindingKind = 'capacity' | 'org-type-floor' | 'min-viable-fraction' | 'request-cap';

export interface BindingConstraint {
  kind: BindingKind;
  /** For capacity, and for min-viable-fraction / request-cap when one line decides. */
  resourceKey?: string;
  /** For org-type-floor. */
  orgType?: OrgType;
  /**
   * Dual value from the LP with every funding decision fixed at the plan's (see docs). Always >= 0:
   * capacity: objective gained per extra credit of that resource;
   * org-type-floor: objective lost per extra credit the floor reserves;
   * request-cap: objective gained per extra credit this proposal could have asked for;
   * min-viable-fraction: objective gained per credit the minimum were lowered (funded lines only).
   * Absent where no dual is meaningful (a discrete all-or-nothing decision).
   */
  shadowPrice?: number;
  note: string;
}

export interface AwardLine {
  resourceKey: string;
  requested: number;
  /** The least this line may receive if the proposal is funded at all. */
  minViable: number;
  awarded: number;
}

export interface ProposalPlan {
  proposalId: string;
  orgType: OrgType;
  score: number;
  minViableFraction: number;
  status: FundingStatus;
  requestedTotal: number;
  awardedTotal: number;
  lines: AwardLine[];
  /** The constraint that decided this proposal's award; `alsoBinding` lists others that were tight. */
  binding: BindingConstraint;
  alsoBinding: BindingConstraint[];
  explanation: string;
  /** Set once a chair's override has changed one of its lines. */
  overridden?: boolean;
}

export interface ResourcePlan {
  resourceKey: string;
  capacity: number;
  awarded: number;
  remaining: number;
  shadowPrice: number;
}

export type FloorStatus = 'met' | 'capped-by-requests' | 'short';

export interface FloorPlan {
  orgType: OrgType;
  /** The share of total capacity the call reserves. */
  share: number;
  /** share x total capacity. */
  target: number;
  /** The most this org type's proposals could be awarded with the call to themselves, when it had to be computed. */
  attainable?: number;
  /** min(target, attainable): the figure the optimiser was held to. */
  effectiveTarget: number;
  awarded: number;
  status: FloorStatus;
  shadowPrice: number;
}

export type PlanViolation =
  | { kind: 'capacity'; resourceKey: string; capacity: number; awarded: number; excess: number }
  | { kind: 'request-cap'; proposalId: string; resourceKey: string; requested: number; awarded: number }
  | { kind: 'min-viable-fraction'; proposalId: string; resourceKey: string; minViable: number; awarded: number }
  | { kind: 'org-type-floor'; orgType: OrgType; effectiveTarget: number; awarded: number };

export interface OverrideRecord extends AwardOverride {
  /** What the plan said before this override. */
  previousCredits: number;
}

/** `greedy-fallback`: the time limit struck before HiGHS had a plan, so the greedy plan is returned. */
export type SolveMethod = 'full-mip' | 'core-mip' | 'greedy-fallback';

export interface SolverReport {
  engine: 'highs';
  highsVersion: string;
  formulation: string;
  method: SolveMethod;
  /** `optimal`: HiGHS proved the plan optimal within `mipRelGap`. */
  status: 'optimal' | 'time-limit';
  mipRelGap: number;
  timeLimitSeconds: number;
  /** Proven upper bound on the objective (score-weighted credits); null when none was proven. */
  dualBound: number | null;
  /** (dualBound - objective) / max(1, |dualBound|); null when no bound was proven. */
  gap: number | null;
  /** Proposals left free in the final MIP (core method); all fundable ones for the full method. */
  freeProposals: number;
  /** Only an optimal solve is a pure function of the input; a time-limited one depends on the machine. */
  reproducible: boolean;
}

export interface AwardPlan {
  callId?: string;
  /** Sum over proposals and resources of score x credits awarded. */
  objective: number;
  totalCapacity: number;
  totalAwarded: number;
  /** Sorted by proposal id. */
  proposals: ProposalPlan[];
  /** Sorted by resource key. */
  resources: ResourcePlan[];
  /** In ORG_TYPES order; only org types with a floor. */
  floors: FloorPlan[];
  solver: SolverReport;
  overrides: OverrideRecord[];
  /** Empty for an optimiser's plan; overrides may introduce some. */
  violations: PlanViolation[];
}

/** Per fairness floor: its target, what is attainable (NaN where not needed) and the floor in effect (solve.ts, explain.ts). */
export interface FloorFigures {
  target: Float64Array;
  attainable: Float64Array;
  effective: Float64Array;
}

// The plan the validator makes of a valid pipeline: every stage with the site it runs at, the
// stages it waits for (declared, implied by the data it reads, and the transfers that bring its
// inputs to its site), and where each input's copy comes from. The flow runs the plan.
import type { StageKind, VersionRef } from './spec';

/** A datum, named by where it comes from (see spec.ts). */
export type Datum = { key: string; kind: 'version'; ref: VersionRef } | { key: string; kind: 'output'; stage: string; output: string } | { key: string; kind: 'registered'; stage: string };

/** Where the copy a stage reads comes from. */
export type CopySource =
  /** A copy the catalogue holds as verified at the site: its path under the site's storage root. */
  | { from: 'catalogue'; site: string; path: string }
  /** Made at the site by an earlier stage (a job's output, or a registration's version). */
  | { from: 'stage'; site: string; stage: string }
  /** Brought to the site by a transfer stage. */
  | { from: 'transfer'; site: string; stage: string };

export interface PlannedInput {
  datum: Datum;
  /** The name the job sees (KAIRR_INPUT_<AS>); transfers and registrations have none. */
  as?: string;
  source: CopySource;
}

export interface PlannedStage {
  id: string;
  kind: StageKind;
  /** Index in the declared stages (for messages and the API's views). */
  index: number;
  /** Where the stage's work happens: the job's site, the transfer's destination, the registered files' site. */
  site: string;
  /** Stages that must succeed before this one starts, in declaration order. */
  dependsOn: string[];
  inputs: PlannedInput[];
  /** The allocation and resource whose account runs the work (jobs and transfers). */
  allocationId?: string;
  resource?: string;
  /** Registration: the catalogue versions the new version is derived from (DataCite IsDerivedFrom). */
  derivedFrom?: DerivedFrom[];
}

/** A catalogue version, or the version an earlier registration stage makes (known at run time). */
export type DerivedFrom = { version: VersionRef } | { registeredBy: string };

export interface PipelinePlan {
  /** Stage ids in an order that respects every dependency (ties: declaration order). */
  order: string[];
  stages: Record<string, PlannedStage>;
}

export function datumKey(d: { artifact: string; version: string } | { stage: string; output?: string }): string {
  if ('artifact' in d) return `v:${d.artifact}@${d.version}`;
  return d.output === undefined ? `r:${d.stage}` : `o:${d.stage}/${d.output}`;
}

export function describeDatum(d: Datum): string {
  switch (d.kind) {
    case 'version':
      return `version ${d.ref.artifact}@${d.ref.version}`;
    case 'output':
      return `output "${d.output}" of stage "${d.stage}"`;
    case 'registered':
      return `the version stage "${d.stage}" registers`;
  }
}

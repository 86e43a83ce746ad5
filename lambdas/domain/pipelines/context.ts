// What the pipeline validator needs to know about the world, as plain interfaces. The handler loads
// them (the ledger's face for allocations, the data hub's for versions, locations and permits) and
// passes them in, so the validator stays pure and is tested without storage.
// The names follow issue 13's data hub: artifacts with versions, a manifest per version, locations
// per physical copy, access levels, and permits from a data access committee.
import type { Site } from '../catalogue';
import type { PipelineSpec, VersionRef } from './spec';
import { isVersionRef } from './spec';
import { activePermit, type Permit } from '../datahub/permit';

export type AccessLevel = 'public' | 'registered' | 'restricted';
export type LocationState = 'pending' | 'verified' | 'failed' | 'removed';
export type ArtifactType = 'dataset' | 'model';

export interface ManifestEntry {
  /** Relative to the version's root (no "..", not absolute). */
  path: string;
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
  mediaType?: string;
}

/** One physical copy of a version. */
export interface VersionLocation {
  site: string;
  /** The copy's folder, relative to the site's storage root. */
  path: string;
  state: LocationState;
  verifiedAt?: string;
}

/** A catalogue version as the caller may see it (a version they may not see is simply absent). */
export interface CatalogueVersion {
  artifact: string;
  version: string;
  type: ArtifactType;
  accessLevel: AccessLevel;
  locations: VersionLocation[];
  totalBytes?: number;
  fileCount?: number;
}

/** An artifact the pipeline registers a new version of. */
export interface ArtifactFacts {
  id: string;
  type: ArtifactType;
  /** The caller owns or stewards it (may add versions). */
  canAddVersion: boolean;
}

/** A data access committee's permit: the data hub's own definition (one source, so the two never drift). */
export type { Permit };

/** An allocation as it bears on the caller's pipeline. */
export interface AllocationFacts {
  id: string;
  /** The ledger's state; only `active` allocations run jobs. */
  state: string;
  /** The caller is a member (PI included). */
  callerIsMember: boolean;
  /** Resource keys "site/resource" the allocation holds. */
  resources: string[];
}

export interface ValidationContext {
  caller: { sub: string };
  now: Date;
  /** The stage's sites and resources (lambdas/domain/catalogue.ts). */
  sites: readonly Site[];
  /** policy.maxJobScriptBytes */
  maxJobScriptBytes: number;
  /** Every allocation the pipeline names, by id; one that does not exist or is not visible is absent. */
  allocations: Readonly<Record<string, AllocationFacts | undefined>>;
  /** Every catalogue version the pipeline names that the caller may see. */
  versions: readonly CatalogueVersion[];
  /** Every artifact a registration stage names, by id. */
  artifacts: Readonly<Record<string, ArtifactFacts | undefined>>;
  /** The caller's permits (any state; the validator checks period and revocation). */
  permits: readonly Permit[];
}

/** What a handler has to load before validating: the ids the pipeline names. */
export interface ReferencedIds {
  allocations: string[];
  versions: VersionRef[];
  artifacts: string[];
}

export function referencedIds(spec: PipelineSpec): ReferencedIds {
  const allocations = new Set<string>();
  const versions = new Map<string, VersionRef>();
  const artifacts = new Set<string>();
  const addVersion = (r: VersionRef) => versions.set(versionKey(r), r);
  for (const s of spec.stages) {
    if (s.kind === 'job') {
      allocations.add(s.allocationId);
      for (const i of s.inputs) if (isVersionRef(i.from)) addVersion(i.from);
    } else if (s.kind === 'transfer') {
      if (s.allocationId) allocations.add(s.allocationId);
      for (const i of s.items) if (isVersionRef(i)) addVersion(i);
    } else {
      artifacts.add(s.artifact);
    }
  }
  return { allocations: [...allocations], versions: [...versions.values()], artifacts: [...artifacts] };
}

export function versionKey(r: VersionRef): string {
  return `${r.artifact}@${r.version}`;
}

/** The permit that lets `sub` use `artifact` at `site` at `now`, if any. */
export function permitFor(permits: readonly Permit[], sub: string, artifact: string, site: string, now: Date): Permit | undefined {
  return activePermit(permits, sub, artifact, site, now);
}

// What the validator needs to know about the world (lambdas/domain/pipelines/context.ts), loaded
// through the ledger's and the data hub's faces, as the caller may see it: an allocation the caller
// may not see, or a version they may not read, is simply absent (the validator then names it as
// unknown, the same answer as for one that does not exist).
import type { AllocationFacts, ArtifactFacts, CatalogueVersion, ValidationContext } from '../domain/pipelines/context';
import { referencedIds } from '../domain/pipelines/context';
import type { PipelineSpec } from '../domain/pipelines/spec';
import { runtimeConfig } from '../shared/config';
import type { Caller } from '../shared/http/caller';
import { allocationOf, canSee, getAllocationItem } from '../ledger';
import { canEditArtifact, canReadVersion, readAnyArtifact, readPermitsOf, readVersionWithLocations } from '../datahub';

async function allocationFacts(id: string, caller: Caller): Promise<AllocationFacts | undefined> {
  const item = await getAllocationItem(id);
  const a = item ? allocationOf(item) : undefined;
  if (!a || !canSee(caller, a)) return undefined;
  return { id, state: a.state, callerIsMember: a.members.some((m) => m.sub === caller.sub), resources: Object.keys(a.resources) };
}

async function versionFacts(artifact: string, version: string, caller: Caller): Promise<CatalogueVersion | undefined> {
  const got = await readVersionWithLocations(artifact, version);
  if (!got || !canReadVersion(got.artifact, got.version.state, { sub: caller.sub, roles: caller.roles })) return undefined;
  return {
    artifact,
    version,
    type: got.artifact.kind,
    accessLevel: got.artifact.accessLevel,
    // Only copies at a site count for a stage at that site; the hub's own S3 copy is not at any.
    locations: got.locations.filter((l) => l.kind === 'site' && l.siteId).map((l) => ({ site: l.siteId!, path: l.path, state: l.state, ...(l.lastVerifiedAt ? { verifiedAt: l.lastVerifiedAt } : {}) })),
    totalBytes: got.version.bytes,
    fileCount: got.version.files,
  };
}

async function artifactFacts(id: string, caller: Caller): Promise<ArtifactFacts | undefined> {
  const a = await readAnyArtifact(id);
  if (!a) return undefined;
  return { id, type: a.kind, canAddVersion: canEditArtifact(a, { sub: caller.sub, roles: caller.roles }) };
}

export async function loadContext(spec: PipelineSpec, caller: Caller, now: Date): Promise<ValidationContext> {
  const ids = referencedIds(spec);
  const cfg = runtimeConfig();
  const [allocations, versions, artifacts] = await Promise.all([
    Promise.all(ids.allocations.map(async (id) => [id, await allocationFacts(id, caller)] as const)),
    Promise.all(ids.versions.map((v) => versionFacts(v.artifact, v.version, caller))),
    Promise.all(ids.artifacts.map(async (id) => [id, await artifactFacts(id, caller)] as const)),
  ]);
  return {
    caller: { sub: caller.sub },
    now,
    sites: cfg.sites,
    maxJobScriptBytes: cfg.policy.maxJobScriptBytes,
    allocations: Object.fromEntries(allocations),
    versions: versions.filter((v): v is CatalogueVersion => v !== undefined),
    artifacts: Object.fromEntries(artifacts),
    // the caller's permits in force now (the validator checks each restricted input's reading site)
    permits: await readPermitsOf(caller.sub, now),
  };
}

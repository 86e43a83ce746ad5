// The catalogue artifacts a job declares: the versions it reads (`inputs`) and the draft versions
// it writes (`outputs`), as `kairr:<artifactId>@<version>` (docs/datahub.md, "Proposal and job
// links"). Checked once per dispatch, through the data hub's face, before anything is recorded:
// - an unknown artifact or version, or one the caller may not read, is the same 422
//   `unknown_artifact` (a stranger learns nothing of a draft's existence);
// - a restricted input needs a permit for the caller at the job's site, in force now: 403
//   `permit_required`, decided before anything about its copies is said (where restricted data
//   sits is shown only to permitted users);
// - an input needs a verified copy at the job's site: 422 `no_copy_at_site`, naming the site;
// - an output is a draft version of an artifact the caller stewards (published versions never
//   change): 422 `output_not_writable`.
// Each problem names its field (`inputs[0]`). What passed is recorded on the job item and shown.
import { KairrError, RuleViolationError, ValidationError, type ErrorDetail } from '../domain/errors';
import { activePermit, type Permit } from '../domain/datahub/permit';
import { canEdit as canEditArtifact, canReadVersion } from '../domain/datahub/access';
import type { Artifact, Location, Version } from '../domain/datahub/model';
import { formatCatalogueRef, parseCatalogueRef } from '../domain/catalogue-ref';
import type { Caller } from '../shared/http/caller';
import type { JobRecord } from './store';

type Found = { artifact: Artifact; version: Version; locations: Location[] };

/** What the checks read of the data hub: its face's readVersionWithLocations and readPermitsOf. */
export interface CatalogueReads {
  readVersionWithLocations(id: string, version: string): Promise<Found | null>;
  readPermitsOf(sub: string, now: Date): Promise<Permit[]>;
}

let reads: CatalogueReads | undefined;

/**
 * The jobs API function hands in the data hub's face (catalogue.ts). The jobs capability cannot
 * import it: the hub dispatches its verification jobs through the jobs face, and imports never go
 * round in a circle. Dispatches from other capabilities declare no artifacts, so need none.
 */
export function useCatalogueReads(r: CatalogueReads | undefined): void {
  reads = r;
}

/** One declared artifact as the job item keeps it. */
export interface DeclaredArtifact {
  ref: string;
  artifactId: string;
  version: string;
  kind: Artifact['kind'];
  accessLevel: Artifact['accessLevel'];
  /** Inputs: the verified copy at the job's site the job reads. */
  locationId?: string;
  /** Inputs of restricted data: the permit it was read under. */
  permitId?: string;
}

export interface JobArtifacts {
  inputs?: DeclaredArtifact[];
  outputs?: DeclaredArtifact[];
}

/** A job item with what it declared (store.ts keeps every attribute it is given). */
export type JobWithArtifacts = JobRecord & JobArtifacts;

type Kind = 'unknown_artifact' | 'no_copy_at_site' | 'output_not_writable' | 'permit_required';
interface Problem extends ErrorDetail {
  kind: Kind;
}

function duplicates(refs: readonly string[], field: string): ErrorDetail[] {
  const seen = new Map<string, number>();
  const out: ErrorDetail[] = [];
  refs.forEach((r, i) => {
    if (seen.has(r)) out.push({ path: `${field}[${i}]`, problem: `repeats ${field}[${seen.get(r)}]` });
    else seen.set(r, i);
  });
  return out;
}

async function lookUp(hub: CatalogueReads, refs: readonly string[]): Promise<(Found | null)[]> {
  return Promise.all(
    refs.map((r) => {
      const p = parseCatalogueRef(r);
      return p?.version ? hub.readVersionWithLocations(p.artifactId, p.version) : Promise.resolve(null);
    }),
  );
}

function declared(f: Found, extra: Partial<DeclaredArtifact> = {}): DeclaredArtifact {
  return { ref: formatCatalogueRef(f.artifact.id, f.version.version), artifactId: f.artifact.id, version: f.version.version, kind: f.artifact.kind, accessLevel: f.artifact.accessLevel, ...extra };
}

/**
 * Checks what a dispatch declares at `siteId` for `caller` (one 400 for repeats; then one 422 or
 * 403 naming every field). Returns what the job item records; nothing when nothing is declared.
 */
export async function checkArtifacts(body: { inputs?: string[]; outputs?: string[] }, siteId: string, caller: Caller, now: Date): Promise<JobArtifacts> {
  const inputs = body.inputs ?? [];
  const outputs = body.outputs ?? [];
  if (!inputs.length && !outputs.length) return {};
  const repeats = [...duplicates(inputs, 'inputs'), ...duplicates(outputs, 'outputs')];
  if (repeats.length) throw new ValidationError(repeats, `The job's artifacts are invalid: ${repeats.map((p) => `${p.path} ${p.problem}`).join('; ')}`);
  if (!reads) throw new Error('declared artifacts are checked only where the data hub is wired in (jobs/catalogue.ts)');
  const hub = reads;
  const viewer = { sub: caller.sub, roles: caller.roles };
  const [ins, outs] = await Promise.all([lookUp(hub, inputs), lookUp(hub, outputs)]);
  const restricted = ins.some((f) => f?.artifact.accessLevel === 'restricted');
  const permits: Permit[] = restricted ? await hub.readPermitsOf(caller.sub, now) : [];
  const problems: Problem[] = [];
  const result: JobArtifacts = {};
  ins.forEach((f, i) => {
    const path = `inputs[${i}]`;
    if (!f || !canReadVersion(f.artifact, f.version.state, viewer)) return void problems.push({ kind: 'unknown_artifact', path, problem: `${inputs[i]} is not a catalogue version you may read` });
    const permit = f.artifact.accessLevel === 'restricted' ? activePermit(permits, caller.sub, f.artifact.id, siteId, now) : undefined;
    if (f.artifact.accessLevel === 'restricted' && !permit) {
      return void problems.push({ kind: 'permit_required', path, problem: `is restricted data: you hold no permit for ${f.artifact.id} at ${siteId} in force now (apply to its data access committee)` });
    }
    const copy = f.locations.find((l) => l.kind === 'site' && l.siteId === siteId && l.state === 'verified');
    if (!copy) return void problems.push({ kind: 'no_copy_at_site', path, problem: `has no verified copy at ${siteId}: run the job where a copy is, or copy it to ${siteId} first` });
    (result.inputs ??= []).push(declared(f, { locationId: copy.locationId, ...(permit ? { permitId: permit.id } : {}) }));
  });
  outs.forEach((f, i) => {
    const path = `outputs[${i}]`;
    if (!f || !canReadVersion(f.artifact, f.version.state, viewer)) return void problems.push({ kind: 'unknown_artifact', path, problem: `${outputs[i]} is not a catalogue version you may read` });
    if (!canEditArtifact(f.artifact, viewer)) return void problems.push({ kind: 'output_not_writable', path, problem: `only ${f.artifact.id}'s stewards may declare a job writing its versions` });
    if (f.version.state !== 'draft') return void problems.push({ kind: 'output_not_writable', path, problem: `is ${f.version.state}, and a ${f.version.state} version never changes: declare a new draft version` });
    (result.outputs ??= []).push(declared(f));
  });
  if (!problems.length) return result;
  throw refusal(problems);
}

/** The 422s first (what no permit would fix); a job refused only for want of permits is a 403. */
function refusal(problems: Problem[]): KairrError {
  const unusable = problems.filter((p) => p.kind !== 'permit_required');
  const details = (ps: Problem[]) => ps.map(({ path, problem }) => ({ path, problem }));
  const text = (ps: Problem[]) => ps.map((p) => `${p.path} ${p.problem}`).join('; ');
  if (unusable.length) return new RuleViolationError(`The job's artifacts cannot be used: ${text(unusable)}`, details(unusable), unusable[0].kind);
  return new KairrError(403, 'permit_required', `The job reads restricted data without a permit at the site: ${text(problems)}`, details(problems));
}

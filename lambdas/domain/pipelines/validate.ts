// Validation of a pipeline on submit: every problem named with its field path, in one answer, so a
// researcher fixes them all at once (docs/pipelines.md, "Validation"). Three passes:
//   1. references: stage ids unique, every referenced stage and output exists and is of a kind that
//      makes data; `after` names real stages;
//   2. order: no cycle; every input has a copy at the site that reads it (the catalogue's verified
//      copy, one made there, or a transfer that brings it, which the reader then waits for);
//   3. the world: sites and resources, allocations (member, active, holding the resource),
//      the resource's limits, permits for restricted data at the site that reads it, artifacts.
import type { ErrorDetail } from '../errors';
import { findSite, type Site } from '../catalogue';
import { permitFor, versionKey, type CatalogueVersion, type ValidationContext } from './context';
import { StageGraph } from './graph';
import { datumKey, describeDatum, type CopySource, type Datum, type PipelinePlan, type PlannedInput, type PlannedStage } from './plan';
import { isVersionRef, type DatumRef, type JobStage, type PipelineSpec, type RegistrationStage, type Stage, type TransferStage } from './spec';
import { checkJobStage, checkMoverAllocation } from './validate-stages';

export type ValidationResult = { ok: true; plan: PipelinePlan } | { ok: false; problems: ErrorDetail[] };

interface Need {
  consumer: Stage;
  datum: Datum;
  site: string;
  path: string;
  as?: string;
}

export function validatePipeline(spec: PipelineSpec, ctx: ValidationContext): ValidationResult {
  const problems: ErrorDetail[] = [];
  const add = (path: string, problem: string) => problems.push({ path, problem });
  const at = (i: number) => `stages[${i}]`;

  // --- 1. references ---------------------------------------------------------------------------
  const index = new Map<string, number>();
  spec.stages.forEach((s, i) => {
    if (index.has(s.id)) add(`${at(i)}.id`, `duplicates the id of stages[${index.get(s.id)}] ("${s.id}")`);
    else index.set(s.id, i);
  });
  const stageOf = (id: string) => spec.stages[index.get(id)!];
  const graph = new StageGraph([...index.keys()]);
  const versions = new Map(ctx.versions.map((v) => [versionKey(v), v]));
  const needs: Need[] = [];

  const resolve = (ref: DatumRef, path: string, consumer: Stage, role: 'input' | 'item' | 'registered'): Datum | undefined => {
    if (isVersionRef(ref)) {
      if (role === 'registered') return void add(path, "must be a job stage's output: a registration makes a version from files a job wrote");
      if (!versions.has(versionKey(ref))) return void add(path, `names version ${versionKey(ref)}, which is not in the catalogue (or not visible to you)`);
      return { key: datumKey(ref), kind: 'version', ref };
    }
    const target = index.has(ref.stage) ? stageOf(ref.stage) : undefined;
    if (!target) return void add(`${path}.stage`, `names stage "${ref.stage}", which is not in this pipeline`);
    if (target === consumer) return void add(`${path}.stage`, 'names its own stage');
    graph.addEdge(target.id, consumer.id);
    if (target.kind === 'transfer') {
      return void add(`${path}.stage`, `names transfer stage "${target.id}": name the data it moves instead, and this stage runs after it`);
    }
    if (target.kind === 'registration') {
      if (role === 'registered') return void add(`${path}.stage`, `names registration stage "${target.id}": a registration takes a job's outputs`);
      if (ref.output !== undefined) return void add(`${path}.output`, `must be left out: registration stage "${target.id}" makes one version, not named outputs`);
      return { key: datumKey(ref), kind: 'registered', stage: target.id };
    }
    const declared = target.outputs.map((o) => o.name);
    if (ref.output === undefined) return void add(`${path}.output`, `is required: stage "${target.id}" is a job; name one of its outputs (${declared.join(', ') || 'it declares none'})`);
    if (!declared.includes(ref.output)) return void add(`${path}.output`, `names output "${ref.output}", which stage "${target.id}" does not declare (${declared.length ? `it declares: ${declared.join(', ')}` : 'it declares none'})`);
    return { key: datumKey(ref), kind: 'output', stage: target.id, output: ref.output };
  };

  spec.stages.forEach((s, i) => {
    if (index.get(s.id) !== i) return; // a duplicate: already reported, and its references would only repeat
    (s.after ?? []).forEach((a, j) => {
      if (!index.has(a)) add(`${at(i)}.after[${j}]`, `names stage "${a}", which is not in this pipeline`);
      else if (a === s.id) add(`${at(i)}.after[${j}]`, 'names its own stage');
      else graph.addEdge(a, s.id);
    });
    if (s.kind === 'job') {
      s.inputs.forEach((inp, j) => {
        const d = resolve(inp.from, `${at(i)}.inputs[${j}].from`, s, 'input');
        if (d) needs.push({ consumer: s, datum: d, site: s.site, path: `${at(i)}.inputs[${j}].from`, as: inp.as });
      });
    } else if (s.kind === 'transfer') {
      s.items.forEach((item, j) => {
        const d = resolve(item, `${at(i)}.items[${j}]`, s, 'item');
        if (d) needs.push({ consumer: s, datum: d, site: s.from, path: `${at(i)}.items[${j}]` });
      });
    } else {
      s.outputs.forEach((o, j) => resolve(o, `${at(i)}.outputs[${j}]`, s, 'registered'));
    }
  });

  // where each registration's files are: the site of the jobs that wrote them
  const registrationSite = new Map<string, string>();
  spec.stages.forEach((s, i) => {
    if (s.kind !== 'registration' || index.get(s.id) !== i) return;
    const sites = [
      ...new Set(
        s.outputs
          .map((o) => stageOf(o.stage))
          .filter((p): p is JobStage => p?.kind === 'job')
          .map((p) => p.site),
      ),
    ];
    if (sites.length === 1) registrationSite.set(s.id, sites[0]);
    else if (sites.length > 1) add(`${at(i)}.outputs`, `must all be at one site; they are made at ${sites.join(' and ')} (transfer them first and register there, or register each site's outputs separately)`);
  });

  // --- 2. order and copies ------------------------------------------------------------------------
  const cycles = graph.cycles();
  for (const cycle of cycles) add(at(index.get(cycle[0])!), `is part of a cycle: ${cycle.join(' → ')}`);

  const planned = new Map<string, PlannedInput[]>();
  if (cycles.length === 0) {
    const nativeSites = (d: Datum): string[] => {
      if (d.kind === 'version') return verifiedCopies(versions.get(versionKey(d.ref))!).map((l) => l.site);
      if (d.kind === 'output') return [(stageOf(d.stage) as JobStage).site];
      const site = registrationSite.get(d.stage);
      return site ? [site] : [];
    };
    for (const need of needs) {
      const source = copySource(need, nativeSites(need.datum));
      if (source) planned.set(need.consumer.id, [...(planned.get(need.consumer.id) ?? []), { datum: need.datum, as: need.as, source }]);
    }
  }

  function copySource(need: Need, native: string[]): CopySource | undefined {
    const { datum, site, consumer, path } = need;
    if (native.includes(site)) {
      if (datum.kind === 'version') {
        const loc = verifiedCopies(versions.get(versionKey(datum.ref))!).find((l) => l.site === site)!;
        return { from: 'catalogue', site, path: loc.path };
      }
      return { from: 'stage', site, stage: datum.stage };
    }
    const bringers = spec.stages.filter((t): t is TransferStage => t.kind === 'transfer' && t !== consumer && t.to === site && t.items.some((i) => datumKey(i) === datum.key));
    const usable = bringers.find((t) => !graph.descendants(consumer.id).has(t.id));
    if (usable) {
      graph.addEdge(usable.id, consumer.id);
      return { from: 'transfer', site, stage: usable.id };
    }
    if (bringers.length) {
      add(path, `has no copy at ${site} before stage "${consumer.id}": transfer "${bringers[0].id}" brings it there, but only after this stage`);
      return undefined;
    }
    const where = native.length ? `its copies are at ${native.join(', ')}` : 'it has no verified copy anywhere';
    add(path, `${describeDatum(datum)} has no copy at ${site} (${where}) and no transfer stage brings it there`);
    return undefined;
  }

  // --- 3. the world -------------------------------------------------------------------------------
  const mover = new Map<string, { allocationId: string; resource: string }>();
  spec.stages.forEach((s, i) => {
    if (index.get(s.id) !== i) return;
    if (s.kind === 'job') {
      checkJobStage(s, at(i), ctx, add);
    } else if (s.kind === 'transfer') {
      const from = siteOrProblem(ctx.sites, s.from, `${at(i)}.from`, add);
      const to = siteOrProblem(ctx.sites, s.to, `${at(i)}.to`, add);
      if (from && to && s.from === s.to) add(`${at(i)}.to`, `must differ from from ("${s.from}")`);
      if (to) {
        const m = checkMoverAllocation(s, at(i), spec, ctx, add);
        if (m) mover.set(s.id, m);
      }
    } else {
      checkRegistration(s, at(i), ctx, add);
    }
  });
  // restricted data: a permit for the site that reads it (a transfer's data lands at its destination)
  for (const need of needs) {
    if (need.datum.kind !== 'version') continue;
    const v = versions.get(versionKey(need.datum.ref))!;
    const readAt = need.consumer.kind === 'transfer' ? need.consumer.to : need.site;
    if (v.accessLevel === 'restricted' && !permitFor(ctx.permits, ctx.caller.sub, v.artifact, readAt, ctx.now)) {
      add(need.path, `is restricted: you hold no permit for ${v.artifact} at ${readAt} that is valid now`);
    }
  }

  if (problems.length) return { ok: false, problems };

  const order = graph.topologicalOrder()!;
  const stages: Record<string, PlannedStage> = {};
  spec.stages.forEach((s, i) => {
    const p: PlannedStage = {
      id: s.id,
      kind: s.kind,
      index: i,
      site: s.kind === 'job' ? s.site : s.kind === 'transfer' ? s.to : registrationSite.get(s.id)!,
      dependsOn: graph.predecessors(s.id),
      inputs: planned.get(s.id) ?? [],
    };
    if (s.kind === 'job') Object.assign(p, { allocationId: s.allocationId, resource: s.resource });
    if (s.kind === 'transfer') Object.assign(p, mover.get(s.id));
    if (s.kind === 'registration') {
      p.derivedFrom = derivedFrom(s, stageOf);
      // the registration job hashes the outputs where they are, under the allocation of the job that wrote them
      const producer = stageOf(s.outputs[0].stage) as JobStage;
      Object.assign(p, { allocationId: producer.allocationId, resource: producer.resource });
    }
    stages[s.id] = p;
  });
  return { ok: true, plan: { order, stages } };
}

function verifiedCopies(v: CatalogueVersion) {
  return v.locations.filter((l) => l.state === 'verified');
}

function siteOrProblem(sites: readonly Site[], id: string, path: string, add: (p: string, m: string) => void): Site | undefined {
  const site = findSite(sites, id);
  if (!site) add(path, `names site "${id}", which KAIRR does not know (sites: ${sites.map((s) => s.id).join(', ')})`);
  return site;
}

function checkRegistration(s: RegistrationStage, path: string, ctx: ValidationContext, add: (p: string, m: string) => void): void {
  const a = ctx.artifacts[s.artifact];
  if (!a) add(`${path}.artifact`, `names artifact "${s.artifact}", which is not in the catalogue (or not visible to you)`);
  else if (!a.canAddVersion) add(`${path}.artifact`, `you may not add versions to "${s.artifact}" (its owner and stewards may)`);
}

/**
 * The versions a registration's new version is derived from: what the jobs that wrote its files
 * read, followed back through jobs' outputs (a transfer moves a datum, it does not derive one).
 */
function derivedFrom(s: RegistrationStage, stageOf: (id: string) => Stage) {
  const found = new Map<string, { version: { artifact: string; version: string } } | { registeredBy: string }>();
  const seen = new Set<string>();
  const walk = (jobId: string) => {
    if (seen.has(jobId)) return;
    seen.add(jobId);
    const job = stageOf(jobId);
    if (job.kind !== 'job') return;
    for (const inp of job.inputs) {
      if (isVersionRef(inp.from)) found.set(datumKey(inp.from), { version: inp.from });
      else if (stageOf(inp.from.stage).kind === 'registration') found.set(datumKey(inp.from), { registeredBy: inp.from.stage });
      else walk(inp.from.stage);
    }
  };
  for (const o of s.outputs) walk(o.stage);
  return [...found.values()];
}

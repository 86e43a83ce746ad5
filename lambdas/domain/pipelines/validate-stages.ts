// Checks of one stage against the world: the site and resource, the allocation that pays, the
// resource's limits (as dispatch would check them, but before anything runs), and the names a job
// stage declares. Part of validate.ts; every problem is added, none thrown.
import { findSite, type Resource } from '../catalogue';
import type { AllocationFacts, ValidationContext } from './context';
import type { JobStage, PipelineSpec, TransferStage } from './spec';

type Add = (path: string, problem: string) => void;

/** Environment names KAIRR and the scheduler set themselves. */
const RESERVED_ENV = /^(SLURM_|KAIRR_)/;

export function checkJobStage(s: JobStage, path: string, ctx: ValidationContext, add: Add): void {
  const site = findSite(ctx.sites, s.site);
  let resource: Resource | undefined;
  if (!site) add(`${path}.site`, `names site "${s.site}", which KAIRR does not know (sites: ${ctx.sites.map((x) => x.id).join(', ')})`);
  else {
    resource = site.resources.find((r) => r.id === s.resource);
    if (!resource) add(`${path}.resource`, `names resource "${s.resource}", which ${s.site} does not have (it has: ${site.resources.map((r) => r.id).join(', ')})`);
  }
  const alloc = usableAllocation(ctx, s.allocationId, `${path}.allocationId`, add);
  if (alloc && resource && !alloc.resources.includes(`${s.site}/${s.resource}`)) {
    add(`${path}.resource`, `is not in allocation ${alloc.id} (it holds: ${alloc.resources.join(', ') || 'no resources'})`);
  }
  if (resource) {
    if (s.gpus > resource.gpusPerNode) add(`${path}.gpus`, `must be at most ${resource.gpusPerNode}, the GPUs per node of ${s.site}/${s.resource}`);
    if (s.nodes > resource.nodes) add(`${path}.nodes`, `must be at most ${resource.nodes}, the nodes of ${s.site}/${s.resource}`);
    if (s.timeLimit > resource.maxTimeLimitMinutes) add(`${path}.timeLimit`, `must be at most ${resource.maxTimeLimitMinutes} minutes, the longest partition ${resource.partition} accepts`);
  }
  const bytes = Buffer.byteLength(s.script, 'utf8');
  if (bytes > ctx.maxJobScriptBytes) add(`${path}.script`, `is ${bytes} bytes; the limit is ${ctx.maxJobScriptBytes}`);
  for (const name of Object.keys(s.env ?? {})) {
    if (RESERVED_ENV.test(name)) add(`${path}.env.${name}`, 'is reserved: names starting with SLURM_ or KAIRR_ are set by the scheduler and KAIRR');
  }
  duplicates(
    s.outputs.map((o) => o.name),
    (j) => add(`${path}.outputs[${j}].name`, 'duplicates an earlier output name'),
  );
  duplicates(
    s.outputs.map((o) => o.path.replace(/\/$/, '')),
    (j) => add(`${path}.outputs[${j}].path`, 'duplicates an earlier output path'),
  );
  s.outputs.forEach((o, j) => {
    const inside = s.outputs.findIndex((p, k) => k !== j && p.path.endsWith('/') && o.path.startsWith(p.path));
    if (inside >= 0) add(`${path}.outputs[${j}].path`, `lies inside output "${s.outputs[inside].name}" (${s.outputs[inside].path}); outputs must not overlap`);
  });
  const names = new Set<string>();
  s.inputs.forEach((inp, j) => {
    if (inp.as === undefined) return;
    if (names.has(inp.as)) add(`${path}.inputs[${j}].as`, `duplicates an earlier input's name "${inp.as}"`);
    names.add(inp.as);
  });
}

/**
 * The allocation and resource whose account runs a transfer's mover job at the destination: the
 * stage's own, or the first job stage's at that site. The mover asks for no GPUs, so it costs no
 * credits at a per-GPU-hour rate; it still runs as the member, under an account they belong to.
 */
export function checkMoverAllocation(s: TransferStage, path: string, spec: PipelineSpec, ctx: ValidationContext, add: Add): { allocationId: string; resource: string } | undefined {
  const site = findSite(ctx.sites, s.to)!;
  if (s.resource && !site.resources.some((r) => r.id === s.resource)) {
    add(`${path}.resource`, `names resource "${s.resource}", which ${s.to} does not have (it has: ${site.resources.map((r) => r.id).join(', ')})`);
    return undefined;
  }
  if (s.allocationId) {
    const alloc = usableAllocation(ctx, s.allocationId, `${path}.allocationId`, add);
    if (!alloc) return undefined;
    const held = alloc.resources.filter((k) => k.startsWith(`${s.to}/`)).map((k) => k.slice(s.to.length + 1));
    const resource = s.resource ?? held[0];
    if (!resource || !held.includes(resource)) {
      add(s.resource ? `${path}.resource` : `${path}.allocationId`, `allocation ${alloc.id} holds no ${s.resource ? `${s.to}/${s.resource}` : `resource at ${s.to}`} to run the mover on`);
      return undefined;
    }
    return { allocationId: alloc.id, resource };
  }
  const lender = spec.stages.find((j): j is JobStage => j.kind === 'job' && j.site === s.to && (!s.resource || j.resource === s.resource));
  const lent = lender && ctx.allocations[lender.allocationId];
  if (!lender || !lent?.callerIsMember || lent.state !== 'active' || !lent.resources.includes(`${s.to}/${lender.resource}`)) {
    add(`${path}.allocationId`, `is required: no job stage of this pipeline runs at ${s.to} with a usable allocation to lend it; name an allocation with a resource there`);
    return undefined;
  }
  return { allocationId: lender.allocationId, resource: lender.resource };
}

function usableAllocation(ctx: ValidationContext, id: string, path: string, add: Add): AllocationFacts | undefined {
  const a = ctx.allocations[id];
  if (!a?.callerIsMember) {
    add(path, `names allocation "${id}", which does not exist or of which you are not a member`);
    return undefined;
  }
  if (a.state !== 'active') {
    add(path, `names allocation "${id}", which is ${a.state}, not active`);
    return undefined;
  }
  return a;
}

function duplicates(values: string[], report: (index: number) => void): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) report(i);
    seen.add(v);
  });
}

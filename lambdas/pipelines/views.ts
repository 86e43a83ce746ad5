// What the API shows of a pipeline: its state, who stopped it, and per stage its state, times,
// attempt, jobs (site, KAIRR's job id, the scheduler's id), bytes moved, the version a registration makes. Scripts and
// environment values are shown only in the single read (with the declared stages), never in lists.
import type { Stage } from '../domain/pipelines/spec';
import type { PipelineRecord } from './store';

export type PipelineView = ReturnType<typeof pipelineView>;

export function pipelineView(p: PipelineRecord, declared?: readonly Stage[]) {
  const byId = new Map((declared ?? []).map((s) => [s.id, s]));
  const stages = Object.values(p.plan.stages)
    .sort((a, b) => a.index - b.index)
    .map((s) => {
      const r = p.runs[s.id];
      const spec = byId.get(s.id);
      return {
        id: s.id,
        kind: s.kind,
        site: s.site,
        dependsOn: s.dependsOn,
        ...(s.allocationId ? { allocationId: s.allocationId } : {}),
        ...(s.resource ? { resource: s.resource } : {}),
        state: r.state,
        attempt: r.attempt,
        ...(r.startedAt ? { startedAt: r.startedAt } : {}),
        ...(r.endedAt ? { endedAt: r.endedAt } : {}),
        jobs: r.jobs,
        ...(r.bytesMoved !== undefined ? { bytesMoved: r.bytesMoved } : {}),
        ...(r.endSeenBy ? { endSeenBy: r.endSeenBy } : {}),
        ...(p.registered?.[s.id] ? { registered: { artifact: p.registered[s.id].artifact, version: p.registered[s.id].version } } : {}),
        ...(r.error ? { error: r.error } : {}),
        ...(spec ? { spec } : {}),
      };
    });
  return {
    pipelineId: p.pipelineId,
    name: p.name,
    ...(p.description ? { description: p.description } : {}),
    owner: p.ownerSub,
    state: p.state,
    ...(p.stoppedAt ? { stoppedAt: p.stoppedAt } : {}),
    cancelRequested: p.cancelRequested,
    run: p.run,
    executionId: p.executionId,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    ...(p.endedAt ? { endedAt: p.endedAt } : {}),
    stages,
  };
}

// What a caller sees of a job: its record as one flat answer, with the state the caller expects
// (a submitted job shows its scheduler phase; a finished one that was cancelled shows cancelled).
import type { JobState } from './api';
import type { JobRecord } from './store';
import type { JobWithArtifacts } from './artifacts';

export type JobViewT = ReturnType<typeof view>;

export function view(j: JobRecord & Pick<JobWithArtifacts, 'inputs' | 'outputs'>, opts: { stale?: boolean } = {}) {
  const phase = j.phase ?? 'pending';
  const state: JobState = j.state !== 'submitted' ? j.state : phase === 'finished' && j.cancelledAt ? 'cancelled' : phase;
  const opt = <K extends string, V>(k: K, v: V | undefined) => (v === undefined || v === null ? {} : ({ [k]: v } as Record<K, V>));
  return {
    jobId: j.jobId,
    allocationId: j.allocationId,
    site: j.siteId,
    resource: j.resourceKey,
    cluster: j.cluster,
    account: j.account,
    user: j.user,
    submittedBy: j.submittedBy,
    ...opt('name', j.name),
    gpus: j.gpus,
    nodes: j.nodes,
    timeLimit: j.timeLimitMinutes,
    state,
    creditsPerGpuHour: j.creditsPerGpuHour,
    estimatedCredits: j.estimatedCredits,
    ...opt('schedulerJobId', j.schedulerJobId),
    ...opt('schedulerState', j.schedulerState),
    ...opt('reason', j.reason),
    ...opt('exitCode', j.exitCode),
    createdAt: j.createdAt,
    ...opt('submittedAt', j.submittedAt),
    ...opt('start', j.start),
    ...opt('end', j.end),
    ...opt('elapsedSeconds', j.elapsedSeconds),
    ...opt('cancelledAt', j.cancelledAt),
    ...opt('error', j.error),
    ...(opts.stale ? { stale: true } : {}),
    ...opt('inputs', j.inputs),
    ...opt('outputs', j.outputs),
  };
}

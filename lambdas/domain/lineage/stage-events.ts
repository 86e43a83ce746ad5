// The run events of a pipeline and its stages, and of a plain job that declares its data.
// A pipeline execution is one run (the parent) of job kairr://pipelines/<pipelineId>; each stage
// attempt is a run of its own job, at its site, whose ParentRun facet names the pipeline's run.
import { CATALOGUE_NAMESPACE, copyDataset, jobNamespace, PIPELINES_NAMESPACE, runEvent, stageJobName, type EventType, type PhysicalCopy, type RunEvent } from './events';

export interface PipelineRunRef {
  pipelineId: string;
  /** KAIRR's id of this execution (a retry is a new execution, so a new parent run). */
  executionId: string;
}

export function pipelineEvent(p: PipelineRunRef, eventType: EventType, at: Date, error?: string): RunEvent {
  return runEvent({ eventType, eventTime: at, runKey: p.executionId, job: { namespace: PIPELINES_NAMESPACE, name: p.pipelineId, kind: 'pipeline' }, error });
}

export interface StageRunRef {
  pipeline: PipelineRunRef;
  stageId: string;
  kind: 'job' | 'transfer' | 'registration';
  /** Where it runs (a registration runs in KAIRR: its files' site is in its datasets). */
  site: string;
  attempt: number;
}

export function stageEvent(s: StageRunRef, eventType: EventType, at: Date, data: { inputs?: PhysicalCopy[]; outputs?: PhysicalCopy[]; error?: string } = {}): RunEvent {
  return runEvent({
    eventType,
    eventTime: at,
    runKey: `${s.pipeline.executionId}/${s.stageId}/${s.attempt}`,
    job: { namespace: s.kind === 'registration' ? CATALOGUE_NAMESPACE : jobNamespace(s.site), name: stageJobName(s.pipeline.pipelineId, s.stageId), kind: s.kind },
    parent: { runKey: s.pipeline.executionId, pipelineId: s.pipeline.pipelineId },
    inputs: (data.inputs ?? []).map(copyDataset),
    outputs: (data.outputs ?? []).map(copyDataset),
    error: data.error,
  });
}

/** A job dispatched on its own (not in a pipeline) that declared its inputs and outputs. */
export function plainJobEvent(job: { jobId: string; site: string }, eventType: EventType, at: Date, data: { inputs?: PhysicalCopy[]; outputs?: PhysicalCopy[]; error?: string } = {}): RunEvent {
  return runEvent({
    eventType,
    eventTime: at,
    runKey: job.jobId,
    job: { namespace: jobNamespace(job.site), name: job.jobId, kind: 'job' },
    inputs: (data.inputs ?? []).map(copyDataset),
    outputs: (data.outputs ?? []).map(copyDataset),
    error: data.error,
  });
}

// The lineage capability's face: what other capabilities may use (docs/adding-a-capability.md).
// Pipelines record their stages' run events here.
export { recordEvent } from './store';
export { pipelineEvent, stageEvent, type PipelineRunRef, type StageRunRef } from '../domain/lineage/stage-events';
export type { PhysicalCopy } from '../domain/lineage/events';

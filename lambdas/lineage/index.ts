// The lineage capability's face: what other capabilities may use (docs/adding-a-capability.md).
// Pipelines record their stages' run events here.
export { recordEvent } from './store';
export { pipelineEvent, stageEvent, type PipelineRunRef, type StageRunRef } from '../domain/lineage/stage-events';
export type { PhysicalCopy } from '../domain/lineage/events';
// The data hub shows a version's lineage and fills DataCite's relatedIdentifiers from it.
export { queryLineage, type LineageQueryAnswer } from './store';
export { versionNodeId, type Direction, type LineageNode } from '../domain/lineage/graph';

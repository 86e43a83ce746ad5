// Purpose-based resource recommendation: pure TypeScript, no AWS. See docs/recommendation.md.
export * from './schema';
export { recommend, type RecommendationContext, type RecommendationResult, type ResourceRecommendation, type ResourceEstimate, type Criterion, type CriterionName, type QueueState } from './recommend';
export { ASSUMPTIONS, BYTES_PER_VALUE, workloadDemand, memoryFit, peakTflops, interconnectEfficiency, type Assumptions, type WorkloadDemand, type MemoryFit } from './estimate';

// Accountability's face: the hold that refuses new jobs, and what an award records. Re-exports only.
export { holdRefusal } from './holds';
export { accountabilityAtAward } from './award';

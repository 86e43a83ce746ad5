// The jobs' face: what the ledger needs of a job's credit hold when it charges usage. Re-exports only.
export { chargeAgainstHold, lowerCounter, type JobHold } from './holds';

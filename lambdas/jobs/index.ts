// The jobs capability's face: what other capabilities may use (docs/adding-a-capability.md).
// The ledger needs a job's credit hold when it charges usage. Pipelines dispatch their stages' jobs
// through the one dispatch path (holds, site accounts, the audit trail and usage charging all
// apply), read them back and cancel them.
export { chargeAgainstHold, lowerCounter, type JobHold } from './holds';
export { dispatch, type DispatchInput } from './dispatch';
export { cancelJob, getJob, type JobViewT } from './service';
export type { DispatchBody, JobState } from './api';

/** A job as its view shows it (the API's JobView), with the optional fields typed. */
export type JobStatusView = import('zod/mini').infer<typeof import('./api').JobView>;

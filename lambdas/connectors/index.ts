// The connectors' face: what the jobs capability uses of the sites' schedulers and site accounts,
// and the sites' queue snapshots the recommender reads.
// The jobs function also serves the connectors' routes (status and site accounts: it already reaches
// the schedulers), so their route specs and operations are here too. Re-exports only: a bundle
// carries what it did when it imported the modules behind it.
export { isSchedulerError, type ChangedJobs, type JobStatus, type SubmitJobRequest } from './driver';
export { driverFor, siteOf, withCredentialRefresh } from './sites';
export { siteStatus } from './status';
export { readQueueSnapshots, type QueueSnapshot } from './state';
export { connectorsApi } from './api';
export { siteAccountsApi } from './site-accounts/api';
export { assertMayRead, confirmSiteAccount, disableSiteAccount } from './site-accounts/service';
export { migrateSiteAccounts } from './site-accounts/migrate';
export { ensureAccountRequests, getSiteAccountItem, listSiteAccounts, siteAccountOf } from './site-accounts/store';

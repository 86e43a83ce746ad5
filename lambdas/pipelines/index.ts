// The pipelines capability's face: what other capabilities may use (docs/adding-a-capability.md).
// The data hub's verification jobs write their report where the pipelines' jobs write theirs (under
// the site's storage root) and read it back the same way (site-reports.ts), so one mount per site
// serves both. Only the configuration and the report reader are shared: nothing of the flow.
export { pipelinesConfig } from './config';
export { readSiteReport, ReportUnreachable } from './site-reports';

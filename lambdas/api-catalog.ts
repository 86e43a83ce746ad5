// Every capability's route spec, in one list: the CDK API construct, the OpenAPI document and the
// infra tests all read this, so a route exists in exactly one place.
import type { ApiSpec } from './shared/http/spec';
import { platformApi } from './platform/api';
import { ledgerApi } from './ledger/api';
import { recommendationApi } from './recommendation/api';
import { awardPlanApi } from './recommendation/award-plan-api';
import { jobsApi } from './jobs/api'; // connectors
import { connectorsApi } from './connectors/api'; // connectors
import { siteAccountsApi } from './connectors/site-accounts/api'; // site accounts
import { approvalApi } from './approval/api'; // approval
import { auditApi } from './audit/api'; // audit
// ---- people ----
import { catalogueApi as peopleCatalogueApi } from './people/catalogue-api';
import { peopleApi } from './people/api';
// ---- end people ----
import { identityApi } from './identity/api'; // identity
import { datahubApi } from './datahub/api'; // datahub
import { accountabilityApi } from './accountability/api'; // accountability
import { pipelinesApi } from './pipelines/api'; // pipelines

export const API_CATALOG: { capability: string; api: ApiSpec }[] = [
  { capability: 'platform', api: platformApi },
  { capability: 'ledger', api: ledgerApi },
  { capability: 'recommendation', api: recommendationApi },
  { capability: 'award-plan', api: awardPlanApi },
  { capability: 'jobs', api: jobsApi }, // connectors
  { capability: 'connectors', api: connectorsApi }, // connectors
  { capability: 'site-accounts', api: siteAccountsApi }, // site accounts
  { capability: 'approval', api: approvalApi }, // approval
  { capability: 'audit', api: auditApi }, // audit
  // ---- people ----
  { capability: 'people-catalogue', api: peopleCatalogueApi },
  { capability: 'people', api: peopleApi },
  // ---- end people ----
  { capability: 'identity', api: identityApi }, // identity
  { capability: 'datahub', api: datahubApi }, // datahub
  { capability: 'accountability', api: accountabilityApi }, // accountability
  { capability: 'pipelines', api: pipelinesApi }, // pipelines
];

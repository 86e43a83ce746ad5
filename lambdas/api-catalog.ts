// Every capability's route spec, in one list: the CDK API construct, the OpenAPI document and the
// infra tests all read this, so a route exists in exactly one place.
import type { ApiSpec } from './shared/http/spec';
import { platformApi } from './platform/api';
import { ledgerApi } from './ledger/api';
import { recommendationApi } from './recommendation/api';
import { awardPlanApi } from './recommendation/award-plan-api';
import { jobsApi } from './jobs/api'; // connectors
import { connectorsApi } from './connectors/api'; // connectors
import { approvalApi } from './approval/api'; // approval
import { auditApi } from './audit/api'; // audit
import { accountabilityApi } from './accountability/api'; // accountability

export const API_CATALOG: { capability: string; api: ApiSpec }[] = [
  { capability: 'platform', api: platformApi },
  { capability: 'ledger', api: ledgerApi },
  { capability: 'recommendation', api: recommendationApi },
  { capability: 'award-plan', api: awardPlanApi },
  { capability: 'jobs', api: jobsApi }, // connectors
  { capability: 'connectors', api: connectorsApi }, // connectors
  { capability: 'approval', api: approvalApi }, // approval
  { capability: 'audit', api: auditApi }, // audit
  { capability: 'accountability', api: accountabilityApi }, // accountability
];

// KAIRR binding: the dev identities `npm start` and the e2e suite get tokens for, one per role.
// More can be minted at any time through the issuer's POST /token (see the README).
import type { Role } from '../lambdas/shared/http/spec';
import type { TokenClaims } from './index';

export const DEV_IDENTITIES: Record<Role, TokenClaims> = {
  researcher: { sub: 'dev-researcher', groups: ['researcher'], preferred_username: 'alice', name: 'Dev Researcher', email: 'researcher@kairr.local' },
  reviewer: { sub: 'dev-reviewer', groups: ['reviewer'], preferred_username: 'reviewer', name: 'Dev Reviewer', email: 'reviewer@kairr.local' },
  chair: { sub: 'dev-chair', groups: ['chair'], preferred_username: 'chair', name: 'Dev Chair', email: 'chair@kairr.local' },
  'site-operator': { sub: 'dev-site-operator', groups: ['site-operator:spc', 'site-operator:kisti6'], preferred_username: 'operator', name: 'Dev Site Operator', email: 'operator@kairr.local' },
  auditor: { sub: 'dev-auditor', groups: ['auditor'], preferred_username: 'auditor', name: 'Dev Auditor', email: 'auditor@kairr.local' },
  admin: { sub: 'dev-admin', groups: ['admin'], preferred_username: 'admin', name: 'Dev Admin', email: 'admin@kairr.local' },
  // ---- datahub ----
  curator: { sub: 'dev-curator', groups: ['curator'], preferred_username: 'curator', name: 'Dev Curator', email: 'curator@kairr.local' },
  // ---- end datahub ----
};

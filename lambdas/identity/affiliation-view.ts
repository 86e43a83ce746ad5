// The affiliation as responses show it: identity's /v1/me and other capabilities' views (a
// proposal's PI) use this one schema. Its own module so that a bundle showing an affiliation does
// not carry identity's route specs (module-level zod calls are kept whole by the bundler).
import * as z from 'zod/mini';
import { AFFILIATION_STATUSES } from '../domain/identity/affiliation';

const Evidence = z.object({ source: z.string(), value: z.string(), relation: z.optional(z.string()) });
export const AffiliationView = z.object({
  status: z.enum(AFFILIATION_STATUSES),
  orgId: z.optional(z.string()),
  orgType: z.optional(z.string()),
  orgName: z.optional(z.string()),
  source: z.optional(z.string()),
  candidates: z.array(z.string()),
  evidence: z.array(Evidence),
  resolvedAt: z.string(),
});

// What the CLI reads of the data hub's access applications, permits, site copies and their
// verifications (lambdas/datahub/schemas.ts ApplicationView, PermitView, LocationView;
// verification-api.ts VerificationView): loose zod schemas naming only the fields the `kairr data
// access | permits | request-access | location | verify` commands print or act on; the rest passes
// through to --json. cli/test/access.test.ts and lifecycle.test.ts hold the fake hub's answers, and
// every body the CLI sends, to the routes' own complete schemas.
import * as z from 'zod/mini';

/** As lambdas/domain/datahub/application.ts names them (a unit test holds the two together). */
export const APPLICATION_STATES = ['submitted', 'returned', 'approved', 'rejected', 'closed', 'revoked', 'error'] as const;
export const DECISIONS = ['approve', 'reject', 'return'] as const;
export const APPLICATION_ID = /^dha-[0-9a-z]{26}$/;
export const PERMIT_ID = /^dhp-[0-9a-z]{26}$/;

export const ApplicationSchema = z.looseObject({
  applicationId: z.string(),
  datasetId: z.string(),
  versions: z.array(z.string()),
  applicant: z.string(),
  purpose: z.string(),
  allocationId: z.string(),
  users: z.array(z.string()),
  start: z.string(),
  end: z.string(),
  siteId: z.string(),
  terms: z.looseObject({ digest: z.string(), acceptedAt: z.string() }),
  state: z.string(),
  decisions: z.array(z.looseObject({ decision: z.string(), by: z.string(), comment: z.string(), at: z.string() })),
  permitId: z.optional(z.string()),
  closedReason: z.optional(z.string()),
  error: z.optional(z.string()),
  createdAt: z.string(),
});
export type Application = z.infer<typeof ApplicationSchema>;

export const PermitSchema = z.looseObject({
  id: z.string(),
  applicationId: z.string(),
  datasets: z.array(z.string()),
  versions: z.array(z.string()),
  users: z.array(z.string()),
  sites: z.array(z.string()),
  start: z.string(),
  end: z.string(),
  state: z.string(),
  revokedAt: z.optional(z.string()),
  revokeReason: z.optional(z.string()),
});
export type Permit = z.infer<typeof PermitSchema>;

/** The dataset as request-access reads it: its access level and its own terms, if it has them. */
export const TermsSchema = z.looseObject({ id: z.string(), accessLevel: z.string(), termsText: z.optional(z.string()) });

export const LocationSchema = z.looseObject({
  locationId: z.string(),
  kind: z.string(),
  siteId: z.optional(z.string()),
  path: z.string(),
  sitePath: z.optional(z.string()),
  state: z.string(),
  reason: z.optional(z.string()),
  lastVerifiedAt: z.optional(z.string()),
});
export type Location = z.infer<typeof LocationSchema>;

export const VerificationSchema = z.looseObject({
  verificationId: z.string(),
  artifactId: z.string(),
  version: z.string(),
  locationId: z.string(),
  siteId: z.string(),
  sitePath: z.string(),
  mode: z.string(),
  state: z.string(),
  jobId: z.string(),
  schedulerJobId: z.optional(z.string()),
  reportPath: z.string(),
  code: z.optional(z.string()),
  reason: z.optional(z.string()),
  problems: z.optional(z.array(z.looseObject({ path: z.string(), problem: z.string() }))),
  problemCount: z.optional(z.number()),
  files: z.optional(z.number()),
  bytes: z.optional(z.number()),
});
export type Verification = z.infer<typeof VerificationSchema>;

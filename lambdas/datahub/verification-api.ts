// The routes of site-copy verification (docs/datahub.md, "Verification at the sites"), joined into
// the data hub's route set (api.ts). {kind} is datasets or models, as everywhere in the hub.
import * as z from 'zod/mini';
import type { RouteSpec } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES } from '../shared/http/schemas';
import { ARTIFACT_ID } from './schemas';
import { VERIFICATION_STATES } from '../domain/datahub/verification';

const LOCATION_ID = /^(hub|[a-z][a-z0-9-]{0,31}\.[a-z][a-z0-9-]{0,31})$/;
export const VERIFICATION_ID = /^vfy-[0-9a-f]{26}$/;

const LocationParams = z.strictObject({ kind: z.string().check(z.maxLength(64)), id: z.string().check(z.regex(ARTIFACT_ID)), version: z.string().check(z.maxLength(20)), locationId: z.string().check(z.regex(LOCATION_ID)) });
const VerificationParams = z.extend(LocationParams, { verificationId: z.string().check(z.regex(VERIFICATION_ID)) });

export const VerifyBody = z.strictObject({
  /** The allocation the job runs under: the caller's own at the copy's site (they must be a member). */
  allocationId: z.string().check(z.minLength(1), z.maxLength(64)),
  /** A resource of that allocation at the site ("gh200" or "kisti6/gh200"). */
  resource: z.string().check(z.minLength(1), z.maxLength(64)),
  /** Minutes; by default 30, or the resource's maximum when that is lower. */
  timeLimit: z.optional(z.int().check(z.minimum(1), z.maximum(10_080))),
});

const Problem = z.object({ path: z.string(), problem: z.string() });
export const VerificationView = z.object({
  verificationId: z.string(),
  artifactId: z.string(),
  kind: z.enum(['dataset', 'model']),
  version: z.string(),
  locationId: z.string(),
  siteId: z.string(),
  sitePath: z.string(),
  allocationId: z.string(),
  resource: z.string(),
  mode: z.enum(['compare', 'adopt']),
  state: z.enum(VERIFICATION_STATES),
  jobId: z.string(),
  schedulerJobId: z.optional(z.string()),
  reportPath: z.string(),
  code: z.optional(z.string()),
  reason: z.optional(z.string()),
  problems: z.optional(z.array(Problem)),
  problemCount: z.optional(z.number()),
  files: z.optional(z.number()),
  bytes: z.optional(z.number()),
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.optional(z.string()),
});

const NOT_FOUND = { description: 'No such artifact, version, location or verification (or not visible to the caller)', schema: ErrorSchema };
const base = '/v1/{kind}/{id}/versions/{version}/locations/{locationId}';

export const verificationRoutes: Record<string, RouteSpec> = {
  verifyArtifactLocation: {
    method: 'POST',
    path: `${base}/verify`,
    tag: 'datahub',
    summary: 'A steward verifies a copy at a site with a job there (202: the verification, running)',
    description:
      "Dispatches a job through the jobs capability under the named allocation (the caller's own at that site: their site account, holds, usage charging apply) that hashes every file under the copy's folder and writes a report under the site's storage root. Reading the verification records the job's end: the location becomes verified, or failed naming the file that differs, is missing, is extra, or lies outside the folder. A draft without files takes the job's manifest; any other version is compared with its manifest, which never changes. Idempotency-Key is required.",
    auth: ['researcher', 'admin'],
    params: LocationParams,
    body: VerifyBody,
    idempotent: true,
    responses: {
      202: { description: 'The verification, its job dispatched', schema: VerificationView },
      ...ERROR_RESPONSES,
      404: NOT_FOUND,
      409: { description: 'A verification of this copy is still running, the copy is removed, or the allocation cannot run the job', schema: ErrorSchema },
      422: { description: "The copy is the hub's own, the site's report cannot come back (no reportMount), or the dispatch path refuses the job", schema: ErrorSchema },
      503: { description: 'The site cannot be reached now; retry with the same Idempotency-Key', schema: ErrorSchema },
    },
  },
  getArtifactLocationVerification: {
    method: 'GET',
    path: `${base}/verifications/{verificationId}`,
    tag: 'datahub',
    summary: "A verification: running, or how it ended (reading it records the job's end)",
    auth: 'any',
    params: VerificationParams,
    responses: { 200: { description: 'The verification', schema: VerificationView }, ...ERROR_RESPONSES, 404: NOT_FOUND },
  },
};

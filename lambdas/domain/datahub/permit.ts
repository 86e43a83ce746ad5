// A data access permit: an approved access application becomes one. It names datasets, users and
// sites for a period, and is honoured only inside that period and while not revoked. This is the
// one definition: the pipeline validator (domain/pipelines/context.ts) re-exports it, so a job's
// check and the hub's locations and downloads can never disagree about who holds a permit.
import * as z from 'zod/mini';

export const PERMIT_ID = /^dhp-[0-9a-z]{26}$/;

/** What every reader of a permit needs (the pipeline validator's shape, issue 13). */
export const PermitSchema = z.object({
  id: z.string().check(z.regex(PERMIT_ID)),
  /** Artifact ids the permit covers. */
  datasets: z.array(z.string()),
  /** Subjects (sub) of the permitted users. */
  users: z.array(z.string()),
  /** Processing sites where the data may be used. */
  sites: z.array(z.string()),
  start: z.string(),
  end: z.string(),
  revokedAt: z.optional(z.string()),
});
export type Permit = z.infer<typeof PermitSchema>;

/** The permit as the hub stores it: where it came from, who granted it, and a revocation. */
export const PermitRecordSchema = z.object({
  ...PermitSchema.shape,
  applicationId: z.string(),
  /** Versions named by the application; empty = every published version of the dataset. */
  versions: z.array(z.string()),
  grantedAt: z.string(),
  grantedBy: z.string(),
  revokedBy: z.optional(z.string()),
  revokeReason: z.optional(z.string()),
});
export type PermitRecord = z.infer<typeof PermitRecordSchema>;

/** In force at `now`: started, not ended, not revoked. A permit past its end is never honoured, whether or not DynamoDB has removed it yet. */
export function inForce(p: Pick<Permit, 'start' | 'end' | 'revokedAt'>, now: Date): boolean {
  const t = now.getTime();
  return !p.revokedAt && Date.parse(p.start) <= t && t < Date.parse(p.end);
}

/**
 * The permit that lets `sub` use `datasetId` at `siteId` at `now`, if any. `siteId` undefined asks
 * for a permit at any site (the hub's own copy is usable from wherever the permit holder works).
 */
export function activePermit(permits: readonly Permit[], sub: string, datasetId: string, siteId: string | undefined, now: Date): Permit | undefined {
  return permits.find((p) => inForce(p, now) && p.users.includes(sub) && p.datasets.includes(datasetId) && (siteId === undefined || p.sites.includes(siteId)));
}

/** Seconds since the epoch at which DynamoDB may remove the permit's items: its end plus a grace period (reads check `end` themselves). */
export function permitTtl(end: string, graceDays: number): number {
  return Math.floor(Date.parse(end) / 1000) + graceDays * 86_400;
}

/** The permit as its holder and others see it (the record minus nothing secret: it names no tokens). */
export function permitState(p: Pick<Permit, 'start' | 'end' | 'revokedAt'>, now: Date): 'active' | 'pending' | 'expired' | 'revoked' {
  if (p.revokedAt) return 'revoked';
  const t = now.getTime();
  if (t < Date.parse(p.start)) return 'pending';
  if (t >= Date.parse(p.end)) return 'expired';
  return 'active';
}

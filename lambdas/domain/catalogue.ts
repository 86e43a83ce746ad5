// The catalogue of sites and their requestable resources, as the stage configuration states it.
// Plain TypeScript and zod: no AWS imports, so synth (lib/) and every handler share one definition.
import * as z from 'zod/mini';

export const SITE_ID = /^[a-z][a-z0-9-]{1,30}$/;
export const RESOURCE_ID = /^[a-z][a-z0-9-]{1,30}$/;

export const CreditRateSchema = z.strictObject({
  /** Credits charged per GPU-hour. */
  creditsPerGpuHour: z.number().check(z.positive()),
  /** The calendar date (UTC) from which this rate applies. */
  effectiveFrom: z.iso.date(),
});
export type CreditRate = z.infer<typeof CreditRateSchema>;

export const ResourceSchema = z.strictObject({
  id: z.string().check(z.regex(RESOURCE_ID)),
  name: z.string().check(z.minLength(1)),
  gpuModel: z.string().check(z.minLength(1)),
  gpusPerNode: z.int().check(z.positive()),
  /** GPU memory in GB (HBM). */
  gpuMemoryGB: z.number().check(z.positive()),
  /** Memory coherent with the GPU beyond its HBM (GH200's LPDDR5X), in GB. 0 when there is none. */
  coherentCpuMemoryGB: z._default(z.number().check(z.nonnegative()), 0),
  nodes: z.int().check(z.positive()),
  interconnect: z.string().check(z.minLength(1)),
  /** Network bandwidth per node, Gbit/s (used by the recommender for multi-node fit). */
  interconnectGbps: z.number().check(z.positive()),
  partition: z.string().check(z.minLength(1)),
  /** Longest time limit the partition accepts, in minutes. */
  maxTimeLimitMinutes: z.int().check(z.positive()),
  /** Dense peak tensor throughput per GPU in TFLOPS, by precision (see docs/recommendation.md for sources). */
  peakTflops: z.strictObject({
    fp64: z.number().check(z.positive()),
    tf32: z.number().check(z.positive()),
    bf16: z.number().check(z.positive()),
    fp8: z.number().check(z.positive()),
  }),
  creditRates: z.array(CreditRateSchema).check(z.minLength(1)),
});
export type Resource = z.infer<typeof ResourceSchema>;

export const SiteSchema = z.strictObject({
  id: z.string().check(z.regex(SITE_ID)),
  name: z.string().check(z.minLength(1)),
  scheduler: z.strictObject({
    driver: z.enum(['slurm-rest']),
    endpoint: z.url(),
    /** Name of the Secrets Manager secret that holds the scheduler credentials (never the secret). */
    credentialsSecretName: z.string().check(z.minLength(1)),
    /** Slurm cluster name as slurmdbd knows it. */
    cluster: z.string().check(z.minLength(1)),
    /** Parent account under which every allocation's account is created. */
    parentAccount: z._default(z.string().check(z.minLength(1)), 'kairr'),
  }),
  resources: z.array(ResourceSchema).check(z.minLength(1)),
  // ---- site accounts ----
  /** Which logins KAIRR may run jobs as at this site (docs/security.md, "Site accounts"). */
  accounts: z._default(
    z.strictObject({
      /** Logins must match this pattern (anchored); the default is a portable POSIX login. */
      usernamePattern: z._default(z.string().check(z.minLength(2), z.maxLength(200)), '^[a-z][a-z0-9_-]{1,31}$'),
      /** Never a researcher's login here, on top of the built-in list (root, daemon, slurm, munge, mysql, ...). */
      denyUsernames: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(500)), []),
      /** The site's SlurmUser (refused as a login, whatever the credentials name). */
      slurmUser: z._default(z.string().check(z.minLength(1), z.maxLength(64)), 'slurm'),
      /** Prefix of the name KAIRR proposes for a new login (k + base32 of the person's hash). */
      proposedPrefix: z._default(z.string().check(z.regex(/^[a-z][a-z0-9]{0,7}$/)), 'k'),
      /** Whether the site's connector (not only its operators) may confirm accounts. */
      connectorMayConfirm: z._default(z.boolean(), false),
    }),
    { usernamePattern: '^[a-z][a-z0-9_-]{1,31}$', denyUsernames: [], slurmUser: 'slurm', proposedPrefix: 'k', connectorMayConfirm: false },
  ),
  // ---- end site accounts ----
});
export type Site = z.infer<typeof SiteSchema>;

export function findSite(sites: readonly Site[], siteId: string): Site | undefined {
  return sites.find((s) => s.id === siteId);
}

export function findResource(sites: readonly Site[], siteId: string, resourceId: string): Resource | undefined {
  return findSite(sites, siteId)?.resources.find((r) => r.id === resourceId);
}

/** "spc/h200" style key used wherever credits are counted per resource. */
export function resourceKey(siteId: string, resourceId: string): string {
  return `${siteId}/${resourceId}`;
}

export function parseResourceKey(key: string): { siteId: string; resourceId: string } | undefined {
  const m = /^([a-z][a-z0-9-]{1,30})\/([a-z][a-z0-9-]{1,30})$/.exec(key);
  return m ? { siteId: m[1], resourceId: m[2] } : undefined;
}

/**
 * The rate in force at `at` (an ISO date-time or date): the latest rate whose effectiveFrom is on or
 * before that day. Usage is charged at the rate in force when the job started (docs/domain.md).
 */
export function rateAt(resource: Pick<Resource, 'creditRates'>, at: string): CreditRate | undefined {
  const day = at.slice(0, 10);
  let best: CreditRate | undefined;
  for (const r of resource.creditRates) {
    if (r.effectiveFrom <= day && (!best || r.effectiveFrom > best.effectiveFrom)) best = r;
  }
  return best;
}

/** Resources with their current rate, as the catalogue API presents them. */
export function currentRate(resource: Resource, now: Date = new Date()): CreditRate | undefined {
  return rateAt(resource, now.toISOString());
}

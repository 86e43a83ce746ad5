// The data hub's stage configuration (lib/config/schema.ts, block "datahub"), handed to its
// function as DATAHUB_CONFIG by the construct: public values only (publisher, DOI prefix, the
// sites' storage roots, upload limits).
import * as z from 'zod/mini';
import { SITE_ID } from '../domain/catalogue';

export const STORAGE_ROOT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export const DatahubConfigSchema = z.strictObject({
  /** Named as publisher in DataCite, DCAT and Croissant. */
  publisher: z._default(z.string().check(z.minLength(1), z.maxLength(200)), 'KAIRR (Korea AI Research Resource)'),
  publisherUrl: z.optional(z.url()),
  /** The DataCite prefix DOIs are registered under, e.g. "10.12345"; without it renderings carry no DOI. */
  doiPrefix: z.optional(z.string().check(z.regex(/^10\.\d{4,9}$/))),
  /** The API's public address (a custom domain); by default the request's own host. */
  publicBaseUrl: z.optional(z.url()),
  /** Each site's storage roots: a copy at a site is a path under one of them. */
  siteStorage: z._default(
    z.record(z.string().check(z.regex(SITE_ID)), z.strictObject({ roots: z.array(z.strictObject({ name: z.string().check(z.regex(STORAGE_ROOT_NAME)), path: z.string().check(z.regex(/^\/[^\0\n]{0,511}$/)) })).check(z.minLength(1)) })),
    {},
  ),
  upload: z._default(
    z.strictObject({
      /** Largest file the hub takes by upload; larger data is registered at a site and verified there. */
      maxFileBytes: z._default(z.int().check(z.minimum(1), z.maximum(5 * 1024 ** 4)), 512 * 1024 ** 2),
      /** Lifetime of presigned part URLs. */
      urlTtlSeconds: z._default(z.int().check(z.minimum(60), z.maximum(43_200)), 3600),
      /**
       * Send each part's SHA-256 in CompleteMultipartUpload, as S3 requires for an upload created with
       * ChecksumAlgorithm SHA256. Only for the local emulator: fauxqs 1.9.2 parses a <Part> holding
       * nothing but PartNumber and ETag, and assembles an empty object otherwise. KAIRR's own check
       * (reading the object back, part by part) runs either way.
       */
      completeWithPartChecksums: z._default(z.boolean(), true),
    }),
    { maxFileBytes: 512 * 1024 ** 2, urlTtlSeconds: 3600, completeWithPartChecksums: true },
  ),
  // ---- access applications and permits (docs/datahub.md, "Access applications") ----
  access: z._default(
    z.strictObject({
      /** Longest period an application may ask for (and a permit last). */
      maxPeriodDays: z._default(z.int().check(z.minimum(1), z.maximum(3660)), 366),
      /** How long the committee's task waits before each reminder. */
      reminderSeconds: z._default(z.int().check(z.minimum(1), z.maximum(30 * 86_400)), 3 * 86_400),
      /** Reminders before an undecided application is closed. */
      maxReminders: z._default(z.int().check(z.minimum(0), z.maximum(20)), 4),
      /** Days after a permit's end before DynamoDB may remove it (reads check the end themselves). */
      ttlGraceDays: z._default(z.int().check(z.minimum(0), z.maximum(3660)), 30),
    }),
    { maxPeriodDays: 366, reminderSeconds: 3 * 86_400, maxReminders: 4, ttlGraceDays: 30 },
  ),
  // ---- end access ----
});
export type DatahubConfig = z.infer<typeof DatahubConfigSchema>;

export const DATAHUB_DEFAULTS: DatahubConfig = DatahubConfigSchema.parse({});

let cached: DatahubConfig | undefined;

export function datahubConfig(): DatahubConfig {
  if (cached) return cached;
  const raw = process.env.DATAHUB_CONFIG;
  cached = raw ? DatahubConfigSchema.parse(JSON.parse(raw)) : DATAHUB_DEFAULTS;
  return cached;
}

/** For tests that change the configuration. */
export function resetDatahubConfig(): void {
  cached = undefined;
}

/** The hub's bucket (DATAHUB_BUCKET, set by the construct's grant). */
export function hubBucket(): string {
  const b = process.env.DATAHUB_BUCKET;
  if (!b) throw new Error('DATAHUB_BUCKET is not set: grant the function the hub bucket (Datahub construct)');
  return b;
}

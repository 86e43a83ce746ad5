// What the CLI reads of the data hub's writes (lambdas/datahub/api.ts: UploadView, VersionView's
// pages, FileView): loose zod schemas naming only the fields `kairr data|model create | version
// create | upload | push | pull` print or act on; the rest passes through to --json.
// cli/test/upload.test.ts holds every answer of its fake API, and every body the CLI sends, to the
// routes' own complete schemas.
import * as z from 'zod/mini';

export const UploadPartSchema = z.looseObject({
  partNumber: z.number(),
  bytes: z.number(),
  sha256: z.string(),
  url: z.optional(z.string()),
  headers: z.optional(z.record(z.string(), z.string())),
  /** Resuming: S3 holds this part already (with this ETag). */
  uploaded: z.optional(z.boolean()),
  etag: z.optional(z.string()),
});
export type UploadPart = z.infer<typeof UploadPartSchema>;

export const UploadSchema = z.looseObject({
  uploadId: z.string(),
  path: z.string(),
  mode: z.string(),
  state: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  parts: z.array(UploadPartSchema),
  expiresAt: z.optional(z.string()),
  reason: z.optional(z.string()),
});
export type Upload = z.infer<typeof UploadSchema>;

/** A version with its committed manifest pages (numbers as keys): new files go under the next number. */
export const DraftSchema = z.looseObject({
  artifactId: z.string(),
  version: z.string(),
  state: z.string(),
  files: z.number(),
  bytes: z.number(),
  pages: z.optional(z.record(z.string(), z.unknown())),
});

export const ManifestFileSchema = z.looseObject({ path: z.string(), bytes: z.number(), sha256: z.string(), mediaType: z.string() });
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

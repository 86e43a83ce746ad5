// The pipelines' configuration, handed to the flow's function as PIPELINES_CONFIG by the construct:
// each site's storage (root, endpoint, mover: lambdas/domain/pipelines/storage.ts) and how often a
// waiting flow looks at its running stages when nobody rings its doorbell. Public values only.
import * as z from 'zod/mini';
import { SITE_ID } from '../domain/catalogue';
import { SiteStorageSchema } from '../domain/pipelines/storage';

export const PipelinesConfigSchema = z.strictObject({
  /** By site id. A site without storage runs job stages in the dispatch path's default working directory and cannot take part in transfers. */
  storage: z._default(z.record(z.string().check(z.regex(SITE_ID)), SiteStorageSchema), {}),
  /**
   * The doorbell's timeout: how long a waiting flow waits before it asks the sites about its running
   * stages again. Until the per-site stage watcher rings the doorbell on a job's end, this bounds the
   * gap between one stage's end and the next one's start (median about half of it).
   */
  pollSeconds: z._default(z.int().check(z.minimum(1), z.maximum(900)), 10),
  /** The per-site stage watcher (lambdas/pipelines/watcher.ts, docs/pipelines.md section 4). */
  watcher: z._default(
    z.strictObject({
      /** Deploy it: one run per site every minute, which exits at once when no stage waits there. */
      enabled: z._default(z.boolean(), true),
      /** How often a run asks its site for the jobs changed since its last look (one request per site). */
      intervalSeconds: z._default(z.int().check(z.minimum(1), z.maximum(30)), 5),
      /**
       * The doorbell's timeout while every site the flow waits on has a watcher that ran lately:
       * Plan's own look then is only the backstop. Without a live watcher the flow waits pollSeconds.
       */
      backstopSeconds: z._default(z.int().check(z.minimum(10), z.maximum(3600)), 300),
    }),
    { enabled: true, intervalSeconds: 5, backstopSeconds: 300 },
  ),
});
export type PipelinesConfig = z.infer<typeof PipelinesConfigSchema>;

let cached: PipelinesConfig | undefined;

export function pipelinesConfig(): PipelinesConfig {
  if (cached) return cached;
  const r = PipelinesConfigSchema.safeParse(JSON.parse(process.env.PIPELINES_CONFIG ?? '{}'));
  if (!r.success) throw new Error(`PIPELINES_CONFIG is invalid: ${r.error.message}`);
  cached = r.data;
  return cached;
}

/** For tests that swap the configuration. */
export function resetPipelinesConfig(): void {
  cached = undefined;
}

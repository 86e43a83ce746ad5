// How a site's storage is named for pipelines and transfers: the `storage` block of a site in the
// stage configuration (docs/pipelines.md, "How a site configures its mover and storage"). Not yet
// part of lib/config/schema.ts: the next wave adds `storage: z.optional(SiteStorageSchema)` to the
// site schema, once the data hub's locations use the same root.
//
//   "storage": {
//     "root": "/srv/kairr/storage",                   absolute path at the site
//     "endpoint": "rsync://dtn.kisti6.example/kairr",  how OTHER sites' movers read this root
//     "mover": { "kind": "rsync", "timeLimitMinutes": 120, "bwlimitKiBps": 500000 }
//   }
//
// Under the root, one layout at every site, so a copy keeps its relative path wherever it goes:
//   catalogue/<artifact>/<version>/...        a catalogue version's copy (the data hub's location)
//   pipelines/<pipelineId>/<stageId>/...      a stage's working area (a job's outputs are under it)
//   pipelines/<pipelineId>/<stageId>/.kairr/  KAIRR's own files there (a transfer's result)
import * as z from 'zod/mini';

const AbsolutePath = z.string().check(
  z.regex(/^\/[^\0\n]{0,1023}$/),
  z.refine((p) => !p.split('/').includes('..'), { error: 'must not contain ".." segments' }),
);

export const MOVER_KINDS = ['rsync'] as const;

export const MoverSchema = z.strictObject({
  /** rsync now; rclone and Globus plug in beside it (movers.ts, docs/pipelines.md). */
  kind: z.enum(MOVER_KINDS),
  /** The mover program at the site (default: found on PATH). */
  command: z.optional(AbsolutePath),
  /** The partition mover jobs run on; default: the partition of the resource the stage runs under. */
  partition: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  timeLimitMinutes: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(10_080)), 120),
  /** A ceiling the site sets on one transfer's bandwidth, KiB/s (rsync --bwlimit). */
  bwlimitKiBps: z.optional(z.number().check(z.int(), z.minimum(1))),
});
export type MoverConfig = z.infer<typeof MoverSchema>;

export const SiteStorageSchema = z.strictObject({
  root: AbsolutePath,
  /**
   * How a mover at another site reads this site's root: an rsync daemon module
   * (rsync://host[:port]/module[/prefix]), or file:///path where both sites mount one file system.
   * Each side writes only its own root; it reads the other's only through this endpoint.
   */
  endpoint: z.url().check(z.regex(/^(rsync:\/\/[^/\s]+\/[^\s]+|file:\/\/\/[^\s]*)$/)),
  mover: MoverSchema,
  /**
   * Where KAIRR's functions read this root's small report files (a registration's manifest, a
   * transfer's result): the root mounted read-only for them, as in the local test bed, where the
   * clusters' roots are folders on the same machine. Without it the reports stay at the site until
   * the site agent (issue 17) brings them back, and a registration there fails `report_unreachable`.
   */
  reportMount: z.optional(AbsolutePath),
});
export type SiteStorage = z.infer<typeof SiteStorageSchema>;

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function segment(value: string, what: string): string {
  if (!SEGMENT.test(value) || value === '.' || value === '..') throw new Error(`${what} "${value}" cannot be a path segment`);
  return value;
}

/** A catalogue version's copy, relative to a storage root. */
export function catalogueCopyPath(artifact: string, version: string): string {
  return `catalogue/${segment(artifact, 'artifact')}/${segment(version, 'version')}`;
}

/** A stage's working area, relative to a storage root. */
export function stageWorkPath(pipelineId: string, stageId: string): string {
  return `pipelines/${segment(pipelineId, 'pipeline id')}/${segment(stageId, 'stage id')}`;
}

/** The absolute path at the site of a path relative to its storage root. */
export function atSite(storage: Pick<SiteStorage, 'root'>, relative: string): string {
  return `${storage.root.replace(/\/+$/, '')}/${relative.replace(/^\/+/, '')}`;
}

/** How the destination's mover names a folder under the SOURCE site's root (its endpoint). */
export function remoteFolder(source: Pick<SiteStorage, 'endpoint'>, relative: string): string {
  const rel = relative.replace(/^\/+|\/+$/g, '');
  if (source.endpoint.startsWith('file://')) return `${decodeURI(new URL(source.endpoint).pathname).replace(/\/+$/, '')}/${rel}`;
  return `${source.endpoint.replace(/\/+$/, '')}/${rel}`;
}

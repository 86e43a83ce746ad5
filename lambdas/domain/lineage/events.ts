// OpenLineage 2-0-2 run events for KAIRR's jobs and pipeline stages (docs/pipelines.md, "Lineage").
// Naming, chosen to follow OpenLineage's naming conventions:
//   a job at a site           namespace slurm://<site>, name = the stage's "<pipelineId>.<stageId>",
//                             or a plain job's dispatch id ("job-01…");
//   a pipeline execution      namespace kairr://pipelines, name = the pipeline id; the parent run
//                             (ParentRun facet) of each of its stages' runs;
//   a registration stage      namespace kairr://catalogue (it runs in KAIRR, not at a site);
//   a physical copy           namespace file://<site>, name = its absolute path at the site (the
//                             remote-file-system convention, the site standing for its host), with a
//                             Symlinks facet naming the catalogue version it is a copy of;
//   a catalogue version       namespace kairr://catalogue, name "<artifact>@<version>".
// Run ids are UUIDs (the spec requires it): a name-based UUID (RFC 4122 version 5) of KAIRR's own
// id, so a retried emission of the same run carries the same runId.
import { createHash } from 'node:crypto';

export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
export const FACET_SCHEMA = {
  parent: 'https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet',
  symlinks: 'https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
  errorMessage: 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
} as const;
/** What produced the events (the spec: a URI, e.g. the producer's source at a version). */
export const KAIRR_PRODUCER = 'https://github.com/kairr/kairr/tree/main/lambdas/domain/lineage';
export const PIPELINES_NAMESPACE = 'kairr://pipelines';
export const CATALOGUE_NAMESPACE = 'kairr://catalogue';
export const SYMLINK_TYPE = 'CATALOGUE_VERSION';

export const EVENT_TYPES = ['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface Facet {
  _producer: string;
  _schemaURL: string;
  [k: string]: unknown;
}

export interface OlDataset {
  namespace: string;
  name: string;
  facets?: Record<string, Facet>;
}

export interface RunEvent {
  eventType: EventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets?: Record<string, Facet> };
  job: { namespace: string; name: string; facets?: Record<string, Facet> };
  inputs: OlDataset[];
  outputs: OlDataset[];
}

export function jobNamespace(site: string): string {
  return `slurm://${site}`;
}

export function stageJobName(pipelineId: string, stageId: string): string {
  return `${pipelineId}.${stageId}`;
}

/** A catalogue version as OpenLineage names it. */
export function versionDataset(artifact: string, version: string): { namespace: string; name: string } {
  return { namespace: CATALOGUE_NAMESPACE, name: `${artifact}@${version}` };
}

// RFC 4122 §4.3: name-based UUIDs (SHA-1), in a namespace of KAIRR's own (a fixed random UUID)
const KAIRR_UUID_NAMESPACE = 'f1b6c0b2-3d84-4d8e-9d0b-6a3c2b7e5a10';

export function runIdFor(kairrId: string): string {
  const ns = Buffer.from(KAIRR_UUID_NAMESPACE.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(kairrId, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const facet = (schema: string, body: Record<string, unknown>): Facet => ({ _producer: KAIRR_PRODUCER, _schemaURL: schema, ...body });

/** A physical copy at a site: the file or folder, and the catalogue version it holds, if any. */
export interface PhysicalCopy {
  site: string;
  /** Absolute at the site. */
  path: string;
  version?: { artifact: string; version: string };
}

export function copyDataset(copy: PhysicalCopy): OlDataset {
  const d: OlDataset = { namespace: `file://${copy.site}`, name: copy.path };
  if (copy.version) {
    const v = versionDataset(copy.version.artifact, copy.version.version);
    d.facets = { symlinks: facet(FACET_SCHEMA.symlinks, { identifiers: [{ namespace: v.namespace, name: v.name, type: SYMLINK_TYPE }] }) };
  }
  return d;
}

export interface RunEventInput {
  eventType: EventType;
  eventTime: Date;
  /** KAIRR's id of the run (a stage run's or a job's): the UUID is derived from it. */
  runKey: string;
  job: { namespace: string; name: string; kind: 'job' | 'transfer' | 'registration' | 'pipeline' };
  /** The pipeline execution, for a stage's run. */
  parent?: { runKey: string; pipelineId: string };
  inputs?: OlDataset[];
  outputs?: OlDataset[];
  /** FAIL and ABORT: why. */
  error?: string;
}

export function runEvent(input: RunEventInput): RunEvent {
  const runFacets: Record<string, Facet> = {};
  if (input.parent) {
    runFacets.parent = facet(FACET_SCHEMA.parent, {
      run: { runId: runIdFor(input.parent.runKey) },
      job: { namespace: PIPELINES_NAMESPACE, name: input.parent.pipelineId },
    });
  }
  if (input.error && (input.eventType === 'FAIL' || input.eventType === 'ABORT')) {
    runFacets.errorMessage = facet(FACET_SCHEMA.errorMessage, { message: input.error, programmingLanguage: 'shell' });
  }
  return {
    eventType: input.eventType,
    eventTime: input.eventTime.toISOString(),
    producer: KAIRR_PRODUCER,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: { runId: runIdFor(input.runKey), ...(Object.keys(runFacets).length ? { facets: runFacets } : {}) },
    job: {
      namespace: input.job.namespace,
      name: input.job.name,
      facets: {
        jobType: facet(FACET_SCHEMA.jobType, {
          processingType: 'BATCH',
          integration: 'KAIRR',
          jobType: input.job.kind === 'pipeline' ? 'DAG' : input.job.kind.toUpperCase(),
        }),
      },
    },
    inputs: input.inputs ?? [],
    outputs: input.outputs ?? [],
  };
}

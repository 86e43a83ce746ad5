// What every renderer needs besides the artifact and version: where things are on the web and who
// publishes them. The handler builds it from the stage config and the request's base URL.
import type { Artifact, ManifestFile, Version } from '../model';

export interface RenderContext {
  /** The artifact's (or one version's) public landing document. */
  landingUrl(artifactId: string, version?: string): string;
  /** The API address of one file of a version (it redirects to a copy the caller may read). */
  fileUrl(artifactId: string, version: string, path: string): string;
  /** Where KAIRR serves a JSON-LD context it ships (GET /v1/public/contexts/{name}). */
  contextUrl(name: string): string;
  publisher: { name: string; url?: string };
  /** The DataCite prefix DOIs are registered under; without it a rendering has no DOI yet. */
  doiPrefix?: string;
}

export interface RenderInput {
  artifact: Artifact;
  version: Version;
  /** The owner's display name (a person's name, an organisation's name from the registry). */
  ownerName: string;
  /** The first files of the manifest (renderers list at most their own limit of them). */
  files: ManifestFile[];
  /**
   * Public catalogue versions the lineage graph links to this one by a run (read by a job that
   * wrote this one, or written by a job that read it): DataCite's IsDerivedFrom and IsSourceOf.
   */
  lineage?: { derivedFrom: { artifactId: string; version: string }[]; sourceOf: { artifactId: string; version: string }[] };
}

/** The DOI a version is registered under: prefix/kairr.<artifact id>.v<version>. */
export function doiOf(ctx: RenderContext, artifactId: string, version: string): string | undefined {
  return ctx.doiPrefix ? `${ctx.doiPrefix}/kairr.${artifactId}.v${version}` : undefined;
}

export const isoDate = (iso: string | undefined) => (iso ?? new Date(0).toISOString()).slice(0, 10);

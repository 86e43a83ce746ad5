// A reference to a catalogue entry (the data hub, docs/datahub.md): `kairr:<artifactId>@<version>`,
// the form model cards already accept (domain/datahub/model-card.ts). Proposals may also name an
// artifact without a version (`kairr:<artifactId>`): a proposal plans work on a dataset before the
// version it will run on exists. Jobs always name the version they read or write.

/** `kairr:ds-…@1.2.0` or `kairr:model-…`; the artifact id alone is accepted where no version is needed. */
export const CATALOGUE_REF = /^(?:kairr:)?([a-z]+-[0-9a-z]{26})(?:@((?:0|[1-9]\d{0,5})\.(?:0|[1-9]\d{0,5})\.(?:0|[1-9]\d{0,5})))?$/;

/** A job's input or output: the version is required. */
export const VERSIONED_CATALOGUE_REF = /^kairr:[a-z]+-[0-9a-z]{26}@(?:0|[1-9]\d{0,5})\.(?:0|[1-9]\d{0,5})\.(?:0|[1-9]\d{0,5})$/;

export interface CatalogueRef {
  artifactId: string;
  /** Undefined: the artifact's latest published version, when it is resolved. */
  version?: string;
}

/** The parts of a reference, or undefined when it is not one. */
export function parseCatalogueRef(ref: string): CatalogueRef | undefined {
  const m = CATALOGUE_REF.exec(ref);
  if (!m) return undefined;
  return m[2] ? { artifactId: m[1], version: m[2] } : { artifactId: m[1] };
}

/** The canonical form: `kairr:<artifactId>@<version>`. */
export function formatCatalogueRef(artifactId: string, version: string): string {
  return `kairr:${artifactId}@${version}`;
}

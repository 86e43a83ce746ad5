// A proposal's datasets[] and models[] may name catalogue entries (docs/datahub.md, "Proposal and
// job links"): `catalogueId` is `kairr:<artifactId>@<version>`, or `kairr:<artifactId>` for the
// latest published version. Resolved through the data hub's face on every write, as the proposer
// may read it: an unknown entry, a version that does not exist, or one the proposer may not read
// is the same 422 naming `datasets[i].catalogueId` (a stranger learns nothing of a draft). What
// resolved is kept on the item: the version, title, access level and the sites holding verified
// copies, as they were when the proposal was last written (reviewers read it as it was proposed).
import { RuleViolationError, type ErrorDetail } from '../domain/errors';
import { formatCatalogueRef, parseCatalogueRef } from '../domain/catalogue-ref';
import type { NeededItem } from '../domain/approval';
import type { Caller } from '../shared/http/caller';
import { canReadVersion, readAnyArtifact, readVersionWithLocations, type Artifact } from '../datahub';

export interface CatalogueLink {
  ref: string;
  artifactId: string;
  version: string;
  kind: Artifact['kind'];
  title: Artifact['name'];
  accessLevel: Artifact['accessLevel'];
  /** Sites holding a verified copy of the version (the hub's own copy is not at a site). */
  sites: string[];
}

/** A needed dataset or model, with its catalogue entry when it names one. */
export type LinkedItem = NeededItem & { catalogue?: CatalogueLink };

const KIND_OF_FIELD = { datasets: 'dataset', models: 'model' } as const;

async function resolve(catalogueId: string, field: keyof typeof KIND_OF_FIELD, caller: Caller): Promise<CatalogueLink | string> {
  const ref = parseCatalogueRef(catalogueId);
  if (!ref) return 'is not a catalogue reference (kairr:<artifactId>@<version>, or kairr:<artifactId> for the latest version)';
  const viewer = { sub: caller.sub, roles: caller.roles };
  let version = ref.version;
  if (!version) {
    const a = await readAnyArtifact(ref.artifactId);
    version = a?.latestVersion;
    if (!version) return `${catalogueId} is not a catalogue entry with a published version you may read (name a version: kairr:<artifactId>@<version>)`;
  }
  const got = await readVersionWithLocations(ref.artifactId, version);
  if (!got || !canReadVersion(got.artifact, got.version.state, viewer)) return `${catalogueId} is not a catalogue entry you may read`;
  if (got.artifact.kind !== KIND_OF_FIELD[field]) return `names a ${got.artifact.kind}, not a ${KIND_OF_FIELD[field]}`;
  const sites = [...new Set(got.locations.filter((l) => l.kind === 'site' && l.state === 'verified' && l.siteId).map((l) => l.siteId!))].sort();
  return { ref: formatCatalogueRef(got.artifact.id, version), artifactId: got.artifact.id, version, kind: got.artifact.kind, title: got.artifact.name, accessLevel: got.artifact.accessLevel, sites };
}

/** The items with their catalogue entries resolved; a 422 naming every `<field>[i].catalogueId` that does not resolve. */
export async function linkCatalogue(items: readonly NeededItem[], field: keyof typeof KIND_OF_FIELD, caller: Caller): Promise<{ items: LinkedItem[]; problems: ErrorDetail[] }> {
  const problems: ErrorDetail[] = [];
  const linked = await Promise.all(
    items.map(async (item, i): Promise<LinkedItem> => {
      const { catalogue: _stale, ...plain } = item as LinkedItem;
      if (!plain.catalogueId) return plain;
      const r = await resolve(plain.catalogueId, field, caller);
      if (typeof r === 'string') {
        problems.push({ path: `${field}[${i}].catalogueId`, problem: r });
        return plain;
      }
      return { ...plain, catalogue: r };
    }),
  );
  return { items: linked, problems };
}

/** Both lists' links, or one 422 naming every entry that does not resolve (nothing is written). */
export async function linkNeeded(body: { datasets?: NeededItem[]; models?: NeededItem[] }, caller: Caller): Promise<{ datasets?: LinkedItem[]; models?: LinkedItem[] }> {
  const [ds, ms] = await Promise.all([body.datasets && linkCatalogue(body.datasets, 'datasets', caller), body.models && linkCatalogue(body.models, 'models', caller)]);
  const problems = [...(ds?.problems ?? []), ...(ms?.problems ?? [])];
  if (problems.length) {
    throw new RuleViolationError(`Catalogue entries the proposal names do not resolve: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`, problems, 'unknown_catalogue_entry');
  }
  return { ...(ds ? { datasets: ds.items } : {}), ...(ms ? { models: ms.items } : {}) };
}

/**
 * The recommender's data locality from the catalogue: when the workload names its data by URI
 * only and the proposal's first catalogue dataset has verified copies at exactly one site, the
 * data is at that site. (Copies at several sites leave locality as it was: no site is the data's.)
 */
export function catalogueDataSite(datasets: readonly LinkedItem[] | undefined): string | undefined {
  const first = datasets?.find((d) => d.catalogue);
  return first?.catalogue?.sites.length === 1 ? first.catalogue.sites[0] : undefined;
}

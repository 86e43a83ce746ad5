// DataCite Metadata Schema 4.x as the DataCite REST API takes it (POST /dois with
// {data: {type: "dois", attributes}}), ready for DOI registration: the mandatory properties
// (identifier, creators, titles, publisher, publicationYear, types.resourceTypeGeneral) and the
// recommended ones KAIRR knows (subjects, dates, related identifiers, sizes, formats, version,
// rights as SPDX, descriptions). Datasets are "Dataset"; models are "Model". Derivation is
// IsDerivedFrom (declared, or recorded by runs in lineage), and what runs made from it IsSourceOf;
// a deprecated version IsObsoletedBy its successor. The registering client adds
// "event": "publish" (or "register") when it sends the document.
import { fieldOfScience } from '../fields';
import { isLicenceRef, licenceUrl, parseLicence } from '../licence';
import { doiOf, type RenderContext, type RenderInput } from './context';

export const DATACITE_SCHEMA_VERSION = 'http://datacite.org/schema/kernel-4';

function related(ctx: RenderContext, artifactId: string, version: string, relationType: string, resourceTypeGeneral?: string) {
  const doi = doiOf(ctx, artifactId, version);
  return {
    relatedIdentifier: doi ?? ctx.landingUrl(artifactId, version),
    relatedIdentifierType: doi ? 'DOI' : 'URL',
    relationType,
    ...(resourceTypeGeneral ? { resourceTypeGeneral } : {}),
  };
}

/** The metadata (the DataCite JSON kernel); renderDataCite wraps it for the REST API. */
export function dataciteMetadata(input: RenderInput, ctx: RenderContext): Record<string, unknown> {
  const { artifact: a, version: v } = input;
  const doi = doiOf(ctx, a.id, v.version);
  const landing = ctx.landingUrl(a.id, v.version);
  const field = fieldOfScience(a.fieldOfScience);
  const titles = [...(a.name.en ? [{ title: a.name.en, lang: 'en' }] : []), ...(a.name.ko ? [{ title: a.name.ko, lang: 'ko', ...(a.name.en ? { titleType: 'TranslatedTitle' } : {}) }] : [])];
  const descriptions = [
    ...(a.description.en ? [{ description: a.description.en, descriptionType: 'Abstract', lang: 'en' }] : []),
    ...(a.description.ko ? [{ description: a.description.ko, descriptionType: 'Abstract', lang: 'ko' }] : []),
    ...(v.changelog ? [{ description: v.changelog, descriptionType: 'Other', lang: a.description.en ? 'en' : 'ko' }] : []),
  ];
  const lic = parseLicence(a.licence);
  const rightsList = (lic.ok ? lic.ids : [a.licence]).map((id) =>
    isLicenceRef(id) ? { rights: id } : { rights: id, rightsUri: licenceUrl(id), rightsIdentifier: id.toLowerCase(), rightsIdentifierScheme: 'SPDX', schemeUri: 'https://spdx.org/licenses/' },
  );
  const relatedIdentifiers = [
    ...v.derivedFrom.map((d) => related(ctx, d.artifactId, d.version, 'IsDerivedFrom')),
    // what the runs recorded in lineage show, beside what the steward declared
    ...(input.lineage?.derivedFrom ?? []).map((d) => related(ctx, d.artifactId, d.version, 'IsDerivedFrom')),
    ...(input.lineage?.sourceOf ?? []).map((d) => related(ctx, d.artifactId, d.version, 'IsSourceOf')),
    ...(v.successor ? [related(ctx, v.successor.artifactId, v.successor.version, 'IsObsoletedBy')] : []),
    ...(v.modelCard?.datasets ?? [])
      .filter((d) => d.startsWith('kairr:'))
      .map((d) => {
        const [id, ver] = d.slice(6).split('@');
        return related(ctx, id, ver, 'IsDerivedFrom', 'Dataset');
      }),
  ];
  const uniqueRelated = [...new Map(relatedIdentifiers.map((r) => [`${r.relatedIdentifier} ${r.relationType}`, r])).values()];
  return {
    identifiers: [doi ? { identifier: doi, identifierType: 'DOI' } : { identifier: landing, identifierType: 'URL' }],
    creators: [a.owner.type === 'person' ? { name: input.ownerName, nameType: 'Personal' } : { name: input.ownerName, nameType: 'Organizational' }],
    titles,
    publisher: ctx.publisher.name,
    publicationYear: (v.publishedAt ?? v.createdAt).slice(0, 4),
    types: a.kind === 'dataset' ? { resourceTypeGeneral: 'Dataset', resourceType: 'Dataset' } : { resourceTypeGeneral: 'Model', resourceType: 'Machine learning model' },
    subjects: [...a.keywords.map((k) => ({ subject: k })), ...(field ? [{ subject: `FOS: ${field.en}`, subjectScheme: 'Fields of Science and Technology (FOS)', schemeUri: 'http://www.oecd.org/science/inno/38235147.pdf' }] : [])],
    dates: [
      { date: v.createdAt.slice(0, 10), dateType: 'Created' },
      ...(v.publishedAt ? [{ date: v.publishedAt.slice(0, 10), dateType: 'Issued' }] : []),
      ...(v.deprecatedAt ? [{ date: v.deprecatedAt.slice(0, 10), dateType: 'Withdrawn', dateInformation: v.deprecationReason ?? 'deprecated' }] : []),
    ],
    ...(a.description.en || a.name.en ? { language: a.description.en ? 'en' : 'ko' } : { language: 'ko' }),
    ...(uniqueRelated.length ? { relatedIdentifiers: uniqueRelated } : {}),
    sizes: [`${v.bytes} bytes`, `${v.files} files`],
    ...(v.formats.length ? { formats: v.formats } : {}),
    version: v.version,
    rightsList,
    descriptions,
    schemaVersion: DATACITE_SCHEMA_VERSION,
  };
}

export function renderDataCite(input: RenderInput, ctx: RenderContext): Record<string, unknown> {
  const doi = doiOf(ctx, input.artifact.id, input.version.version);
  return {
    data: {
      type: 'dois',
      attributes: {
        ...(doi ? { doi, prefix: ctx.doiPrefix } : {}),
        ...dataciteMetadata(input, ctx),
        url: ctx.landingUrl(input.artifact.id, input.version.version),
      },
    },
  };
}

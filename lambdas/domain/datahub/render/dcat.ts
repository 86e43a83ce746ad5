// DCAT-AP 3.0.1 JSON-LD for a dataset version, for national open-data portals. Mandatory:
// dcat:Dataset dct:title and dct:description; each dcat:Distribution a dcat:accessURL; an
// spdx:Checksum its algorithm and value. Access rights use the EU "access right" table: public ->
// PUBLIC, registered (sign-in) -> RESTRICTED, restricted (permit) -> NON_PUBLIC. The document
// names KAIRR's served copy of DCAT-AP's context (dcat-context.ts says why not the published URL).
import { isLicenceRef, licenceUrl, parseLicence } from '../licence';
import type { AccessLevel } from '../model';
import { doiOf, type RenderContext, type RenderInput } from './context';
import { DCAT_AP_CONTEXT_NAME } from './dcat-context';

export const DCAT_MAX_FILES = 100;

const ACCESS_RIGHT: Record<AccessLevel, string> = {
  public: 'http://publications.europa.eu/resource/authority/access-right/PUBLIC',
  registered: 'http://publications.europa.eu/resource/authority/access-right/RESTRICTED',
  restricted: 'http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC',
};
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const SHA256 = 'http://spdx.org/rdf/terms#checksumAlgorithm_sha256';

const lang = (b: { ko?: string; en?: string }) => [...(b.en ? [{ '@value': b.en, '@language': 'en' }] : []), ...(b.ko ? [{ '@value': b.ko, '@language': 'ko' }] : [])];
const dateTime = (iso: string) => ({ '@value': iso, '@type': `${XSD}dateTime` });

export function renderDcat(input: RenderInput, ctx: RenderContext): Record<string, unknown> {
  const { artifact: a, version: v, files } = input;
  const landing = ctx.landingUrl(a.id, v.version);
  const lic = parseLicence(a.licence);
  const licenceIri = lic.ok && lic.ids.length === 1 && !isLicenceRef(lic.ids[0]) ? licenceUrl(lic.ids[0]) : undefined;
  const doi = doiOf(ctx, a.id, v.version);
  const agent = (id: string, name: string) => ({ '@id': id, '@type': 'Agent', name: [name] });
  const distributions =
    v.files <= DCAT_MAX_FILES && files.length === v.files
      ? files.map((f) => ({
          '@id': ctx.fileUrl(a.id, v.version, f.path),
          '@type': 'Distribution',
          title: [{ '@value': f.path, '@language': 'en' }],
          accessUrl: [ctx.fileUrl(a.id, v.version, f.path)],
          downloadUrl: [ctx.fileUrl(a.id, v.version, f.path)],
          byteSize: String(f.bytes),
          mediaType: `http://www.iana.org/assignments/media-types/${f.mediaType}`,
          checksum: { '@type': 'Checksum', algorithm: SHA256, checksumValue: f.sha256 },
          ...(licenceIri ? { licence: licenceIri } : {}),
        }))
      : [
          {
            '@id': `${landing}#files`,
            '@type': 'Distribution',
            title: [{ '@value': `${v.files} files (the version's manifest)`, '@language': 'en' }],
            accessUrl: [`${landing}/manifest`],
            byteSize: String(v.bytes),
            ...(licenceIri ? { licence: licenceIri } : {}),
          },
        ];
  return {
    '@context': ctx.contextUrl(DCAT_AP_CONTEXT_NAME),
    '@id': landing,
    '@type': 'Dataset',
    title: lang(a.name),
    description: lang(a.description),
    ...(a.keywords.length ? { keyword: a.keywords.map((k) => ({ '@value': k })) } : {}),
    identifier: [doi ? `https://doi.org/${doi}` : landing],
    version: v.version,
    ...(v.changelog ? { versionNotes: [{ '@value': v.changelog }] } : {}),
    releaseDate: dateTime(v.publishedAt ?? v.createdAt),
    modificationDate: dateTime(v.deprecatedAt ?? v.publishedAt ?? v.createdAt),
    accessRights: ACCESS_RIGHT[a.accessLevel],
    landingPage: [landing],
    publisher: agent(ctx.publisher.url ?? `${landing}#publisher`, ctx.publisher.name),
    creator: [agent(`${landing}#creator`, input.ownerName)],
    ...(v.derivedFrom.length ? { source: v.derivedFrom.map((d) => ctx.landingUrl(d.artifactId, d.version)) } : {}),
    datasetDistribution: distributions,
  };
}

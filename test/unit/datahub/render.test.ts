// The metadata renderings against their specifications (spec-checks.ts): Croissant 1.1 and
// DCAT-AP 3.0.1 expanded offline with the shipped contexts, DataCite 4.x against its JSON Schema.
import { DCAT_AP_CONTEXT, CROISSANT_CONFORMS_TO, CROISSANT_MAX_FILES, renderCroissant, renderDataCite, renderDcat, dataciteMetadata } from '../../../lambdas/domain/datahub';
import type { ManifestFile } from '../../../lambdas/domain/datahub';
import { artifact, CTX, FILES, MID, version } from './fixtures';
import { CR, DCAT, DCT, FOAF, SC, SPDX, dataciteProblems, expand, missing, nodesOfType, requested, unrepairedLoader, values } from './spec-checks';

const input = (over: Parameters<typeof artifact>[0] = {}, vover: Parameters<typeof version>[0] = {}, files: ManifestFile[] = FILES) => ({
  artifact: artifact(over),
  version: version(vover),
  ownerName: 'Korea Institute of Science and Technology Information',
  files,
});

describe('Croissant 1.1', () => {
  it('expands offline and has every required dataset property', async () => {
    const doc = renderCroissant(input(), CTX);
    const [ds] = await expand(doc);
    expect(ds['@type']).toEqual([`${SC}Dataset`]);
    expect(missing(ds, [`${DCT}conformsTo`, `${SC}name`, `${SC}description`, `${SC}license`, `${SC}url`, `${SC}creator`, `${SC}datePublished`, `${SC}distribution`])).toEqual([]);
    expect(values(ds, `${DCT}conformsTo`)).toEqual([CROISSANT_CONFORMS_TO]);
    expect(values(ds, `${SC}license`)).toEqual(['https://spdx.org/licenses/CC-BY-4.0.html']);
    // Korean text keeps its language tag.
    expect(ds[`${SC}alternateName`][0]).toEqual({ '@value': '한국어 언어 모델 학습 말뭉치', '@language': 'ko' });
    expect(values(ds, 'http://www.w3.org/ns/prov#wasDerivedFrom')).toEqual([CTX.landingUrl('ds-01jd3x8e0c7k9m2n4p6q8r0s2w', '2.1.0')]);
  });

  it('lists each file as a FileObject with contentUrl, contentSize, encodingFormat and sha256', async () => {
    const [ds] = await expand(renderCroissant(input(), CTX));
    const files = nodesOfType([ds], `${CR}FileObject`);
    expect(files).toHaveLength(FILES.length);
    for (const f of files) expect(missing(f, [`${SC}name`, `${SC}contentUrl`, `${SC}contentSize`, `${SC}encodingFormat`, `${SC}sha256`])).toEqual([]);
    expect(values(files[0], `${SC}sha256`)).toEqual(['a'.repeat(64)]);
    expect(values(files[0], `${SC}contentSize`)).toEqual(['1048576 B']);
  });

  it("names each file by its own absolute URL, so a path with a space or Hangul expands in safe mode and two versions' files stay apart", async () => {
    const odd = [{ ...FILES[2], path: 'data/2025/obs 02.csv' }, { ...FILES[2], path: '관측/결과.csv' }, FILES[2]];
    const one = nodesOfType(await expand(renderCroissant(input({}, {}, odd), CTX)), `${CR}FileObject`);
    const other = nodesOfType(await expand(renderCroissant(input({}, { version: '9.9.9' }, odd), CTX)), `${CR}FileObject`);
    const ids = one.map((f) => f['@id']);
    expect(ids).toEqual(odd.map((f) => CTX.fileUrl(artifact().id, version().version, f.path)));
    expect(ids.every((id) => /^https:\/\/[^\s]+$/.test(id))).toBe(true);
    expect(other.map((f) => f['@id']).filter((id) => ids.includes(id))).toEqual([]);
  });

  it('describes a large version by FileSets contained in its manifest', async () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ ...FILES[0], path: `shard/${i}.jsonl` }));
    const [ds] = await expand(renderCroissant(input({}, { files: CROISSANT_MAX_FILES + 1 }, many), CTX));
    const sets = nodesOfType([ds], `${CR}FileSet`);
    expect(sets.length).toBe(2);
    for (const s of sets) expect(missing(s, [`${CR}containedIn`, `${SC}encodingFormat`, `${CR}includes`])).toEqual([]);
    expect(values(sets[0], `${CR}includes`)).toEqual(['**/*.jsonl']);
    const [listing] = nodesOfType([ds], `${CR}FileObject`);
    expect(sets.map((s) => s[`${CR}containedIn`][0]['@id'])).toEqual([listing['@id'], listing['@id']]);
  });

  it('names a LicenseRef licence as a CreativeWork and every id of a compound expression', async () => {
    const [a] = await expand(renderCroissant(input({ licence: 'LicenseRef-kisti-1' }), CTX));
    expect(a[`${SC}license`][0]['@type']).toEqual([`${SC}CreativeWork`]);
    const [b] = await expand(renderCroissant(input({ licence: 'MIT OR Apache-2.0' }), CTX));
    expect(values(b, `${SC}license`).sort()).toEqual(['https://spdx.org/licenses/Apache-2.0.html', 'https://spdx.org/licenses/MIT.html']);
  });
});

describe('DCAT-AP 3.0.1', () => {
  it('expands with the shipped context only, and has the mandatory Dataset, Distribution and Checksum properties', async () => {
    requested.length = 0;
    const [ds] = await expand(renderDcat(input({ accessLevel: 'registered' }), CTX));
    expect(requested).toEqual(['https://kairr.example/v1/public/contexts/dcat-ap-3.0.1.jsonld']);
    expect(ds['@type']).toEqual([`${DCAT}Dataset`]);
    expect(missing(ds, [`${DCT}title`, `${DCT}description`])).toEqual([]);
    expect(ds[`${DCT}title`]).toContainEqual({ '@value': '한국어 언어 모델 학습 말뭉치', '@language': 'ko' });
    expect(values(ds, `${DCT}accessRights`)).toEqual(['http://publications.europa.eu/resource/authority/access-right/RESTRICTED']);
    const dists = nodesOfType([ds], `${DCAT}Distribution`);
    expect(dists).toHaveLength(FILES.length);
    for (const d of dists) expect(missing(d, [`${DCAT}accessURL`])).toEqual([]);
    expect(dists[0][`${DCAT}byteSize`][0]).toEqual({ '@value': '1048576', '@type': 'http://www.w3.org/2001/XMLSchema#nonNegativeInteger' });
    const sums = nodesOfType([ds], `${SPDX}Checksum`);
    expect(sums).toHaveLength(FILES.length);
    for (const c of sums) expect(missing(c, [`${SPDX}algorithm`, `${SPDX}checksumValue`])).toEqual([]);
    expect(values(sums[0], `${SPDX}algorithm`)).toEqual([`${SPDX}checksumAlgorithm_sha256`]);
    for (const a of nodesOfType([ds], `${FOAF}Agent`)) expect(missing(a, [`${FOAF}name`])).toEqual([]);
    expect(values(ds, `${DCT}source`)).toHaveLength(1);
  });

  it('maps the access levels to the EU access-right table', async () => {
    const rights = async (accessLevel: 'public' | 'restricted') => values((await expand(renderDcat(input({ accessLevel }), CTX)))[0], `${DCT}accessRights`)[0];
    expect(await rights('public')).toMatch(/access-right\/PUBLIC$/);
    expect(await rights('restricted')).toMatch(/access-right\/NON_PUBLIC$/);
  });

  it('the published context as-is is refused by a JSON-LD 1.1 processor (why KAIRR serves it without its "Xsd:" terms)', async () => {
    await expect(expand(renderDcat(input(), CTX), unrepairedLoader)).rejects.toThrow(/term in form of IRI must expand to definition/);
  });

  it("KAIRR's copy differs from the published context only by the five Xsd: terms", async () => {
    const published = (await unrepairedLoader('x')).document as { '@context': Record<string, unknown> };
    const dropped = Object.keys(published['@context']).filter((k) => !(k in DCAT_AP_CONTEXT['@context']));
    expect(dropped.sort()).toEqual(['Xsd:dateTime', 'Xsd:decimal', 'Xsd:duration', 'Xsd:hexBinary', 'Xsd:nonNegativeInteger']);
    for (const [k, v] of Object.entries(DCAT_AP_CONTEXT['@context'])) expect(published['@context'][k]).toEqual(v);
  });

  it('fails the check when a context other than the shipped ones is needed (no network)', async () => {
    await expect(expand({ '@context': 'https://example.org/ctx.jsonld', '@type': 'Dataset' })).rejects.toThrow();
  });
});

describe('DataCite 4.x', () => {
  it('a dataset version validates against the 4.3 schema and 4.6 lists, with a DOI under the prefix', () => {
    const doc = renderDataCite(input(), CTX) as any;
    expect(dataciteProblems(doc)).toEqual([]);
    const a = doc.data.attributes;
    expect(a.doi).toBe('10.5072/kairr.ds-01jd3x8e0c7k9m2n4p6q8r0s2t.v1.0.0');
    expect(a.types).toEqual({ resourceTypeGeneral: 'Dataset', resourceType: 'Dataset' });
    expect(a.relatedIdentifiers).toEqual([{ relatedIdentifier: '10.5072/kairr.ds-01jd3x8e0c7k9m2n4p6q8r0s2w.v2.1.0', relatedIdentifierType: 'DOI', relationType: 'IsDerivedFrom' }]);
    expect(a.rightsList).toEqual([{ rights: 'CC-BY-4.0', rightsUri: 'https://spdx.org/licenses/CC-BY-4.0.html', rightsIdentifier: 'cc-by-4.0', rightsIdentifierScheme: 'SPDX', schemeUri: 'https://spdx.org/licenses/' }]);
    expect(a.titles).toEqual([
      { title: 'Korean language model training corpus', lang: 'en' },
      { title: '한국어 언어 모델 학습 말뭉치', lang: 'ko', titleType: 'TranslatedTitle' },
    ]);
    expect(a.publicationYear).toBe('2026');
  });

  it('a deprecated model version is a Model that IsObsoletedBy its successor', () => {
    const doc = renderDataCite(
      { ...input({ id: MID, kind: 'model' }, { artifactId: MID, kind: 'model', state: 'deprecated', deprecatedAt: '2026-05-01T00:00:00Z', successor: { artifactId: MID, version: '2.0.0' }, derivedFrom: [] }) },
      CTX,
    ) as any;
    expect(dataciteProblems(doc)).toEqual([]);
    expect(doc.data.attributes.types.resourceTypeGeneral).toBe('Model');
    expect(doc.data.attributes.relatedIdentifiers).toEqual([expect.objectContaining({ relationType: 'IsObsoletedBy' })]);
    expect(doc.data.attributes.dates).toContainEqual(expect.objectContaining({ dateType: 'Withdrawn' }));
  });

  it('without a DOI prefix the identifier is the landing URL and no doi is claimed', () => {
    const doc = renderDataCite(input(), { ...CTX, doiPrefix: undefined }) as any;
    expect(dataciteProblems(doc)).toEqual([]);
    expect(doc.data.attributes.doi).toBeUndefined();
    expect(doc.data.attributes.identifiers).toEqual([{ identifier: CTX.landingUrl('ds-01jd3x8e0c7k9m2n4p6q8r0s2t', '1.0.0'), identifierType: 'URL' }]);
  });

  it('the check itself catches a broken document', () => {
    const meta = dataciteMetadata(input(), CTX);
    const broken = { data: { type: 'dois', attributes: { ...meta, types: { resourceTypeGeneral: 'Spreadsheet', resourceType: 'x' }, titles: [], url: 'https://x' } } };
    expect(dataciteProblems(broken)).toEqual(expect.arrayContaining([expect.stringContaining('resourceTypeGeneral'), expect.stringContaining('/titles')]));
  });
});

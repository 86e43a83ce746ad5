// Checks of the renderings against their specifications, offline: JSON-LD documents are expanded
// by the jsonld package with a document loader that serves only the contexts shipped in the repo
// (any other URL fails the test), and the required properties are checked on the expanded graph;
// DataCite JSON is validated with ajv against the shipped 4.3 JSON Schema and 4.6's controlled lists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jsonld from 'jsonld';
import Ajv from 'ajv';
import { DCAT_AP_CONTEXT, DCAT_AP_CONTEXT_NAME } from '../../../lambdas/domain/datahub';

export const requested: string[] = [];

/** KAIRR's context addresses (as the fixtures' render context names them) → what KAIRR serves there. */
const SERVED: Record<string, unknown> = { [`https://kairr.example/v1/public/contexts/${DCAT_AP_CONTEXT_NAME}`]: DCAT_AP_CONTEXT };

async function offlineLoader(url: string) {
  requested.push(url);
  if (!(url in SERVED)) throw new Error(`the test's document loader serves only shipped contexts; ${url} was asked for`);
  return { contextUrl: null, documentUrl: url, document: SERVED[url] };
}

/**
 * Expands a document offline, as a consumer that fetched it from its own address (`@id`) would;
 * `safe` makes jsonld fail on anything it would drop (an undefined term, a relative @id left over).
 */
export async function expand(doc: unknown, loader = offlineLoader): Promise<Record<string, any>[]> {
  const base = typeof (doc as { '@id'?: unknown })['@id'] === 'string' ? (doc as { '@id': string })['@id'] : undefined;
  return jsonld.expand(doc as never, { documentLoader: loader, safe: true, ...(base ? { base } : {}) } as never) as unknown as Promise<Record<string, any>[]>;
}

/** A loader that serves the published DCAT-AP context unchanged, byte for byte. */
export async function unrepairedLoader(url: string) {
  const file = join(__dirname, '..', '..', '..', 'lambdas', 'domain', 'datahub', 'render', 'contexts', 'dcat-ap-3.0.1.jsonld.json');
  return { contextUrl: null, documentUrl: url, document: JSON.parse(readFileSync(file, 'utf8')) };
}

export const SC = 'http://schema.org/';
export const DCT = 'http://purl.org/dc/terms/';
export const DCAT = 'http://www.w3.org/ns/dcat#';
export const SPDX = 'http://spdx.org/rdf/terms#';
export const FOAF = 'http://xmlns.com/foaf/0.1/';
export const CR = 'http://mlcommons.org/croissant/';

/** Values of a property on an expanded node (its @value or @id). */
export function values(node: Record<string, any>, iri: string): string[] {
  return ((node[iri] ?? []) as any[])
    .map((v) => v['@value'] ?? v['@id'])
    .filter((v) => v !== undefined)
    .map(String);
}

export function nodesOfType(graph: Record<string, any>[], type: string): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, any>;
    if ((o['@type'] ?? []).includes(type)) out.push(o);
    for (const [k, v] of Object.entries(o)) if (k !== '@type' && k !== '@value') walk(v);
  };
  walk(graph);
  return out;
}

/** Which of the required property IRIs a node lacks. */
export function missing(node: Record<string, any>, required: string[]): string[] {
  return required.filter((p) => !node[p] || (node[p] as unknown[]).length === 0);
}

const SPEC = join(__dirname, 'spec');
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('year', /^\d{4}$/);
ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:[^\s]*$/i);
// The Invenio-contributed schema declares draft-07 but names itself with draft-04's "id": read it as $id.
const schema43 = JSON.parse(readFileSync(join(SPEC, 'datacite-4.3.schema.json'), 'utf8'));
if (schema43.id && !schema43.$id) (schema43.$id = schema43.id), delete schema43.id;
const validate43 = ajv.compile(schema43);
export const DATACITE_46 = JSON.parse(readFileSync(join(SPEC, 'datacite-4.6.lists.json'), 'utf8')) as Record<string, string[]>;

/** Problems of a DataCite REST document: 4.3 JSON Schema on the metadata, and 4.6's mandatory properties and lists. */
export function dataciteProblems(doc: any): string[] {
  const out: string[] = [];
  if (doc?.data?.type !== 'dois') out.push('data.type must be "dois"');
  const attrs = { ...(doc?.data?.attributes ?? {}) };
  const { doi, prefix, url, ...metadata } = attrs;
  if (!url) out.push('attributes.url (the landing page) is required to register a DOI');
  if (doi !== undefined && !/^10\.\d{4,9}\/\S+$/.test(doi)) out.push('attributes.doi is not a DOI');
  if (doi !== undefined && !String(doi).startsWith(`${prefix}/`)) out.push('attributes.doi does not start with the prefix');
  if (!validate43(metadata)) for (const e of validate43.errors ?? []) out.push(`4.3 schema: ${e.instancePath || '(root)'} ${e.message}`);
  // DataCite 4.6 mandatory properties (1 Identifier, 2 Creator, 3 Title, 4 Publisher, 5 PublicationYear, 10 ResourceType)
  for (const p of ['identifiers', 'creators', 'titles', 'publisher', 'publicationYear', 'types']) if (metadata[p] === undefined) out.push(`4.6 mandatory: ${p}`);
  if (!DATACITE_46.resourceType.includes(metadata.types?.resourceTypeGeneral)) out.push('4.6: types.resourceTypeGeneral is not in the controlled list');
  for (const r of metadata.relatedIdentifiers ?? []) {
    if (!DATACITE_46.relationType.includes(r.relationType)) out.push(`4.6: relationType ${r.relationType}`);
    if (!DATACITE_46.relatedIdentifierType.includes(r.relatedIdentifierType)) out.push(`4.6: relatedIdentifierType ${r.relatedIdentifierType}`);
  }
  for (const d of metadata.dates ?? []) if (!DATACITE_46.dateType.includes(d.dateType)) out.push(`4.6: dateType ${d.dateType}`);
  for (const c of metadata.creators ?? []) if (c.nameType && !DATACITE_46.nameType.includes(c.nameType)) out.push(`4.6: nameType ${c.nameType}`);
  return out;
}

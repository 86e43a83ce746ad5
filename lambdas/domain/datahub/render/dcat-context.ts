// DCAT-AP 3.0.1's JSON-LD context, as KAIRR serves it (GET /v1/public/contexts/dcat-ap-3.0.1.jsonld).
// The published file (contexts/dcat-ap-3.0.1.jsonld, kept byte for byte) defines five terms
// "Xsd:dateTime", "Xsd:decimal", ... that look like IRIs of a scheme "Xsd" but map to other IRIs.
// JSON-LD 1.1 forbids that ("term in form of IRI must expand to definition"), so a conforming
// processor refuses the whole context, and a document naming the published URL cannot be read.
// KAIRR's copy drops exactly those five terms (no document uses them); everything else is the same.
import PUBLISHED from './contexts/dcat-ap-3.0.1.jsonld.json';

export const DCAT_AP_CONTEXT_NAME = 'dcat-ap-3.0.1.jsonld';
export const DCAT_AP_PUBLISHED_URL = 'https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld';

export function repairDcatContext(published: { '@context': Record<string, unknown> }): { '@context': Record<string, unknown> } {
  const ctx: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(published['@context'])) if (!/^Xsd:/.test(k)) ctx[k] = v;
  return { '@context': ctx };
}

export const DCAT_AP_CONTEXT = repairDcatContext(PUBLISHED as { '@context': Record<string, unknown> });

// Renderings of a version: Croissant (datasets), DataCite (both), DCAT-AP (datasets) and the model
// card (models), chosen by ?format= or by the Accept header (DataCite's content-negotiation media
// types, and Croissant's JSON-LD profile). The render context comes from the stage config and the
// address the request came to.
import { NotAcceptableError } from './errors';
import { ValidationError } from '../domain/errors';
import { CROISSANT_MAX_FILES, CROISSANT_MEDIA_TYPE, DCAT_MAX_FILES, renderCroissant, renderDataCite, renderDcat, renderModelCard, type RenderContext } from '../domain/datahub';
import type { Artifact, Version } from '../domain/datahub/model';
import { runtimeConfig } from '../shared/config';
import { datahubConfig } from './config';
import { manifestFiles } from './manifest';
import { resolveOrg } from './orgs';
import { relatedVersions } from './lineage';
import { ANONYMOUS } from '../domain/datahub/access';

export type Format = 'croissant' | 'datacite' | 'dcat' | 'card';

export function baseUrl(headers: Record<string, string>): string {
  const cfg = datahubConfig();
  if (cfg.publicBaseUrl) return cfg.publicBaseUrl.replace(/\/$/, '');
  const host = headers.host ?? 'localhost';
  const proto = headers['x-forwarded-proto'] ?? (/^(127\.|localhost)/.test(host) ? 'http' : 'https');
  // The execute-api address carries the stage in its path; a custom domain does not.
  const stage = /\.execute-api\./.test(host) ? `/${runtimeConfig().stage}` : '';
  return `${proto}://${host}${stage}`;
}

export function renderContext(headers: Record<string, string>): RenderContext {
  const base = baseUrl(headers);
  const cfg = datahubConfig();
  const plural = (id: string) => (id.startsWith('ds-') ? 'datasets' : 'models');
  return {
    landingUrl: (id, v) => `${base}/v1/public/${plural(id)}/${id}${v ? `/versions/${v}` : ''}`,
    fileUrl: (id, v, p) => `${base}/v1/${plural(id)}/${id}/versions/${v}/files/${p.split('/').map(encodeURIComponent).join('/')}`,
    contextUrl: (name) => `${base}/v1/public/contexts/${name}`,
    publisher: { name: cfg.publisher, ...(cfg.publisherUrl ? { url: cfg.publisherUrl } : {}) },
    ...(cfg.doiPrefix ? { doiPrefix: cfg.doiPrefix } : {}),
  };
}

const ALLOWED: Record<Artifact['kind'], Format[]> = { dataset: ['croissant', 'datacite', 'dcat'], model: ['card', 'datacite'] };

/** The format asked for: ?format= wins, then the Accept header; undefined when neither names one. */
export function negotiate(kind: Artifact['kind'], format: Format | undefined, accept: string | undefined): Format | undefined {
  if (format) {
    if (!ALLOWED[kind].includes(format)) throw ValidationError.field('query.format', `must be one of ${ALLOWED[kind].join(', ')} for a ${kind}`);
    return format;
  }
  const a = (accept ?? '').toLowerCase();
  if (a.includes('mlcommons.org/croissant') && kind === 'dataset') return 'croissant';
  if (a.includes('application/vnd.datacite.datacite+json')) return 'datacite';
  if (a.includes('text/markdown') && kind === 'model') return 'card';
  if (a.includes('application/ld+json') && kind === 'dataset') return a.includes('dcat') ? 'dcat' : 'croissant';
  return undefined;
}

export interface Rendered {
  body?: unknown;
  text?: string;
  contentType: string;
}

export async function render(a: Artifact, v: Version, format: Format, headers: Record<string, string>): Promise<Rendered> {
  const ctx = renderContext(headers);
  const owner = a.owner.type === 'organisation' ? (((await resolveOrg(a.owner.orgId)) as { name?: string }).name ?? a.owner.orgId) : a.owner.sub;
  const withLicence = { ...a, licence: v.licence ?? a.licence };
  const max = format === 'croissant' ? CROISSANT_MAX_FILES : format === 'dcat' ? DCAT_MAX_FILES : 0;
  const files = max && v.files <= max ? await manifestFiles(a.id, v, max) : max ? await manifestFiles(a.id, v, 200) : [];
  const input = { artifact: withLicence, version: v, ownerName: owner, files };
  switch (format) {
    case 'croissant':
      return { body: renderCroissant(input, ctx), contentType: CROISSANT_MEDIA_TYPE };
    case 'dcat':
      return { body: renderDcat(input, ctx), contentType: 'application/ld+json' };
    case 'datacite':
      // DataCite metadata is public: only versions the public may read are named
      return { body: renderDataCite({ ...input, lineage: await relatedVersions(a.id, v.version, ANONYMOUS) }, ctx), contentType: 'application/vnd.datacite.datacite+json' };
    case 'card':
      return { text: renderModelCard(withLicence, v), contentType: 'text/markdown; charset=utf-8' };
  }
}

export { NotAcceptableError };

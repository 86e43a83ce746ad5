// Croissant 1.1 JSON-LD for a dataset version (mlcommons/croissant docs/croissant-spec-1.1.md).
// Required: @context, @type sc:Dataset, conformsTo, name, description, license, url, creator,
// datePublished; distribution holds FileObjects (each with contentUrl, contentSize, encodingFormat,
// sha256). A version with more files than CROISSANT_MAX_FILES is described by FileSets (one per
// media type) contained in the version's file listing, so the document stays small.
import CROISSANT_CONTEXT from './contexts/croissant-1.1.json';
import { isLicenceRef, licenceUrl, parseLicence } from '../licence';
import { fieldOfScience } from '../fields';
import type { RenderContext, RenderInput } from './context';

export const CROISSANT_CONFORMS_TO = 'http://mlcommons.org/croissant/1.1';
export const CROISSANT_MEDIA_TYPE = `application/ld+json; profile="${CROISSANT_CONFORMS_TO}"`;
export const CROISSANT_MAX_FILES = 1_000;

const ko = (s: string) => ({ '@value': s, '@language': 'ko' });

export function licenceValues(expression: string): unknown[] {
  const p = parseLicence(expression);
  const ids = p.ok ? p.ids : [expression];
  return ids.map((id) => (isLicenceRef(id) ? { '@type': 'sc:CreativeWork', name: id } : licenceUrl(id)));
}

export function renderCroissant(input: RenderInput, ctx: RenderContext): Record<string, unknown> {
  const { artifact: a, version: v } = input;
  const url = ctx.landingUrl(a.id, v.version);
  const field = fieldOfScience(a.fieldOfScience);
  const doc: Record<string, unknown> = {
    '@context': CROISSANT_CONTEXT,
    '@type': 'sc:Dataset',
    '@id': url,
    conformsTo: CROISSANT_CONFORMS_TO,
    name: a.name.en ?? ko(a.name.ko!),
    ...(a.name.en && a.name.ko ? { alternateName: ko(a.name.ko) } : {}),
    description: [...(a.description.en ? [a.description.en] : []), ...(a.description.ko ? [ko(a.description.ko)] : [])],
    license: licenceValues(a.licence),
    url,
    creator: { '@type': a.owner.type === 'person' ? 'sc:Person' : 'sc:Organization', name: input.ownerName },
    publisher: { '@type': 'sc:Organization', name: ctx.publisher.name, ...(ctx.publisher.url ? { url: ctx.publisher.url } : {}) },
    datePublished: v.publishedAt ?? v.createdAt,
    dateCreated: v.createdAt,
    version: v.version,
    keywords: [...a.keywords, ...(field ? [field.en, ko(field.ko)] : [])],
    isAccessibleForFree: true,
    ...(a.accessLevel !== 'public' ? { conditionsOfAccess: a.accessLevel === 'registered' ? 'Sign-in to KAIRR required' : "A data access permit from the dataset's committee is required" } : {}),
    ...(v.changelog ? { 'dct:description': v.changelog } : {}),
    ...(v.derivedFrom.length ? { 'prov:wasDerivedFrom': v.derivedFrom.map((d) => ({ '@id': ctx.landingUrl(d.artifactId, d.version) })) } : {}),
    distribution: distribution(input, ctx),
  };
  return doc;
}

function extensionGlob(path: string): string {
  const base = path.split('/').pop()!;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? `**/*${base.slice(dot)}` : '**/*';
}

function distribution(input: RenderInput, ctx: RenderContext): unknown[] {
  const { artifact: a, version: v, files } = input;
  if (v.files <= CROISSANT_MAX_FILES && files.length === v.files) {
    // Ids are the files' own absolute URLs: a path is no IRI (a space, a Hangul name), and a relative
    // id would resolve against the version's parent, so two versions' README.md would be one node.
    return files.map((f) => ({
      '@type': 'cr:FileObject',
      '@id': ctx.fileUrl(a.id, v.version, f.path),
      name: f.path.split('/').pop(),
      contentUrl: ctx.fileUrl(a.id, v.version, f.path),
      contentSize: `${f.bytes} B`,
      encodingFormat: f.mediaType,
      sha256: f.sha256,
    }));
  }
  const manifestUrl = `${ctx.landingUrl(a.id, v.version)}/manifest`;
  const listing = { '@type': 'cr:FileObject', '@id': manifestUrl, name: 'manifest.json', contentUrl: manifestUrl, encodingFormat: 'application/json', contentSize: `${v.files} files` };
  const globs = new Map<string, Set<string>>();
  for (const f of files) globs.set(f.mediaType, (globs.get(f.mediaType) ?? new Set()).add(extensionGlob(f.path)));
  const sets = v.formats.map((m) => ({
    '@type': 'cr:FileSet',
    '@id': `${manifestUrl}#files-${m.replace(/[^a-z0-9]+/g, '-')}`,
    containedIn: { '@id': manifestUrl },
    encodingFormat: m,
    includes: [...(globs.get(m) ?? new Set(['**/*']))],
  }));
  return [listing, ...sets];
}

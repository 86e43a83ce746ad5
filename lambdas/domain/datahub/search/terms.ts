// What an artifact is indexed under: text terms (with a weight: "name" for names, keywords and
// the field of science; "body" for descriptions) and filter keys. Filter keys start with "@", which
// no tokenised term can, so a filter is a posting list like any term (docs/datahub.md).
import { fieldOfScience } from '../fields';
import type { AccessLevel, Artifact, ModelCard } from '../model';
import { documentTerms } from './tokenize';

/** Descriptions are indexed up to this many characters per language (bounds an artifact's postings). */
export const DESCRIPTION_INDEX_CHARS = 1_000;

export interface IndexEntry {
  /** Term → in a name-like field (true) or only in descriptions (false). */
  terms: Record<string, boolean>;
  filters: string[];
}

export interface IndexSource {
  artifact: Pick<Artifact, 'name' | 'description' | 'keywords' | 'fieldOfScience' | 'accessLevel' | 'owner' | 'sites'>;
  licenceIds: string[];
  formats: string[];
  bytes: number;
  card?: ModelCard;
}

export const filterKey = {
  access: (a: AccessLevel) => `@access=${a}`,
  field: (code: string) => `@field=${code}`,
  licence: (id: string) => `@licence=${id.toLowerCase()}`,
  format: (mediaType: string) => `@format=${mediaType.toLowerCase()}`,
  site: (siteId: string) => `@site=${siteId}`,
  author: (owner: string) => `@author=${owner}`,
  tag: (t: string) => `@tag=${t.toLowerCase()}`,
  task: (t: string) => `@task=${t}`,
  library: (l: string) => `@library=${l.toLowerCase()}`,
  language: (l: string) => `@language=${l.toLowerCase()}`,
};

/** Size buckets: four per power of two, so a size range needs exact checks only at its two ends. */
export function sizeBucket(bytes: number): number {
  return bytes <= 0 ? 0 : Math.floor(4 * Math.log2(bytes)) + 1;
}

/** The quarter buckets of one octave: octave o >= 1 holds quarters 4(o-1)+1 .. 4o. */
export function quartersOf(octave: number): number[] {
  return octave === 0 ? [0] : [1, 2, 3, 4].map((i) => 4 * (octave - 1) + i);
}

export function ownerKey(o: Artifact['owner']): string {
  return o.type === 'person' ? o.sub : o.orgId;
}

export function indexEntry(s: IndexSource): IndexEntry {
  const name = new Set<string>();
  const a = s.artifact;
  for (const t of [a.name.ko, a.name.en, ...a.keywords]) if (t) documentTerms(t, name);
  const f = fieldOfScience(a.fieldOfScience);
  if (f) documentTerms(f.en, name), documentTerms(f.ko, name);
  if (s.card) for (const t of [...s.card.tags, s.card.pipeline_tag ?? '', s.card.library_name ?? '']) if (t) documentTerms(t.replace(/-/g, ' '), name);
  const body = new Set<string>();
  for (const t of [a.description.ko, a.description.en]) if (t) documentTerms(t.slice(0, DESCRIPTION_INDEX_CHARS), body);
  const terms: Record<string, boolean> = {};
  for (const t of body) terms[t] = false;
  for (const t of name) terms[t] = true;

  const filters = new Set<string>([filterKey.access(a.accessLevel), filterKey.field(a.fieldOfScience), filterKey.author(ownerKey(a.owner)), sizeKeys.octave(sizeOctave(s.bytes)), sizeKeys.quarter(sizeBucket(s.bytes))]);
  for (const id of s.licenceIds) filters.add(filterKey.licence(id));
  for (const m of s.formats) filters.add(filterKey.format(m));
  for (const site of a.sites) filters.add(filterKey.site(site));
  if (s.card) {
    for (const t of s.card.tags) filters.add(filterKey.tag(t));
    if (s.card.pipeline_tag) filters.add(filterKey.task(s.card.pipeline_tag));
    if (s.card.library_name) filters.add(filterKey.library(s.card.library_name));
    for (const l of s.card.language) filters.add(filterKey.language(l));
  }
  return { terms, filters: [...filters].sort() };
}

/** One posting update: the doc joins or leaves a term's "all" set (d) and its "strong" set (s). */
export interface PostingOp {
  term: string;
  d?: 'add' | 'delete';
  s?: 'add' | 'delete';
}

function asMap(e: IndexEntry | undefined): Map<string, boolean> {
  const m = new Map<string, boolean>(Object.entries(e?.terms ?? {}));
  for (const f of e?.filters ?? []) m.set(f, false);
  return m;
}

/** The posting updates that turn an artifact's entry `before` into `after` (either may be absent). */
export function entryDiff(before: IndexEntry | undefined, after: IndexEntry | undefined): PostingOp[] {
  const b = asMap(before);
  const n = asMap(after);
  const ops: PostingOp[] = [];
  for (const [term, strong] of n) {
    const was = b.get(term);
    if (was === undefined) ops.push({ term, d: 'add', ...(strong ? { s: 'add' as const } : {}) });
    else if (was !== strong) ops.push({ term, s: strong ? 'add' : 'delete' });
  }
  for (const [term, strong] of b) if (!n.has(term)) ops.push({ term, d: 'delete', ...(strong ? { s: 'delete' as const } : {}) });
  return ops.sort((x, y) => (x.term < y.term ? -1 : x.term > y.term ? 1 : 0));
}

/** Current (some version published and not deprecated) or only deprecated versions left. */
export const statusKey = (s: 'current' | 'deprecated') => `@status=${s}`;

/** Two-level size keys: one per power of two ("o"), and four per power of two ("q"). */
export const sizeKeys = {
  octave: (o: number) => `@size=o${o}`,
  quarter: (q: number) => `@size=q${q}`,
};
export function sizeOctave(bytes: number): number {
  return bytes <= 0 ? 0 : Math.floor(Math.log2(bytes)) + 1;
}

// Query evaluation over posting sets (pure). The store reads the posting items a plan names (one
// wave of parallel reads), and this module intersects, filters, scores and orders the documents.
import { quartersOf, sizeBucket, sizeKeys, sizeOctave } from './terms';

/** Documents that hold a term ("d") and those where it is in a name, keyword or tag ("s"). */
export interface Postings {
  d: Set<number>;
  s: Set<number>;
}

export interface SizeRange {
  min?: number;
  max?: number;
}

export interface SearchPlan {
  /** Text terms; every one must match. */
  terms: string[];
  /** Each group is an OR of filter keys; every group must match. */
  groups: string[][];
  /** Size keys whose documents certainly lie in the range, and the two edge buckets to check exactly. */
  size?: { certain: string[]; edges: string[]; range: SizeRange };
  sort: 'relevance' | 'published';
  direction: 'asc' | 'desc';
}

const MAX_OCTAVE = 54;

/** The size keys of a byte range: whole octaves and quarters strictly inside, and the edge quarters. */
export function sizePlan(range: SizeRange): { certain: string[]; edges: string[] } {
  const min = Math.max(0, range.min ?? 0);
  const qmin = sizeBucket(min);
  const qmax = range.max === undefined ? Number.POSITIVE_INFINITY : sizeBucket(range.max);
  const certain: string[] = [];
  const edges: string[] = [];
  if (min === 0 && qmax >= 0) certain.push(sizeKeys.quarter(0));
  else edges.push(sizeKeys.quarter(qmin));
  if (Number.isFinite(qmax) && qmax !== qmin) edges.push(sizeKeys.quarter(qmax));
  for (let o = 1; o <= MAX_OCTAVE; o++) {
    const qs = quartersOf(o).filter((q) => q > qmin && q < qmax);
    if (qs.length === 4) certain.push(sizeKeys.octave(o));
    else for (const q of qs) certain.push(sizeKeys.quarter(q));
  }
  return { certain, edges: [...new Set(edges)].filter((e) => !certain.includes(e)) };
}

export function inRange(bytes: number, r: SizeRange): boolean {
  return (r.min === undefined || bytes >= r.min) && (r.max === undefined || bytes <= r.max);
}

export { sizeOctave };

/** Every posting key a plan reads. */
export function planKeys(p: SearchPlan): string[] {
  const keys = new Set<string>(p.terms);
  for (const g of p.groups) for (const k of g) keys.add(k);
  if (p.size) for (const k of [...p.size.certain, ...p.size.edges]) keys.add(k);
  return [...keys];
}

export interface Ranked {
  doc: number;
  score: number;
  /** In an edge size bucket: its exact size must be checked before it is shown. */
  uncertain: boolean;
}

const EMPTY: Postings = { d: new Set(), s: new Set() };

function union(keys: readonly string[], postings: ReadonlyMap<string, Postings>): Set<number> {
  const out = new Set<number>();
  for (const k of keys) for (const d of (postings.get(k) ?? EMPTY).d) out.add(d);
  return out;
}

/** Intersects, filters, scores (3 per term in a name-like field, 1 per term only in descriptions) and orders. */
export function evaluate(p: SearchPlan, postings: ReadonlyMap<string, Postings>): Ranked[] {
  const sets: Set<number>[] = p.terms.map((t) => (postings.get(t) ?? EMPTY).d);
  for (const g of p.groups) sets.push(union(g, postings));
  let certainSize: Set<number> | undefined;
  let edgeSize: Set<number> | undefined;
  if (p.size) {
    certainSize = union(p.size.certain, postings);
    edgeSize = union(p.size.edges, postings);
  }
  if (sets.length === 0 && !p.size) return [];
  sets.sort((a, b) => a.size - b.size);
  let candidates: number[];
  if (sets.length) candidates = [...sets[0]].filter((d) => sets.every((s, i) => i === 0 || s.has(d)));
  else candidates = [...new Set([...certainSize!, ...edgeSize!])];
  const out: Ranked[] = [];
  for (const doc of candidates) {
    let uncertain = false;
    if (certainSize && !certainSize.has(doc)) {
      if (!edgeSize!.has(doc)) continue;
      uncertain = true;
    }
    let score = 0;
    for (const t of p.terms) score += (postings.get(t) ?? EMPTY).s.has(doc) ? 3 : 1;
    out.push({ doc, score, uncertain });
  }
  const dir = p.direction === 'asc' ? 1 : -1;
  out.sort((a, b) => (p.sort === 'relevance' && a.score !== b.score ? b.score - a.score : dir * (a.doc - b.doc)));
  return out;
}

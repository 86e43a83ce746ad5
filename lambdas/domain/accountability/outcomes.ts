// What an award produced: publications (by DOI), datasets and models from the catalogue, software,
// patents, startups founded and people trained. Each is linked to its allocation and the proposal's
// purpose, and is identified so that the same DOI or catalogue entry listed in two reports counts once.
import { KairrError } from '../errors';

export const OUTCOME_KINDS = ['publication', 'dataset', 'model', 'software', 'patent', 'startup', 'people-trained'] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];
export const TRAINEE_LEVELS = ['undergraduate', 'masters', 'phd', 'postdoc', 'professional'] as const;

export type OutcomeInput =
  | { kind: 'publication'; doi: string; title: string; venue: string; year: number }
  | { kind: 'dataset'; catalogueId: string; title?: string }
  | { kind: 'model'; catalogueId: string; title?: string }
  | { kind: 'software'; name: string; url?: string; license?: string }
  | { kind: 'patent'; number: string; title: string; office?: string }
  | { kind: 'startup'; name: string; foundedYear: number }
  | { kind: 'people-trained'; count: number; level: (typeof TRAINEE_LEVELS)[number] };

export type Outcome = OutcomeInput & { outcomeId: string; allocationId: string; purpose: string | null; reportId: string | null; recordedAt: string };

/**
 * Crossref's recommended pattern for modern DOIs ("10." + a registrant code of 4-9 digits + "/" +
 * a suffix), which matches 74.4M of their 74.9M DOIs. Resolver prefixes (https://doi.org/, doi:)
 * are accepted and removed; DOIs are case-insensitive, so they are kept in lower case.
 */
const DOI = /^10\.\d{4,9}\/[-._;()/:a-z0-9<>[\]]+$/;

export function normalizeDoi(raw: string): string | undefined {
  const s = raw
    .trim()
    .replace(/^(https?:\/\/(dx\.)?doi\.org\/|doi:\s*)/i, '')
    .toLowerCase();
  return DOI.test(s) ? s : undefined;
}

export class MalformedDoiError extends KairrError {
  constructor(path: string, value: string) {
    super(400, 'malformed_doi', `${path} is not a DOI: "${value.slice(0, 80)}"`, [{ path, problem: 'is not a DOI: one is "10.", a registrant code of 4 to 9 digits, "/" and a suffix, e.g. 10.1145/3580305.3599256' }]);
  }
}

/** A stable id within the allocation: the same publication, dataset or model counts once. */
export function outcomeKey(o: OutcomeInput): string {
  const slug = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ').slice(0, 120);
  switch (o.kind) {
    case 'publication':
      return `publication:${o.doi}`;
    case 'dataset':
    case 'model':
      return `${o.kind}:${o.catalogueId}`;
    case 'software':
      return `software:${slug(o.url ?? o.name)}`;
    case 'patent':
      return `patent:${slug(o.number)}`;
    case 'startup':
      return `startup:${slug(o.name)}`;
    case 'people-trained':
      return `people-trained:${o.level}`;
  }
}

/** Checks and normalises outcomes (DOIs); `path` names where they sit in the request. */
export function checkOutcomes(list: OutcomeInput[], path = 'outcomes'): OutcomeInput[] {
  const seen = new Map<string, OutcomeInput>();
  list.forEach((o, i) => {
    let out = o;
    if (o.kind === 'publication') {
      const doi = normalizeDoi(o.doi);
      if (!doi) throw new MalformedDoiError(`${path}[${i}].doi`, o.doi);
      out = { ...o, doi };
    }
    const k = outcomeKey(out);
    const prior = seen.get(k);
    // people trained at the same level add up; anything else listed twice is one outcome
    if (prior && prior.kind === 'people-trained' && out.kind === 'people-trained') seen.set(k, { ...prior, count: prior.count + out.count });
    else if (!prior) seen.set(k, out);
  });
  return [...seen.values()];
}

export type OutcomeCounts = Record<'publications' | 'datasets' | 'models' | 'software' | 'patents' | 'startups' | 'peopleTrained', number>;

export const emptyCounts = (): OutcomeCounts => ({ publications: 0, datasets: 0, models: 0, software: 0, patents: 0, startups: 0, peopleTrained: 0 });

const COUNT_OF: Record<OutcomeKind, keyof OutcomeCounts> = {
  publication: 'publications',
  dataset: 'datasets',
  model: 'models',
  software: 'software',
  patent: 'patents',
  startup: 'startups',
  'people-trained': 'peopleTrained',
};

export function countOutcomes(list: readonly OutcomeInput[]): OutcomeCounts {
  const c = emptyCounts();
  for (const o of list) c[COUNT_OF[o.kind]] += o.kind === 'people-trained' ? o.count : 1;
  return c;
}

export function addCounts(a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts {
  const out = emptyCounts();
  for (const k of Object.keys(out) as (keyof OutcomeCounts)[]) out[k] = (a[k] ?? 0) + (b[k] ?? 0);
  return out;
}

// Mentor suggestions: deterministic (the same mentors and request give the same list), explained
// criterion by criterion, as the recommender explains resources.
//   field      1 when the mentor lists the request's field, else 0           (weight 0.45)
//   languages  shared languages / the mentee's languages; 0 shared excludes (weight 0.25)
//   topic      Jaccard overlap of the topic's tokens with the mentor's expertise tokens,
//              Korean-aware (Hangul bigrams, Latin words)                     (weight 0.15)
//   capacity   free places / capacity                                         (weight 0.15)
// Ties break by mentor sub, so the order never depends on storage order.
// SME/startup priority (config): a share of every mentor's places is held for mentees from the
// priority org types; others see a mentor as available only while a place beyond the held ones is free.
import { tokenSet } from './tokenise';
import type { Mentor, MenteeRequest } from './model';
import type { OrgType } from './schema';

export interface PriorityPolicy {
  orgTypes: readonly OrgType[];
  /** Fraction of each mentor's capacity held for priority mentees (floor of capacity x share). */
  heldShare: number;
}

export const WEIGHTS = { field: 0.45, languages: 0.25, topic: 0.15, capacity: 0.15 } as const;

export interface Criterion {
  score: number;
  weight: number;
  detail: string;
}

export interface Suggestion {
  rank: number;
  mentorSub: string;
  mentorName: string;
  score: number;
  freePlaces: number;
  usesHeldPlace: boolean;
  criteria: Record<keyof typeof WEIGHTS, Criterion>;
  reasons: string[];
}

export const heldPlaces = (m: Pick<Mentor, 'capacity'>, p: PriorityPolicy): number => Math.floor(m.capacity * p.heldShare);

export const isPriority = (orgType: OrgType | null, p: PriorityPolicy): boolean => orgType !== null && p.orgTypes.includes(orgType);

/** Places this mentee may take of this mentor (priority mentees may take the held ones). */
export function placesFor(m: Pick<Mentor, 'capacity' | 'active'>, priority: boolean, p: PriorityPolicy): number {
  const free = Math.max(0, m.capacity - m.active);
  return priority ? free : Math.max(0, free - heldPlaces(m, p));
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export function suggestMentors(
  req: Pick<MenteeRequest, 'menteeSub' | 'topic' | 'field' | 'languages' | 'orgType'>,
  mentors: readonly Mentor[],
  policy: PriorityPolicy,
  opts: { exclude?: ReadonlySet<string>; limit?: number } = {},
): Suggestion[] {
  const priority = isPriority(req.orgType, policy);
  const topicTokens = tokenSet(req.topic);
  const out: Omit<Suggestion, 'rank'>[] = [];
  for (const m of mentors) {
    if (!m.offering || m.sub === req.menteeSub || opts.exclude?.has(m.sub)) continue;
    const places = placesFor(m, priority, policy);
    if (places <= 0) continue;
    const shared = m.languages.filter((l) => req.languages.includes(l)).sort();
    if (!shared.length) continue;
    const fieldHit = m.fields.includes(req.field);
    const expertise = tokenSet(...m.expertise, ...m.fields.map((f) => f.replace(/-/g, ' ')));
    const common = [...topicTokens].filter((t) => expertise.has(t)).sort();
    const union = new Set([...topicTokens, ...expertise]).size;
    const topic = union ? common.length / union : 0;
    const free = m.capacity - m.active;
    const usesHeld = priority && places > 0 && free <= heldPlaces(m, policy);
    const criteria = {
      field: { score: fieldHit ? 1 : 0, weight: WEIGHTS.field, detail: fieldHit ? `offers ${req.field}` : `offers ${m.fields.join(', ')}, not ${req.field}` },
      languages: { score: round(shared.length / req.languages.length), weight: WEIGHTS.languages, detail: `speaks ${shared.join(', ')} of ${req.languages.join(', ')}` },
      topic: { score: round(topic), weight: WEIGHTS.topic, detail: common.length ? `topic shares ${common.map((t) => `"${t}"`).join(', ')} with the mentor's expertise` : 'no topic words in common with the expertise' },
      capacity: { score: round(free / Math.max(1, m.capacity)), weight: WEIGHTS.capacity, detail: `${free} of ${m.capacity} places free${usesHeld ? ' (a place held for SME and startup mentees)' : ''}` },
    };
    const score = round(Object.values(criteria).reduce((s, c) => s + c.score * c.weight, 0));
    const reasons = [criteria.field.detail, criteria.languages.detail, criteria.topic.detail, criteria.capacity.detail];
    out.push({ mentorSub: m.sub, mentorName: m.displayName, score, freePlaces: places, usesHeldPlace: usesHeld, criteria, reasons });
  }
  out.sort((a, b) => b.score - a.score || (a.mentorSub < b.mentorSub ? -1 : a.mentorSub > b.mentorSub ? 1 : 0));
  return out.slice(0, opts.limit ?? 10).map((s, i) => ({ rank: i + 1, ...s }));
}

// Catalogue search over published courses: facet filters (field, level, mode, language, provider,
// keyword, starter-qualifying) and a free-text query. Every query token must occur in the course
// (AND); the score counts where it occurs, names weighing most, so the order is deterministic.
import { tokenise } from './tokenise';
import type { Course } from './model';

export interface CourseFilters {
  q?: string;
  field?: string;
  level?: string;
  mode?: string;
  language?: string;
  provider?: string;
  keyword?: string;
  qualifiesForStarter?: boolean;
}

const CJK_TOKEN = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3\u3400-\u4dbf\u4e00-\u9fff]/u;
const FIELD_WEIGHTS = { name: 4, keywords: 3, teaches: 2, description: 1 } as const;

function bag(texts: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of texts) for (const tok of tokenise(t)) m.set(tok, (m.get(tok) ?? 0) + 1);
  return m;
}

export interface Ranked {
  course: Course;
  score: number;
}

/** How well a course matches the query tokens (0 = it does not: some token is missing). */
export function scoreCourse(c: Course, queryTokens: readonly string[]): number {
  if (!queryTokens.length) return 1;
  const bags = {
    name: bag([c.name.ko, c.name.en, c.code ?? '']),
    keywords: bag([...c.keywords, c.field.replace(/-/g, ' ')]),
    teaches: bag([...c.teaches, ...c.audience]),
    description: bag([c.description.ko, c.description.en]),
  };
  let score = 0;
  let cjk = 0;
  let cjkMissed = 0;
  for (const tok of new Set(queryTokens)) {
    let hit = 0;
    for (const [k, w] of Object.entries(FIELD_WEIGHTS) as [keyof typeof FIELD_WEIGHTS, number][]) hit += Math.min(3, bags[k].get(tok) ?? 0) * w;
    const isCjk = CJK_TOKEN.test(tok);
    if (isCjk) cjk++;
    if (hit === 0) {
      // Every Latin word must occur; of the Hangul bigrams one (or a third) may miss: a particle
      // or an ending glued to the query's last word ("슬럼을" finds "슬럼", "분산학습은" "분산학습").
      if (!isCjk) return 0;
      cjkMissed++;
    }
    score += hit;
  }
  if (cjk && (cjkMissed === cjk || cjkMissed > (cjk >= 2 ? Math.max(1, Math.floor(cjk / 3)) : 0))) return 0;
  return score;
}

export function searchCourses(courses: readonly Course[], f: CourseFilters): Ranked[] {
  const q = f.q ? tokenise(f.q) : [];
  const kw = f.keyword?.toLowerCase();
  const out: Ranked[] = [];
  for (const c of courses) {
    if (f.field && c.field !== f.field) continue;
    if (f.level && c.level !== f.level) continue;
    if (f.mode && c.mode !== f.mode) continue;
    if (f.language && !c.languages.includes(f.language)) continue;
    if (f.provider && c.providerOrgId !== f.provider) continue;
    if (kw && !c.keywords.some((k) => k.toLowerCase() === kw)) continue;
    if (f.qualifiesForStarter !== undefined && c.qualifiesForStarter !== f.qualifiesForStarter) continue;
    const score = scoreCourse(c, q);
    if (score > 0) out.push({ course: c, score });
  }
  // Best first; equal scores newest first, then by id: a stable order for paging.
  return out.sort((a, b) => b.score - a.score || (a.course.createdAt < b.course.createdAt ? 1 : a.course.createdAt > b.course.createdAt ? -1 : a.course.id < b.course.id ? -1 : 1));
}

// The people domain without AWS: the Korean-aware tokeniser, catalogue search, mentor suggestions
// and the participation report.
import { participationReport, searchCourses, suggestMentors, tokenise, type Course, type Mentor } from '../../../lambdas/domain/people';

describe('tokenise', () => {
  it('makes Hangul bigrams and Latin words, so particles do not stop a match', () => {
    expect(tokenise('분산학습을 GPU로')).toEqual(['분산', '산학', '학습', '습을', 'gpu', '로']);
    expect(tokenise('Large-Model Training, 2026!')).toEqual(['large', 'model', 'training', '2026']);
    expect(tokenise('한')).toEqual(['한']);
    expect(tokenise('ＧＰＵ')).toEqual(['gpu']); // full-width letters are folded (NFKC)
    expect(tokenise('  ...  ')).toEqual([]);
  });
});

const course = (id: string, o: Partial<Course> = {}): Course => ({
  id,
  providerOrgId: 'kaist',
  name: { ko: '강좌', en: 'Course' },
  description: { ko: '설명', en: 'A description' },
  audience: ['students'],
  level: 'beginner',
  prerequisites: [],
  keywords: ['gpu'],
  field: 'computer-science',
  teaches: ['x'],
  mode: 'online',
  languages: ['ko'],
  resources: [],
  qualifiesForStarter: false,
  status: 'published',
  createdAt: `2026-01-0${id.slice(-1)}T00:00:00.000Z`,
  updatedAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'a',
  ...o,
});

describe('searchCourses', () => {
  const cs = [
    course('crs-1', { name: { ko: '대규모 언어모델 분산학습', en: 'Distributed training of large language models' }, keywords: ['LLM'], level: 'advanced' }),
    course('crs-2', { name: { ko: 'HPC 입문', en: 'HPC for AI' }, description: { ko: '분산 컴퓨팅 기초', en: 'Basics' }, languages: ['en'] }),
    course('crs-3', { name: { ko: '파이썬', en: 'Python' }, qualifiesForStarter: true }),
  ];
  it('finds a Korean query inside inflected words, names weighing most', () => {
    expect(searchCourses(cs, { q: '분산학습은' }).map((r) => r.course.id)).toEqual(['crs-1']);
    expect(searchCourses(cs, { q: '분산' }).map((r) => r.course.id)).toEqual(['crs-1', 'crs-2']);
    expect(searchCourses(cs, { q: '파이썬을' }).map((r) => r.course.id)).toEqual(['crs-3']);
    expect(searchCourses(cs, { q: '파이' }).map((r) => r.course.id)).toEqual(['crs-3']);
    expect(searchCourses(cs, { q: '썬을' })).toEqual([]);
    expect(searchCourses(cs, { q: 'language models' }).map((r) => r.course.id)).toEqual(['crs-1']);
    expect(searchCourses(cs, { q: 'quantum' })).toEqual([]);
  });
  it('filters by facets, and orders equal scores newest first', () => {
    expect(searchCourses(cs, { language: 'en' }).map((r) => r.course.id)).toEqual(['crs-2']);
    expect(searchCourses(cs, { level: 'advanced', keyword: 'llm' }).map((r) => r.course.id)).toEqual(['crs-1']);
    expect(searchCourses(cs, { qualifiesForStarter: true }).map((r) => r.course.id)).toEqual(['crs-3']);
    expect(searchCourses(cs, {}).map((r) => r.course.id)).toEqual(['crs-3', 'crs-2', 'crs-1']);
  });
});

const mentor = (sub: string, o: Partial<Mentor> = {}): Mentor => ({
  sub,
  displayName: sub,
  fields: ['computer-science'],
  expertise: ['분산학습', 'LLM pretraining'],
  languages: ['ko', 'en'],
  capacity: 4,
  active: 0,
  availability: 'Tuesdays',
  offering: true,
  updatedAt: 'x',
  ...o,
});
const policy = { orgTypes: ['sme', 'startup'] as const, heldShare: 0.25 };

describe('suggestMentors', () => {
  const req = { menteeSub: 'me', topic: '대규모 분산학습 설정', field: 'computer-science', languages: ['ko'], orgType: 'university' as const };
  it('ranks by field, language, topic and capacity, explains each, and is deterministic', () => {
    const ms = [mentor('b-mentor'), mentor('a-mentor'), mentor('c-field', { fields: ['biology'] }), mentor('d-english', { languages: ['en'] }), mentor('e-busy', { active: 3 })];
    const s = suggestMentors(req, ms, policy);
    expect(s.map((x) => x.mentorSub)).toEqual(['a-mentor', 'b-mentor', 'c-field']);
    expect(suggestMentors(req, [...ms].reverse(), policy)).toEqual(s);
    expect(s[0].reasons).toEqual(['offers computer-science', 'speaks ko of ko', 'topic shares "분산", "산학", "학습" with the mentor\'s expertise', '4 of 4 places free']);
    expect(s[0].criteria.field.score).toBe(1);
    expect(s[2].criteria.field.score).toBe(0);
  });
  it('holds a share of places for SME and startup mentees', () => {
    const last = [mentor('m', { active: 3 })]; // 1 of 4 free, floor(4 x 0.25) = 1 held
    expect(suggestMentors(req, last, policy)).toEqual([]);
    const sme = suggestMentors({ ...req, orgType: 'sme' }, last, policy);
    expect(sme).toHaveLength(1);
    expect(sme[0]).toMatchObject({ usesHeldPlace: true, freePlaces: 1 });
    expect(suggestMentors(req, last, { ...policy, heldShare: 0 })).toHaveLength(1);
  });
  it('never suggests the mentee, nor a mentor not offering', () => {
    expect(suggestMentors(req, [mentor('me'), mentor('x', { offering: false })], policy)).toEqual([]);
  });
});

describe('participationReport', () => {
  it('counts by org type and region, with undeclared organisations under null', () => {
    const r = participationReport(
      {
        enrolments: [
          { orgId: 'a', orgType: 'sme', region: 'Seoul', state: 'completed' },
          { orgId: 'b', orgType: 'university', region: 'Daejeon', state: 'enrolled' },
          { orgId: null, orgType: null, region: null, state: 'waitlisted' },
          { orgId: 'a', orgType: 'sme', region: 'Seoul', state: 'withdrawn' },
        ],
        applications: [{ orgId: 'a', orgType: 'sme', region: 'Seoul', state: 'selected' }],
        matches: [{ orgId: 'b', orgType: 'university', region: 'Daejeon', state: 'active' }],
      },
      '2026-12-01T00:00:00.000Z',
    );
    expect(r.totals).toEqual({ enrolments: 2, completions: 1, waitlisted: 1, internshipApplications: 1, internshipsSelected: 1, mentoringMatches: 1 });
    expect(r.byOrgType.map((g) => [g.key, g.enrolments, g.completions, g.internshipsSelected, g.mentoringMatches, g.waitlisted])).toEqual([
      ['sme', 1, 1, 1, 0, 0],
      ['university', 1, 0, 0, 1, 0],
      [null, 0, 0, 0, 0, 1],
    ]);
    expect(r.byRegion.map((g) => g.key)).toEqual(['Daejeon', 'Seoul', null]);
  });
});

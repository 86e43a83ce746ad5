// Korean and English tokenisation, the index entry of an artifact, and query evaluation.
import { documentTerms, entryDiff, evaluate, indexEntry, inRange, planKeys, queryTerms, sizeBucket, sizePlan, type Postings, type SearchPlan } from '../../../lambdas/domain/datahub';
import { artifact } from './fixtures';

const matches = (doc: string, q: string) => {
  const d = documentTerms(doc);
  return queryTerms(q).every((t) => d.has(t));
};

describe('Korean and English tokenisation', () => {
  it('언어모델 finds 한국어 언어 모델 (compounds written with or without spaces)', () => {
    expect(matches('한국어 언어 모델', '언어모델')).toBe(true);
    expect(matches('한국어언어모델', '언어 모델')).toBe(true);
    expect(matches('한국어 언어 모델', '한국어 언어 모델')).toBe(true);
  });
  it('데이터셋 finds 데이터셋을 (particles)', () => {
    expect(matches('공공 데이터셋을 정제했다', '데이터셋')).toBe(true);
    expect(matches('모델의 성능', '모델')).toBe(true);
  });
  it('does not find what is not there', () => {
    expect(matches('한국어 언어 모델', '음성모델')).toBe(false);
    expect(matches('언어 처리 모델', '언어모델')).toBe(false);
    expect(matches('image classification', 'speech')).toBe(false);
  });
  it('English: case, plurals, stop words, full-width letters and mixed scripts', () => {
    expect(matches('Large Language Models for Korean', 'language model')).toBe(true);
    expect(matches('The datasets of KISTI', 'the dataset')).toBe(true);
    expect(matches('ＧＰＴ 모델', 'gpt')).toBe(true);
    expect(matches('GPT모델을 학습', 'gpt 모델')).toBe(true);
    expect(queryTerms('the of')).toEqual(['the', 'of']);
    expect(queryTerms('corpus status')).toEqual(['corpus', 'status']);
  });
  it('a one-syllable word is its own term', () => {
    expect(documentTerms('책 목록').has('책')).toBe(true);
    expect(queryTerms('책')).toEqual(['책']);
  });
});

describe('an artifact in the index', () => {
  it('weighs names and keywords above descriptions, and carries its filters', () => {
    const e = indexEntry({ artifact: artifact(), licenceIds: ['CC-BY-4.0'], formats: ['text/csv'], bytes: 3 * 2 ** 20 });
    expect(e.terms.말뭉).toBe(true);
    expect(e.terms.정제).toBe(false);
    expect(e.terms.nlp).toBe(true);
    expect(e.terms.컴퓨).toBe(true); // the field of science's Korean name
    expect(e.filters).toEqual(expect.arrayContaining(['@access=public', '@field=1.2', '@licence=cc-by-4.0', '@format=text/csv', '@site=kisti6', '@author=org-kisti']));
  });
  it('an update changes only what changed', () => {
    const before = { terms: { a: true, b: false, c: true }, filters: ['@access=public'] };
    const after = { terms: { a: true, b: true, c: false, d: false }, filters: ['@access=registered'] };
    expect(entryDiff(before, after)).toEqual([
      { term: '@access=public', d: 'delete' },
      { term: '@access=registered', d: 'add' },
      { term: 'b', s: 'add' },
      { term: 'c', s: 'delete' },
      { term: 'd', d: 'add' },
    ]);
    expect(entryDiff(before, undefined).every((o) => o.d === 'delete')).toBe(true);
  });
});

describe('query evaluation', () => {
  const p = (d: number[], s: number[] = []): Postings => ({ d: new Set(d), s: new Set(s) });
  const base: SearchPlan = { terms: [], groups: [], sort: 'relevance', direction: 'desc' };

  it('intersects terms, ORs within a filter group, ANDs groups, and ranks name hits first', () => {
    const postings = new Map([
      ['언어', p([1, 2, 3, 4], [2])],
      ['모델', p([2, 3, 4, 9], [2, 3])],
      ['@access=public', p([1, 2, 3])],
      ['@access=registered', p([4])],
      ['@licence=mit', p([3, 4])],
    ]);
    const plan = { ...base, terms: ['언어', '모델'], groups: [['@access=public', '@access=registered']] };
    expect(evaluate(plan, postings).map((r) => [r.doc, r.score])).toEqual([
      [2, 6],
      [3, 4],
      [4, 2],
    ]);
    expect(evaluate({ ...plan, groups: [...plan.groups, ['@licence=mit']] }, postings).map((r) => r.doc)).toEqual([3, 4]);
    expect(evaluate({ ...plan, sort: 'published', direction: 'asc' }, postings).map((r) => r.doc)).toEqual([2, 3, 4]);
    expect(evaluate({ ...plan, terms: ['없음'] }, postings)).toEqual([]);
    expect(planKeys(plan).sort()).toEqual(['@access=public', '@access=registered', '모델', '언어']);
  });

  it('resolves a size range to whole buckets and marks the two edge buckets for an exact check', () => {
    const sizes = [0, 1000, 5000, 1e6, 3e6, 1e9];
    const postings = new Map<string, Postings>();
    sizes.forEach((bytes, doc) => {
      const e = indexEntry({ artifact: artifact(), licenceIds: [], formats: [], bytes });
      for (const f of e.filters.filter((x) => x.startsWith('@size='))) {
        const cur = postings.get(f) ?? p([]);
        cur.d.add(doc);
        postings.set(f, cur);
      }
    });
    const range = { min: 1000, max: 3e6 };
    const plan: SearchPlan = { ...base, size: { ...sizePlan(range), range }, sort: 'published', direction: 'asc' };
    const ranked = evaluate(plan, postings);
    // Certain docs are inside; uncertain ones are in an edge bucket and must be checked exactly.
    for (const r of ranked) if (!r.uncertain) expect(inRange(sizes[r.doc], range)).toBe(true);
    const shown = ranked.filter((r) => !r.uncertain || inRange(sizes[r.doc], range)).map((r) => r.doc);
    expect(shown).toEqual([1, 2, 3, 4]);
    expect(sizeBucket(1024)).toBe(41);
    expect(sizePlan({}).edges).toEqual([]);
  });
});

// Fields of science: the OECD Fields of Research and Development (FORD, Frascati Manual 2015,
// table 2.2), second level. DataCite's "Fields of Science and Technology (FOS)" subject scheme
// uses the same codes; DataCite Commons shows them as "FOS: <name>". Korean names follow the
// usual Korean research-classification wording; both are indexed for search.
export interface FieldOfScience {
  code: string;
  en: string;
  ko: string;
}

export const FIELDS_OF_SCIENCE: readonly FieldOfScience[] = [
  { code: '1.1', en: 'Mathematics', ko: '수학' },
  { code: '1.2', en: 'Computer and information sciences', ko: '컴퓨터 정보과학' },
  { code: '1.3', en: 'Physical sciences', ko: '물리학' },
  { code: '1.4', en: 'Chemical sciences', ko: '화학' },
  { code: '1.5', en: 'Earth and related environmental sciences', ko: '지구 환경과학' },
  { code: '1.6', en: 'Biological sciences', ko: '생명과학' },
  { code: '1.7', en: 'Other natural sciences', ko: '기타 자연과학' },
  { code: '2.1', en: 'Civil engineering', ko: '토목공학' },
  { code: '2.2', en: 'Electrical engineering, electronic engineering, information engineering', ko: '전기 전자 정보공학' },
  { code: '2.3', en: 'Mechanical engineering', ko: '기계공학' },
  { code: '2.4', en: 'Chemical engineering', ko: '화학공학' },
  { code: '2.5', en: 'Materials engineering', ko: '재료공학' },
  { code: '2.6', en: 'Medical engineering', ko: '의공학' },
  { code: '2.7', en: 'Environmental engineering', ko: '환경공학' },
  { code: '2.8', en: 'Environmental biotechnology', ko: '환경생명공학' },
  { code: '2.9', en: 'Industrial biotechnology', ko: '산업생명공학' },
  { code: '2.10', en: 'Nano-technology', ko: '나노기술' },
  { code: '2.11', en: 'Other engineering and technologies', ko: '기타 공학' },
  { code: '3.1', en: 'Basic medicine', ko: '기초의학' },
  { code: '3.2', en: 'Clinical medicine', ko: '임상의학' },
  { code: '3.3', en: 'Health sciences', ko: '보건과학' },
  { code: '3.4', en: 'Medical biotechnology', ko: '의료생명공학' },
  { code: '3.5', en: 'Other medical sciences', ko: '기타 의약학' },
  { code: '4.1', en: 'Agriculture, forestry, and fisheries', ko: '농림수산학' },
  { code: '4.2', en: 'Animal and dairy science', ko: '축산학' },
  { code: '4.3', en: 'Veterinary science', ko: '수의학' },
  { code: '4.4', en: 'Agricultural biotechnology', ko: '농업생명공학' },
  { code: '4.5', en: 'Other agricultural sciences', ko: '기타 농학' },
  { code: '5.1', en: 'Psychology and cognitive sciences', ko: '심리 인지과학' },
  { code: '5.2', en: 'Economics and business', ko: '경제 경영학' },
  { code: '5.3', en: 'Education', ko: '교육학' },
  { code: '5.4', en: 'Sociology', ko: '사회학' },
  { code: '5.5', en: 'Law', ko: '법학' },
  { code: '5.6', en: 'Political science', ko: '정치학' },
  { code: '5.7', en: 'Social and economic geography', ko: '사회 경제지리학' },
  { code: '5.8', en: 'Media and communications', ko: '미디어 커뮤니케이션' },
  { code: '5.9', en: 'Other social sciences', ko: '기타 사회과학' },
  { code: '6.1', en: 'History and archaeology', ko: '역사 고고학' },
  { code: '6.2', en: 'Languages and literature', ko: '언어 문학' },
  { code: '6.3', en: 'Philosophy, ethics and religion', ko: '철학 윤리 종교학' },
  { code: '6.4', en: 'Arts (arts, history of arts, performing arts, music)', ko: '예술' },
  { code: '6.5', en: 'Other humanities', ko: '기타 인문학' },
];

const BY_CODE = new Map(FIELDS_OF_SCIENCE.map((f) => [f.code, f]));

export function fieldOfScience(code: string): FieldOfScience | undefined {
  return BY_CODE.get(code);
}

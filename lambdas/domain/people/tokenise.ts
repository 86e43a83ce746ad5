// A Korean-aware tokeniser for the programmes catalogue, of the same design as the data hub's
// search: Hangul (and Han) runs become overlapping character bigrams, because Korean words take
// particles and endings ("분산학습을", "분산학습은") that a whole-word match would miss, while every
// bigram of the stem still matches; Latin and digit runs become lower-cased words.
// Kept alone in this module so the shared tokeniser can replace it with one import when it lands.

/** Hangul syllables, Jamo and compatibility Jamo, and CJK ideographs (Hanja). */
const CJK = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3\u3400-\u4dbf\u4e00-\u9fff]/u;
const WORD = /[\p{L}\p{N}]/u;

function bigrams(run: string, out: string[]): void {
  const chars = [...run];
  if (chars.length === 1) out.push(chars[0]);
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
}

/** Tokens in text order, duplicates kept (callers that need a set make one). */
export function tokenise(text: string): string[] {
  const out: string[] = [];
  const norm = text.normalize('NFKC').toLowerCase();
  let run = '';
  let kind: 'cjk' | 'word' | null = null;
  const flush = () => {
    if (run && kind === 'cjk') bigrams(run, out);
    else if (run && kind === 'word') out.push(run);
    run = '';
    kind = null;
  };
  for (const ch of norm) {
    const k = CJK.test(ch) ? 'cjk' : WORD.test(ch) ? 'word' : null;
    if (k !== kind) flush();
    if (k) {
      run += ch;
      kind = k;
    }
  }
  flush();
  return out;
}

/** The distinct tokens of several texts. */
export function tokenSet(...texts: readonly string[]): Set<string> {
  const s = new Set<string>();
  for (const t of texts) for (const tok of tokenise(t)) s.add(tok);
  return s;
}

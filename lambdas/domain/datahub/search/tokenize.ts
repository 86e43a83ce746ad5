// Tokenisation for Korean and English search (docs/datahub.md, "Search").
//
// Korean writes no spaces inside words and attaches particles (데이터셋을, 모델의), and compounds are
// written with or without spaces (언어모델, 언어 모델). So Hangul (and CJK ideographs and kana) is
// cut into overlapping character bigrams, and a document's Hangul words that follow one another are
// also joined for bigrams across the space: "한국어 언어 모델" indexes 한국 국어 어언 언어 어모 모델,
// so the query 언어모델 (언어 어모 모델) finds it. A query's words are not joined: "언어 모델" asks
// for 언어 and 모델, wherever they are. A one-syllable word is its own term.
// Latin script and digits: words of letters and digits, lower-cased, NFKC (full-width letters
// fold), with a light English plural fold (models -> model, datasets -> dataset) on both sides.
// Every query term must match (AND); ranking weighs terms found in names and keywords.

const CJK = /[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;
const WORD = /[\p{L}\p{N}]+/gu;

const STOP = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'from', 'in', 'into', 'is', 'it', 'of', 'on', 'or', 'the', 'to', 'with']);

export const MAX_TERM_LENGTH = 40;

function foldLatin(w: string): string {
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) return w.slice(0, -1);
  return w;
}

interface Run {
  text: string;
  cjk: boolean;
}

/** Splits text into runs of CJK characters and runs of other letters/digits, in order. */
function runs(text: string): Run[][] {
  const words: Run[][] = [];
  for (const m of text.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    const w = m[0];
    const parts: Run[] = [];
    let cur = '';
    let curCjk = false;
    for (const ch of w) {
      const c = CJK.test(ch);
      if (cur && c !== curCjk) parts.push({ text: cur, cjk: curCjk }), (cur = '');
      cur += ch;
      curCjk = c;
    }
    if (cur) parts.push({ text: cur, cjk: curCjk });
    words.push(parts);
  }
  return words;
}

function bigrams(s: string, out: Set<string>): void {
  const chars = [...s];
  if (chars.length === 1) out.add(chars[0]);
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i] + chars[i + 1]);
}

function latin(w: string, out: Set<string>, dropStop: boolean): void {
  if (dropStop && STOP.has(w)) return;
  const t = foldLatin(w).slice(0, MAX_TERM_LENGTH);
  if (t) out.add(t);
}

/** The terms a document's text is indexed under. */
export function documentTerms(text: string, out = new Set<string>()): Set<string> {
  let joined = '';
  const flush = () => {
    if (joined) bigrams(joined, out);
    joined = '';
  };
  for (const parts of runs(text)) {
    for (const [i, p] of parts.entries()) {
      if (p.cjk) {
        bigrams(p.text, out);
        // Join with the previous word's trailing CJK run only when this run starts the word.
        joined = i === 0 ? joined + p.text : p.text;
      } else {
        flush();
        latin(p.text, out, false);
      }
    }
    const last = parts[parts.length - 1];
    if (!last?.cjk) flush();
  }
  flush();
  return out;
}

/** The terms a query asks for (all must match). Stop words are dropped unless nothing else is left. */
export function queryTerms(q: string): string[] {
  const out = new Set<string>();
  for (const parts of runs(q)) for (const p of parts) p.cjk ? bigrams(p.text, out) : latin(p.text, out, true);
  if (out.size === 0) for (const parts of runs(q)) for (const p of parts) if (!p.cjk) latin(p.text, out, false);
  return [...out];
}

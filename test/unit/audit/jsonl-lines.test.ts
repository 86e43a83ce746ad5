// The verifier's JSONL line splitter works on bytes (jsonl-lines.ts); it must hand out exactly the
// lines that decoding the whole file with a fatal UTF-8 TextDecoder and splitting on LF gives, for
// any chunking, and refuse what that decoder refuses.
import { JsonlLines, LineTooLongError, MAX_LINE_CHARS, NotUtf8Error, type Line } from '../../../lambdas/domain/audit/jsonl-lines';
import { rng } from '../../support/rng';

/** What the verifier did before: the whole file decoded (BOM dropped), split on LF. */
function reference(bytes: Uint8Array): { lines: string[]; tail: string | null } {
  const parts = new TextDecoder('utf-8', { fatal: true }).decode(bytes).split('\n');
  const tail = parts.pop()!;
  return { lines: parts, tail: tail.length > 0 ? tail : null };
}

function split(bytes: Uint8Array, sizes: number[]): { lines: Line[]; tail: Line | null } {
  const s = new JsonlLines();
  const lines: Line[] = [];
  for (let pos = 0, i = 0; pos < bytes.length; i++) {
    const n = sizes[i % sizes.length];
    lines.push(...s.push(bytes.subarray(pos, pos + n)));
    pos += n;
  }
  return { lines, tail: s.end() };
}

const PIECES = ['a', '{"x":1}', '\n', '\n', '\r', 'é', '한', '😀', '\ufeff', '\u2028', ' ', '\\'];

describe('JsonlLines', () => {
  const rand = rng(7);
  const sample = (n: number) => Array.from({ length: n }, () => PIECES[Math.floor(rand() * PIECES.length)]).join('');

  it('gives the lines of decode-then-split, numbered from 1, for any chunking', () => {
    for (let i = 0; i < 300; i++) {
      const text = (i % 10 === 0 ? '\ufeff' : '') + sample(Math.floor(rand() * 60));
      const bytes = Buffer.from(text, 'utf8');
      const want = reference(bytes);
      for (const sizes of [[1], [2, 3, 5, 7], [1 + Math.floor(rand() * 40)], [1 << 20]]) {
        const got = split(bytes, sizes);
        expect(got.lines.map((l) => l.text)).toEqual(want.lines);
        expect(got.lines.map((l) => l.line)).toEqual(want.lines.map((_, k) => k + 1));
        expect(got.tail?.text ?? null).toEqual(want.tail);
        if (got.tail) expect(got.tail.line).toBe(want.lines.length + 1);
      }
    }
  });

  it('refuses bytes that are not UTF-8 wherever the chunks cut them, naming a byte range that holds them', () => {
    const bad = [[0xff], [0xc3], [0xed, 0xa0, 0x80] /* a surrogate */, [0xe2, 0x82] /* cut short */, [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf] /* overlong */];
    for (const b of bad) {
      for (const where of ['line', 'tail']) {
        const before = Buffer.from('{"ok":1}\n{"a":"', 'utf8');
        const after = Buffer.from(where === 'line' ? '"}\n{"b":2}\n' : '"}', 'utf8');
        const bytes = Buffer.concat([before, Buffer.from(b), after]);
        expect(() => reference(bytes)).toThrow();
        for (const sizes of [[1], [3], [1 << 20]]) {
          let err: unknown;
          try {
            split(bytes, sizes);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(NotUtf8Error);
          const { from, to } = err as NotUtf8Error;
          expect(from).toBeLessThanOrEqual(before.length);
          expect(to).toBeGreaterThanOrEqual(before.length + b.length - 1);
        }
      }
    }
  });

  it('refuses an unterminated line longer than MAX_LINE_CHARS characters, counting characters, not bytes', () => {
    const s = new JsonlLines();
    expect(s.push(Buffer.from('{"first":1}\n'))).toHaveLength(1);
    const mib = Buffer.alloc(1 << 20, 0x61);
    let thrown: unknown;
    try {
      for (let i = 0; i <= MAX_LINE_CHARS / mib.length; i++) s.push(mib);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(LineTooLongError);
    expect((thrown as LineTooLongError).line).toBe(2);

    // 3 bytes each: more bytes than the limit, fewer characters.
    const korean = new JsonlLines();
    const chunk = Buffer.from('한'.repeat(1 << 18), 'utf8');
    for (let bytes = 0; bytes <= MAX_LINE_CHARS * 1.5; bytes += chunk.length) korean.push(chunk);
    expect(korean.end()!.text).toHaveLength((Math.floor((MAX_LINE_CHARS * 1.5) / chunk.length) + 1) * (1 << 18));
  });

  it('keeps no reference to a chunk after push, so a source may reuse its buffers', () => {
    const s = new JsonlLines();
    const buf = Buffer.from('{"a":1}\n{"b":');
    expect(s.push(buf).map((l) => l.text)).toEqual(['{"a":1}']);
    buf.fill(0x7a);
    expect(s.push(Buffer.from('2}\n')).map((l) => l.text)).toEqual(['{"b":2}']);
  });
});

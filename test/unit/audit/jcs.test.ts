import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { NotJsonError, canonicalJson, canonicalJsonUnchecked, digestOf, sha256Hex } from '../../../lambdas/domain/audit/jcs';
import { NASTY_STRINGS } from './helpers';

describe('canonicalJson (RFC 8785)', () => {
  it('matches the RFC 8785 §3.2.2 example byte for byte', () => {
    const input = JSON.parse('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' + '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}');
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts member names by UTF-16 code units, as the RFC §3.2.3 example does (emoji before U+FB33)', () => {
    const input = { '\u20ac': 1, '\r': 2, '\ufb33': 3, '1': 4, '\ud83d\ude00': 5, '\u0080': 6, '\u00f6': 7 };
    // (Object.keys would list the integer-like "1" first whatever the text says, so read the text.)
    expect(canonicalJson(input)).toBe('{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":3}');
  });

  it('sorts nested objects and keeps array order', () => {
    expect(canonicalJson({ b: [3, 1, { z: 1, a: 2 }], a: { d: null, c: true } })).toBe('{"a":{"c":true,"d":null},"b":[3,1,{"a":2,"z":1}]}');
  });

  it.each([
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [-0, '0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [5e-324, '5e-324'],
    [1e-7, '1e-7'],
    [0.000001, '0.000001'],
    [-1.5, '-1.5'],
    // biome-ignore lint/correctness/noPrecisionLoss: a literal past 2^53 is the case under test (it reads as 9007199254740992)
    [9007199254740993, '9007199254740992'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
  ])('serialises the number %p as %s (ECMAScript shortest round-trip form)', (n, text) => {
    expect(canonicalJson({ n })).toBe(`{"n":${text}}`);
  });

  it('writes unicode literally and escapes only what JSON requires, with lower-case hex', () => {
    expect(canonicalJson({ s: '한국 😀 \u2028 \u007f \u001f \b\t\n\f\r " \\ /' })).toBe('{"s":"한국 😀 \u2028 \u007f \\u001f \\b\\t\\n\\f\\r \\" \\\\ /"}');
  });

  it.each([
    ['undefined member', { a: undefined }, '$.a', 'undefined'],
    ['NaN', { a: NaN }, '$.a', 'NaN'],
    ['Infinity', { a: [1, -Infinity] }, '$.a[1]', '-Infinity'],
    ['Date', { when: new Date(0) }, '$.when', 'Date'],
    ['BigInt', { n: BigInt(1) }, '$.n', 'BigInt'],
    ['function', { f: () => 1 }, '$.f', 'function'],
    ['Map', { m: new Map() }, '$.m', 'Map'],
    ['class instance', { x: new (class Money {})() }, '$.x', 'Money'],
    // biome-ignore lint/suspicious/noSparseArray: the hole is the case under test
    ['array hole', { a: [1, , 3] }, '$.a[1]', 'hole'],
    ['lone surrogate', { s: 'a\ud800b' }, '$.s', 'surrogate'],
    ['lone surrogate in a name', { '\udc00': 1 }, '$["\\udc00"]', 'surrogate'],
    ['top-level undefined', undefined, '$', 'undefined'],
  ])('rejects %s with a clear error naming the member', (_what, value, path, word) => {
    let err: unknown;
    try {
      canonicalJson(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotJsonError);
    expect((err as NotJsonError).path).toBe(path);
    expect((err as NotJsonError).message).toContain(word);
  });

  it('rejects a cycle instead of overflowing the stack', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/nested deeper|cycle/);
  });

  it('accepts objects without a prototype', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.b = 1;
    o.a = 2;
    expect(canonicalJson(o)).toBe('{"a":2,"b":1}');
  });
});

describe('canonicalJsonUnchecked (the hot-path serialiser)', () => {
  it('writes exactly what the canonicalize package writes, on fuzzed JSON values', () => {
    let seed = 99;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const leaf = () => [null, true, false, -0, 0.1 + 0.2, 1e21, -1e-7, 2 ** 60, 42, ...NASTY_STRINGS][Math.floor(rand() * (9 + NASTY_STRINGS.length))];
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.4) return leaf();
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 5); i > 0; i--) o[String(leaf() ?? 'k') + (rand() < 0.3 ? '😀' : '')] = value(depth + 1);
      return o;
    };
    for (let i = 0; i < 2000; i++) {
      const v = value(0);
      expect(canonicalJsonUnchecked(v)).toBe(canonicalize(v));
    }
  });
});

describe('digestOf and sha256Hex', () => {
  it('is the SHA-256 of the UTF-8 of the canonical text, lower-case hex', () => {
    const expected = createHash('sha256').update(Buffer.from('{"a":1,"b":"é"}', 'utf8')).digest('hex');
    expect(digestOf({ b: 'é', a: 1 })).toBe(expected);
    expect(sha256Hex('{"a":1,"b":"é"}')).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on member order or on how a number was written', () => {
    expect(digestOf({ x: 1, y: [1.0, -0] })).toBe(digestOf(JSON.parse('{"y":[1e0,0],"x":1.00}')));
  });

  it('matches the well-known SHA-256 of the empty string', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

// The verifier's one-pass reading of canonical JSONL lines (canonical-line.ts) against the general
// route it stands in for, with the reference JCS implementation (`canonicalize`): on generated
// events of every shape, and on many edits of their lines, the two must accept exactly the same
// lines and agree on the event and on the text that is hashed.
import canonicalize from 'canonicalize';
import { isDeepStrictEqual } from 'node:util';
import { readCanonicalLine } from '../../../lambdas/domain/audit/canonical-line';
import { checkEvent, nextEvent, serializeEvent, type AuditEvent, type ChainHead } from '../../../lambdas/domain/audit/event';
import { sha256Hex } from '../../../lambdas/domain/audit/jcs';
import { NASTY_STRINGS } from './helpers';
import { rng } from '../../support/rng';

/** The general route, with the reference canonicaliser: the event and hash preimage, or null. */
function reference(line: string): { event: AuditEvent; preimage: string } | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (checkEvent(value) !== null) return null;
  const event = value as AuditEvent;
  if (canonicalize(event) !== line) return null;
  const { hash: _omit, ...rest } = event;
  return { event, preimage: canonicalize(rest) as string };
}

// Jest's toStrictEqual compares `constructor` members by identity (its type check), and a details
// object may have a member named "constructor"; node's deep equality compares it as data.
const same = (a: unknown, b: unknown) => expect(isDeepStrictEqual(a, b)).toBe(true);

/** The fast route as the verifier uses it: a result only when checkEvent also passes. */
function fast(line: string): { event: AuditEvent; preimage: string } | null {
  const r = readCanonicalLine(line);
  return r && checkEvent(r.event) === null ? r : null;
}

const rand = rng(19);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const CHARS = ['a', 'Z', '0', '9', ' ', '"', '\\', '/', ',', ':', '{', '}', '[', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '한', '😀', '\u2028', '\ufeff', '\ud7ff', '\ue000', '\u0080'];
const ID_CHARS = 'abcxyz0189-_./:~!"\\';
const HEX = '0123456789abcdef';

function text(min = 0): string {
  if (rand() < 0.2) return pick(NASTY_STRINGS.filter((s) => s.length >= min));
  let s = '';
  const n = min + Math.floor(rand() * 10);
  for (let i = 0; i < n; i++) s += pick(CHARS);
  return s;
}

function id(): string {
  let s = 'x';
  for (let i = Math.floor(rand() * 12); i > 0; i--) s += pick(ID_CHARS.split(''));
  return s;
}

const hex = () => Array.from({ length: 64 }, () => pick(HEX.split(''))).join('');
// biome-ignore lint/correctness/noPrecisionLoss: numbers past 2^53 are among the cases under test
const NUMBERS = [0, -0, 1, -1, 7, 1e21, 1e20, 1e-7, 0.000001, 0.1 + 0.2, 5e-324, -1.5, 9007199254740993, 1.7976931348623157e308, 333333333.33333329, 123456.789];
const KEYS = ['a', 'b', 'credits', 'gpus', 'jobId', '1', '10', '2', '', ' ', 'é', '😀', '\ufb33', '\u20ac', 'hash', 'eventId', 'constructor', 'toString', 'a"b', 'new\nline'];

function scalar(): unknown {
  const r = rand();
  if (r < 0.35) return text();
  if (r < 0.7) return rand() < 0.5 ? pick(NUMBERS) : Math.round(rand() * 1e7) / 100;
  if (r < 0.8) return rand() < 0.5;
  if (r < 0.85) return null;
  return rand() < 0.5 ? -Math.floor(rand() * 1e6) : rand() * 1e-3;
}

function value(depth: number): unknown {
  const r = rand();
  if (depth < 3 && r < 0.15) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
  if (depth < 3 && r < 0.3) return object(depth + 1);
  return scalar();
}

/** Members in a random order (the writer sorts them); nested only when `nested`. */
function object(depth: number, nested = true): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 6); i > 0; i--) o[pick(KEYS)] = nested ? value(depth) : scalar();
  return o;
}

function details(): Record<string, unknown> | null {
  const r = rand();
  if (r < 0.2) return null;
  if (r < 0.7) return object(0, false);
  return object(0);
}

function randomEvent(head: ChainHead | null): AuditEvent {
  return nextEvent(head, {
    stream: id(),
    eventId: id(),
    time: new Date(Date.UTC(2000, 0, 1) + Math.floor(rand() * 4e12)).toISOString(),
    actor: { sub: text(1), role: text(1) },
    action: text(1),
    subject: { type: text(1), id: text(1) },
    requestId: text(),
    reason: rand() < 0.3 ? null : text(),
    before: rand() < 0.3 ? null : hex(),
    after: rand() < 0.3 ? null : hex(),
    details: details(),
  });
}

const events: AuditEvent[] = [];
for (let i = 0; i < 2000; i++) events.push(randomEvent(i % 5 === 0 ? null : { seq: 1 + Math.floor(rand() * 1e6), hash: hex() }));
const lines = events.map(serializeEvent);

/** One random edit of a line: most make it invalid or non-canonical, some make another valid line. */
function edit(line: string): string {
  const at = Math.floor(rand() * line.length);
  switch (Math.floor(rand() * 9)) {
    case 0:
      return line.slice(0, at) + pick([' ', '\n', '\t', ',', '"', '\\', '}', '0', 'a']) + line.slice(at);
    case 1:
      return line.slice(0, at) + line.slice(at + 1);
    case 2:
      return line.slice(0, at) + pick([...CHARS, ...HEX.split(''), 'e', 'E', '+', '-', '.']) + line.slice(at + 1);
    case 3: {
      const n = 1 + Math.floor(rand() * 20);
      return line.slice(0, at + n) + line.slice(at, at + n) + line.slice(at + n);
    }
    case 4: // a character written as an escape instead
      return line.replace(pick(['é', 'a', '/', '한', '😀', '\u2028']), (c) => (c.length === 2 ? '\\ud83d\\ude00' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    case 5: // an escape in upper case, or written the long way
      return line.replace(pick(['\\u001f', '\\n', '\\"', '\\\\', '\\u0000']), (c) => (c.startsWith('\\u') ? c.toUpperCase() : `\\u00${c.charCodeAt(1).toString(16).padStart(2, '0')}`));
    case 6: // a number written another way
      return line.replace(/(?<=[:,[])(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?=[,}\]])/, (n) => pick([`${n}.0`, `0${n}`, `${n}e0`, `${n}E0`, `+${n}`, String(-Number(n)), '-0', '1E21']));
    case 7: // two members of a flat details object swapped, or one repeated
      return line.replace(/"details":\{("(?:[^"\\]|\\.)*":[^,{}[\]"]*),("(?:[^"\\]|\\.)*":[^,{}[\]"]*)/, (_m, a: string, b: string) => (rand() < 0.5 ? `"details":{${b},${a}` : `"details":{${a},${a}`));
    default: // another member added, or a null written as something else
      return rand() < 0.5 ? line.replace(/,"v":1\}$/, pick([',"v":1,"x":1}', ',"v":1.0}', ',"v":1} ', ',"v":true}'])) : line.replace('null', pick(['nul', 'Null', '{}', '""', 'false']));
  }
}

describe('reading a canonical JSONL line in one pass', () => {
  it('reads every line the writer writes, to the same event and the JCS text without the hash', () => {
    const nested = events.filter((e) => e.details && Object.values(e.details).some((v) => v !== null && typeof v === 'object')).length;
    expect(nested).toBeGreaterThan(100);
    events.forEach((e, i) => {
      expect(lines[i]).toBe(canonicalize(e));
      const r = readCanonicalLine(lines[i]);
      expect(r).not.toBeNull();
      same(r!.event, e);
      expect(r!.preimage).toBe(reference(lines[i])!.preimage);
      expect(sha256Hex(r!.preimage)).toBe(e.hash);
    });
  });

  it('accepts exactly the lines the general route accepts, and agrees with it on each (fuzzed edits)', () => {
    let accepted = 0;
    let rejected = 0;
    const disagreements: Array<{ edited: string; fast: unknown; reference: unknown }> = [];
    for (let round = 0; round < 12; round++) {
      for (const line of lines) {
        const edited = round < 6 ? edit(line) : edit(edit(line));
        const a = fast(edited);
        const b = reference(edited);
        if (b === null) rejected++;
        else accepted++;
        if ((a === null) !== (b === null) || (a && b && (!isDeepStrictEqual(a.event, b.event) || a.preimage !== b.preimage))) disagreements.push({ edited, fast: a, reference: b });
      }
    }
    expect(disagreements.slice(0, 3)).toEqual([]);
    // Both outcomes must be well represented, or the comparison proves little.
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(10000);
  });

  const base = JSON.parse(lines[0]) as AuditEvent;
  const withDetails = (d: string) => canonicalize({ ...base, details: null })!.replace('"details":null', `"details":${d}`);
  it.each([
    ['an own "__proto__" member', '{"__proto__":1}'],
    ['integer-like names in code-unit order', '{"1":1,"10":2,"2":3}'],
    ['integer-like names out of order', '{"1":1,"2":3,"10":2}'],
    ['a name that is a key of the envelope', '{"eventId":"x","hash":"y"}'],
    ['a nested member named like the envelope', '{"a":{"b":1},"eventId":"x"}'],
    ['an empty object', '{}'],
    ['an empty name', '{"":1}'],
    ['-0', '{"a":-0}'],
    ['1E21', '{"a":1E21}'],
    ['1e+21', '{"a":1e+21}'],
    ['1.0', '{"a":1.0}'],
    ['NaN', '{"a":NaN}'],
    ['Infinity', '{"a":Infinity}'],
    ['a leading zero', '{"a":01}'],
    ['a duplicate name', '{"a":1,"a":1}'],
    ['unsorted names', '{"b":1,"a":1}'],
    ['an escaped slash', '{"a":"\\/"}'],
    ['a long escape for a plain letter', '{"a":"\\u0061"}'],
    ['an escaped lone surrogate', '{"a":"\\ud800"}'],
    ['a raw control character', '{"a":"\u0001"}'],
    ['white space', '{"a": 1}'],
    ['an array', '[1]'],
    ['a string', '"x"'],
    ['nesting deeper than the stack', '{"a":' + '['.repeat(20000) + ']'.repeat(20000) + '}'],
  ])('agrees with the general route on details holding %s', (_name, d) => {
    const line = withDetails(d);
    const b = reference(line);
    const a = fast(line);
    expect(a === null).toBe(b === null);
    if (a && b) {
      same(a.event, b.event);
      expect(a.preimage).toBe(b.preimage);
    }
  });

  it('leaves a line that is not canonical, or not an event, to the general route', () => {
    const line = lines[0];
    for (const other of ['', '{}', 'null', line + ' ', ' ' + line, line.replace('"v":1}', '"v":2}'), line.replace(/"seq":(\d+)/, '"seq":$1.0'), JSON.stringify(JSON.parse(line), null, 1)]) {
      expect(fast(other)).toBeNull();
    }
  });
});

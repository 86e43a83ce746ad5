import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { verifyChain } from '../../../lambdas/domain/audit/chain';
import { AuditEventError, GENESIS_HASH, MAX_DETAILS_BYTES, checkEvent, eventHashMatches, hashEvent, hashPreimage, nextEvent, parseEvent, serializeEvent, type AuditEvent } from '../../../lambdas/domain/audit/event';
import { NASTY_STRINGS, chain, fields } from './helpers';

/** The contract's definition, computed with the reference JCS implementation only. */
function referenceHash(e: AuditEvent): string {
  const { hash: _omit, ...rest } = e;
  return createHash('sha256')
    .update(Buffer.from(canonicalize(rest) as string, 'utf8'))
    .digest('hex');
}

function errorOf(fn: () => unknown): AuditEventError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AuditEventError) return err;
    throw err;
  }
  throw new Error('expected an AuditEventError');
}

describe('nextEvent', () => {
  it('starts a stream at seq 1 linked to GENESIS_HASH, hashed as the contract defines', () => {
    const e = nextEvent(null, fields('allocation/a-01', 0));

    expect(e.v).toBe(1);
    expect(e.seq).toBe(1);
    expect(e.prevHash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(e.hash).toBe(referenceHash(e));
  });

  it('continues a stream from its head {seq, hash}', () => {
    const first = nextEvent(null, fields('allocation/a-01', 0));
    const second = nextEvent({ seq: first.seq, hash: first.hash }, fields('allocation/a-01', 1));

    expect(second.seq).toBe(2);
    expect(second.prevHash).toBe(first.hash);
    expect(second.hash).toBe(referenceHash(second));
  });

  it('builds the same chain whether it is built at once or resumed from a stored head', () => {
    const whole = chain('call/c-01', 6);
    const firstHalf = chain('call/c-01', 3);
    const head = { seq: firstHalf[2].seq, hash: firstHalf[2].hash };
    const resumed = [...firstHalf, ...chain('call/c-01', 3, head)];

    expect(resumed).toEqual(whole);
    expect(verifyChain(whole)).toEqual([]);
  });

  it("copies the caller's values, so later mutation cannot change the event behind its hash", () => {
    const details = { credits: 5, nested: { a: 1 } };
    const actor = { sub: 'u-1', role: 'chair' };
    const e = nextEvent(null, fields('allocation/a-01', 0, { details, actor }));
    details.nested.a = 999;
    actor.role = 'admin';

    expect(e.details).toEqual({ credits: 5, nested: { a: 1 } });
    expect(e.actor.role).toBe('chair');
    expect(eventHashMatches(e)).toBe(true);
  });

  it.each([
    ['a computed member', { seq: 4 }, 'seq'],
    ['an unknown member', { extra: 1 }, 'extra'],
    ['a time without milliseconds', { time: '2026-11-27T10:00:00Z' }, 'time'],
    ['a time that is not a date', { time: '2026-02-30T10:00:00.000Z' }, 'time'],
    ['a non-UTC time', { time: '2026-11-27T10:00:00.000+09:00' }, 'time'],
    ['an empty action', { action: '' }, 'action'],
    ['a stream with spaces', { stream: 'allocation/a 1' }, 'stream'],
    ['a before that is not a digest', { before: 'abc' }, 'before'],
    ['an upper-case after digest', { after: 'A'.repeat(64) }, 'after'],
    ['details that are an array', { details: [1, 2] }, 'details'],
    ['details holding a Date', { details: { when: new Date() } }, 'details.when'],
    ['details holding NaN', { details: { credits: NaN } }, 'details.credits'],
    ['details holding undefined', { details: { credits: undefined } }, 'details.credits'],
    ['an actor with an extra member', { actor: { sub: 'u', role: 'chair', name: 'x' } }, 'actor.name'],
    ['a subject without id', { subject: { type: 'allocation' } }, 'subject.id'],
    ['a reason that is a number', { reason: 5 }, 'reason'],
  ])('refuses %s, naming the field', (_what, override, field) => {
    const bad = { ...fields('allocation/a-01', 0), ...override } as never;
    expect(errorOf(() => nextEvent(null, bad)).field).toBe(field);
  });

  it('refuses details larger than MAX_DETAILS_BYTES', () => {
    const big = { blob: 'x'.repeat(MAX_DETAILS_BYTES) };
    expect(errorOf(() => nextEvent(null, fields('allocation/a-01', 0, { details: big }))).field).toBe('details');
  });

  it.each([
    [{ seq: 0, hash: GENESIS_HASH }, 'head.seq'],
    [{ seq: 1.5, hash: GENESIS_HASH }, 'head.seq'],
    [{ seq: 3, hash: 'nothex' }, 'head.hash'],
  ])('refuses a malformed head %p', (head, field) => {
    expect(errorOf(() => nextEvent(head, fields('allocation/a-01', 0))).field).toBe(field);
  });
});

describe('hashEvent and the canonical text', () => {
  const base = nextEvent({ seq: 41, hash: 'a'.repeat(64) }, fields('allocation/a-01', 41, { details: { credits: -12.5, note: 'ok' } }));

  it('ignores a present hash member, so hashEvent(event) === event.hash for a sound event', () => {
    expect(hashEvent(base)).toBe(base.hash);
    const { hash: _h, ...withoutHash } = base;
    expect(hashEvent(withoutHash)).toBe(base.hash);
    expect(hashPreimage(base)).toBe(canonicalize(withoutHash));
  });

  it.each([
    ['stream', { stream: 'allocation/a-02' }],
    ['seq', { seq: 43 }],
    ['prevHash', { prevHash: 'b'.repeat(64) }],
    ['eventId', { eventId: 'other' }],
    ['time', { time: '2026-11-27T10:00:41.001Z' }],
    ['actor', { actor: { sub: 'user-1', role: 'admin' } }],
    ['action', { action: 'ledger.refund' }],
    ['subject', { subject: { type: 'allocation', id: 'a-02' } }],
    ['requestId', { requestId: 'req-x' }],
    ['reason', { reason: null }],
    ['before', { before: null }],
    ['after', { after: 'c'.repeat(64) }],
    ['details', { details: { credits: -12.51, note: 'ok' } }],
  ])('changes when %s changes', (_field, change) => {
    expect(hashEvent({ ...base, ...change } as AuditEvent)).not.toBe(base.hash);
  });

  it('serialises every event exactly as the reference JCS implementation does (fuzzed with nasty values)', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const numbers = [0, -0, 1, -1, 0.1 + 0.2, 1e21, 1e-7, 123456789.123, -5e-324, 2 ** 53];
    let head = null as AuditEvent | null;
    for (let i = 0; i < 300; i++) {
      const details = rand() < 0.2 ? null : { [pick(NASTY_STRINGS)]: pick(numbers), list: [pick(NASTY_STRINGS), pick(numbers), { z: null, a: true }], [pick(['é', 'e', 'E', '😀'])]: pick(NASTY_STRINGS) };
      const e: AuditEvent = nextEvent(head, {
        ...fields('stream/s-1', i),
        actor: { sub: pick(NASTY_STRINGS) || 'x', role: pick(['chair', 'reviewer', 'system']) },
        reason: rand() < 0.3 ? null : pick(NASTY_STRINGS),
        requestId: pick(NASTY_STRINGS),
        details,
      });
      expect(serializeEvent(e)).toBe(canonicalize(e));
      expect(e.hash).toBe(referenceHash(e));
      head = e;
    }
  });

  it('round-trips through serializeEvent and parseEvent', () => {
    expect(parseEvent(serializeEvent(base))).toEqual(base);
  });

  it('parseEvent names what is wrong', () => {
    expect(errorOf(() => parseEvent('{"v":1')).field).toBe('(event)');
    expect(errorOf(() => parseEvent(JSON.stringify({ ...base, v: 2 }))).field).toBe('v');
    expect(errorOf(() => parseEvent(JSON.stringify({ ...base, hash: undefined }))).field).toBe('hash');
  });

  it('checkEvent insists that seq 1 links to GENESIS_HASH', () => {
    expect(checkEvent({ ...base, seq: 1 })).toEqual({ field: 'prevHash', problem: expect.stringContaining('GENESIS_HASH') });
  });
});

describe('verifyChain', () => {
  const events = chain('allocation/a-01', 5);

  it('accepts a sound chain and names each kind of break', () => {
    expect(verifyChain(events)).toEqual([]);

    const edited = events.map((e) => ({ ...e }));
    edited[2].reason = 'changed';
    expect(verifyChain(edited)).toEqual([expect.objectContaining({ index: 2, seq: 3, field: 'hash' })]);

    const withGap = [events[0], events[1], events[3], events[4]];
    expect(verifyChain(withGap)).toEqual([expect.objectContaining({ index: 2, seq: 4, field: 'seq', problem: expect.stringContaining('seq 3 is missing') })]);

    const swapped = [events[0], events[2], events[1], events[3], events[4]];
    expect(verifyChain(swapped).map((i) => [i.index, i.field])).toEqual([
      [1, 'seq'],
      [2, 'seq'],
      [3, 'seq'],
    ]);

    const relinked = events.map((e) => ({ ...e }));
    relinked[3] = nextEvent({ seq: 3, hash: 'f'.repeat(64) }, fields('allocation/a-01', 3));
    expect(verifyChain(relinked)).toEqual([expect.objectContaining({ index: 3, field: 'prevHash' }), expect.objectContaining({ index: 4, field: 'prevHash' })]);
  });

  it('reports a malformed event instead of throwing', () => {
    const bad = { ...events[0], time: 'yesterday' } as AuditEvent;
    expect(verifyChain([bad])).toEqual([expect.objectContaining({ index: 0, field: 'time' })]);
  });
});

describe('digest members', () => {
  it('accept exactly 64 lower-case hex digits, as HEX64 says (every digest member, every position)', () => {
    const e = nextEvent({ seq: 1, hash: 'a'.repeat(64) }, fields('allocation/a-01', 1));
    const good = e.after as string;
    const candidates = [good, good.toUpperCase(), good.slice(1), `${good}0`, '', 'g'.repeat(64), `${good.slice(0, 63)}\u0100`, `${good.slice(0, 63)}\ud800`];
    for (let i = 0; i < 64; i += 7) for (const c of ['0', '9', 'a', 'f', 'A', 'F', 'g', '/', ':', '`', ' ', 'é']) candidates.push(good.slice(0, i) + c + good.slice(i + 1));
    for (const member of ['prevHash', 'before', 'after', 'hash'] as const) {
      for (const c of candidates) {
        const problem = checkEvent({ ...e, [member]: c });
        expect({ member, c, accepted: problem === null }).toEqual({ member, c, accepted: /^[0-9a-f]{64}$/.test(c) });
      }
    }
  });
});

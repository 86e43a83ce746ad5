// The byTime slicing: [from, to) covered exactly once, within day partitions, in order.
import { daysOf, timeSlices, HOUR_MS } from '../../../lambdas/audit/by-time';

describe('timeSlices', () => {
  it('cuts a range at midnight and on the hour, clipped to [from, to)', () => {
    expect(timeSlices('2026-03-10T22:30:00.000Z', '2026-03-11T01:15:00.000Z')).toEqual([
      { day: '2026-03-10', lo: '2026-03-10T22:30:00.000Z', hi: '2026-03-10T23:00:00.000Z' },
      { day: '2026-03-10', lo: '2026-03-10T23:00:00.000Z', hi: '2026-03-11T00:00:00.000Z' },
      { day: '2026-03-11', lo: '2026-03-11T00:00:00.000Z', hi: '2026-03-11T01:00:00.000Z' },
      { day: '2026-03-11', lo: '2026-03-11T01:00:00.000Z', hi: '2026-03-11T01:15:00.000Z' },
    ]);
  });

  it('covers every millisecond exactly once, for any slice size', () => {
    for (const [from, to, size] of [
      ['2026-02-27T05:00:00.001Z', '2026-03-02T17:45:59.999Z', HOUR_MS],
      ['2024-02-28T00:00:00.000Z', '2024-03-01T00:00:00.000Z', 86_400_000],
      ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.001Z', HOUR_MS],
    ] as const) {
      const s = timeSlices(from, to, size);
      expect(s[0].lo).toBe(from);
      expect(s[s.length - 1].hi).toBe(to);
      for (let i = 1; i < s.length; i++) expect(s[i].lo).toBe(s[i - 1].hi);
      for (const x of s) {
        expect(x.lo < x.hi).toBe(true);
        expect(x.lo.slice(0, 10)).toBe(x.day);
        expect(Date.parse(x.hi) - Date.parse(x.lo)).toBeLessThanOrEqual(size);
      }
      expect([...new Set(s.map((x) => x.day))]).toEqual(daysOf(from, to));
    }
  });

  it('has nothing for an empty range', () => {
    expect(timeSlices('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')).toEqual([]);
  });
});

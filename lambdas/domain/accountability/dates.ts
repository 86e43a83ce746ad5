// Calendar arithmetic for obligations. Dates are ISO calendar dates (YYYY-MM-DD, UTC); instants are
// ISO date-times. A date "happens" at 00:00 UTC, so a reminder for a date fires at its first instant.
const DAY_MS = 86_400_000;

export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  // the same day of the month, or the month's last day (31 Jan + 1 month = 28/29 Feb)
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, last));
  return target.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The first instant of a date. */
export function startOf(date: string): string {
  return `${date}T00:00:00.000Z`;
}

export function dateOf(instant: Date | string): string {
  return (typeof instant === 'string' ? new Date(instant) : instant).toISOString().slice(0, 10);
}

/** Whole and fractional days from a to b (negative when b is earlier). */
export function daysBetween(a: string | Date, b: string | Date): number {
  const t = (x: string | Date) => (x instanceof Date ? x.getTime() : Date.parse(x.length === 10 ? `${x}T00:00:00Z` : x));
  return (t(b) - t(a)) / DAY_MS;
}

export const laterOf = (a: string, b: string) => (a >= b ? a : b);

// EventBridge schedule expressions ("Creating a rule that runs on a schedule"):
//   rate(value unit)  unit minute|minutes|hour|hours|day|days, singular exactly when value is 1;
//                     the first run is one period after the rule is created.
//   cron(Minutes Hours Day-of-month Month Day-of-week Year), UTC, one-minute resolution, with
//                     , - * / everywhere, ? L W in day-of-month, ? L # in day-of-week, names
//                     JAN-DEC and SUN-SAT (1 = SUN), ranges that wrap (hours 20-2), and exactly
//                     one of day-of-month/day-of-week given as ?.

export class InvalidScheduleExpressionError extends Error {
  constructor(expression: string, reason: string) {
    super(`Parameter ScheduleExpression is not valid: ${expression} (${reason})`);
    this.name = 'ValidationException';
  }
}

type DayOfMonth = { kind: 'any' } | { kind: 'days'; days: Set<number> } | { kind: 'last' } | { kind: 'lastWeekday' } | { kind: 'nearestWeekday'; day: number };

type DayOfWeek = { kind: 'any' } | { kind: 'days'; days: Set<number> } | { kind: 'lastOfMonth'; day: number } | { kind: 'nth'; day: number; nth: number };

export interface CronSchedule {
  minutes: number[];
  hours: number[];
  dayOfMonth: DayOfMonth;
  months: Set<number>;
  dayOfWeek: DayOfWeek;
  years: Set<number>;
}

export type Schedule = { kind: 'rate'; expression: string; periodMs: number } | { kind: 'cron'; expression: string; cron: CronSchedule };

const MINUTE = 60_000;
const RATE_UNITS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 24 * 60 * MINUTE };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;

export function parseScheduleExpression(expression: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2];
    const plural = unit.endsWith('s');
    if (value < 1) throw new InvalidScheduleExpressionError(expression, 'the value must be positive');
    if ((value === 1) === plural) throw new InvalidScheduleExpressionError(expression, 'use a singular unit for 1 and a plural unit otherwise');
    return { kind: 'rate', expression, periodMs: value * RATE_UNITS[plural ? unit.slice(0, -1) : unit] };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (cron) return { kind: 'cron', expression, cron: parseCron(expression, cron[1].trim().split(/\s+/)) };
  throw new InvalidScheduleExpressionError(expression, 'expected rate(...) or cron(...)');
}

/** The first fire time strictly after `after`. `anchor` is when a rate rule was created. */
export function nextFireTime(schedule: Schedule, after: Date, anchor: Date): Date | undefined {
  if (schedule.kind === 'rate') {
    const elapsed = after.getTime() - anchor.getTime();
    const periods = elapsed < 0 ? 1 : Math.floor(elapsed / schedule.periodMs) + 1;
    return new Date(anchor.getTime() + periods * schedule.periodMs);
  }
  return nextCronTime(schedule.cron, after);
}

function parseCron(expression: string, fields: string[]): CronSchedule {
  if (fields.length !== 6) throw new InvalidScheduleExpressionError(expression, 'cron needs six fields: minutes hours day-of-month month day-of-week year');
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  const fail = (reason: string) => new InvalidScheduleExpressionError(expression, reason);
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) throw fail('exactly one of day-of-month and day-of-week must be ?');
  return {
    minutes: [...parseField(minutes, 0, 59, fail, 'minutes')].sort((a, b) => a - b),
    hours: [...parseField(hours, 0, 23, fail, 'hours')].sort((a, b) => a - b),
    dayOfMonth: parseDayOfMonth(dayOfMonth, fail),
    months: parseField(month, 1, 12, fail, 'month', MONTHS),
    dayOfWeek: parseDayOfWeek(dayOfWeek, fail),
    years: parseField(year, MIN_YEAR, MAX_YEAR, fail, 'year', undefined, false),
  };
}

function parseField(text: string, min: number, max: number, fail: (reason: string) => Error, what: string, names?: string[], wraps = true): Set<number> {
  const values = new Set<number>();
  const toNumber = (token: string): number => {
    const named = names?.indexOf(token.toUpperCase()) ?? -1;
    const value = named >= 0 ? named + 1 : /^\d+$/.test(token) ? Number(token) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) throw fail(`${what}: "${token}" is outside ${min}-${max}`);
    return value;
  };
  for (const part of text.split(',')) {
    const [rangeText, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw fail(`${what}: bad increment in "${part}"`);
    let start: number;
    let end: number;
    if (rangeText === '*') {
      [start, end] = [min, max];
    } else if (rangeText.includes('-')) {
      const [from, to] = rangeText.split('-');
      [start, end] = [toNumber(from), toNumber(to)];
    } else {
      start = toNumber(rangeText);
      end = stepText === undefined ? start : max;
    }
    if (start > end && !wraps) throw fail(`${what}: range "${rangeText}" runs backwards`);
    // A wrapping range such as hours 20-2 runs 20..23 then 0..2.
    const span = start <= end ? end - start : max - start + 1 + (end - min);
    for (let offset = 0; offset <= span; offset += step) values.add(((start - min + offset) % (max - min + 1)) + min);
  }
  return values;
}

function parseDayOfMonth(text: string, fail: (reason: string) => Error): DayOfMonth {
  if (text === '?') return { kind: 'any' };
  if (text === 'L') return { kind: 'last' };
  if (text === 'LW') return { kind: 'lastWeekday' };
  const weekday = /^(\d{1,2})W$/.exec(text);
  if (weekday) {
    const day = Number(weekday[1]);
    if (day < 1 || day > 31) throw fail(`day-of-month: "${text}" is outside 1-31`);
    return { kind: 'nearestWeekday', day };
  }
  return { kind: 'days', days: parseField(text, 1, 31, fail, 'day-of-month') };
}

function parseDayOfWeek(text: string, fail: (reason: string) => Error): DayOfWeek {
  if (text === '?') return { kind: 'any' };
  const weekday = (token: string): number => [...parseField(token, 1, 7, fail, 'day-of-week', WEEKDAYS)][0];
  if (text === 'L') return { kind: 'days', days: new Set([7]) };
  const last = /^([A-Za-z]{3}|\d)L$/.exec(text);
  if (last) return { kind: 'lastOfMonth', day: weekday(last[1]) };
  const nth = /^([A-Za-z]{3}|\d)#(\d)$/.exec(text);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) throw fail(`day-of-week: "${text}" must use #1 to #5`);
    return { kind: 'nth', day: weekday(nth[1]), nth: n };
  }
  if (text.includes('#')) throw fail('day-of-week: # may only be used in a single expression');
  return { kind: 'days', days: parseField(text, 1, 7, fail, 'day-of-week', WEEKDAYS) };
}

function nextCronTime(cron: CronSchedule, after: Date): Date | undefined {
  const first = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  const start = new Date(first);
  const lastYear = Math.max(...cron.years);
  for (let day = 0; ; day++) {
    const date = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + day));
    const year = date.getUTCFullYear();
    if (year > lastYear) return undefined;
    if (!cron.years.has(year) || !cron.months.has(date.getUTCMonth() + 1) || !dayMatches(cron, date)) continue;
    const earliest = day === 0 ? start.getUTCHours() * 60 + start.getUTCMinutes() : 0;
    for (const hour of cron.hours) {
      for (const minute of cron.minutes) {
        if (hour * 60 + minute >= earliest) return new Date(date.getTime() + (hour * 60 + minute) * MINUTE);
      }
    }
  }
}

function dayMatches(cron: CronSchedule, date: Date): boolean {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const dayOfMonth = date.getUTCDate();
  const daysInMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const weekdayOf = (day: number) => new Date(Date.UTC(year, month, day)).getUTCDay() + 1; // 1 = SUN
  const { dayOfMonth: dom, dayOfWeek: dow } = cron;
  if (dom.kind !== 'any') {
    switch (dom.kind) {
      case 'days':
        return dom.days.has(dayOfMonth);
      case 'last':
        return dayOfMonth === daysInMonth;
      case 'lastWeekday':
        return dayOfMonth === nearestWeekday(daysInMonth, daysInMonth, weekdayOf);
      case 'nearestWeekday':
        return dom.day <= daysInMonth && dayOfMonth === nearestWeekday(dom.day, daysInMonth, weekdayOf);
    }
  }
  const weekday = weekdayOf(dayOfMonth);
  switch (dow.kind) {
    case 'any':
      return true;
    case 'days':
      return dow.days.has(weekday);
    case 'lastOfMonth':
      return weekday === dow.day && dayOfMonth + 7 > daysInMonth;
    case 'nth':
      return weekday === dow.day && Math.ceil(dayOfMonth / 7) === dow.nth;
  }
}

/** The weekday closest to `day` without leaving the month (Quartz "W" semantics). */
function nearestWeekday(day: number, daysInMonth: number, weekdayOf: (day: number) => number): number {
  const weekday = weekdayOf(day);
  if (weekday === 7) return day === 1 ? day + 2 : day - 1; // Saturday
  if (weekday === 1) return day === daysInMonth ? day - 2 : day + 1; // Sunday
  return day;
}

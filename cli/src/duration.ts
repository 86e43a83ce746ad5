// Time limits as people write them: "2h", "90m", "1h30m", "1d", "45" (minutes), or Slurm's
// "HH:MM:SS" / "MM:SS" / "D-HH:MM:SS". The API takes whole minutes (DispatchBody.timeLimit).
// Parsers throw commander's InvalidArgumentError, so the message names the flag and the exit code is 2.
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { msg, reason } from './i18n';

const UNIT_MINUTES: Record<string, number> = { d: 1440, h: 60, m: 1, s: 1 / 60 };

/** Whole minutes, rounded up (a limit of 30 s is one minute, never zero). */
export function parseMinutes(text: string): number {
  const t = text.trim().toLowerCase();
  let minutes: number | undefined;
  if (/^\d+$/.test(t)) minutes = Number(t);
  else if (/^(\d+(\.\d+)?[dhms])+$/.test(t)) {
    minutes = 0;
    for (const [, n, , unit] of t.matchAll(/(\d+(\.\d+)?)([dhms])/g)) minutes += Number(n) * UNIT_MINUTES[unit];
  } else {
    const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(t);
    if (m) {
      const [, days, hours, mins, secs] = m;
      // "MM:SS" has no hours part; "D-HH:MM:SS" and "HH:MM:SS" do.
      minutes = Number(days ?? 0) * 1440 + Number(hours ?? 0) * 60 + Number(mins) + Number(secs) / 60;
    }
  }
  if (minutes === undefined || !Number.isFinite(minutes) || minutes <= 0) {
    throw new InvalidArgumentError(reason(msg('badTime', { text })));
  }
  return Math.ceil(minutes - 1e-9);
}

/** A positive whole number from a flag ("--gpus 4"). */
export function parsePositiveInt(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new InvalidArgumentError(reason(msg('badPositiveInt')));
  return Number(text);
}

/** A plain number from a flag: 7e10, 1.5e12, 4096. */
export function parseNumber(text: string): number {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(reason(msg('badNumber')));
  return n;
}

// Credits per resource as people type them on the command line (kairr decide, kairr alloc request renewal).
import { UsageError } from './errors';
import { msg } from './i18n';

/** "spc/h200=1000,kisti6/gh200=200" (or the flag given twice) → credits per resource. */
export function parseCredits(text: string, previous: Record<string, number> = {}): Record<string, number> {
  const out = { ...previous };
  for (const part of text.split(',').filter(Boolean)) {
    const m = /^([a-z][a-z0-9-]*\/[a-z][a-z0-9-]*)=(\d+(?:\.\d+)?)$/.exec(part.trim());
    if (!m) throw new UsageError(msg('badCredits', { part }));
    out[m[1]] = Number(m[2]);
  }
  return out;
}

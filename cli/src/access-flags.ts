// Flag and argument values of the access commands (commands/access.ts), parsed before any
// request: each throws commander's InvalidArgumentError, so the message names the flag and the
// exit code is 2. The API checks them again and names the field; here the user learns sooner.
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { APPLICATION_ID, PERMIT_ID } from './access-schemas';
import { msg, reason } from './i18n';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A date (2027-03-31) or an instant with its zone (2027-03-31T18:00:00+09:00), as ISO in UTC. A
 * date alone is a whole day: --from starts at its first moment, --until ends at its last (UTC),
 * so "--until 2027-03-31" includes the 31st, as people mean it.
 */
export const parseDate =
  (edge: 'start' | 'end') =>
  (text: string): string => {
    const t = text.trim();
    const instant = DAY.test(t) ? `${t}T${edge === 'start' ? '00:00:00.000' : '23:59:59.999'}Z` : INSTANT.test(t) ? t : undefined;
    const ms = instant ? Date.parse(instant) : Number.NaN;
    // Date.parse rolls 2027-02-30 over to March: a date that does not come back the same is refused
    if (!Number.isFinite(ms) || (DAY.test(t) && new Date(ms).toISOString().slice(0, 10) !== t)) throw new InvalidArgumentError(reason(msg('badDate', { text })));
    return new Date(ms).toISOString();
  };

/** "a,b,c": the non-empty items, trimmed, each once. */
export const parseList = (text: string): string[] => [
  ...new Set(
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
];

/** "1.0.0,1.1.0": published versions, each MAJOR.MINOR.PATCH (as the route takes them). */
export function parseVersions(text: string): string[] {
  const items = parseList(text);
  const bad = items.find((v) => !/^\d{1,6}\.\d{1,6}\.\d{1,6}$/.test(v));
  if (bad !== undefined || items.length === 0) throw new InvalidArgumentError(reason(msg('badVersionList', { text: bad ?? text })));
  return items;
}

export function parseApplicationId(text: string): string {
  if (!APPLICATION_ID.test(text)) throw new InvalidArgumentError(reason(msg('notApplicationId', { ref: text })));
  return text;
}

export function parsePermitId(text: string): string {
  if (!PERMIT_ID.test(text)) throw new InvalidArgumentError(reason(msg('notPermitId', { ref: text })));
  return text;
}

/** A dataset id alone (ds-…): applications and permits name the dataset, their versions apart. */
export function parseDatasetId(text: string): string {
  if (!/^ds-[0-9a-z]{26}$/.test(text)) throw new InvalidArgumentError(reason(msg('notDatasetId', { ref: text })));
  return text;
}

// Turns zod issues into the API's error details: one {path, problem} per issue, with a
// message a person can act on. zod/mini ships no locale (that keeps handler bundles small),
// so the wording lives here, in one place, keyed by issue code.
import type * as z from 'zod/mini';
import type { core } from 'zod/mini';
import { MalformedEventError } from '../domain/errors';

export interface ErrorDetail {
  path: string;
  problem: string;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

function describeReceived(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}

export function problemOf(issue: core.$ZodIssue): string {
  const i = issue as core.$ZodIssue & Record<string, unknown>;
  switch (issue.code) {
    case 'invalid_type': {
      // Issues carry `input` only when parsed with { reportInput: true } (router, config loader).
      if (!('input' in i) || i.input === undefined) return 'is required';
      if (i.expected === 'int') return 'must be an integer';
      return `must be ${article(String(i.expected))}, not ${describeReceived(i.input)}`;
    }
    case 'too_small': {
      const incl = i.inclusive !== false;
      if (i.origin === 'string') return Number(i.minimum) === 1 ? 'must not be empty' : `must be at least ${i.minimum} characters long`;
      if (i.origin === 'array') return `must have at least ${i.minimum} item${Number(i.minimum) === 1 ? '' : 's'}`;
      if (i.origin === 'date') return `must be on or after ${String(i.minimum)}`;
      return incl ? `must be at least ${i.minimum}` : `must be greater than ${i.minimum}`;
    }
    case 'too_big': {
      const incl = i.inclusive !== false;
      if (i.origin === 'string') return `must be at most ${i.maximum} characters long`;
      if (i.origin === 'array') return `must have at most ${i.maximum} items`;
      return incl ? `must be at most ${i.maximum}` : `must be less than ${i.maximum}`;
    }
    case 'invalid_format': {
      const fmt = String(i.format);
      if (fmt === 'regex') return 'has an invalid format';
      if (fmt === 'datetime') return 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:00:00Z';
      if (fmt === 'date') return 'must be a calendar date (YYYY-MM-DD)';
      if (fmt === 'email') return 'must be an e-mail address';
      if (fmt === 'url') return 'must be a URL';
      return `must be a valid ${fmt}`;
    }
    case 'invalid_value': {
      const values = (i.values as unknown[] | undefined) ?? [];
      return values.length === 1 ? `must be ${JSON.stringify(values[0])}` : `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'unrecognized_keys':
      return `is not a recognised field`;
    case 'not_multiple_of':
      return `must be a multiple of ${i.divisor}`;
    case 'invalid_union':
      return 'does not match any of the accepted shapes';
    case 'invalid_key':
      return 'has an invalid key';
    case 'invalid_element':
      return 'has an invalid element';
    case 'custom':
      return issue.message && issue.message !== 'Invalid input' ? issue.message : 'is invalid';
    default:
      return 'is invalid';
  }
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}

/** One detail per problem; unrecognized keys are reported one per key, at the key's own path. */
export function issuesToDetails(issues: ReadonlyArray<core.$ZodIssue>, prefix: PropertyKey[] = []): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of (issue as core.$ZodIssueUnrecognizedKeys).keys) {
        out.push({ path: formatPath([...prefix, ...issue.path, key]), problem: 'is not a recognised field' });
      }
      continue;
    }
    out.push({ path: formatPath([...prefix, ...issue.path]), problem: problemOf(issue) });
  }
  return out;
}

/**
 * Parses a payload that crosses an internal edge (a Lambda invoking a Lambda, a state machine
 * invoking a step) against the one schema both sides share; a mismatch is a MalformedEventError
 * naming every offending path, raised before anything is read or written.
 */
export function parseEvent<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.infer<S> {
  const res = schema.safeParse(value, { reportInput: true });
  if (!res.success) throw new MalformedEventError(what, issuesToDetails(res.error.issues));
  return res.data as z.infer<S>;
}

// What a command prints: a human table by default, the API's JSON with --json, and --query to
// filter that JSON with JMESPath first. Data goes to stdout; progress and errors to stderr, progress
// only on a TTY, so a pipe gets only the data.
import { ApiError } from './errors';

/** Where output goes: process.stdout/stderr, or a buffer in tests. */
export interface Sink {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface OutputOptions {
  json?: boolean;
  query?: string;
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Right-align (numbers). */
  right?: boolean;
}

/** One cell as text: numbers with thousands separators kept short, missing values as "-". */
export function cell(v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
  if (Array.isArray(v)) return v.length ? v.map(cell).join(', ') : '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v).replace(/\s*\n\s*/g, ' ');
}

/** A plain-text table: a header row, then one row per item, columns two spaces apart. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i].right ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Label: value lines, for one item (`show` commands). */
/** One page of a list as a table, ending with how to ask for the next page when there is one. */
export function pageTable<T>(body: { items: readonly T[]; nextToken?: string }, columns: readonly Column<T>[]): string {
  return table(body.items, columns) + (body.nextToken ? `(more: --next-token ${body.nextToken})\n` : '');
}

export function fields(pairs: readonly [string, unknown][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${cell(v)}`).join('\n') + '\n';
}

/** JMESPath over the JSON; loaded only when --query is given (it is not needed to start). */
export async function applyQuery(data: unknown, query: string): Promise<unknown> {
  // The package is ESM-typed; this CommonJS file names the two functions it uses itself.
  const { search, compile } = require('@jmespath-community/jmespath') as { search(data: unknown, expr: string): unknown; compile(expr: string): unknown };
  try {
    compile(query);
  } catch (e) {
    throw new QueryError(`--query "${query}" is not valid JMESPath: ${(e as Error).message}`);
  }
  return search(data, query);
}

export class QueryError extends Error {
  readonly exitCode = 2;
}

/**
 * Prints a command's result. With --json or --query: the JSON (a query's string result raw, as
 * `jq -r` would, so `--query id` can feed a shell variable). Otherwise the human rendering.
 */
export async function emit(out: Sink, data: unknown, opts: OutputOptions, human: () => string): Promise<void> {
  if (opts.query !== undefined) {
    const result = await applyQuery(data, opts.query);
    out.write(typeof result === 'string' ? `${result}\n` : `${JSON.stringify(result, null, 2)}\n`);
  } else if (opts.json) out.write(`${JSON.stringify(data, null, 2)}\n`);
  else out.write(human());
}

/** An error as the user sees it: the API's code and message, then each named field and its problem. */
export function formatError(e: unknown, json = false): string {
  if (e instanceof ApiError) {
    if (json && e.body !== undefined) return `${JSON.stringify(e.body, null, 2)}\n`;
    const lines = [`error: ${e.message} (${e.code}, HTTP ${e.status})`, ...e.details.map((d) => `  ${d.path || '(body)'}: ${d.problem}`)];
    return lines.join('\n') + '\n';
  }
  return `error: ${e instanceof Error ? e.message : String(e)}\n`;
}

/** Progress for people: to stderr, and only when stderr is a terminal. */
export function progress(err: Sink, text: string): void {
  if (err.isTTY) err.write(text);
}

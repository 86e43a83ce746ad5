// What a command prints: a human table by default, the API's JSON with --json, and --query to
// filter that JSON with JMESPath first. Data goes to stdout; progress and errors to stderr, progress
// only on a TTY, so a pipe gets only the data.
import { ApiError, LocalisedError, UsageError } from './errors';
import { type Lang, msg, render } from './i18n';

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
    throw new QueryError(msg('badQuery', { query, reason: (e as Error).message }));
  }
  return search(data, query);
}

/** A --query that is not JMESPath: a usage error. */
export class QueryError extends UsageError {}

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
export function formatError(e: unknown, json = false, lang: Lang = 'en'): string {
  if (e instanceof ApiError) {
    if (json && e.body !== undefined) return `${JSON.stringify(e.body, null, 2)}\n`;
    // The API's message and field problems are its own words, printed as they came.
    const lines = [render(lang, msg('apiError', { message: e.message, code: e.code, status: e.status })), ...e.details.map((d) => `  ${d.path || '(body)'}: ${d.problem}`)];
    return lines.join('\n') + '\n';
  }
  const message = e instanceof LocalisedError && e.msg ? render(lang, e.msg) : e instanceof Error ? e.message : String(e);
  return `${render(lang, msg('error', { message }))}\n`;
}

/** Progress for people: to stderr, and only when stderr is a terminal. */
export function progress(err: Sink, text: string): void {
  if (err.isTTY) err.write(text);
}

export interface ProgressBar {
  /** `bytes` more done; `note` (e.g. "file 2/3") shown after the figures. */
  add(bytes: number, note?: string): void;
  /** The last frame (full), then a newline. */
  done(): void;
}

const mb = (n: number) => (n / 1e6).toFixed(1);

/**
 * A byte progress bar on stderr, redrawn in place (\r) only when its whole percentage or its note
 * changes (at most about a hundred frames, whatever the size), and only on a terminal: elsewhere
 * it writes nothing. Sized to the terminal's width, so the line never wraps (a wrapped line cannot
 * be redrawn in place).
 */
export function progressBar(err: Sink, label: string, total: number): ProgressBar {
  if (!err.isTTY) return { add() {}, done() {} };
  let done = 0;
  let note = '';
  let shown = '';
  let key = '';
  const width = Math.max(10, Math.min(40, (err.columns ?? 80) - label.length - 40));
  const draw = () => {
    // with no total (an older API), a step is a whole MB
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
    const k = `${total > 0 ? pct : Math.floor(done / 1e6)}|${note}`;
    if (k === key) return;
    key = k;
    const full = Math.round((pct / 100) * width);
    const figures = total > 0 ? `${String(pct).padStart(3)}%  ${mb(Math.min(done, total))}/${mb(total)} MB` : `${mb(done)} MB`;
    const bar = total > 0 ? `${'█'.repeat(full)}${'░'.repeat(width - full)} ` : '';
    const f = `${label} ${bar}${figures}${note ? `  ${note}` : ''}`;
    err.write(`\r${f.padEnd(shown.length)}`);
    shown = f;
  };
  return {
    add(bytes, n) {
      done += bytes;
      if (n !== undefined) note = n;
      draw();
    },
    done() {
      done = Math.max(done, total);
      draw();
      err.write('\n');
    },
  };
}

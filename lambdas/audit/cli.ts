// kairr-audit verify PATH [--json] [--anchor FILE]... [--max-problems N]
// Exit status: 0 verified, 1 verification failed, 2 usage or I/O error.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { AnchorFormatError, parseAnchor } from '../domain/audit/anchor';
import { dirSource, fileChunks } from './fs-source';
import { verifyDataFile, verifyExport, type NamedAnchor, type VerifyProblem, type VerifyReport } from '../domain/audit/verify';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const USAGE = `usage: kairr-audit verify PATH [--json] [--anchor FILE]... [--max-problems N]

PATH is an export folder (with manifest.json) or one data file (.jsonl or .csv).
A folder is checked completely: every record's hash, every chain link and seq, each file's
SHA-256 and record count, the manifest's streams and totals, and the manifest's own digest.
A single file is checked for hashes, links and order only.

  --json            print the whole report as one JSON object
  --anchor FILE     an anchor object from the Object Lock bucket; its heads are checked
                    against the export (repeatable)
  --max-problems N  list at most N problems (all are counted; default 1000)

exit status: 0 verified, 1 verification failed, 2 usage or I/O error`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

interface Args {
  path: string;
  json: boolean;
  anchors: string[];
  maxProblems: number;
}

function parseArgs(argv: string[]): Args | string {
  const [cmd, ...rest] = argv;
  if (cmd !== 'verify') return cmd === undefined ? 'missing command' : `unknown command ${cmd}`;
  const args: Args = { path: '', json: false, anchors: [], maxProblems: 1000 };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--json') args.json = true;
    else if (a === '--anchor') {
      const f = rest[++i];
      if (!f) return '--anchor needs a file';
      args.anchors.push(f);
    } else if (a === '--max-problems') {
      const n = Number(rest[++i]);
      if (!Number.isSafeInteger(n) || n < 1) return '--max-problems needs a positive integer';
      args.maxProblems = n;
    } else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (args.path) return `unexpected argument ${a}`;
    else args.path = a;
  }
  if (!args.path) return 'missing PATH';
  return args;
}

/** "events-00001.jsonl line 17 (stream allocation/a-3 seq 5) hash: content does not match its hash" */
export function describeProblem(p: VerifyProblem): string {
  let where = p.file;
  if (p.line !== undefined) where += ` line ${p.line}`;
  if (p.record !== undefined && p.record !== p.line) where += ` (record ${p.record})`;
  if (p.stream !== undefined) where += ` stream ${p.stream}${p.seq !== undefined ? ` seq ${p.seq}` : ''}`;
  return `${where}: ${p.field}: ${p.problem}`;
}

export function summaryOf(r: VerifyReport): string {
  if (r.ok) {
    const what = r.mode === 'export' ? `export ${r.exportId}, manifest, hashes and chains verified` : 'hashes and chains verified, no manifest';
    return `OK: ${r.records} records in ${r.streams.length} streams, ${r.files.length} file${r.files.length === 1 ? '' : 's'} (${r.format}; ${what})`;
  }
  return `FAIL: ${r.problemCount} problem${r.problemCount === 1 ? '' : 's'}; first: ${describeProblem(r.problems[0])}`;
}

const STREAMS_LISTED = 50;

/** The report as kairr-audit prints it (the CLI's `audit export` prints the same). */
export function renderText(r: VerifyReport): string {
  const lines = [summaryOf(r)];
  if (r.ok) {
    for (const s of r.streams.slice(0, STREAMS_LISTED)) {
      lines.push(`  ${s.stream}  seq ${s.firstSeq}..${s.lastSeq}  ${s.records} record${s.records === 1 ? '' : 's'}  last ${s.lastHash}`);
    }
    if (r.streams.length > STREAMS_LISTED) lines.push(`  ... ${r.streams.length - STREAMS_LISTED} more streams (--json lists them all)`);
    if (r.anchorHeadsChecked > 0) lines.push(`anchored heads checked: ${r.anchorHeadsChecked}`);
  } else {
    r.problems.forEach((p, i) => lines.push(`  ${i + 1}. ${describeProblem(p)}`));
    if (r.problemCount > r.problems.length) lines.push(`  ... ${r.problemCount - r.problems.length} more problems not listed`);
    lines.push(`checked ${r.records} records in ${r.files.length} file${r.files.length === 1 ? '' : 's'}`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(USAGE + '\n');
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.err(`kairr-audit: ${args}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const anchors: NamedAnchor[] = [];
  for (const f of args.anchors) {
    try {
      anchors.push({ name: basename(f), anchor: parseAnchor(await readFile(f, 'utf8')) });
    } catch (err) {
      const why = err instanceof AnchorFormatError ? err.message : ((err as NodeJS.ErrnoException).code ?? String(err));
      io.err(`kairr-audit: anchor ${f}: ${why}\n`);
      return EXIT_USAGE;
    }
  }
  let isDir: boolean;
  try {
    isDir = (await stat(args.path)).isDirectory();
  } catch (err) {
    io.err(`kairr-audit: ${args.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    return EXIT_USAGE;
  }
  const opts = { anchors, maxProblems: args.maxProblems };
  const report = isDir ? await verifyExport(dirSource(args.path), opts) : await verifyDataFile(basename(args.path), fileChunks(args.path), opts);
  if (args.json) io.out(JSON.stringify({ path: args.path, summary: summaryOf(report), ...report }, null, 2) + '\n');
  else io.out(renderText(report));
  return report.ok ? EXIT_OK : EXIT_FAILED;
}

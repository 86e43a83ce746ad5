// The compiled kairr under a real pseudo-terminal: each command runs in a tmux session of its own
// server (its own socket, 100 columns by 30 rows) against a small HTTP API in this process, whose
// every answer, and every body the CLI sends, is held to the real route's schema (lambdas/*/api.ts).
// The pane is read with `tmux capture-pane` until the command's exit line appears (a generous
// deadline, no timing assertion). What is checked is what only a terminal shows:
//   - `alloc usage` draws the burn-down with block characters, as wide as the terminal (80 columns
//     when stdout is a file);
//   - `audit export --out` shows the export's state and a download bar on stderr, redrawn in place;
//     with stderr sent to a file, that file gets the one result line and no progress;
//   - `job submit --wait` shows each state change on stderr and exits with the job's code; with
//     stderr sent to a file, nothing is written there.
// tmux is required: without it the suite fails (CI installs it: .ci/run).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditApi } from '../../lambdas/audit/api';
import { jobsApi } from '../../lambdas/jobs/api';
import { ledgerApi } from '../../lambdas/ledger/api';
import type { RouteSpec } from '../../lambdas/shared/http/spec';
import { removeDir, writeSampleExport } from '../../test/unit/audit/helpers';
import { progressBar } from '../src/output';

const REPO = join(__dirname, '..', '..');
const COLUMNS = 100;
const ROWS = 30;
const DEADLINE_MS = 120_000;
const ALLOC = `alloc-${'p'.repeat(26)}`;
const EXPORT_ID = `exp-${'1'.repeat(26)}`;
const JOB_ID = `job-${'2'.repeat(26)}`;

const dir = mkdtempSync(join(tmpdir(), 'kairr-pty-'));
const socket = join(dir, 'tmux.sock');
const cliFile = join(dir, 'kairr.cjs');
let server: Server;
let apiUrl = '';
let exportDir = '';
let sessions = 0;

// ---- the routes' own schemas --------------------------------------------------------------------

type Spec = Record<string, RouteSpec>;
function answer(api: unknown, name: string, status: number, body: unknown): [number, unknown] {
  const parsed = (api as Spec)[name].responses[status].schema!.safeParse(body);
  if (!parsed.success) throw new Error(`${name} ${status} answer: ${JSON.stringify(parsed.error.issues)}`);
  return [status, body];
}
function sent(api: unknown, name: string, body: unknown): void {
  const parsed = (api as Spec)[name].body!.safeParse(body);
  if (!parsed.success) throw new Error(`${name} body the CLI sent: ${JSON.stringify(parsed.error.issues)}`);
}

// ---- the API ----------------------------------------------------------------------------------

/** 150 days from 1,000 credits down to 100, so the chart has more days than columns and is sampled to the width. */
const usage = () => {
  const days = Array.from({ length: 150 }, (_, i) => ({ date: new Date(Date.UTC(2026, 5, 1) + i * 86_400_000).toISOString().slice(0, 10), used: 6, balance: 1000 - i * 6 }));
  return { allocationId: ALLOC, resources: [{ resource: 'spc/h200', balance: days[149].balance, days, burnPerDay: 6, projectedExhaustion: '2026-12-13' }] };
};

const exportBase = {
  exportId: EXPORT_ID,
  format: 'jsonl',
  from: '2026-01-01T00:00:00Z',
  to: '2026-12-01T00:00:00Z',
  filters: null,
  requestedBy: 'auditor-1',
  requestedAt: '2026-12-03T00:00:00Z',
  attempts: 1,
  location: { bucket: 'kairr-exports', prefix: `exports/${EXPORT_ID}/` },
};

const job = (state: string, extra: Record<string, unknown> = {}) => ({
  jobId: JOB_ID,
  allocationId: ALLOC,
  site: 'kisti6',
  resource: 'gh200',
  cluster: 'kisti6',
  account: 'kairr_a',
  user: 'kim',
  submittedBy: 'kim-sub',
  gpus: 1,
  nodes: 1,
  timeLimit: 2,
  state,
  creditsPerGpuHour: 1,
  estimatedCredits: 0.03,
  createdAt: '2026-12-03T00:00:00Z',
  ...extra,
});

let exportLooks = 0;
let jobLooks = 0;

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  let s = '';
  for await (const c of req) s += c;
  return s ? JSON.parse(s) : undefined;
}

async function route(req: IncomingMessage): Promise<[number, unknown] | { file: string }> {
  const path = new URL(req.url ?? '/', apiUrl).pathname;
  const key = `${req.method} ${path}`;
  if (key === `GET /v1/allocations/${ALLOC}/usage`) return answer(ledgerApi, 'getUsage', 200, usage());
  if (key === 'POST /v1/audit/exports') {
    sent(auditApi, 'createAuditExport', await bodyOf(req));
    exportLooks = 0;
    return answer(auditApi, 'createAuditExport', 202, { ...exportBase, state: 'queued' });
  }
  if (key === `GET /v1/audit/exports/${EXPORT_ID}`) {
    if (++exportLooks < 2) return answer(auditApi, 'getAuditExport', 200, { ...exportBase, state: 'running' });
    const names = readdirSync(exportDir).filter((n) => n !== 'manifest.json');
    const files = names.map((n) => ({ name: n, bytes: statSync(join(exportDir, n)).size, sha256: 'x', records: 1, url: `${apiUrl}/s3/${n}?X-Amz-Signature=s` }));
    const done = { ...exportBase, state: 'succeeded', totalRecords: 18, manifestHash: 'sha256:x', files, manifest: { name: 'manifest.json', url: `${apiUrl}/s3/manifest.json?X-Amz-Signature=s` }, urlsExpireAt: '2026-12-03T01:00:00Z' };
    return answer(auditApi, 'getAuditExport', 200, done);
  }
  if (req.method === 'GET' && path.startsWith('/s3/')) return { file: join(exportDir, path.slice(4)) };
  if (key === `POST /v1/allocations/${ALLOC}/jobs`) {
    sent(jobsApi, 'dispatchJob', await bodyOf(req));
    jobLooks = 0;
    return answer(jobsApi, 'dispatchJob', 201, job('pending', { schedulerJobId: '41' }));
  }
  if (key === `GET /v1/allocations/${ALLOC}/jobs/${JOB_ID}`) {
    const looks = ++jobLooks;
    if (looks < 2) return answer(jobsApi, 'getJob', 200, job('running', { schedulerJobId: '41', schedulerState: 'RUNNING' }));
    return answer(jobsApi, 'getJob', 200, job('finished', { schedulerJobId: '41', schedulerState: 'FAILED', exitCode: 3 }));
  }
  return [404, { error: { code: 'not_found', message: `no route ${key}`, details: [] } }];
}

// ---- tmux -------------------------------------------------------------------------------------

const tmux = (args: string[]) => execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** SGR and other CSI sequences, which `capture-pane -e` keeps. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what the expression removes
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const EXIT_LINE = /^\[exit (\d+)\]$/m;

/** Starts `kairr args` in a new session of the test's tmux server (a terminal of COLUMNS x ROWS); returns its name. */
function startKairr(args: string[], redirect = ''): string {
  const name = `k${++sessions}`;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), KAIRR_API: apiUrl, KAIRR_TOKEN: 'pty-token', TERM: 'screen' };
  const envArgs = Object.entries(env)
    .map(([k, v]) => sq(`${k}=${v}`))
    .join(' ');
  // The exit line, then a sleep, so the pane stays to be read after the command ends.
  const cmd = `cd ${sq(dir)} && env -i ${envArgs} ${sq(process.execPath)} ${sq(cliFile)} ${args.map(sq).join(' ')}${redirect}; printf '\\n[exit %s]\\n' "$?"; exec sleep 3600`;
  tmux(['new-session', '-d', '-s', name, '-x', String(COLUMNS), '-y', String(ROWS), cmd]);
  return name;
}

/** The pane's text (escapes removed, trailing blanks dropped) once the command has ended, and its exit code. */
async function finished(name: string): Promise<{ pane: string; raw: string; code: number }> {
  const until = Date.now() + DEADLINE_MS;
  for (;;) {
    // -J: a line the terminal wrapped comes back as the one line the CLI wrote
    const raw = tmux(['capture-pane', '-p', '-e', '-J', '-t', name, '-S', '-']);
    const pane = plain(raw)
      .replace(/[ \t]+$/gm, '')
      .replace(/\s+$/, '');
    const m = EXIT_LINE.exec(pane);
    if (m) return { pane, raw, code: Number(m[1]) };
    if (Date.now() > until) throw new Error(`kairr in tmux session ${name} did not end within ${DEADLINE_MS / 1000} s; the pane shows:\n${pane}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`these tests need tmux (apt-get install tmux; .ci/run installs it): ${(e as Error).message}`);
  }
  // The shipped bundle, built into this test's own folder (so the one `npm pack` uses is never rewritten under it).
  execFileSync(process.execPath, [join(REPO, 'cli', 'build.mjs'), cliFile], { stdio: 'pipe' });
  exportDir = (await writeSampleExport('jsonl')).dir;
  server = createServer((req, res) => {
    route(req).then(
      (r) => {
        if ('file' in r) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(r.file));
        else res.writeHead(r[0], { 'content-type': 'application/json' }).end(JSON.stringify(r[1]));
      },
      (e: Error) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'test_fake', message: e.message, details: [] } })),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // The server, with one idle session, so that every test's session shares it.
  tmux(['new-session', '-d', '-s', 'idle', '-x', String(COLUMNS), '-y', String(ROWS), 'exec sleep 3600']);
});

afterAll(async () => {
  try {
    tmux(['kill-server']);
  } catch {
    /* no server: it never started */
  }
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  if (exportDir) removeDir(exportDir);
  rmSync(dir, { recursive: true, force: true });
});

it('alloc usage draws the burn-down in block characters, as wide as the terminal (80 columns into a file)', async () => {
  const { pane, raw, code } = await finished(startKairr(['alloc', 'usage', ALLOC]));
  expect(code).toBe(0);
  expect(raw.includes('\u001b')).toBe(false); // plain characters: no colour or cursor sequences (capture-pane -e would keep them)
  expect(pane).toMatch(/^spc\/h200: balance 106 credits, burning 6 a day; runs out on 2026-12-13$/m);
  const rows = pane.split('\n');
  const chart = rows.filter((l) => / │/.test(l));
  expect(chart).toHaveLength(8);
  expect(chart[0]).toMatch(/^1000 │█/); // the top row starts full: the first day's balance is the top
  expect(chart[7]).toMatch(/^ {3}0 │[▁▂▃▄▅▆▇█]{94}$/); // a block in every column of the bottom row: the balance never reaches 0
  expect(chart.join('')).toMatch(/[▁▂▃▄▅▆▇]/); // eighths of a row where the balance falls through a row
  const axis = rows.find((l) => /└─/.test(l))!;
  expect(axis.length).toBe(COLUMNS); // the terminal's width, read from the terminal
  // The same command with stdout in a file: no terminal, so the default 80 columns.
  const filed = await finished(startKairr(['alloc', 'usage', ALLOC], ' > usage.txt'));
  expect(filed.code).toBe(0);
  expect(filed.pane).toMatch(/^\[exit 0\]$/m);
  const fileAxis = readFileSync(join(dir, 'usage.txt'), 'utf8')
    .split('\n')
    .find((l) => /└─/.test(l))!;
  expect(fileAxis.length).toBe(80);
});

it('audit export --out: the state and a download bar on the terminal, redrawn in place; with stderr in a file, no progress in it', async () => {
  const out = join(dir, 'export-tty');
  const { pane, code } = await finished(startKairr(['audit', 'export', '--from', '2026-01-01T00:00:00Z', '--to', '2026-12-01T00:00:00Z', '--out', out, '--poll', '1']));
  expect(code).toBe(0);
  // the export's state while it runs (the line redrawn with \r), then the bar's last frame
  expect(pane).toMatch(new RegExp(`^export ${EXPORT_ID}: running\\s*$`, 'm'));
  const bars = pane.split('\n').filter((l) => l.startsWith('downloading '));
  expect(bars).toHaveLength(1); // redrawn in place: one line, however many frames
  expect(bars[0]).toMatch(/^downloading █{40} 100% {2}[\d.]+\/[\d.]+ MB {2}file 4\/4\s*$/);
  expect(bars[0].length).toBeLessThanOrEqual(COLUMNS);
  expect(pane).toContain(`Downloaded 4 files into ${out}; verifying them offline`);
  expect(pane).toMatch(/^OK: \d+ records in \d+ streams, \d+ files/m);
  expect(pane).toMatch(/^state:\s+succeeded$/m);
  expect(readdirSync(out).sort()).toEqual(readdirSync(exportDir).sort());
  for (const n of readdirSync(out)) expect(readFileSync(join(out, n), 'utf8')).toBe(readFileSync(join(exportDir, n), 'utf8'));

  // stderr into a file, stdout still the terminal: the file has the result line only
  const out2 = join(dir, 'export-file');
  const filed = await finished(startKairr(['audit', 'export', '--from', '2026-01-01T00:00:00Z', '--to', '2026-12-01T00:00:00Z', '--out', out2, '--poll', '1'], ' 2> export-err.txt'));
  expect(filed.code).toBe(0);
  expect(filed.pane).toMatch(/^state:\s+succeeded$/m);
  expect(filed.pane).not.toMatch(/downloading|running/);
  // no progress in the file: the result line and the verifier's report only
  expect(readFileSync(join(dir, 'export-err.txt'), 'utf8')).toMatch(new RegExp(`^Downloaded 4 files into ${out2}; verifying them offline\\nOK: \\d+ records in \\d+ streams, \\d+ files[^\\r]*$`));
});

it("job submit --wait: each state on the terminal's stderr and the job's exit code; with stderr in a file, nothing in it", async () => {
  writeFileSync(join(dir, 'job.sh'), '#!/bin/bash\nexit 3\n');
  const args = ['job', 'submit', 'job.sh', '--alloc', ALLOC, '--site', 'kisti6', '--resource', 'gh200', '--gpus', '1', '--time', '2m', '--wait', '--poll', '1'];
  const { pane, code } = await finished(startKairr(args));
  expect(code).toBe(3);
  const progress = pane.split('\n').filter((l) => l.startsWith(`${JOB_ID}: `));
  expect(progress).toEqual([`${JOB_ID}: pending`, `${JOB_ID}: running (RUNNING)`, `${JOB_ID}: finished (FAILED)`]);
  expect(pane).toMatch(/^exit code:\s+3$/m);

  const filed = await finished(startKairr(args, ' 2> job-err.txt'));
  expect(filed.code).toBe(3);
  expect(filed.pane).not.toContain(`${JOB_ID}: `);
  expect(filed.pane).toMatch(/^exit code:\s+3$/m);
  expect(readFileSync(join(dir, 'job-err.txt'), 'utf8')).toBe('');
});

it('the download bar in process: frames only when the percentage or the note changes, sized to the terminal, nothing off a terminal', () => {
  const frames: string[] = [];
  const bar = progressBar({ write: (s: string) => frames.push(s), isTTY: true, columns: 70 }, 'downloading', 10_000_000);
  bar.add(0, 'file 1/2');
  for (let i = 0; i < 1000; i++) bar.add(5_000); // 5 MB in 1,000 pieces: 50 frames, not 1,000
  bar.add(0, 'file 2/2');
  bar.add(5_000_000);
  bar.done();
  expect(frames).toHaveLength(1 + 50 + 1 + 1 + 1);
  expect(frames.slice(0, -1).every((f) => f.startsWith('\r') && f.length - 1 <= 70)).toBe(true);
  expect(frames.at(-2)).toMatch(/^\rdownloading █{19} 100% {2}10\.0\/10\.0 MB {2}file 2\/2$/);
  expect(frames.at(-1)).toBe('\n');
  const none: string[] = [];
  const off = progressBar({ write: (s: string) => none.push(s), isTTY: false }, 'downloading', 10);
  off.add(10, 'file 1/1');
  off.done();
  expect(none).toEqual([]);
});

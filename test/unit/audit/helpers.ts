// Shared fixtures for the audit tests: chained events, exports written to temp folders, and small
// file edits that play the part of a tamperer.
import { CsvParser } from '../../../lambdas/domain/audit/csv';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextEvent, type AuditEvent, type AuditEventFields, type ChainHead } from '../../../lambdas/domain/audit/event';
import { writeExport, type ExportWriterOptions } from '../../../lambdas/domain/audit/export-writer';
import { dirSinks } from '../../../lambdas/audit/fs-source';
import { digestOf } from '../../../lambdas/domain/audit/jcs';
import type { ExportFormat, ExportManifest } from '../../../lambdas/domain/audit/manifest';

/** Strings that break naive CSV writers, spreadsheets and JSON encoders. */
export const NASTY_STRINGS = [
  '',
  ' ',
  "'",
  "''",
  "'=1+1",
  '=1+1',
  '+1',
  '-1',
  '@SUM(A1)',
  '\tindent',
  '\rcr',
  '\r\n',
  '\n',
  'a,b',
  '"',
  '""',
  'say "hi", then\nleave',
  'trailing space ',
  ' leading',
  'naïve café',
  '한국어 연구',
  '😀 emoji',
  '\u2028\u2029',
  '\u0000\u001f control',
  'back\\slash',
  '=HYPERLINK("http://x","y")',
  '-',
  '=',
  ',',
  'null',
  'NULL',
  '\\N',
];

export function fields(stream: string, i: number, overrides: Partial<AuditEventFields> = {}): AuditEventFields {
  return {
    stream,
    eventId: `01JEV${stream
      .replace(/[^A-Za-z0-9]/g, '')
      .toUpperCase()
      .slice(-8)}${String(i).padStart(6, '0')}`,
    time: new Date(Date.UTC(2026, 10, 27, 10, 0, 0) + i * 1000).toISOString(),
    actor: { sub: `user-${i % 3}`, role: i % 2 ? 'chair' : 'researcher' },
    action: i === 0 ? 'allocation.create' : 'ledger.usage',
    subject: { type: stream.split('/')[0], id: stream.split('/')[1] ?? stream },
    requestId: `req-${i}`,
    reason: i % 3 === 0 ? null : `reason ${i}`,
    before: i === 0 ? null : digestOf({ balance: 1000 - i }),
    after: digestOf({ balance: 1000 - i - 1 }),
    details: i % 2 ? { credits: -1, resource: 'spc/h200' } : null,
    ...overrides,
  };
}

/** `count` chained events in `stream`, continuing from `head` when given. */
export function chain(stream: string, count: number, head: ChainHead | null = null, tweak?: (i: number) => Partial<AuditEventFields>): AuditEvent[] {
  const out: AuditEvent[] = [];
  let h = head;
  const start = head ? head.seq : 0;
  for (let i = start; i < start + count; i++) {
    const e = nextEvent(h, fields(stream, i, tweak?.(i)));
    out.push(e);
    h = e;
  }
  return out;
}

/** A small realistic export: streams ascending, some with nasty reasons. */
export function sampleEvents(): AuditEvent[] {
  return [
    ...chain('allocation/a-01', 6, null, (i) => ({ reason: NASTY_STRINGS[i % NASTY_STRINGS.length] })),
    ...chain('allocation/a-02', 4),
    ...chain('call/c-01', 5, null, (i) => ({ reason: NASTY_STRINGS[(i + 11) % NASTY_STRINGS.length] })),
    ...chain('proposal/p-01', 3),
  ];
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `kairr-audit-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function writeSampleExport(format: ExportFormat, events: AuditEvent[] = sampleEvents(), extra: Partial<ExportWriterOptions> = {}): Promise<{ dir: string; manifest: ExportManifest; events: AuditEvent[] }> {
  const dir = tempDir(format);
  const manifest = await writeExport(events, {
    format,
    open: dirSinks(dir),
    exportId: 'exp-test-1',
    createdAt: '2026-11-27T12:00:00.000Z',
    rollover: { maxRecords: 7 },
    ...extra,
  });
  return { dir, manifest, events };
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

export function writeText(path: string, text: string): void {
  writeFileSync(path, text);
}

/** Rewrites a JSONL data file line by line (the lines without their newlines). */
export function rewriteJsonl(path: string, edit: (lines: string[]) => string[]): void {
  const lines = readText(path).split('\n');
  const last = lines.pop();
  if (last !== '') throw new Error('fixture file does not end with a newline');
  writeText(
    path,
    edit(lines)
      .map((l) => l + '\n')
      .join(''),
  );
}

/** Rewrites a CSV data file record by record (cells unquoted; re-quoted as the writer does). */
export function rewriteCsv(path: string, edit: (records: string[][]) => string[][]): void {
  const p = new CsvParser();
  const records = [...p.push(readText(path)), ...p.end()].map((r) => r.cells);
  const quote = (c: string) => (/[",\r\n]/.test(c) ? '"' + c.replace(/"/g, '""') + '"' : c);
  writeText(
    path,
    edit(records)
      .map((cells) => cells.map(quote).join(',') + '\r\n')
      .join(''),
  );
}

/** Reads, edits and writes back manifest.json (as plain JSON; the caller decides whether to re-seal it). */
export function rewriteManifest(dir: string, edit: (m: Record<string, any>) => void): void {
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readText(path));
  edit(m);
  writeText(path, JSON.stringify(m, null, 2) + '\n');
}

// kairr audit events | export | verify, for auditors. `export --wait --out DIR` follows the export
// until it is written and downloads its files and manifest.json into DIR; `verify DIR` checks a
// folder offline with the same verifier as the kairr-audit package (lambdas/audit/cli.ts), so the
// two can never disagree about what a sound export is.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { parsePositiveInt } from '../duration';
import { CliError, ExitWith, UsageError } from '../errors';
import { seg } from '../http';
import { emit, fields, pageTable, progress, progressBar } from '../output';
import { AuditEventSchema, AuditExportSchema, page, type AuditExport } from '../schemas';
import { msg } from '../i18n';
import { saveBody } from '../transport';

type Ctx = (cmd: Command<any, any, any>) => Context;

const subjectOf = (o: { subjectType?: string; subjectId?: string }) => {
  if (o.subjectId !== undefined && o.subjectType === undefined) throw new UsageError(msg('subjectIdNeedsType'));
  return o.subjectType === undefined ? undefined : { subjectType: o.subjectType, ...(o.subjectId ? { subjectId: o.subjectId } : {}) };
};

const showExport = (x: AuditExport) =>
  fields([
    ['export', x.exportId],
    ['state', x.state],
    ['window', `${x.from} – ${x.to}`],
    ['records', x.totalRecords],
    ['files', x.files?.length],
    ['manifest hash', x.manifestHash],
    ['error', x.error?.message],
  ]);

/** The offline verifier itself (kairr-audit's main), required on first use: only verifying needs it. */
async function verify(argv: string[], out: (t: string) => unknown, err: (t: string) => unknown): Promise<number> {
  const { main } = require('../../../lambdas/audit/cli') as typeof import('../../../lambdas/audit/cli');
  return main(argv, { out: (t: string) => void out(t), err: (t: string) => void err(t) });
}

/**
 * Downloads an export's files and manifest into dir, each streamed to disk as it arrives (an
 * export file may be 128 MB), with a progress bar over the data files' bytes on a terminal;
 * returns the names written.
 */
async function download(c: Context, x: AuditExport, dir: string): Promise<string[]> {
  if (!x.manifest || !x.files?.every((f) => f.url)) throw new CliError(msg('exportNoUrls', { id: x.exportId, dir }));
  await mkdir(dir, { recursive: true });
  const items = [...x.files.map((f) => ({ name: f.name, url: f.url! })), { name: 'manifest.json', url: x.manifest.url }];
  const bar = progressBar(
    c.io.err,
    c.t(msg('downloading')),
    x.files.reduce((s, f) => s + (f.bytes ?? 0), 0),
  );
  for (const [i, it] of items.entries()) {
    if (!/^[A-Za-z0-9._-]+$/.test(it.name)) throw new CliError(msg('exportBadFileName', { id: x.exportId, name: it.name }));
    const res = await c.io.fetch(it.url, { method: 'GET', stream: true });
    if (!res.ok) await res.text().catch(() => ''); // read to the end, so the connection is freed
    if (!res.ok) throw new CliError(msg('downloadFailed', { name: it.name, status: res.status, text: res.statusText }));
    const note = c.t(msg('fileOf', { i: i + 1, n: items.length }));
    bar.add(0, note);
    const file = join(dir, it.name);
    const counted = (n: number) => (it.name === 'manifest.json' ? undefined : bar.add(n));
    await saveBody(res, file, (chunk) => counted(chunk.byteLength));
  }
  bar.done();
  return items.map((i) => i.name);
}

export function auditCommands(ctx: Ctx): Command<any, any, any> {
  const audit = new Command('audit').description('The audit trail: read events, export them, verify an export offline');
  audit
    .command('events')
    .description('Audit events, by time range, subject, actor and action (one page)')
    .option('--from <time>', 'ISO 8601, inclusive')
    .option('--to <time>', 'ISO 8601, exclusive (default now)')
    .option('--subject-type <t>', 'e.g. allocation')
    .option('--subject-id <id>', 'with --subject-type: one subject, in seq order')
    .option('--actor <sub>', 'who acted')
    .option('--action <a>', 'exactly, or a prefix ending in .* (ledger.*)')
    .option('--limit <n>', 'at most this many', parsePositiveInt)
    .option('--next-token <t>', 'the next page')
    .addHelpText('after', '\nExamples:\n  kairr audit events --subject-type allocation --subject-id alloc-01j...\n  kairr audit events --from 2026-12-01T00:00:00Z --action "ledger.*"')
    .action(async (o, cmd) => {
      const c = ctx(cmd);
      const body = await c.api().get('/v1/audit/events', page(AuditEventSchema), { from: o.from, to: o.to, ...subjectOf(o), actor: o.actor, action: o.action, limit: o.limit, nextToken: o.nextToken });
      await emit(c.io.out, body, c.output, () =>
        pageTable(body, [
          { header: 'TIME', value: (e) => e.time },
          { header: 'ACTION', value: (e) => e.action },
          { header: 'SUBJECT', value: (e) => `${e.subject.type}/${e.subject.id}` },
          { header: 'SEQ', value: (e) => e.seq, right: true },
          { header: 'ACTOR', value: (e) => `${e.actor.sub} (${e.actor.role})` },
        ]),
      );
    });
  audit
    .command('export')
    .description('Start an export of a time window (or follow one by id), wait for it, and download it')
    .argument('[exportId]', 'an export already started: follow it instead of starting one')
    .option('--from <time>', 'ISO 8601, inclusive (to start one)')
    .option('--to <time>', 'ISO 8601, exclusive (to start one)')
    .addOption(new Option('--format <f>', 'file format').choices(['jsonl', 'csv'] as const).default('jsonl' as const))
    .option('--subject-type <t>', 'only this subject type')
    .option('--subject-id <id>', 'with --subject-type: only this subject')
    .option('--wait', 'follow the export until it has succeeded or failed')
    .option('--out <dir>', 'download the files and manifest.json here (implies --wait)')
    .option('--poll <seconds>', 'seconds between looks while waiting', parsePositiveInt, 2)
    .option('--no-verify', 'with --out: download only, without verifying the files offline afterwards')
    .addHelpText(
      'after',
      '\nWith --out, the files are verified offline once downloaded (as kairr audit verify DIR does; its report on stderr), and a failed verification exits 1.\n\nExamples:\n  kairr audit export --from 2026-01-01T00:00:00Z --to 2026-12-01T00:00:00Z --out ./export\n  kairr audit export exp-01j... --out ./export --no-verify',
    )
    .action(async (exportId, o, cmd) => {
      const c = ctx(cmd);
      const api = c.api();
      let x: AuditExport;
      if (exportId) {
        if (o.from || o.to) throw new UsageError(msg('exportIdOrRange'));
        x = await api.get(`/v1/audit/exports/${seg(exportId)}`, AuditExportSchema);
      } else {
        if (!o.from || !o.to) throw new UsageError(msg('exportNeedsRange'));
        const filters = subjectOf(o);
        x = await api.request('POST', '/v1/audit/exports', { body: { from: o.from, to: o.to, format: o.format, ...(filters ? { filters } : {}) }, schema: AuditExportSchema, idempotent: true });
      }
      if (o.wait || o.out) {
        while (x.state === 'queued' || x.state === 'running') {
          progress(c.io.err, `\r${c.t(msg('exportProgress', { id: x.exportId, state: x.state, records: x.totalRecords !== undefined ? String(x.totalRecords) : '' }))}   `);
          await c.io.sleep(o.poll * 1000);
          x = await api.get(`/v1/audit/exports/${seg(x.exportId)}`, AuditExportSchema);
        }
        progress(c.io.err, '\n');
      }
      if (o.out && x.state === 'succeeded' && !o.verify) {
        const names = await download(c, x, o.out);
        c.io.err.write(c.t(msg('exportDownloaded', { count: names.length, dir: o.out })));
      } else if (o.out && x.state === 'succeeded') {
        // verified while it downloads (audit-stream.ts), loaded only here
        const { downloadVerifying } = require('./audit-stream') as typeof import('./audit-stream');
        const v = await downloadVerifying(c, x, o.out);
        c.io.err.write(c.t(msg('exportDownloadedVerifying', { count: v.names.length, dir: o.out })));
        // stdout stays the export's view (one JSON document under --json); the report goes to stderr
        c.io.err.write(v.text);
        await emit(c.io.out, x, c.output, () => showExport(x));
        if (!v.ok) throw new ExitWith(1);
        return;
      }
      await emit(c.io.out, x, c.output, () => showExport(x));
      if (x.state === 'failed') throw new ExitWith(1);
    });
  audit
    .command('verify')
    .description('Verify an export folder (or one data file) offline: hashes, chains, manifest, anchors')
    .argument('<path>', 'an export folder with manifest.json, or one .jsonl or .csv file')
    .option('--anchor <file>', 'an anchor object from the Object Lock bucket (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--max-problems <n>', 'list at most this many problems', parsePositiveInt)
    .addHelpText('after', '\nExamples:\n  kairr audit verify ./export\n  kairr audit verify ./export --anchor anchor.json --json')
    .action(async (path, o, cmd) => {
      const c = ctx(cmd);
      const argv = ['verify', path, ...(c.output.json ? ['--json'] : []), ...(o.anchor ?? []).flatMap((a) => ['--anchor', a]), ...(o.maxProblems ? ['--max-problems', String(o.maxProblems)] : [])];
      const code = await verify(
        argv,
        (t) => c.io.out.write(t),
        (t) => c.io.err.write(t),
      );
      if (code !== 0) throw new ExitWith(code);
    });
  return audit;
}

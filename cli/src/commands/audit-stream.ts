// `audit export --out DIR` with verification: each file is verified while it downloads, instead of
// downloaded whole and then read back. The verifier (lambdas/domain/audit/verify.ts, the one
// kairr-audit runs) pulls the files in its own order (manifest first, then the data files as the
// manifest lists them) from a source whose read() is the download itself: each chunk is written to
// disk and handed to the verifier, so the network wait and the hashing overlap and nothing is held
// in memory beyond a chunk. Required on first use only: `--help` and other commands never load it.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '../context';
import { CliError } from '../errors';
import { msg } from '../i18n';
import { progressBar } from '../output';
import type { AuditExport } from '../schemas';
import type { VerifyReport } from '../../../lambdas/domain/audit/verify';

interface Item {
  name: string;
  url: string;
}

/** Streams one presigned GET into `file`, yielding each chunk once it is on its way to disk. */
async function* downloadChunks(c: Context, it: Item, file: string, counted: (n: number) => void): AsyncGenerator<Uint8Array> {
  const res = await c.io.fetch(it.url, { method: 'GET', stream: true });
  if (!res.ok) await res.text().catch(() => ''); // read to the end, so the connection is freed
  if (!res.ok) throw new CliError(msg('downloadFailed', { name: it.name, status: res.status, text: res.statusText }));
  const out = createWriteStream(file);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  const body: Iterable<Uint8Array> | AsyncIterable<Uint8Array> = res.body ?? [Buffer.from(await res.text(), 'utf8')];
  for await (const chunk of body) {
    counted(chunk.byteLength);
    if (!out.write(chunk)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
    yield chunk;
  }
  await Promise.race([new Promise<void>((r) => out.end(r)), failed]);
}

/** The verifier's report as text, exactly as kairr-audit prints it. */
function reportText(r: VerifyReport): string {
  const { renderText } = require('../../../lambdas/audit/cli') as typeof import('../../../lambdas/audit/cli');
  return renderText(r);
}

/**
 * Downloads an export into dir while verifying it; `names` is every file written, `text` the
 * verifier's report. A file the verifier did not ask for (none, for a sound manifest) is still
 * downloaded afterwards, so the folder is the whole export either way.
 */
export async function downloadVerifying(c: Context, x: AuditExport, dir: string): Promise<{ ok: boolean; text: string; names: string[] }> {
  if (!x.manifest || !x.files?.every((f) => f.url)) throw new CliError(msg('exportNoUrls', { id: x.exportId, dir }));
  const items: Item[] = [{ name: 'manifest.json', url: x.manifest.url }, ...x.files.map((f) => ({ name: f.name, url: f.url! }))];
  for (const it of items) if (!/^[A-Za-z0-9._-]+$/.test(it.name)) throw new CliError(msg('exportBadFileName', { id: x.exportId, name: it.name }));
  await mkdir(dir, { recursive: true });
  const bar = progressBar(
    c.io.err,
    c.t(msg('downloading')),
    x.files.reduce((s, f) => s + (f.bytes ?? 0), 0),
  );
  const byName = new Map(items.map((it, i) => [it.name, { it, i }]));
  const fetched = new Set<string>();
  const read = (name: string): AsyncIterable<Uint8Array> => {
    const { it, i } = byName.get(name)!;
    fetched.add(name);
    bar.add(0, c.t(msg('fileOf', { i: i + 1, n: items.length })));
    return downloadChunks(c, it, join(dir, name), (n) => (name === 'manifest.json' ? undefined : bar.add(n)));
  };
  const { verifyExport } = require('../../../lambdas/domain/audit/verify') as typeof import('../../../lambdas/domain/audit/verify');
  const report = await verifyExport({ list: async () => items.map((it) => it.name), read });
  for (const it of items) if (!fetched.has(it.name)) for await (const _ of read(it.name));
  bar.done();
  return { ok: report.ok, text: reportText(report), names: items.map((it) => it.name) };
}

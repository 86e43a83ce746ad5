// Offline verification of an audit export, streaming: one record in memory at a time, plus one
// summary per stream. Every record's hash is recomputed from its content, every link and seq is
// followed, and every number and digest in manifest.json is compared with the data.
// Problems are listed in the order they are found (data order; manifestHash last), so the first
// one is the first bad record.
import { DATA_FILE_NAME, MANIFEST_FILE_NAME, checkManifestShape, manifestDigest, type ExportFormat, type ExportManifest } from './manifest';
import type { ExportSource, VerifyOptions, VerifyProblem, VerifyReport } from './verify-types';
import { Verification } from './verification';

export type { ExportSource, NamedAnchor, VerifiedFile, VerifyOptions, VerifyProblem, VerifyReport } from './verify-types';
export { MAX_LINE_CHARS } from './verification';

function formatOf(name: string): ExportFormat | null {
  if (name.endsWith('.jsonl')) return 'jsonl';
  if (name.endsWith('.csv')) return 'csv';
  return null;
}

async function readAll(chunks: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of chunks) {
    n += c.length;
    if (n > limit) throw new RangeError(`larger than ${limit} bytes`);
    parts.push(Buffer.from(c));
  }
  return Buffer.concat(parts);
}

function report(v: Verification, mode: 'export' | 'file', format: ExportFormat | null, exportId: string | null): VerifyReport {
  return {
    ok: v.problemCount === 0,
    mode,
    format,
    exportId,
    records: v.records,
    files: v.files,
    streams: v.streams,
    anchorHeadsChecked: v.anchorHeadsChecked,
    problems: v.problems,
    problemCount: v.problemCount,
    notes: v.notes,
  };
}

/** Verifies one data file without a manifest: hashes, links, order. */
export async function verifyDataFile(name: string, chunks: AsyncIterable<Uint8Array>, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const v = new Verification(opts);
  const format = formatOf(name);
  if (!format) {
    v.problem({ file: name, field: '(file)', problem: 'is neither .jsonl nor .csv' });
    return report(v, 'file', null, null);
  }
  await v.readFile(name, format, chunks, null);
  v.end();
  v.notes.push('no manifest: records missing at the end of a stream, or whole streams, cannot be detected from one file; verify the export folder and its anchors for that');
  return report(v, 'file', format, null);
}

/** Largest manifest.json accepted (it holds one entry per stream and per file). */
export const MAX_MANIFEST_BYTES = 512 * 1024 * 1024;

/** Verifies an export folder: its manifest, every data file it lists, and the chains across them. */
export async function verifyExport(source: ExportSource, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const v = new Verification(opts);
  const names = await source.list();
  const present = new Set(names);
  const fileNumber = (n: string) => Number(DATA_FILE_NAME.exec(n)![1]);
  const dataNames = names.filter((n) => DATA_FILE_NAME.test(n)).sort((a, b) => fileNumber(a) - fileNumber(b) || (a < b ? -1 : 1));

  let manifest: ExportManifest | null = null;
  let manifestHashProblem: VerifyProblem | null = null;
  if (!present.has(MANIFEST_FILE_NAME)) {
    v.problem({ file: MANIFEST_FILE_NAME, field: '(manifest)', problem: 'is missing: the export is incomplete (the writer writes it last) or it was removed' });
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await readAll(source.read(MANIFEST_FILE_NAME), MAX_MANIFEST_BYTES)));
    } catch (err) {
      v.problem({ file: MANIFEST_FILE_NAME, field: '(manifest)', problem: `cannot be read as JSON: ${(err as Error).message}` });
    }
    if (parsed !== undefined) {
      const shape = checkManifestShape(parsed);
      for (const p of shape) v.problem({ file: MANIFEST_FILE_NAME, field: p.field, problem: p.problem });
      if (shape.length === 0) {
        manifest = parsed as ExportManifest;
        const digest = manifestDigest(manifest);
        if (digest !== manifest.manifestHash) {
          manifestHashProblem = { file: MANIFEST_FILE_NAME, field: 'manifestHash', problem: `manifest was edited: its digest is ${digest}, manifestHash says ${manifest.manifestHash}` };
        }
      } else {
        v.notes.push('manifest is malformed: data files were verified by name order, without comparing them to it');
      }
    }
  }

  if (manifest) {
    v.expectManifest(manifest);
    const listed = new Set(manifest.files.map((f) => f.name));
    for (const n of dataNames) {
      if (!listed.has(n)) v.problem({ file: n, field: 'files', problem: `${n} is in the folder but not in the manifest` });
    }
    for (let i = 0; i < manifest.files.length; i++) {
      const name = manifest.files[i].name;
      if (!present.has(name)) {
        v.problem({ file: name, field: `files[${i}].name`, problem: `${name} is listed in the manifest but missing from the folder` });
        continue;
      }
      await v.readFile(name, manifest.format, source.read(name), i);
    }
  } else {
    for (const n of dataNames) await v.readFile(n, formatOf(n)!, source.read(n), null);
  }
  v.end();
  if (manifestHashProblem) v.problem(manifestHashProblem);
  if (!opts.anchors?.length) v.notes.push('no anchors given: a forger who rewrote data and manifest together would not be caught; pass the anchor objects from the Object Lock bucket (--anchor)');
  return report(v, 'export', manifest?.format ?? null, manifest?.exportId ?? null);
}

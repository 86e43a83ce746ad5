// Local-filesystem adapters for the export writer and the verifier (the CLI, tests and benchmark
// use them; the export Lambda supplies S3-backed equivalents of the same two interfaces).
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeWritableSink, type ExportSink } from '../domain/audit/export-writer';
import type { ExportSource } from '../domain/audit/verify';

const READ_CHUNK = 1024 * 1024;

/** The file's bytes as a stream of chunks of about 1 MiB. */
export function fileChunks(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: READ_CHUNK });
}

/** An export folder on disk, as the verifier reads it. */
export function dirSource(dir: string): ExportSource {
  return {
    async list() {
      const entries = await readdir(dir, { withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => e.name);
    },
    read(name) {
      return fileChunks(join(dir, name));
    },
  };
}

/** A sink that writes one file (created or truncated), honouring backpressure. */
export function fileSink(path: string): ExportSink {
  return nodeWritableSink(createWriteStream(path));
}

/** `open` for createExportWriter: every file of the export goes into `dir` (which must exist). */
export function dirSinks(dir: string): (fileName: string) => ExportSink {
  return (fileName) => fileSink(join(dir, fileName));
}

// Documents the user hands the CLI (a proposal, a workload profile): YAML or JSON (JSON is YAML),
// from a file or "-" for standard input, and always a mapping at the top.
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { UsageError } from './errors';
import { msg } from './i18n';

const Mapping = z.record(z.string(), z.unknown());

export async function readDocument(path: string, stdin: () => string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = path === '-' ? stdin() : readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(msg('cannotRead', { path, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }));
  }
  // yaml is loaded only by the commands that read a document, not at every start (a require in
  // place, which esbuild's bundle keeps lazy; import() would not run under jest's CommonJS).
  const { parse } = require('yaml') as typeof import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new UsageError(msg('notYaml', { path, reason: (e as Error).message.split('\n')[0] }));
  }
  const m = Mapping.safeParse(doc);
  if (!m.success || Array.isArray(doc)) throw new UsageError(msg('notMapping', { path }));
  return m.data;
}

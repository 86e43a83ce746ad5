// Real files for transfer tests: a catalogue version's folder at a site's storage root, with its
// manifest computed the way the data hub records it (relative path, bytes, SHA-256), and a runner
// for the generated script.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ManifestEntry } from '../../lambdas/domain/pipelines/context';
import { RESULT_LINE_PREFIX, type TransferResult } from '../../lambdas/domain/pipelines/transfer-script';

export interface FixtureFile {
  path: string;
  bytes?: number;
  content?: string | Buffer;
}

/** Writes the files under `folder` (world-readable, as a site's served tree) and returns the manifest. */
export function writeVersion(folder: string, files: FixtureFile[]): ManifestEntry[] {
  return files.map((f) => {
    const data = f.content !== undefined ? Buffer.from(f.content) : randomBytes(f.bytes ?? 1024);
    const full = join(folder, f.path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, data);
    return { path: f.path, bytes: data.length, sha256: sha256(data) };
  });
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** chmod a+rX on a tree, as a site makes its served tree readable by its transfer daemon. */
export function openTree(root: string): void {
  chmodSync(root, 0o755);
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) openTree(p);
    else chmodSync(p, 0o644);
  }
}

/** Every file under `root` with its SHA-256 (relative paths, sorted): to prove a side was not written. */
export function treeDigest(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(root, p)] = sha256(readFileSync(p));
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

export function fileMatches(path: string, entry: ManifestEntry): boolean {
  return existsSync(path) && statSync(path).size === entry.bytes && sha256(readFileSync(path)) === entry.sha256;
}

export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The result file's content, when it was written. */
  result?: TransferResult;
}

/** Runs a transfer script with bash in its own process group (so a test can interrupt all of it). */
export function runScript(scriptPath: string, resultFile: string, opts: { onStart?: (pid: number) => void } = {}): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [scriptPath], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    if (child.pid) opts.onStart?.(child.pid);
    child.once('close', (code, signal) => {
      const result = existsSync(resultFile) ? (JSON.parse(readFileSync(resultFile, 'utf8')) as TransferResult) : undefined;
      resolve({ code, signal, stdout, stderr, result });
    });
  });
}

/** The result line the script printed (the same JSON as the result file). */
export function resultLine(stdout: string): TransferResult | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_LINE_PREFIX));
  return line ? (JSON.parse(line.slice(RESULT_LINE_PREFIX.length)) as TransferResult) : undefined;
}

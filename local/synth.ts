// Synthesizes a CDK app (the cdk CLI's `cdk synth`, which bundles its functions) only when its
// sources changed since the last synth into that folder, so a local runtime always runs the
// current bundles without paying for a synth it does not need.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

export interface SynthOptions {
  /** The app's folder: where cdk.json is and `npx cdk` runs. */
  appDir: string;
  /** Files and folders (relative to appDir) whose contents decide whether a synth is needed. */
  sources: string[];
  /** The cloud assembly folder (default appDir/cdk.out). */
  outDir?: string;
  /** Context values passed as `-c key=value` (part of the fingerprint). */
  context?: Record<string, string>;
  /** Synthesize even if nothing changed. */
  force?: boolean;
  /** Print nothing unless the synth fails (then the error carries its output). */
  quiet?: boolean;
}

/** A fingerprint of the sources' paths and contents (node_modules folders are skipped). */
export function sourceHash(appDir: string, sources: string[]): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) if (e !== 'node_modules') walk(join(p, e));
    } else {
      h.update(relative(appDir, p));
      h.update(readFileSync(p));
    }
  };
  for (const s of sources) walk(join(appDir, s));
  return h.digest('hex');
}

/** Runs `cdk synth` into outDir unless outDir already holds a synth of these sources and context. */
export function ensureSynth(opts: SynthOptions): { outDir: string; built: boolean } {
  const outDir = opts.outDir ?? join(opts.appDir, 'cdk.out');
  const marker = join(outDir, '.cdk-local-source-hash');
  const context = Object.entries(opts.context ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const hash = `${JSON.stringify(context)}:${sourceHash(opts.appDir, opts.sources)}`;
  if (!opts.force && existsSync(marker) && readFileSync(marker, 'utf8') === hash) return { outDir, built: false };
  const label = context.map(([k, v]) => `${k}=${v}`).join(' ');
  if (!opts.quiet) console.log(`Synthesizing${label ? ` (${label})` : ''}: cdk synth bundles the functions...`);
  const args = ['cdk', 'synth', '-q', '--no-notices', '--no-version-reporting', ...context.flatMap(([k, v]) => ['-c', `${k}=${v}`]), '-o', outDir];
  const res = spawnSync('npx', args, { cwd: opts.appDir, stdio: opts.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`cdk synth failed (exit ${res.status})${opts.quiet ? `:\n${res.stdout}\n${res.stderr}` : ''}`);
  writeFileSync(marker, hash);
  return { outDir, built: true };
}

// Synthesizes the app (cdk synth, which bundles every handler with esbuild and runs cdk-nag) when
// the sources changed since the last synth, so the local runtime always runs the current bundles.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

export const REPO_ROOT = join(__dirname, '..');
const SOURCES = ['bin', 'lib', 'lambdas', 'statemachines', 'config', 'cdk.json', 'package-lock.json', 'tsconfig.json'];

export function sourceHash(root = REPO_ROOT): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) if (e !== 'node_modules') walk(join(p, e));
    } else {
      h.update(relative(root, p));
      h.update(readFileSync(p));
    }
  };
  for (const s of SOURCES) walk(join(root, s));
  return h.digest('hex');
}

/** Runs `cdk synth` for the stage into outDir unless outDir already holds a synth of these sources. */
export function ensureBuilt(opts: { stage?: string; outDir?: string; force?: boolean; quiet?: boolean } = {}): { outDir: string; built: boolean } {
  const stage = opts.stage ?? 'local';
  const outDir = opts.outDir ?? join(REPO_ROOT, 'cdk.out');
  const marker = join(outDir, '.kairr-source-hash');
  const hash = `${stage}:${sourceHash()}`;
  if (!opts.force && existsSync(marker) && readFileSync(marker, 'utf8') === hash) return { outDir, built: false };
  if (!opts.quiet) console.log(`Synthesizing stage "${stage}" (cdk synth; bundles the handlers and runs cdk-nag)...`);
  const res = spawnSync('npx', ['cdk', 'synth', '-q', '--no-notices', '--no-version-reporting', '-c', `stage=${stage}`, '-o', outDir], {
    cwd: REPO_ROOT,
    stdio: opts.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`cdk synth failed (exit ${res.status})${opts.quiet ? `:\n${res.stdout}\n${res.stderr}` : ''}`);
  writeFileSync(marker, hash);
  return { outDir, built: true };
}

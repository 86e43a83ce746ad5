// KAIRR binding: synthesizes KAIRR (cdk synth, which bundles every handler with esbuild and runs
// cdk-nag) for a stage when its sources changed since the last synth, so the local runtime always
// runs the current bundles.
import { join } from 'node:path';
import { ensureSynth, sourceHash as hashOf } from './index';

export const REPO_ROOT = join(__dirname, '..');
const SOURCES = ['bin', 'lib', 'lambdas', 'statemachines', 'config', 'cdk.json', 'package-lock.json', 'tsconfig.json'];

export function sourceHash(root = REPO_ROOT): string {
  return hashOf(root, SOURCES);
}

/** Runs `cdk synth` for the stage into outDir unless outDir already holds a synth of these sources. */
export function ensureBuilt(opts: { stage?: string; outDir?: string; force?: boolean; quiet?: boolean } = {}): { outDir: string; built: boolean } {
  return ensureSynth({
    appDir: REPO_ROOT,
    sources: SOURCES,
    outDir: opts.outDir ?? join(REPO_ROOT, 'cdk.out'),
    context: { stage: opts.stage ?? 'local' },
    force: opts.force,
    quiet: opts.quiet,
  });
}

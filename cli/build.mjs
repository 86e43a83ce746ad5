// Compiles the kairr CLI (cli/src) into one self-contained CommonJS file, kairr.cjs: commander,
// JMESPath, YAML and zod bundled in, Node's built-ins only, no TypeScript at run time. Run by
// `npm pack -w kairr-cli` (prepack) and `npm run build -w kairr-cli`. `node build.mjs FILE` writes
// the same bundle to FILE instead (a test's own copy, so it never rewrites the one being packed).
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
await build({
  stdin: {
    contents: `require(${JSON.stringify(join(here, 'src', 'main.ts'))}).main().then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write('kairr: ' + (err && err.stack ? err.stack : String(err)) + '\\n'); process.exitCode = 1; },
);`,
    resolveDir: here,
    sourcefile: 'kairr-entry.js',
    loader: 'js',
  },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  outfile: process.argv[2] ? resolve(process.argv[2]) : join(here, 'kairr.cjs'),
  banner: { js: '#!/usr/bin/env node\n// kairr: the KAIRR command line (docs/cli.md). Compiled by build.mjs: do not edit.' },
  legalComments: 'none',
  logLevel: 'warning',
});

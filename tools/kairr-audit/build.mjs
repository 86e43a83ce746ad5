// Compiles the kairr-audit CLI (lambdas/audit/cli.ts, beside the code that writes exports,
// so both always agree) into one self-contained CommonJS file: Node's built-ins only, no
// TypeScript loader, no dependency to install. Run by `npm pack` (prepack) and by
// `npm run build -w kairr-audit`.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
await build({
  stdin: {
    contents: `const { main } = require(${JSON.stringify(join(here, '..', '..', 'lambdas', 'audit', 'cli.ts'))});
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write('kairr-audit: ' + (err && err.stack ? err.stack : String(err)) + '\\n'); process.exitCode = 2; },
);`,
    resolveDir: here,
    sourcefile: 'kairr-audit-entry.js',
    loader: 'js',
  },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: join(here, 'kairr-audit.cjs'),
  banner: { js: '#!/usr/bin/env node\n// kairr-audit: offline verifier for KAIRR audit exports (docs/audit.md). Compiled by build.mjs: do not edit.' },
  legalComments: 'none',
  logLevel: 'warning',
});

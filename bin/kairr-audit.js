#!/usr/bin/env node
// kairr-audit in a KAIRR checkout (`npx kairr-audit`, through the workspace's tools/kairr-audit/
// bin.js): the TypeScript source through tsx (a devDependency), so it always runs the code as it
// is now; without dev dependencies, the compiled CLI (`npm run build -w kairr-audit`). The shipped
// package is tools/kairr-audit (`npm pack -w kairr-audit`): a compiled file that needs neither.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'tools', 'kairr-audit', 'kairr-audit.cjs');
let tsx = true;
try {
  require.resolve('tsx/cjs');
} catch {
  tsx = false;
}
if (!tsx && existsSync(compiled)) {
  require(compiled);
} else {
  require('tsx/cjs');
  const { main } = require('../lambdas/audit/cli.ts');
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`kairr-audit: ${err?.stack ? err.stack : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}

#!/usr/bin/env node
// kairr-audit: offline verifier for KAIRR audit exports (see docs/audit.md).
// The CLI is written in TypeScript (lambdas/domain/audit/cli.ts, next to the code that writes
// exports, so both always agree). This entry registers tsx's CommonJS hook to load it, so tsx
// (a devDependency) must be installed: run it from a checkout after `npm ci`, as `npx kairr-audit`.
'use strict';
require('tsx/cjs');
const { main } = require('../lambdas/domain/audit/cli.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`kairr-audit: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  },
);

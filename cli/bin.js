#!/usr/bin/env node
// The kairr command. Installed from the package (npm pack -w kairr-cli), it runs the compiled CLI
// (kairr.cjs, built at pack time: Node's built-ins only). Inside a KAIRR checkout with its dev
// dependencies (npm's workspace link), it runs the TypeScript source through tsx, so it is never a
// stale build.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, 'src', 'main.ts');
let tsx = false;
if (existsSync(source)) {
  try {
    require.resolve('tsx/cjs');
    tsx = true;
  } catch {
    tsx = false;
  }
}
if (tsx) {
  require('tsx/cjs');
  require(source)
    .main()
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err) => {
        process.stderr.write(`kairr: ${err?.stack ? err.stack : String(err)}\n`);
        process.exitCode = 1;
      },
    );
} else require('./kairr.cjs');

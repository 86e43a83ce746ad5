#!/usr/bin/env node
// The kairr-audit command. Installed from the package, it runs the compiled CLI (kairr-audit.cjs,
// built at pack time). Inside a KAIRR checkout (npm's workspace link), it runs the checkout's own
// entry (bin/kairr-audit.js: the TypeScript source through tsx), so it is never a stale build.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const checkoutSource = join(__dirname, '..', '..', 'lambdas', 'audit', 'cli.ts');
if (existsSync(checkoutSource)) require(join(__dirname, '..', '..', 'bin', 'kairr-audit.js'));
else require('./kairr-audit.cjs');

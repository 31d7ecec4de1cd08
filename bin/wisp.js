#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/cli/main.js')) {
    process.stderr.write('Error: wisp is not built; run `npm ci` (or `npm run build`) in the repository first\n');
    process.exit(1);
  }
  if (e && e.code === 'WISP_FENGARI_UNPATCHED') {
    process.stderr.write(`Error: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
cli.main(process.argv);

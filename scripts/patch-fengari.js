#!/usr/bin/env node
'use strict';
/**
 * Runs after `npm install`/`npm ci`: applies every patch in scripts/fengari-patches/ (in file-name order) to
 * node_modules/fengari/src. Each patch is one file with a comment on why it exists; each is idempotent, and
 * the whole set refuses to touch any Fengari version but 0.1.5 (a patch that no longer finds its target fails
 * the install instead of leaving a half-patched VM).
 */
const fs = require('fs');
const path = require('path');

const root = path.dirname(require.resolve('fengari/package.json'));
// Only the runtime's copy: the benchmarks compare against an unpatched one (`fengari-pristine`, an npm alias of
// the same release), which must stay as published.
if (path.basename(root) !== 'fengari') {
  console.error(`patch-fengari: resolved ${root}, not node_modules/fengari; not patching`);
  process.exit(1);
}
const { version } = require(path.join(root, 'package.json'));
if (version !== '0.1.5') {
  console.error(`patch-fengari: expected fengari 0.1.5, found ${version}; not patching`);
  process.exit(1);
}

const srcDir = path.join(root, 'src');
/** What a patch gets: the names of Fengari's source files and ways to edit them. */
const src = {
  names: () => fs.readdirSync(srcDir).filter((n) => n.endsWith('.js')),
  read: (name) => fs.readFileSync(path.join(srcDir, name), 'utf8'),
  edit(name, transform) {
    const before = this.read(name);
    const after = transform(before);
    if (after !== before) fs.writeFileSync(path.join(srcDir, name), after);
    return after !== before;
  },
  /** Replaces `from` with `to` once; 0 if already applied, 1 if applied; exits if neither text is found. */
  replaceOnce(name, from, to, what) {
    const source = this.read(name);
    if (source.includes(to)) return 0;
    if (!source.includes(from)) {
      console.error(`patch-fengari: ${what} not found in ${name}; not patched`);
      process.exit(1);
    }
    fs.writeFileSync(path.join(srcDir, name), source.replace(from, () => to));
    return 1;
  },
};

const patchDir = path.join(__dirname, 'fengari-patches');
let changed = 0;
for (const file of fs.readdirSync(patchDir).filter((n) => n.endsWith('.js')).sort()) {
  changed += require(path.join(patchDir, file))(src);
}
console.log(`patch-fengari: ${changed} changes`);

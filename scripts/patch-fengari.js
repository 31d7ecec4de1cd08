#!/usr/bin/env node
'use strict';
/**
 * Runs after `npm install`/`npm ci`: applies every patch in scripts/fengari-patches/ (in file-name order; the
 * index is that folder's README.md) to Fengari's sources, and records the set it applied in a stamp file
 * (`wisp-patches.json` beside Fengari's package.json) that the engine checks at start-up.
 *
 * A patch always applies to the sources as published: unless the stamp shows this very set, the sources are first
 * restored from `fengari-pristine` (an npm alias of the same release, a development dependency) when it is
 * installed. Every replacement must find its target text, and every patch must change something: a patch
 * that no longer fits fails the install, naming itself, instead of leaving a half-patched VM.
 *
 *   node scripts/patch-fengari.js              patches the fengari that `require` finds
 *   node scripts/patch-fengari.js <dir>        patches a copy of the release in <dir> as it is (tests)
 */
const fs = require('fs');
const path = require('path');
const { patchSet, STAMP } = require('./fengari-patch-set');

const fail = (message) => {
  console.error(`patch-fengari: ${message}`);
  process.exit(1);
};

const root = process.argv[2] ? path.resolve(process.argv[2]) : path.dirname(require.resolve('fengari/package.json'));
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
if (version !== '0.1.5') fail(`expected fengari 0.1.5 in ${root}, found ${version}; not patching`);

const srcDir = path.join(root, 'src');
const stampFile = path.join(root, STAMP);
const set = patchSet();
const stamp = fs.existsSync(stampFile) ? JSON.parse(fs.readFileSync(stampFile, 'utf8')) : null;
if (stamp !== null && stamp.digest === set.digest) {
  console.log(`patch-fengari: ${set.ids.length} patches already applied`);
  process.exit(0);
}
// Patches apply to the release as published: restore it when its copy is at hand (a development install, or
// sources patched by an older set); a fresh install from the registry without it is as published already.
const pristineSources = () => {
  try {
    return path.join(path.dirname(require.resolve('fengari-pristine/package.json')), 'src');
  } catch {
    if (stamp !== null) fail(`${root} holds an older patch set and fengari-pristine is not installed; reinstall fengari`);
    return null;
  }
};
const pristine = process.argv[2] ? null : pristineSources();
if (pristine !== null) {
  for (const name of fs.readdirSync(pristine)) fs.copyFileSync(path.join(pristine, name), path.join(srcDir, name));
}

/** What a patch gets: the names of Fengari's source files and ways to edit them. */
const src = {
  names: () => fs.readdirSync(srcDir).filter((n) => n.endsWith('.js')),
  read: (name) => fs.readFileSync(path.join(srcDir, name), 'utf8'),
  /** Rewrites a file; whether it changed. */
  edit(name, transform) {
    const before = this.read(name);
    const after = transform(before);
    if (after !== before) fs.writeFileSync(path.join(srcDir, name), after);
    return after !== before;
  },
  /** Replaces the first `from` with `to` (1, the count of changes); fails when `from` is not there. */
  replaceOnce(name, from, to, what) {
    const source = this.read(name);
    if (!source.includes(from)) fail(`${current}: ${what} not found in ${name}; not patched`);
    fs.writeFileSync(path.join(srcDir, name), source.replace(from, () => to));
    return 1;
  },
};

let current = '';
let changed = 0;
for (const file of set.files) {
  current = path.basename(file, '.js');
  const n = require(file)(src);
  if (!(n > 0)) fail(`${current} changed nothing: its target text is missing from ${root}`);
  changed += n;
}
fs.writeFileSync(stampFile, JSON.stringify({ version, digest: set.digest, patches: set.ids }, null, 1) + '\n');
console.log(`patch-fengari: ${set.ids.length} patches, ${changed} changes`);

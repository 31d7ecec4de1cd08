'use strict';
/**
 * The patch set wisp applies to Fengari, as scripts/patch-fengari.js applies it and the engine checks it at
 * start-up (src/engine/fengari-patches.ts): the patch files in name order and one digest of their names and
 * contents, so that a patch added, removed or edited since the sources were patched is noticed.
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

/** The stamp file, beside Fengari's package.json, that records the set applied. */
const STAMP = 'wisp-patches.json';
const PATCH_DIR = path.join(__dirname, 'fengari-patches');

function patchSet() {
  const names = fs.readdirSync(PATCH_DIR).filter((n) => /^\d\d-[a-z0-9-]+\.js$/.test(n)).sort();
  const hash = crypto.createHash('sha256');
  for (const name of names) hash.update(name).update('\0').update(fs.readFileSync(path.join(PATCH_DIR, name))).update('\0');
  return {
    ids: names.map((n) => n.slice(0, -3)),
    files: names.map((n) => path.join(PATCH_DIR, n)),
    digest: hash.digest('hex'),
  };
}

module.exports = { patchSet, STAMP };

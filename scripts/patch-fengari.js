#!/usr/bin/env node
'use strict';
/**
 * Runs after `npm install`/`npm ci`. Fengari 0.1.5 pops its stack with `delete L.stack[i]`, which V8 handles
 * far more slowly than a plain store; every Lua call and return pays for it (a third of the time of a host
 * function call, notes/fengari.md §4). Replacing the deletes with `= undefined` stores keeps the semantics
 * (a popped slot reads as undefined either way) and halves the cost of a call from Lua into JS.
 *
 * With a count hook set (wisp's preemption), the VM calls luaG_traceexec before every instruction only to
 * decrement a counter; the second patch does that decrement inline and calls traceexec only when it would
 * do more (count reaching zero, a line hook, or resuming after a hook yield), exactly as traceexec decides.
 * Idempotent; refuses to touch any other Fengari version.
 */
const fs = require('fs');
const path = require('path');

const root = path.dirname(require.resolve('fengari/package.json'));
const { version } = require(path.join(root, 'package.json'));
if (version !== '0.1.5') {
  console.error(`patch-fengari: expected fengari 0.1.5, found ${version}; not patching`);
  process.exit(1);
}
const DELETE_SLOT = /delete ((?:L|L1|from)\.stack\[[^;\]]*(?:\[[^\]]*\])?[^;\]]*\]);/g;
let changed = 0;
for (const name of fs.readdirSync(path.join(root, 'src'))) {
  if (!name.endsWith('.js')) continue;
  const file = path.join(root, 'src', name);
  const source = fs.readFileSync(file, 'utf8');
  const patched = source.replace(DELETE_SLOT, (_, slot) => {
    changed++;
    return `${slot} = undefined;`;
  });
  if (patched !== source) fs.writeFileSync(file, patched);
}
const TRACE_CALL = `        if (L.hookmask & (LUA_MASKLINE | LUA_MASKCOUNT)) {
            ldebug.luaG_traceexec(L);
        }`;
const TRACE_INLINE = `        if (L.hookmask & (LUA_MASKLINE | LUA_MASKCOUNT)) {
            if (L.hookcount > 1 && !(L.hookmask & LUA_MASKLINE)) L.hookcount--; /* wisp: inline count */
            else ldebug.luaG_traceexec(L);
        }`;
const lvm = path.join(root, 'src', 'lvm.js');
const vmSource = fs.readFileSync(lvm, 'utf8');
if (vmSource.includes(TRACE_CALL)) {
  fs.writeFileSync(lvm, vmSource.replace(TRACE_CALL, TRACE_INLINE));
  changed++;
} else if (!vmSource.includes(TRACE_INLINE)) {
  console.error('patch-fengari: luaV_execute hook check not found; not patched');
  process.exit(1);
}
console.log(`patch-fengari: ${changed} changes`);

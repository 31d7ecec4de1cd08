'use strict';
/**
 * Fengari pops its stack with `delete L.stack[i]`, which V8 handles far more slowly than a plain store; every
 * Lua call and return pays for it (a third of the time of a host function call, notes/fengari.md §4).
 * Replacing the deletes with `= undefined` stores keeps the semantics (a popped slot reads as undefined either
 * way) and halves the cost of a call from Lua into JS.
 */
const DELETE_SLOT = /delete ((?:L|L1|from)\.stack\[[^;\]]*(?:\[[^\]]*\])?[^;\]]*\]);/g;

module.exports = function stackDeletes(src) {
  let changed = 0;
  for (const name of src.names()) {
    src.edit(name, (source) =>
      source.replace(DELETE_SLOT, (_, slot) => {
        changed++;
        return `${slot} = undefined;`;
      }),
    );
  }
  return changed;
};

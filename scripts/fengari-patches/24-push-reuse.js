'use strict';
/**
 * Every value a host function (or the table library's sort, through lua_geti and lua_call) pushes was a new
 * TValue, and every lua_pop/lua_setfield/lua_settable dropped the slot's object (`= undefined`), so the next push
 * made one again: a call into a JS function allocated an object per argument and result. As patch 20 does for
 * Lua frames, a push now reuses the object of the slot it fills and a pop keeps it (made nil), except below
 * `L.wisp_uptop`, where an open upvalue may share a slot's object: there a push makes a new object and a pop
 * drops it, as before.
 */
const MARK = '/* wisp: 24-push-reuse.js */';

const HELPERS = `
/* Sets the slot at the top to (type, value), reusing its object unless an open upvalue may share it. */
const wisp_push = function(L, type, value) { ${MARK}
    const top = L.top;
    const o = L.stack[top];
    if (o === undefined || top < L.wisp_uptop) L.stack[top] = new TValue(type, value);
    else { o.type = type; o.value = value; }
};
/* Pops one slot, keeping its object (made nil) unless an open upvalue may share it. */
const wisp_pop = function(L) { ${MARK}
    const top = --L.top;
    const o = L.stack[top];
    if (o === undefined || top < L.wisp_uptop) L.stack[top] = undefined;
    else { o.type = LUA_TNIL; o.value = null; }
};
const pushobj2s = function(L, tv) {
    wisp_push(L, tv.type, tv.value);
    L.top++;
};
const pushsvalue2s = function(L, ts) {
    wisp_push(L, LUA_TLNGSTR, ts);
    L.top++;
};`;

/** `L.stack[L.top] = new TValue(type, value);` in lapi.js: every push of a value it makes (not `new TValue()`). */
const API_PUSH = /L\.stack\[L\.top\] = new (?:lobject\.)?TValue\(([^()]+)\);/g;
const API_PUSHES = 15;
const API_POP = /L\.stack\[--L\.top\] = undefined;/g;

module.exports = function pushReuse(src) {
  let n = src.replaceOnce(
    'lobject.js',
    `
const pushobj2s = function(L, tv) {
    L.stack[L.top++] = new TValue(tv.type, tv.value);
};
const pushsvalue2s = function(L, ts) {
    L.stack[L.top++] = new TValue(LUA_TLNGSTR, ts);
};`,
    HELPERS,
    'pushobj2s/pushsvalue2s',
  );
  n += src.replaceOnce(
    'lobject.js',
    'module.exports.pushobj2s         = pushobj2s;',
    `module.exports.pushobj2s         = pushobj2s;\nmodule.exports.wisp_push         = wisp_push; ${MARK}\nmodule.exports.wisp_pop          = wisp_pop;`,
    'the exports of lobject.js',
  );
  const api = src.read('lapi.js');
  const pushes = (api.match(API_PUSH) || []).length;
  const pops = (api.match(API_POP) || []).length;
  if (pushes !== API_PUSHES) throw new Error(`24-push-reuse: expected ${API_PUSHES} pushes in lapi.js, found ${pushes}; not patched`);
  if (pops === 0) throw new Error('24-push-reuse: no pops found in lapi.js; not patched');
  src.edit('lapi.js', (s) => s.replace(API_PUSH, (_, args) => `lobject.wisp_push(L, ${args});`).replace(API_POP, 'lobject.wisp_pop(L);'));
  return n + pushes + pops;
};

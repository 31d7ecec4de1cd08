'use strict';
/**
 * `lua_getfield`, `lua_setfield`, `lua_getglobal` and `lua_setglobal` take the field name as a JS string and
 * made a Lua string of it on every call: its bytes twice (to_luastring, then luaS_new's copy), a new TString,
 * and its hash again when it is looked up. Host functions name the same few fields on every call, so the
 * TString of a JS-string name is kept (at most 1024 names; the cache starts over when full). Lua strings are
 * immutable and belong to no state, so one TString can serve every state.
 */
const MARK = '/* wisp: 14-field-names.js */';

const HELPER = `const field_names = new Map(); ${MARK}
const field_name = function(L, k) {
    if (typeof k !== "string") return luaS_new(L, from_userstring(k));
    let ts = field_names.get(k);
    if (ts === undefined) {
        if (field_names.size >= 1024) field_names.clear();
        ts = luaS_new(L, from_userstring(k));
        field_names.set(k, ts);
    }
    return ts;
};

const auxsetstr = function(L, t, k) {
    let str = field_name(L, k);`;

module.exports = function fieldNames(src) {
  let n = src.replaceOnce('lapi.js', 'const auxsetstr = function(L, t, k) {\n    let str = luaS_new(L, from_userstring(k));', HELPER, 'auxsetstr');
  n += src.replaceOnce(
    'lapi.js',
    'const auxgetstr = function(L, t, k) {\n    let str = luaS_new(L, from_userstring(k));',
    'const auxgetstr = function(L, t, k) {\n    let str = field_name(L, k);',
    'auxgetstr',
  );
  return n;
};

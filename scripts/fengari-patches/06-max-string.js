'use strict';
/**
 * A maximum Lua string size (src/engine/spec.md "Memory"). Unpatched, `string.rep("x", 1e9)` asks V8 for a
 * gigabyte and `..`, table.concat, string.format or gsub in a loop grow one string without bound; each of them
 * can take the whole runtime down. Every Lua string that grows is made in one of three places, and each now
 * refuses to go past `wisp_limits.max_string` with an ordinary Lua error:
 *  - luaL_prepbuffsize (lauxlib): every luaL_Buffer (string.rep, table.concat, string.format, gsub, string.char,
 *    string.pack, utf8.char, tostring...). Its doubling is also capped, so a buffer never exceeds the limit;
 *  - luaV_concat (lvm): the `..` operator and lua_concat;
 *  - save (llex): one token of a chunk being compiled (a long string literal, or a `load` reader that never ends).
 * `wisp_limits` lives in luaconf.js so that all three share it; wisp sets `max_string` and `on_big` (called
 * with the thread and the size whenever a buffer of `big` bytes or more is allocated: the memory watchdog
 * checks the heap there, since off-heap string bytes grow much faster than the instruction count).
 */
const LIMITS = `
/* wisp: limits shared by lauxlib, lvm and llex (scripts/fengari-patches/06-max-string.js) */
module.exports.wisp_limits = { max_string: 64 * 1024 * 1024, big: 1024 * 1024, on_big: null };
`;

const PREP_FROM = `const luaL_prepbuffsize = function(B, sz) {
    let newend = B.n + sz;
    if (B.b.length < newend) {
        let newsize = Math.max(B.b.length * 2, newend);  /* double buffer size */`;
const PREP_TO = `const luaL_prepbuffsize = function(B, sz) {
    let newend = B.n + sz;
    if (B.b.length < newend) {
        if (newend > wisp_limits.max_string) /* wisp: bounded strings */
            luaL_error(B.L, to_luastring("string too large (max %d bytes)"), wisp_limits.max_string);
        let newsize = Math.min(Math.max(B.b.length * 2, newend), wisp_limits.max_string);  /* double buffer size */
        if (newsize >= wisp_limits.big && wisp_limits.on_big !== null) wisp_limits.on_big(B.L, newsize);`;

const CONCAT_FROM = `            let buff = new Uint8Array(tl);
            copy2buff(L, top, n, buff);`;
const CONCAT_TO = `            if (tl > wisp_limits.max_string) /* wisp: bounded strings */
                ldebug.luaG_runerror(L, to_luastring("string too large (max %d bytes)"), wisp_limits.max_string);
            if (tl >= wisp_limits.big && wisp_limits.on_big !== null) wisp_limits.on_big(L, tl);
            let buff = new Uint8Array(tl);
            copy2buff(L, top, n, buff);`;

const SAVE_FROM = `        if (b.buffer.length >= MAX_INT/2)`;
const SAVE_TO = `        if (b.buffer.length >= MAX_INT/2 || b.buffer.length * 2 > wisp_limits.max_string) /* wisp */`;

/** Each patched file binds the shared limits once, at load. */
const STRICT = '"use strict";\n';
const BIND = `"use strict";\nconst wisp_limits = require('./luaconf.js').wisp_limits; /* wisp: 06-max-string.js */\n`;

module.exports = function maxString(src) {
  let changed = 0;
  changed += src.edit('luaconf.js', (s) => (s.includes('wisp_limits') ? s : s + LIMITS)) ? 1 : 0;
  for (const name of ['lauxlib.js', 'lvm.js', 'llex.js']) changed += src.replaceOnce(name, STRICT, BIND, '"use strict"');
  changed += src.replaceOnce('lauxlib.js', PREP_FROM, PREP_TO, 'luaL_prepbuffsize');
  changed += src.replaceOnce('lvm.js', CONCAT_FROM, CONCAT_TO, 'luaV_concat buffer');
  changed += src.replaceOnce('llex.js', SAVE_FROM, SAVE_TO, 'llex save');
  return changed;
};

'use strict';
/**
 * Fengari copies the bytes of every string it makes (lua_pushstring, luaS_new, to_luastring) with
 * `Uint8Array.from`, which goes through the iteration protocol: about 0.7 µs for 11 bytes, against 0.16 µs for
 * `new Uint8Array(bytes)`, the native copy. Both accept what Fengari passes (typed arrays and plain arrays of
 * byte values) and give the same bytes.
 */
const FROM = 'luastring_from = Uint8Array.from.bind(Uint8Array);';
const NATIVE = 'luastring_from = function(a) { return new Uint8Array(a); }; /* wisp: 12-string-copy.js */';

module.exports = function stringCopy(src) {
  return src.replaceOnce('defs.js', FROM, NATIVE, 'luastring_from');
};

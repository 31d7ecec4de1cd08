'use strict';
/**
 * Table keys that are strings are found through a JS Map keyed by `luaS_hash` of their bytes. Fengari's hash is
 * "|" followed by each byte in hex without padding, so different strings share a key ("\1\17" and "\17\1" are
 * both "|111") and one overwrites the other in every table: a wrong result any Lua code can run into. It is also
 * slow (one toString and one concatenation per byte, for every string used as a key). This hash is "|" followed
 * by one character per byte (codes 0-255): one to one, and built natively. The lexer's keyword table uses the
 * same function, so it stays consistent.
 */
const HASH = `const luaS_hash = function(str) {
    lua_assert(is_luastring(str));
    let len = str.length;
    let s = "|";
    for (let i=0; i<len; i++)
        s += str[i].toString(16);
    return s;
};`;
const ONE_TO_ONE = `const luaS_hash = function(str) { /* wisp: 10-string-hash.js */
    lua_assert(is_luastring(str));
    let len = str.length;
    if (len <= 4096) return "|" + String.fromCharCode.apply(null, str);
    let s = "|";
    for (let i = 0; i < len; i += 4096)
        s += String.fromCharCode.apply(null, str.subarray(i, i + 4096));
    return s;
};`;

module.exports = function stringHash(src) {
  return src.replaceOnce('lstring.js', HASH, ONE_TO_ONE, 'luaS_hash');
};

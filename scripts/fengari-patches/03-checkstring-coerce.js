'use strict';
/**
 * Wippy's VM (go-lua) lets an error value stand in wherever a library function checks for a string argument
 * (its CheckString accepts strings, numbers and error objects, the last as their message), so
 * `string.find(err, "not found")` works on the error `process.send` returns. Fengari's luaL_checklstring
 * only accepts strings and numbers. This patch makes it also accept a value whose metatable has a truthy
 * `__wisp_coerce` field (wisp sets it on error objects): the argument is converted with its `__tostring`,
 * the string replaces it in its stack slot (as lua_tolstring does for numbers, so a host function that reads
 * the slot again sees the string) and is returned. Other values still raise "string expected, got ...".
 */
const FROM = `const luaL_checklstring = function(L, arg) {
    let s = lua_tolstring(L, arg);
    if (s === null || s === undefined) tag_error(L, arg, LUA_TSTRING);
    return s;
};`;

const TO = `const luaL_checklstring = function(L, arg) {
    let s = lua_tolstring(L, arg);
    if ((s === null || s === undefined) && luaL_getmetafield(L, arg, to_luastring("__wisp_coerce", true)) !== LUA_TNIL) {
        /* wisp: error objects coerce to their message (scripts/fengari-patches/03-checkstring-coerce.js) */
        const coerce = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (coerce) {
            const at = lua_absindex(L, arg);
            luaL_tolstring(L, at);
            lua_copy(L, -1, at);
            lua_pop(L, 1);
            s = lua_tolstring(L, at);
        }
    }
    if (s === null || s === undefined) tag_error(L, arg, LUA_TSTRING);
    return s;
};`;

module.exports = function checkstringCoerce(src) {
  return src.replaceOnce('lauxlib.js', FROM, TO, 'luaL_checklstring');
};

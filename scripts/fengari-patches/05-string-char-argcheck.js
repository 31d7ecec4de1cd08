'use strict';
/**
 * Fengari's string.char passes its argcheck message where the argument number belongs, so
 * `string.char(-1)` raised the JS text "expects an array of bytes or javascript string" instead of Lua's
 * "bad argument #1 to 'char' (value out of range)".
 */
const FROM = 'luaL_argcheck(L, c >= 0 && c <= 255, "value out of range");';
const TO = 'luaL_argcheck(L, c >= 0 && c <= 255, i, "value out of range"); /* wisp: argument number */';

module.exports = function stringCharArgcheck(src) {
  return src.replaceOnce('lstrlib.js', FROM, TO, 'string.char argcheck');
};

'use strict';
/**
 * Compiling a chunk runs in JS with no VM instructions, so the count hook never fires inside it: `load` of a
 * 4 MB chunk kept the whole runtime for seconds. This counts tokens and, every 4096 of them, calls the hook the
 * host put on the global state (`L.l_G.wisp_match_hook`, as 04-match-steps.js does for pattern matching), which
 * may raise a Lua error to stop a runaway compile (lua_load then fails with it).
 */
const FROM = `const llex = function(ls, seminfo) {
    luaZ_resetbuffer(ls.buff);
`;
const TO = `let wisp_tokens = 0; /* wisp: token counter */
const llex = function(ls, seminfo) {
    if (++wisp_tokens >= 4096) {
        wisp_tokens = 0;
        const wisp_hook = ls.L.l_G.wisp_match_hook;
        if (wisp_hook) wisp_hook(ls.L);
    }
    luaZ_resetbuffer(ls.buff);
`;

module.exports = function parseSteps(src) {
  return src.replaceOnce('llex.js', FROM, TO, 'llex llex()');
};

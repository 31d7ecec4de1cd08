'use strict';
/**
 * With a count hook set (wisp's preemption), the VM calls luaG_traceexec before every instruction only to
 * decrement a counter. This does that decrement inline and calls traceexec only when it would do more (count
 * reaching zero, a line hook, or resuming after a hook yield), exactly as traceexec decides.
 */
const TRACE_CALL = `        if (L.hookmask & (LUA_MASKLINE | LUA_MASKCOUNT)) {
            ldebug.luaG_traceexec(L);
        }`;
const TRACE_INLINE = `        if (L.hookmask & (LUA_MASKLINE | LUA_MASKCOUNT)) {
            if (L.hookcount > 1 && !(L.hookmask & LUA_MASKLINE)) L.hookcount--; /* wisp: inline count */
            else ldebug.luaG_traceexec(L);
        }`;

module.exports = function inlineCountHook(src) {
  return src.replaceOnce('lvm.js', TRACE_CALL, TRACE_INLINE, 'luaV_execute hook check');
};

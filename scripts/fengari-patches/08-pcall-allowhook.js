'use strict';
/**
 * A Fengari bug: lua_pcallk, in a yieldable thread (every wisp process), saves the thread's "hooks allowed" flag
 * as `ci.callstatus &= ~CIST_OAH | L.allowhook`, which can clear the saved bit but never set it (C Lua:
 * `setoah(ci->callstatus, L->allowhook)`). When an error unwinds to that pcall, `recover` restores allowhook
 * from the bit, so it restores 0: from then on no hook runs on the thread. In wisp that means a process that
 * once caught an error with pcall is never preempted again (`pcall(error, "x") while true do end` freezes the
 * runtime), and the memory watchdog cannot stop a process that catches its "out of memory" error.
 */
const BUG = 'ci.callstatus &= ~lstate.CIST_OAH | L.allowhook;';
const FIX = 'ci.callstatus = (ci.callstatus & ~lstate.CIST_OAH) | L.allowhook; /* wisp: 08-pcall-allowhook.js */';

module.exports = function pcallAllowhook(src) {
  return src.replaceOnce('lapi.js', BUG, FIX, 'lua_pcallk setoah');
};

'use strict';
/**
 * A yield from a host function without a JS throw. Fengari yields the way C Lua longjmps: lua_yieldk throws,
 * and V8 unwinds every frame up to the try/catch in lua_resume; the throw and the unwind are most of the cost
 * of a blocking call (one yield round trip, issue 14). In the common case nothing between lua_resume and the
 * host function has work to do on the way out: the host function was called by luaV_execute's OP_CALL or
 * OP_TAILCALL, by `resume` starting a coroutine, or is a continuation called by `resume`/`finishCcall`, all at
 * the thread's base JS level (L.nCcalls as lua_resume set it; every luaD_call, so every metamethod, library
 * callback and lua_callk, adds one). There `wisp_yieldk` leaves exactly the state lua_yieldk leaves, marks the
 * resume as yielded and returns -1; the host function returns that, and each of those callers returns at once
 * (precall before luaD_poscall, luaV_execute before touching the stack, resume/unroll before the next frame),
 * so lua_resume returns LUA_YIELD as if it had caught the throw. Anywhere else (hooks, nested calls, nny > 0)
 * wisp_yieldk is lua_yieldk. Only callers that `return` its result use it: the scheduler's block/reschedule and
 * coroutine.yield; lua_yield/lua_yieldk keep their throwing behaviour for everyone else.
 */
const MARK = '/* wisp: 09-yield-without-throw.js */';
const YIELDED = `if (L.status === LUA_YIELD) return; ${MARK}`;

module.exports = function yieldWithoutThrow(src) {
  let n = 0;
  n += src.replaceOnce('lstate.js', `        this.nCcalls = 0;\n`,
    `        this.nCcalls = 0;\n        this.wisp_baseCcalls = -1; ${MARK} /* nCcalls of the running resume */\n`, 'lua_State nCcalls');
  n += src.replaceOnce('ldo.js', `const lua_yield = function(L, n) {`, `const wisp_yieldk = function(L, nresults, ctx, k) { ${MARK}
    let ci = L.ci;
    if (L.nny > 0 || (ci.callstatus & lstate.CIST_LUA) || L.nCcalls !== L.wisp_baseCcalls || L.errorJmp === null)
        return lua_yieldk(L, nresults, ctx, k);
    lapi.api_checknelems(L, nresults);
    L.status = LUA_YIELD;
    ci.extra = ci.funcOff;
    ci.c_k = k;
    if (k !== null) ci.c_ctx = ctx;
    ci.funcOff = L.top - nresults - 1;
    ci.func = L.stack[ci.funcOff];
    L.errorJmp.status = LUA_YIELD; /* what luaD_throw would have set */
    return -1;
};

const lua_yield = function(L, n) {`, 'lua_yield');
  n += src.replaceOnce('ldo.js', `module.exports.lua_yieldk           = lua_yieldk;`,
    `module.exports.lua_yieldk           = lua_yieldk;\nmodule.exports.wisp_yieldk          = wisp_yieldk; ${MARK}`, 'ldo exports');
  n += src.replaceOnce('ldo.js', `            let n = f(L); /* do the actual call */
            if (typeof n !== "number" || n < 0 || (n|0) !== n)
                throw Error("invalid return value from JS function (expected integer)");`,
  `            let n = f(L); /* do the actual call */
            if (typeof n !== "number" || n < 0 || (n|0) !== n) {
                if (n === -1 && L.status === LUA_YIELD) return true; ${MARK}
                throw Error("invalid return value from JS function (expected integer)");
            }`, 'luaD_precall JS call');
  n += src.replaceOnce('ldo.js', `    let n = c_k(L, status, ci.c_ctx);  /* call continuation function */\n`,
    `    let n = c_k(L, status, ci.c_ctx);  /* call continuation function */\n    ${YIELDED}\n`, 'finishCcall continuation');
  n += src.replaceOnce('ldo.js', `    if (ud !== null)  /* error status? */
        finishCcall(L, ud);  /* finish 'lua_pcallk' callee */
`, `    if (ud !== null) {  /* error status? */
        finishCcall(L, ud);  /* finish 'lua_pcallk' callee */
        ${YIELDED}
    }
`, 'unroll error status');
  n += src.replaceOnce('ldo.js', `            lvm.luaV_execute(L);  /* execute down to higher C 'boundary' */
        }
`, `            lvm.luaV_execute(L);  /* execute down to higher C 'boundary' */
        }
        ${YIELDED}
`, 'unroll loop');
  n += src.replaceOnce('ldo.js', `                n = ci.c_k(L, LUA_YIELD, ci.c_ctx); /* call continuation */\n`,
    `                n = ci.c_k(L, LUA_YIELD, ci.c_ctx); /* call continuation */\n                ${YIELDED}\n`, 'resume continuation');
  n += src.replaceOnce('ldo.js', `        unroll(L, null);  /* run continuation */`,
    `        ${YIELDED}\n        unroll(L, null);  /* run continuation */`, 'resume unroll');
  n += src.replaceOnce('ldo.js', `    L.nCcalls = from ? from.nCcalls + 1 : 1;
    if (L.nCcalls >= LUAI_MAXCCALLS)
        return resume_error(L, "JS stack overflow", nargs);
`, `    L.nCcalls = from ? from.nCcalls + 1 : 1;
    if (L.nCcalls >= LUAI_MAXCCALLS)
        return resume_error(L, "JS stack overflow", nargs);
    L.wisp_baseCcalls = L.nCcalls; ${MARK}
`, 'lua_resume nCcalls');
  n += src.replaceOnce('lvm.js', `                if (ldo.luaD_precall(L, ra, nresults)) {
                    if (nresults >= 0)`, `                if (ldo.luaD_precall(L, ra, nresults)) {
                    if (L.status === 1 /* LUA_YIELD */) return; ${MARK}
                    if (nresults >= 0)`, 'OP_CALL');
  n += src.replaceOnce('lvm.js', `                if (ldo.luaD_precall(L, ra, LUA_MULTRET)) { // JS function
`, `                if (ldo.luaD_precall(L, ra, LUA_MULTRET)) { // JS function
                    if (L.status === 1 /* LUA_YIELD */) return; ${MARK}
`, 'OP_TAILCALL');
  n += src.replaceOnce('lua.js', `module.exports.lua_yieldk              = ldo.lua_yieldk;`,
    `module.exports.lua_yieldk              = ldo.lua_yieldk;\nmodule.exports.wisp_yieldk             = ldo.wisp_yieldk; ${MARK}`, 'lua exports');
  n += src.replaceOnce('lcorolib.js', `    lua_yield\n} = require('./lua.js');`, `    lua_yield,\n    wisp_yieldk ${MARK}\n} = require('./lua.js');`,
    'lcorolib imports');
  n += src.replaceOnce('lcorolib.js', `    return lua_yield(L, lua_gettop(L));`, `    return wisp_yieldk(L, lua_gettop(L), 0, null); ${MARK}`,
    'coroutine.yield');
  return n;
};

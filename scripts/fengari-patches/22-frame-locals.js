'use strict';
/**
 * Fengari's luaV_execute reloaded the running function's closure, constants and base, and checked that its
 * CallInfo is the thread's, before every instruction; C Lua loads them when it enters a frame. They change only
 * where the loop already goes back to `newframe` (a call, a return, a tail call), so they are loaded there and
 * an inner loop runs the frame's instructions. The assertions on return (that the caller is a Lua function
 * stopped at a call), always true, are dropped with them.
 */
const MARK = '/* wisp: 22-frame-locals.js */';

const EDITS = [
  [
    `    newframe:
    for (;;) {
        lua_assert(ci === L.ci);
        let cl = ci.func.value;
        let k = cl.p.k;
        let base = ci.l_base;

        let i = ci.l_code[ci.l_savedpc++];
`,
    `    newframe:
    for (;;) {
        let cl = ci.func.value; ${MARK}
        let k = cl.p.k;
        let base = ci.l_base;
        let code = ci.l_code;
        for (;;) { /* the frame's instructions, until a call, return or tail call goes back to newframe */

        let i = code[ci.l_savedpc++];
`,
    'the frame loads of luaV_execute',
  ],
  [
    `                if (b) ldo.adjust_top(L, ci.top);
                lua_assert(ci.callstatus & lstate.CIST_LUA);
                lua_assert(ci.l_code[ci.l_savedpc - 1].opcode === OP_CALL);
                continue newframe;`,
    `                if (b) ldo.adjust_top(L, ci.top);
                continue newframe;`,
    'the assertions of OP_RETURN',
  ],
  [
    `            case OP_EXTRAARG: {
                throw Error("invalid opcode");
            }
        }
    }
};`,
    `            case OP_EXTRAARG: {
                throw Error("invalid opcode");
            }
        }
        } ${MARK}
    }
};`,
    'the end of luaV_execute',
  ],
];

module.exports = function frameLocals(src) {
  let n = 0;
  for (const [from, to, what] of EDITS) n += src.replaceOnce('lvm.js', from, to, what);
  return n;
};

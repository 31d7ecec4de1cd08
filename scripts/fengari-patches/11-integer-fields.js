'use strict';
/**
 * Fengari starts the integer fields of CallInfo (funcOff, top, l_base, l_savedpc, nresults, callstatus) and
 * lua_State (top, stack_last, oldpc) as NaN. To V8 a field first given NaN holds doubles: every CallInfo (one
 * per call) then allocates a heap number per such field, and every read of L.top or ci.l_savedpc (each VM
 * instruction) goes through one. Starting them at 0 keeps them small integers (every one is set before it is
 * read). `extra` (where a yield or a pcall saves funcOff) is declared too, so that yielding never changes the
 * shape of a CallInfo.
 */
const MARK = '/* wisp: 11-integer-fields.js */';

const CALLINFO = [
  ['        this.funcOff = NaN;\n        this.top = NaN;\n', `        this.funcOff = 0; ${MARK}\n        this.top = 0;\n        this.extra = 0;\n`],
  ['        this.l_base = NaN; /* base for this function */', '        this.l_base = 0; /* base for this function */'],
  ['        this.l_savedpc = NaN; /* offset into l_code */', '        this.l_savedpc = 0; /* offset into l_code */'],
  ['        this.nresults = NaN;\n        this.callstatus = NaN;\n', '        this.nresults = 0;\n        this.callstatus = 0;\n'],
  ['        this.top = NaN; /* first free slot in the stack */', `        this.top = 0; /* first free slot in the stack */ ${MARK}`],
  ['        this.stack_last = NaN; /* last free slot in the stack */', '        this.stack_last = 0; /* last free slot in the stack */'],
  ['        this.oldpc = NaN; /* last pc traced */', '        this.oldpc = 0; /* last pc traced */'],
];

module.exports = function integerFields(src) {
  let n = 0;
  for (const [from, to] of CALLINFO) n += src.replaceOnce('lstate.js', from, to, `lstate field ${from.trim().split(' ')[0]}`);
  return n;
};

'use strict';
/**
 * Fengari makes a new CallInfo (fifteen fields) for every call and drops it on return, where C Lua keeps the
 * list and reuses the next entry. Here a returning frame stays linked as its caller's `next` and the next call
 * at that depth takes it back, its continuation fields cleared as a new one's are. Entries deeper than
 * KEEP_DEPTH are dropped on return as before, so a deep recursion holds no more than that many spare entries.
 */
const MARK = '/* wisp: 21-callinfo-reuse.js */';
const KEEP_DEPTH = 64;

const EDITS = [
  [
    'lstate.js',
    '        this.nresults = 0;\n        this.callstatus = 0;\n    }\n',
    `        this.nresults = 0;\n        this.callstatus = 0;\n        this.wisp_depth = 0; ${MARK} /* frames below it */\n    }\n`,
    'CallInfo.wisp_depth',
  ],
  [
    'lstate.js',
    `const luaE_extendCI = function(L) {
    let ci = new CallInfo();
    L.ci.next = ci;`,
    `const luaE_extendCI = function(L) {
    let ci = L.ci.next;
    if (ci !== null) { ${MARK} /* a frame that returned from this depth: reused, cleared as new */
        ci.extra = 0;
        ci.l_base = 0;
        ci.l_code = null;
        ci.l_savedpc = 0;
        ci.c_k = null;
        ci.c_old_errfunc = null;
        ci.c_ctx = null;
        L.ci = ci;
        return ci;
    }
    ci = new CallInfo();
    ci.wisp_depth = L.ci.wisp_depth + 1;
    L.ci.next = ci;`,
    'luaE_extendCI',
  ],
  [
    'ldo.js',
    '    L.ci = ci.previous;\n    L.ci.next = null;\n    return moveresults(',
    `    L.ci = ci.previous;\n    if (ci.wisp_depth > ${KEEP_DEPTH}) L.ci.next = null; ${MARK}\n    return moveresults(`,
    'luaD_poscall',
  ],
];

module.exports = function callInfoReuse(src) {
  let n = 0;
  for (const [file, from, to, what] of EDITS) n += src.replaceOnce(file, from, to, what);
  return n;
};

'use strict';
/**
 * Fengari's stack slots are TValue objects that instructions write into; it drops every slot above the top
 * (`= undefined`) and makes new ones as the top grows again, so a Lua call and its return allocate a TValue for
 * each register of the callee's frame and again for the caller's (fib(27) allocates millions). A slot's object
 * is kept when the top falls and made nil again when it rises, except where an upvalue may share it: an open
 * upvalue IS its stack slot's object (luaF_findupval), so reusing that object would write into a closure's
 * variable. `L.wisp_uptop` bounds the slots an open upvalue may share: luaF_findupval raises it past the slot it
 * captures, and luaF_close(level), which now also drops every slot it leaves behind above the top, lowers it to
 * level. Below it the stack is handled as before; from it up no upvalue holds a slot, and luaF_close has nothing
 * to copy there either.
 */
const MARK = '/* wisp: 20-stack-reuse.js */';

const ADJUST_TOP_BEFORE = `const adjust_top = function(L, newtop) {
    if (L.top < newtop) {
        while (L.top < newtop)
            L.stack[L.top++] = new lobject.TValue(LUA_TNIL, null);
    } else {
        while (L.top > newtop)
            L.stack[--L.top] = undefined;
    }
};`;

const ADJUST_TOP_AFTER = `const adjust_top = function(L, newtop) { ${MARK}
    const keep = L.wisp_uptop; /* from here up, no upvalue shares a slot's object */
    let top = L.top;
    if (top < newtop) {
        for (; top < newtop; top++) {
            const o = L.stack[top];
            if (o === undefined || top < keep) L.stack[top] = new lobject.TValue(LUA_TNIL, null);
            else { o.type = LUA_TNIL; o.value = null; }
        }
    } else {
        while (top > newtop) {
            top--;
            if (top < keep) L.stack[top] = undefined;
            else {
                const o = L.stack[top];
                if (o !== undefined) { o.type = LUA_TNIL; o.value = null; }
            }
        }
    }
    L.top = top;
};

/* Drops the slots from 'from' down to 'newtop' (both included), keeping the objects no upvalue shares. */
const wisp_drop = function(L, from, newtop) { ${MARK}
    const keep = L.wisp_uptop;
    for (let i = from; i >= newtop; i--) {
        const o = L.stack[i];
        if (i < keep || o === undefined) L.stack[i] = undefined;
        else { o.type = LUA_TNIL; o.value = null; }
    }
};`;

const EDITS = [
  ['ldo.js', ADJUST_TOP_BEFORE, ADJUST_TOP_AFTER, 'adjust_top'],
  [
    'ldo.js',
    '            for (let i=L.top; i>=(res + nres); i--)\n                L.stack[i] = undefined;\n',
    '            wisp_drop(L, L.top, res + nres);\n',
    'moveresults (LUA_MULTRET)',
  ],
  [
    'ldo.js',
    '    for (let i=L.top; i>=newtop; i--)\n        L.stack[i] = undefined;\n    L.top = newtop;\n    return true;',
    '    wisp_drop(L, L.top, newtop);\n    L.top = newtop;\n    return true;',
    'moveresults (fixed results)',
  ],
  [
    'lfunc.js',
    `const luaF_findupval = function(L, level) {
    return L.stack[level];`,
    `const luaF_findupval = function(L, level) {
    if (level >= L.wisp_uptop) L.wisp_uptop = level + 1; ${MARK}
    return L.stack[level];`,
    'luaF_findupval',
  ],
  [
    'lfunc.js',
    `    for (let i=level; i<L.top; i++) {
        let old = L.stack[i];
        L.stack[i] = new lobject.TValue(old.type, old.value);
    }`,
    `    const uptop = L.wisp_uptop; ${MARK}
    if (uptop <= level) return; /* no upvalue shares a slot from level up */
    const end = L.top < uptop ? L.top : uptop;
    for (let i=level; i<end; i++) {
        let old = L.stack[i];
        L.stack[i] = new lobject.TValue(old.type, old.value);
    }
    /* slots left above the top may still be shared: drop them, so that no slot from level up is */
    for (let i = end > level ? end : level; i < uptop; i++) L.stack[i] = undefined;
    L.wisp_uptop = level;`,
    'luaF_close',
  ],
  ['lstate.js', '        this.errfunc = 0;\n    }\n', `        this.errfunc = 0;\n        this.wisp_uptop = 0; ${MARK} /* no slot at or above it is an open upvalue's */\n    }\n`, 'lua_State.wisp_uptop'],
];

module.exports = function stackReuse(src) {
  let n = 0;
  for (const [file, from, to, what] of EDITS) n += src.replaceOnce(file, from, to, what);
  return n;
};

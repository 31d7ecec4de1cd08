'use strict';
/**
 * Reading a table field (OP_GETTABLE, OP_GETTABUP, OP_SELF) went luaV_gettable -> luaH_get -> table_hash ->
 * getgeneric for every read. A table with the key present, read with a string or integer key, is now read in
 * the interpreter loop with one Map lookup; a missing key (where `__index` may apply), any other key type, or a
 * value that is not a table goes through luaV_gettable as before.
 */
const MARK = '/* wisp: 25-table-read-inline.js */';

const HELPER = `
/* The table entry for a string or integer key present in 't', or undefined (then the general path decides). */
const wisp_entry = function(t, key) { ${MARK}
    const kt = key.type;
    if (kt === LUA_TSHRSTR || kt === LUA_TLNGSTR) {
        const ts = key.value;
        return t.strong.get(ts.hash !== null ? ts.hash : luaS_hashlongstr(ts));
    }
    if (kt === LUA_TNUMINT) return t.strong.get(key.value);
    return undefined;
};

const luaV_execute = function(L) {`;

const EDITS = [
  ['\nconst luaV_execute = function(L) {', HELPER, 'luaV_execute'],
  [
    `            case OP_GETTABUP: {
                let upval = cl.upvals[i.B];
                let rc = RKC(L, base, k, i);
                luaV_gettable(L, upval, rc, ra);`,
    `            case OP_GETTABUP: {
                let upval = cl.upvals[i.B];
                let rc = RKC(L, base, k, i);
                let e = upval.type === LUA_TTABLE ? wisp_entry(upval.value, rc) : undefined; ${MARK}
                if (e !== undefined) L.stack[ra].setfrom(e.value);
                else luaV_gettable(L, upval, rc, ra);`,
    'OP_GETTABUP',
  ],
  [
    `            case OP_GETTABLE: {
                let rb = L.stack[RB(L, base, i)];
                let rc = RKC(L, base, k, i);
                luaV_gettable(L, rb, rc, ra);`,
    `            case OP_GETTABLE: {
                let rb = L.stack[RB(L, base, i)];
                let rc = RKC(L, base, k, i);
                let e = rb.type === LUA_TTABLE ? wisp_entry(rb.value, rc) : undefined; ${MARK}
                if (e !== undefined) L.stack[ra].setfrom(e.value);
                else luaV_gettable(L, rb, rc, ra);`,
    'OP_GETTABLE',
  ],
  [
    `                lobject.setobjs2s(L, ra + 1, rb);
                luaV_gettable(L, L.stack[rb], rc, ra);`,
    `                lobject.setobjs2s(L, ra + 1, rb);
                let t = L.stack[rb];
                let e = t.type === LUA_TTABLE ? wisp_entry(t.value, rc) : undefined; ${MARK}
                if (e !== undefined) L.stack[ra].setfrom(e.value);
                else luaV_gettable(L, t, rc, ra);`,
    'OP_SELF',
  ],
];

module.exports = function tableReadInline(src) {
  let n = 0;
  for (const [from, to, what] of EDITS) n += src.replaceOnce('lvm.js', from, to, what);
  return n;
};

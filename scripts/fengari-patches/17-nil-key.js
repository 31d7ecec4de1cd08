'use strict';
/**
 * Assignments through a nil or NaN key, as Wippy's VM (go-lua) does them. Standard Lua raises
 * "table index is nil" / "table index is NaN" for `t[k] = v`; go-lua's table stores any key it is given, so
 * there the assignment succeeds, and Wippy code relies on it (its acceptance test funcs:parallel writes
 * `results[i]` with `i` an undeclared global). What go-lua does, and so what this does:
 *  - `t[nil] = v` (the VM's table assignment, also lua_settable/lua_seti; through a metatable without
 *    `__newindex`, or at the end of a `__newindex` table chain) keeps `v` in one slot per table, outside its
 *    entries: `t[nil]` and `rawget(t, nil)` read it back, `t[nil] = nil` clears it. `next`/`pairs` and every
 *    host walk of a table skip it (go-lua's `next` returns it as the key nil, which ends a `pairs` loop part-way
 *    through the table at a point that depends on Go's map order).
 *  - `t[0/0] = v` changes nothing (go-lua stores it where no lookup or `next` ever finds it).
 *  - A table with a `__newindex` function still gets the call, with the nil or NaN key (standard Lua and
 *    go-lua alike), unless `t[nil]` already holds a value, which is then replaced.
 *  - `rawset(t, nil, v)` and `rawset(t, 0/0, v)` still raise (go-lua's RawSet checks both), and so does every
 *    other raw store (lua_rawset, which wisp's host code uses).
 */
const MARK = '/* wisp: 17-nil-key.js */';

const TABLE = [
  ['        this.flags = ~0;\n    }\n}', `        this.flags = ~0;\n        this.wisp_nil = void 0; ${MARK}\n    }\n}`],
  [
    `    if (key.ttisnil() || (key.ttisfloat() && isNaN(key.value)))
        return lobject.luaO_nilobject;
    return getgeneric(t, table_hash(L, key));`,
    `    if (key.ttisnil()) return t.wisp_nil || lobject.luaO_nilobject; ${MARK}
    if (key.ttisfloat() && isNaN(key.value))
        return lobject.luaO_nilobject;
    return getgeneric(t, table_hash(L, key));`,
  ],
  [
    'module.exports.luaH_setfrom = luaH_setfrom;\n',
    `module.exports.luaH_setfrom = luaH_setfrom;
module.exports.wisp_setloose = function(L, t, key, value) { ${MARK}
    /* the VM's store (lvm settable): a nil key has its own slot, a NaN key is dropped */
    if (key.ttisnil()) {
        t.wisp_nil = value.ttisnil() ? void 0 : new lobject.TValue(value.type, value.value);
        return;
    }
    if (key.ttisfloat() && isNaN(key.value)) return;
    luaH_setfrom(L, t, key, value);
};
`,
  ],
];

const SETTABLE_FROM = '                ltable.luaH_setfrom(L, h, key, val);\n                ltable.invalidateTMcache(h);';
const SETTABLE_TO = `                ltable.wisp_setloose(L, h, key, val); ${MARK}\n                ltable.invalidateTMcache(h);`;

module.exports = function nilKey(src) {
  let n = 0;
  for (const [from, to] of TABLE) n += src.replaceOnce('ltable.js', from, to, `ltable nil key (${from.trim().slice(0, 30)})`);
  n += src.replaceOnce('lvm.js', SETTABLE_FROM, SETTABLE_TO, 'settable store');
  return n;
};

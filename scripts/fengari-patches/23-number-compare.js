'use strict';
/**
 * OP_EQ, OP_LT and OP_LE called luaV_equalobj/luaV_lessthan/luaV_lessequal for every comparison, which test the
 * operands' types through several method calls before comparing two numbers. Two numbers (integer or float, in
 * any mix) compare here directly, exactly as those functions compare them (JS `===`, `<`, `<=` on the values:
 * integers and floats share JS numbers, NaN is unequal and unordered, -0.0 equals 0); anything else (strings,
 * tables, metamethods) takes the general path as before.
 */
const MARK = '/* wisp: 23-number-compare.js */';

const EDITS = [
  [
    `            case OP_EQ: {
                if (luaV_equalobj(L, RKB(L, base, k, i), RKC(L, base, k, i)) !== i.A)`,
    `            case OP_EQ: {
                let rb = RKB(L, base, k, i), rc = RKC(L, base, k, i); ${MARK}
                if (((rb.type & 0x0F) === LUA_TNUMBER && (rc.type & 0x0F) === LUA_TNUMBER
                    ? (rb.value === rc.value ? 1 : 0) : luaV_equalobj(L, rb, rc)) !== i.A)`,
    'OP_EQ',
  ],
  [
    `            case OP_LT: {
                if (luaV_lessthan(L, RKB(L, base, k, i), RKC(L, base, k, i)) !== i.A)`,
    `            case OP_LT: {
                let rb = RKB(L, base, k, i), rc = RKC(L, base, k, i); ${MARK}
                if (((rb.type & 0x0F) === LUA_TNUMBER && (rc.type & 0x0F) === LUA_TNUMBER
                    ? (rb.value < rc.value ? 1 : 0) : luaV_lessthan(L, rb, rc)) !== i.A)`,
    'OP_LT',
  ],
  [
    `            case OP_LE: {
                if (luaV_lessequal(L, RKB(L, base, k, i), RKC(L, base, k, i)) !== i.A)`,
    `            case OP_LE: {
                let rb = RKB(L, base, k, i), rc = RKC(L, base, k, i); ${MARK}
                if (((rb.type & 0x0F) === LUA_TNUMBER && (rc.type & 0x0F) === LUA_TNUMBER
                    ? (rb.value <= rc.value ? 1 : 0) : luaV_lessequal(L, rb, rc)) !== i.A)`,
    'OP_LE',
  ],
];

module.exports = function numberCompare(src) {
  let n = 0;
  for (const [from, to, what] of EDITS) n += src.replaceOnce('lvm.js', from, to, what);
  return n;
};

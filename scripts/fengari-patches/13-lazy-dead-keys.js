'use strict';
/**
 * Every Fengari table made two Maps: its entries and `dead_strong`, where a key deleted during a traversal
 * waits so that `next` can still step past it. Almost no table ever deletes a key while it is traversed, yet
 * every one paid for that second Map (a message copy, an EXIT event, a process's globals). It is made on the
 * first deletion instead; `add` dropping it is what `add` clearing it did.
 */
const MARK = '/* wisp: 13-lazy-dead-keys.js */';

const EDITS = [
  ['        this.dead_strong = new Map();\n', `        this.dead_strong = void 0; ${MARK}\n`],
  ['    t.dead_strong.clear();\n    t.dead_weak = void 0;\n', '    t.dead_strong = void 0;\n    t.dead_weak = void 0;\n'],
  [
    '            t.dead_strong.set(hash, e);\n',
    '            if (!t.dead_strong) t.dead_strong = new Map();\n            t.dead_strong.set(hash, e);\n',
  ],
  [
    '(table.dead_weak && table.dead_weak.get(hash)) || table.dead_strong.get(hash);',
    '(table.dead_weak && table.dead_weak.get(hash)) || (table.dead_strong && table.dead_strong.get(hash));',
  ],
];

module.exports = function lazyDeadKeys(src) {
  let n = 0;
  for (const [from, to] of EDITS) n += src.replaceOnce('ltable.js', from, to, `ltable dead keys (${from.trim().slice(0, 30)})`);
  return n;
};

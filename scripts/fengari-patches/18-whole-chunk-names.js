'use strict';
/**
 * wisp names each chunk `=<entry id>`. Lua shortens a chunk name to LUA_IDSIZE (59 bytes in Fengari) wherever
 * it shows one (error positions, tracebacks, debug info), so an error in a long entry id read
 * `app.test.temporal.tests:startup_messages_explicit_id_confli:132:`. go-lua (Wippy's VM) prints the whole
 * source name, and so does this, for `=` names only; `@file` names and `[string "..."]` keep Lua's shortening.
 */
const FROM = `        if (l < bufflen) {  /* small enough? */
            out = new Uint8Array(l-1);
            out.set(source.subarray(1));
        } else {  /* truncate it */
            out = new Uint8Array(bufflen);
            out.set(source.subarray(1, bufflen+1));
        }
    } else if (source[0] === 64`;
const TO = `        out = new Uint8Array(l-1); /* wisp: 18-whole-chunk-names.js */
        out.set(source.subarray(1));
    } else if (source[0] === 64`;

module.exports = function wholeChunkNames(src) {
  return src.replaceOnce('lobject.js', FROM, TO, 'luaO_chunkid literal source');
};

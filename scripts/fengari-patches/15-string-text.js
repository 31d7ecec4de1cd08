'use strict';
/**
 * Host functions read the same Lua strings as JS text again and again (a topic, a PID, a name in a literal of
 * the calling script) and wisp pushes the same few JS strings (PIDs, topics, field values). A Lua string's
 * bytes never change, so its text can be kept on it once decoded: `wisp_js`, declared here so that every
 * TString keeps one shape (src/engine/lua.ts reads and fills it).
 */
const FROM = '    constructor(L, str) {\n        this.hash = null;\n        this.realstring = str;\n    }';
const TO = '    constructor(L, str) {\n        this.hash = null;\n        this.realstring = str;\n        this.wisp_js = null; /* wisp: 15-string-text.js */\n    }';

module.exports = function stringText(src) {
  return src.replaceOnce('lstring.js', FROM, TO, 'TString constructor');
};

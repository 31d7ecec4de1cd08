'use strict';
/**
 * Every full userdata started with `data = Object.create(null)`, a dictionary-mode object that wisp replaces at
 * once with its own payload (a message, a channel, an error: src/engine/slots.ts asks for size 0 and sets it).
 * A userdata of size 0 now starts with no payload; any other size (Fengari's io library writes fields into
 * `data`) keeps the object.
 */
const FROM = '        this.data = Object.create(null); // ignores size argument';
const TO = '        this.data = size === 0 ? null : Object.create(null); /* wisp: 16-userdata-payload.js */';

module.exports = function userdataPayload(src) {
  return src.replaceOnce('lobject.js', FROM, TO, 'Udata payload');
};

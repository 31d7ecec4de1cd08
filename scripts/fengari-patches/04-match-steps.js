'use strict';
/**
 * Lua pattern matching runs in JS with no VM instructions, so the count hook never fires inside it and a
 * backtracking pattern (`("a-"):rep(12) .. "b"` against 5000 a's) would freeze the whole runtime. This counts
 * match steps and, every 16384 of them, calls the hook the host put on the global state
 * (`L.l_G.wisp_match_hook`), which may raise a Lua error to stop a runaway match.
 */
const FROM = `const match = function(ms, s, p) {
    let gotodefault = false;
    let gotoinit = true;
`;
const TO = `let wisp_match_steps = 0; /* wisp: match step counter */
const match = function(ms, s, p) {
    let gotodefault = false;
    let gotoinit = true;
    if (++wisp_match_steps >= 16384) {
        wisp_match_steps = 0;
        const wisp_hook = ms.L.l_G.wisp_match_hook;
        if (wisp_hook) wisp_hook(ms.L);
    }
`;

module.exports = function matchSteps(src) {
  return src.replaceOnce('lstrlib.js', FROM, TO, 'lstrlib match()');
};

'use strict';
/**
 * string.rep copies its string once per repetition, so `("x"):rep(64 * 1024 * 1024)` (the largest string wisp
 * allows, 06-max-string.js) makes 67 million calls in one host function that preemption cannot interrupt:
 * 1.6 s during which no other process runs. Filling the result by doubling (copyWithin of what is already
 * written) gives the same bytes in about 27 copies.
 */
const LOOP = `        let pi = 0;
        while (n-- > 1) {  /* first n-1 copies (followed by separator) */
            p.set(s, pi);
            pi += l;
            if (lsep > 0) {  /* empty 'memcpy' is not that cheap */
                p.set(sep, pi);
                pi += lsep;
            }
        }
        p.set(s, pi);  /* last copy (not followed by separator) */`;
const DOUBLING = `        /* wisp: one copy of s..sep, then doubling (07-fast-rep.js); the result is periodic, cut after the last s */
        p.set(s, 0);
        if (n > 1 && lsep > 0) p.set(sep, l);
        let filled = n > 1 ? l + lsep : l;
        while (filled < totallen) {
            let chunk = Math.min(filled, totallen - filled);
            p.copyWithin(filled, 0, chunk);
            filled += chunk;
        }`;

module.exports = function fastRep(src) {
  return src.replaceOnce('lstrlib.js', LOOP, DOUBLING, 'str_rep copy loop');
};

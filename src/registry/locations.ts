import { displayPath } from './errors';
import type { Registry } from './registry';

/** Characters that cannot be part of an entry id in a position (`app:cli:3`). */
const BREAK = /[\s:()<>'"]/;
const breaks = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i);
  return c === 0x3a || c === 0x28 || c === 0x29 || c === 0x3c || c === 0x3e || c === 0x27 || c === 0x22 || ((c <= 0x20 || c >= 0x85) && BREAK.test(text[i]));
};

/**
 * Names the file in every Lua position of `text` whose entry has a source file, as syntax errors do:
 * `app:cli:3: boom` becomes `src/cli.lua:3 (app:cli): boom`. For what people read (the CLI's error lines,
 * tracebacks); Lua code itself keeps seeing Wippy's `app:cli:3:`.
 */
export function withSourceFiles(registry: Registry, text: string): string {
  let out = '';
  let copied = 0;
  for (const [start, idEnd, end] of positions(text)) {
    const id = text.slice(start, idEnd);
    const entry = registry.get(id);
    const file = entry !== undefined && 'sourcePath' in entry ? entry.sourcePath : undefined;
    if (file === undefined) continue;
    out += `${text.slice(copied, start)}${displayPath(registry.root, file)}:${text.slice(idEnd + 1, end)} (${id})`;
    copied = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Every `ns:name:line` in `text`, left to right, as [start, end of the id, end]: what the pattern
 * `[^\s:()<>'"]+:[^\s:()<>'"]+:\d+` finds, in one pass. (As a global regular expression it tried every start inside a
 * long run of id characters again: a 200 KB message took a minute.) A run of id characters is a position's
 * namespace from its first character, since a match can start no earlier in the run.
 */
function* positions(text: string): Generator<[number, number, number]> {
  const n = text.length;
  const runEnd = (i: number): number => {
    while (i < n && !breaks(text, i)) i++;
    return i;
  };
  let i = 0;
  while (i < n) {
    if (breaks(text, i)) {
      i++;
      continue;
    }
    const nsEnd = runEnd(i);
    if (text[nsEnd] !== ':' || nsEnd + 1 >= n || breaks(text, nsEnd + 1)) {
      i = nsEnd;
      continue;
    }
    const idEnd = runEnd(nsEnd + 1);
    let end = idEnd + 1;
    while (end < n && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39) end++;
    if (text[idEnd] === ':' && end > idEnd + 1) {
      yield [i, idEnd, end];
      i = end;
    } else {
      i = nsEnd + 1; // the name's run may begin the next position
    }
  }
}

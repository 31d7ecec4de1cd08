import { displayPath } from './errors';
import type { Registry } from './registry';

/** `app:cli:3` as Lua writes a position (the chunk name is the entry id, as in Wippy). */
const POSITION = /([^\s:()<>'"]+:[^\s:()<>'"]+):(\d+)/g;

/**
 * Names the file in every Lua position of `text` whose entry has a source file, as syntax errors do:
 * `app:cli:3: boom` becomes `src/cli.lua:3 (app:cli): boom`. For what people read (the CLI's error lines,
 * tracebacks); Lua code itself keeps seeing Wippy's `app:cli:3:`.
 */
export function withSourceFiles(registry: Registry, text: string): string {
  return text.replace(POSITION, (whole, id: string, line: string) => {
    const entry = registry.get(id);
    const file = entry !== undefined && 'sourcePath' in entry ? entry.sourcePath : undefined;
    return file === undefined ? whole : `${displayPath(registry.root, file)}:${line} (${id})`;
  });
}

/**
 * The checks of a project's Lua entries that need no run: each compiles, and its `method:` names a function
 * its script returns (when the script's text settles what it returns). `wisp run` stops at the first problem
 * before anything starts; `wisp lint` lists them all.
 */
import { checkSyntax, LuaSyntaxError } from '../engine/loader';
import { returnedNames } from '../engine/exports';
import { displayPath, isLuaEntry, type Entry, type Registry } from '../registry';
import { didYouMean } from '../util/suggest';
import { UsageError } from './errors';

export interface SourceProblem {
  readonly entry: string;
  /** One line naming file, entry and line. */
  readonly message: string;
  readonly line?: number;
  /** What kind of check found it: `syntax` or `method`. */
  readonly code: 'syntax' | 'method';
  /** The error `wisp run` throws for it. */
  readonly error: Error;
}

/** The problems of one entry's source, in the order found (a syntax error ends its checks). */
export function sourceProblems(registry: Registry, e: Entry): SourceProblem[] {
  if (!isLuaEntry(e)) return [];
  const file = displayPath(registry.root, e.sourcePath ?? e.file);
  try {
    checkSyntax(e.source, e.id, file);
  } catch (err) {
    if (!(err instanceof LuaSyntaxError)) throw err;
    return [{ entry: e.id, message: err.message, code: 'syntax', error: err, ...(err.line !== undefined ? { line: err.line } : {}) }];
  }
  if ((e.kind !== 'process.lua' && e.kind !== 'function.lua') || e.method === '') return [];
  const names = returnedNames(e.source);
  if (names === null || names.includes(e.method)) return [];
  const where = `${displayPath(registry.root, e.file)}${e.line !== undefined ? `:${e.line}` : ''}`;
  const returns = names.length === 0 ? 'returns an empty table' : `returns ${names.join(', ')}`;
  const message = `${where}: entry ${e.id}: method "${e.method}" not found: ${file} ${returns}${didYouMean(e.method, names)}`;
  return [{ entry: e.id, message, code: 'method', error: new UsageError(message), ...(e.line !== undefined ? { line: e.line } : {}) }];
}

/** Throws the first problem of any Lua entry (a syntax error as its LuaSyntaxError). */
export function checkSources(registry: Registry): void {
  for (const e of registry.entries()) {
    const [first] = sourceProblems(registry, e);
    if (first !== undefined) throw first.error;
  }
}

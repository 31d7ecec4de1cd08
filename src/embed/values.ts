/**
 * What crosses between JavaScript and Lua through the embedding API: plain data. Tables become arrays (a
 * sequence 1..n) or objects, Lua strings become strings (or bytes when they are not UTF-8), error values become
 * LuaError. Integers and floats are both JS numbers on this side (Lua's 4.0 arrives as 4). The conversions
 * themselves are in convert.ts (they use the kernel's types, which the package does not export).
 */
/** A value JavaScript sends to Lua or receives from it. */
export type LuaData = null | boolean | number | string | Uint8Array | LuaError | readonly LuaData[] | { readonly [key: string]: LuaData };

/** A Lua error value (Wippy's error objects: a message and a kind such as "NotFound" or "Invalid"). */
export class LuaError extends Error {
  constructor(
    message: string,
    /** Wippy's error kind ("" when unknown). */
    readonly kind: string = '',
    readonly retryable: boolean | null = null,
    /** The Lua traceback, when Lua code raised it. */
    readonly traceback: string | null = null,
  ) {
    super(message);
    this.name = 'LuaError';
  }
}


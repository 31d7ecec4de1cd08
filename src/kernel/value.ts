/**
 * Portable values: what crosses a process boundary (message payloads, spawn arguments, exit results). Plain
 * JS, no Lua, so the same values can later cross worker threads and nodes. Lua semantics kept: integers and
 * floats stay distinct (a float with an integral value is boxed as LuaFloat), tables keep cycles and shared
 * parts (they are plain object graphs), strings that are not valid UTF-8 stay bytes.
 */

/**
 * An error's kind. The known kinds, or `''` for an unknown kind (Wippy's `errors.UNKNOWN`); any other string is
 * kept as given (`errors.new{kind = "Custom"}` keeps "Custom", as in Wippy).
 */
export type ErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Invalid'
  | 'PermissionDenied'
  | 'Unavailable'
  | 'Internal'
  | 'Canceled'
  | 'Conflict'
  | 'Timeout'
  | 'RateLimited'
  | ''
  | (string & Record<never, never>);

/** A float whose value happens to be integral (`4.0`), kept apart from the integer 4. */
export class LuaFloat {
  constructor(readonly value: number) {}
}

/** A Lua table. Keys are never nil or NaN; integral float keys are normalised to integers, as in Lua. */
export class Table {
  readonly map = new Map<Value, Value>();

  get(key: Value): Value {
    return this.map.get(key) ?? null;
  }

  /** Builds a table from a JS record and/or list (tests, events built by the runtime). */
  static from(record: Record<string, Value> = {}, list: Value[] = []): Table {
    const t = new Table();
    list.forEach((v, i) => t.map.set(i + 1, v));
    for (const [k, v] of Object.entries(record)) if (v !== null) t.map.set(k, v);
    return t;
  }
}

/** One Lua stack frame captured when an error object was made (`errors.call_stack`). */
export interface StackFrame {
  readonly level: number;
  readonly source: string;
  readonly line: number;
  readonly name: string;
  /** What the function is: "Lua", "C" (a host function) or "main". */
  readonly what: string;
}

/** Where an error object came from, beyond its message (errors made by Lua code and wrapped errors). */
export interface ErrorOrigin {
  /** The context of `errors.wrap(e, context)`; kept apart from the message. */
  readonly context?: string;
  /** The error that was wrapped. */
  readonly cause?: ErrorValue;
  /** The Lua stack where the error object was made. */
  readonly frames?: readonly StackFrame[];
}

/** An error value (Wippy's error objects): a message with a kind, visible to Lua as an error userdata. */
export class ErrorValue {
  constructor(
    readonly message: string,
    readonly kind: ErrorKind = '',
    readonly retryable: boolean | null = null,
    readonly details: Value = null,
    /** A Lua traceback, when the error was raised by Lua code. */
    readonly stack: string | null = null,
    readonly origin: ErrorOrigin = {},
  ) {}

  toString(): string {
    return this.message;
  }

  /** The traceback's frames (`stack traceback:` and on), without the message a Lua traceback starts with. */
  get frames(): string | null {
    if (this.stack === null) return null;
    const at = this.stack.indexOf('stack traceback:');
    return at < 0 ? this.stack : this.stack.slice(at);
  }
}

export type Value = null | boolean | number | string | Uint8Array | LuaFloat | Table | ErrorValue;

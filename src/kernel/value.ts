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


/**
 * Converts a portable value to plain JSON-friendly JS (for logs and tests): tables become arrays or objects.
 * A table inside itself becomes '<cycle>'; tables nested deeper than `maxDepth` become '<too deep>' (log
 * fields use a small depth, since JSON.stringify recurses). A loop, never JS recursion, whatever the depth.
 * `scalar` converts everything that is not a table (default: floats to numbers, bytes and errors to text).
 */
export function toPlain(v: Value, maxDepth = Infinity, scalar: (v: Exclude<Value, Table>) => unknown = plainScalar): unknown {
  if (!(v instanceof Table)) return scalar(v);
  interface Frame {
    readonly table: Table;
    readonly entries: IterableIterator<[Value, Value]>;
    readonly out: unknown[] | Record<string, unknown>;
  }
  const path = new Set<Table>();
  const frames: Frame[] = [];
  /** The plain form of `x`; a table not on the path yet gets its (still empty) array or object, filled later. */
  const enter = (x: Value): unknown => {
    if (!(x instanceof Table)) return scalar(x);
    if (path.has(x)) return '<cycle>';
    if (frames.length >= maxDepth) return '<too deep>';
    const n = x.map.size;
    let isArray = n > 0;
    for (let i = 1; i <= n && isArray; i++) if (!x.map.has(i)) isArray = false;
    const out: unknown[] | Record<string, unknown> = isArray ? new Array<unknown>(n) : {};
    path.add(x);
    frames.push({ table: x, entries: x.map.entries(), out });
    return out;
  };
  const result = enter(v);
  while (frames.length > 0) {
    const f = frames[frames.length - 1];
    const next = f.entries.next();
    if (next.done) {
      frames.pop();
      path.delete(f.table);
      continue;
    }
    const [k, x] = next.value;
    if (Array.isArray(f.out)) {
      f.out[(k as number) - 1] = enter(x);
    } else {
      const key = k instanceof Table ? '<table>' : String(plainScalar(k));
      f.out[key] = enter(x);
    }
  }
  return result;
}

function plainScalar(v: Exclude<Value, Table>): unknown {
  if (v instanceof LuaFloat) return v.value;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (v instanceof ErrorValue) return v.message;
  return v;
}

/** Converts plain JS data (YAML/JSON: service `input`, CLI values) to a portable value. */
export function fromPlain(x: unknown): Value {
  if (x === null || x === undefined) return null;
  if (typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
  if (x instanceof Uint8Array || x instanceof Table || x instanceof LuaFloat || x instanceof ErrorValue) return x;
  if (x instanceof Date) return x.toISOString();
  if (Array.isArray(x)) return Table.from({}, x.map(fromPlain));
  if (typeof x === 'object') {
    const t = new Table();
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) if (v !== null && v !== undefined) t.map.set(k, fromPlain(v));
    return t;
  }
  return String(x);
}

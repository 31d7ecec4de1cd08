/**
 * JSON ⇄ Lua stack, with Wippy's rules (spec.md beside this file). Both directions work on the Lua stack
 * directly: no intermediate JS values, so integers, floats and byte strings keep their Lua identity.
 */
import { tick } from '../../lib/checkpoint';
import { lua, type LuaState, decodeUtf8 } from '../../engine/lua';
import { identityAt, objectAt } from '../../engine/slots';
import { ErrorValue } from '../../kernel/value';
import { MAX_PLAIN_DEPTH } from '../../engine/plain';

/** An encode or decode failure; `message` is the text after "encode failed: " / "decode failed: ". */
export class JsonError extends Error {}

// ---------------------------------------------------------------------------------------------- numbers

/** Shortest round-trip digits without an exponent (Go's FormatFloat(f, 'f', -1, 64)). */
export function plainFloat(f: number): string {
  const s = String(f);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const sign = s[0] === '-' ? '-' : '';
  const mantissa = s.slice(sign.length, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + exp; // digits before the decimal point
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const INT64_LIMIT = 2 ** 63;

/** A float inside a table: integral ones print as integers, others without exponent. */
function nestedFloat(f: number): string {
  if (!Number.isFinite(f)) return 'null';
  if (Number.isInteger(f) && f >= -INT64_LIMIT && f < INT64_LIMIT) return BigInt(f).toString();
  return plainFloat(f);
}

/** A float given to encode itself (Go's json.Marshal(float64)): exponent below 1e-6 and from 1e21. */
function topFloat(f: number): string {
  if (!Number.isFinite(f)) return 'null';
  if (Object.is(f, -0)) return '-0';
  return String(f).replace(/e([+-])0*(\d)/, 'e$1$2');
}

// ---------------------------------------------------------------------------------------------- strings


/** Go's json string quoting: invalid UTF-8 becomes U+FFFD; <, >, & and U+2028/9 are escaped. */
export function quote(bytes: Uint8Array): string {
  const s = decodeUtf8(bytes);
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c !== 0x3c && c !== 0x3e && c !== 0x26 && c !== 0x2028 && c !== 0x2029) out += s[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return out + '"';
}

/** Table keys and values: plain printable ASCII with nothing to escape is written as is (Wippy's fast path). */
function quoteNested(bytes: Uint8Array): string {
  for (const b of bytes) if (b < 0x20 || b >= 0x80 || b === 0x22 || b === 0x5c) return quote(bytes);
  return `"${Buffer.from(bytes).toString('latin1')}"`;
}

// ---------------------------------------------------------------------------------------------- encode

/** Encodes the value at idx; throws JsonError. */
export function encodeAt(T: LuaState, idx: number): string {
  idx = lua.lua_absindex(T, idx);
  switch (lua.lua_type(T, idx)) {
    case lua.LUA_TNUMBER:
      return lua.lua_isinteger(T, idx) ? String(lua.lua_tointeger(T, idx)) : topFloat(lua.lua_tonumber(T, idx));
    case lua.LUA_TSTRING:
      return quote(lua.lua_tolstring(T, idx) as Uint8Array);
    case lua.LUA_TTABLE: {
      const out: string[] = [];
      encodeTable(T, idx, 0, new Set(), out);
      return out.join('');
    }
    default:
      return scalar(T, idx);
  }
}

/** nil, booleans, error values (their message) and everything else (null). */
function scalar(T: LuaState, idx: number): string {
  switch (lua.lua_type(T, idx)) {
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(T, idx) ? 'true' : 'false';
    case lua.LUA_TUSERDATA: {
      const obj = objectAt(T, idx);
      return obj instanceof ErrorValue ? quote(Buffer.from(obj.message)) : 'null';
    }
    default:
      return 'null';
  }
}

function encodeNested(T: LuaState, idx: number, depth: number, seen: Set<unknown>, out: string[]): void {
  tick();
  switch (lua.lua_type(T, idx)) {
    case lua.LUA_TNUMBER:
      out.push(lua.lua_isinteger(T, idx) ? String(lua.lua_tointeger(T, idx)) : nestedFloat(lua.lua_tonumber(T, idx)));
      return;
    case lua.LUA_TSTRING:
      out.push(quoteNested(lua.lua_tolstring(T, idx) as Uint8Array));
      return;
    case lua.LUA_TTABLE:
      encodeTable(T, lua.lua_absindex(T, idx), depth + 1, seen, out);
      return;
    default:
      out.push(scalar(T, idx));
  }
}

/** A positive integral number key (an array index), or 0. */
function indexKey(T: LuaState, idx: number): number {
  if (lua.lua_type(T, idx) !== lua.LUA_TNUMBER) return 0;
  const n = lua.lua_tonumber(T, idx);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function encodeTable(T: LuaState, idx: number, depth: number, seen: Set<unknown>, out: string[]): void {
  if (depth > MAX_PLAIN_DEPTH) throw new JsonError('exceeded maximum nesting depth for JSON encoding');
  const id = identityAt(T, idx);
  if (seen.has(id)) throw new JsonError('cannot encode recursively nested tables to JSON');
  seen.add(id);
  lua.lua_checkstack(T, 6);
  let count = 0;
  let maxIndex = 0;
  let named = false;
  lua.lua_pushnil(T);
  while (lua.lua_next(T, idx)) {
    count++;
    const i = indexKey(T, -2);
    if (i > 0) maxIndex = Math.max(maxIndex, i);
    else named = true;
    lua.lua_settop(T, -2);
  }
  if (count === 0) out.push('[]');
  else if (named && maxIndex > 0) throw new JsonError('cannot encode mixed-key table: table has both numeric and non-numeric keys');
  else if (named) {
    out.push('{');
    let first = true;
    lua.lua_pushnil(T);
    while (lua.lua_next(T, idx)) {
      const key = objectKey(T, -2);
      if (key !== null) {
        if (!first) out.push(',');
        first = false;
        out.push(key, ':');
        encodeNested(T, -1, depth, seen, out);
      }
      lua.lua_settop(T, -2);
    }
    out.push('}');
  } else {
    if (count !== maxIndex) throw new JsonError('cannot encode sparse array: non-contiguous numeric keys found');
    out.push('[');
    for (let i = 1; i <= maxIndex; i++) {
      if (i > 1) out.push(',');
      lua.lua_rawgeti(T, idx, i);
      encodeNested(T, -1, depth, seen, out);
      lua.lua_settop(T, -2);
    }
    out.push(']');
  }
  seen.delete(id);
}

/** The quoted JSON key for a non-index key; null for keys Wippy skips (tables, functions, ...). */
function objectKey(T: LuaState, idx: number): string | null {
  switch (lua.lua_type(T, idx)) {
    case lua.LUA_TSTRING:
      return quoteNested(lua.lua_tolstring(T, idx) as Uint8Array);
    case lua.LUA_TNUMBER:
      return `"${lua.lua_isinteger(T, idx) ? String(lua.lua_tointeger(T, idx)) : plainFloat(lua.lua_tonumber(T, idx))}"`;
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(T, idx) ? '"true"' : '"false"';
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------- decode

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Go's quoting of a byte in its syntax errors: 'x', '\n', '"', '\''. */
function charName(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  const esc: Record<number, string> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x08: '\\b', 0x0c: '\\f', 0x5c: '\\\\' };
  if (esc[c] !== undefined) return `'${esc[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if (c >= 0x80) return `'\\x${c.toString(16)}'`;
  return `'${String.fromCharCode(c)}'`;
}

/**
 * Decodes one JSON document onto T's stack, in steps (src/engine/sliced.ts): a resumable machine over an
 * explicit stack of open arrays and objects, whose Lua tables wait on T's stack until they are complete.
 * Throws JsonError with the position of a syntax error.
 */
export class Decoder {
  private pos = 0;
  private started = false;
  /** A value was just completed (on top of the stack); otherwise one is expected at `pos`. */
  private after = false;
  /** The open arrays (their next index) and objects (0), innermost last. */
  private readonly open: number[] = [];

  constructor(
    private readonly T: LuaState,
    private readonly src: Uint8Array,
  ) {}

  private where(at: number): string {
    let line = 1;
    let col = 1;
    for (let i = 0; i < at && i < this.src.length; i++) {
      if (this.src[i] === 0x0a) (line++, (col = 1));
      else col++;
    }
    return ` at line ${line}, column ${col} (byte ${at})`;
  }

  private fail(context: string): never {
    // Go's json.Decoder (Wippy's decoder) reports input that ends inside a value as io.ErrUnexpectedEOF.
    if (this.pos >= this.src.length) throw new JsonError(`unexpected EOF${this.where(this.pos)}`);
    throw new JsonError(`invalid character ${charName(this.src[this.pos])} ${context}${this.where(this.pos)}`);
  }

  private skip(): void {
    while (this.pos < this.src.length && SPACE.has(this.src[this.pos])) this.pos++;
  }

  /** Reads up to `budget` values; true once the document's value is on top of the stack. */
  step(budget: number): boolean {
    const T = this.T;
    const src = this.src;
    if (!this.started) {
      this.started = true;
      this.skip();
      // Only whitespace: Go's json.Decoder returns io.EOF.
      if (this.pos >= src.length) throw new JsonError(`EOF${this.where(this.pos)}`);
      // Like Go's json.Decoder, one value is read and the rest of the text is not looked at: `1x` is 1 and
      // `[1] junk` is {1} (Go complains about the `x` only on a second Decode call, which Wippy never makes).
    }
    const open = this.open;
    for (; budget > 0; budget--) {
      if (!this.after) {
        this.value();
        continue;
      }
      if (open.length === 0) return true;
      const index = open[open.length - 1];
      if (index > 0) lua.lua_rawseti(T, -2, index); // null leaves a hole, as in Wippy
      else lua.lua_rawset(T, -3);
      this.skip();
      const c = src[this.pos];
      if (c === 0x2c) {
        this.pos++;
        this.after = false;
        if (index > 0) {
          open[open.length - 1] = index + 1;
          this.skip();
        } else this.key();
      } else if (c === (index > 0 ? 0x5d : 0x7d)) {
        this.pos++;
        open.pop();
      } else this.fail(index > 0 ? 'after array element' : 'after object key:value pair');
    }
    return this.after && open.length === 0;
  }

  /** The value at `pos`: a scalar is pushed whole; an array or object is opened (or pushed whole when empty). */
  private value(): void {
    if (this.open.length > MAX_PLAIN_DEPTH) throw new JsonError(`json: maximum nesting depth exceeded${this.where(this.pos)}`);
    const T = this.T;
    const c = this.src[this.pos];
    this.after = true;
    if (c === 0x7b || c === 0x5b) {
      const close = c === 0x7b ? 0x7d : 0x5d;
      lua.lua_checkstack(T, 4);
      lua.lua_createtable(T, 0, 0);
      this.pos++;
      this.skip();
      if (this.src[this.pos] === close) {
        this.pos++;
        return;
      }
      this.after = false;
      this.open.push(c === 0x7b ? 0 : 1);
      if (c === 0x7b) this.key();
    } else if (c === 0x22) lua.lua_pushstring(T, this.string());
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.number();
    else if (c === 0x74) (this.literal('true'), lua.lua_pushboolean(T, true));
    else if (c === 0x66) (this.literal('false'), lua.lua_pushboolean(T, false));
    else if (c === 0x6e) (this.literal('null'), lua.lua_pushnil(T));
    else this.fail('looking for beginning of value');
  }

  /** An object's key and its colon: the key is pushed, `pos` is at its value. */
  private key(): void {
    this.skip();
    if (this.src[this.pos] !== 0x22) this.fail('looking for beginning of object key string');
    lua.lua_pushstring(this.T, this.string());
    this.skip();
    if (this.src[this.pos] !== 0x3a) this.fail('after object key');
    this.pos++;
    this.skip();
  }

  private literal(word: string): void {
    for (let i = 0; i < word.length; i++, this.pos++) {
      if (this.src[this.pos] !== word.charCodeAt(i)) {
        if (i === 0) this.fail('looking for beginning of value');
        this.fail(`in literal ${word} (expecting '${word[i]}')`);
      }
    }
  }

  private digits(): number {
    const start = this.pos;
    while (this.src[this.pos] >= 0x30 && this.src[this.pos] <= 0x39) this.pos++;
    return this.pos - start;
  }

  private number(): void {
    const start = this.pos;
    let float = false;
    if (this.src[this.pos] === 0x2d) this.pos++;
    if (this.src[this.pos] === 0x30) this.pos++;
    else if (this.digits() === 0) this.fail('in numeric literal');
    if (this.src[this.pos] === 0x2e) {
      float = true;
      this.pos++;
      if (this.digits() === 0) this.fail('after decimal point in numeric literal');
    }
    if (this.src[this.pos] === 0x65 || this.src[this.pos] === 0x45) {
      float = true;
      this.pos++;
      if (this.src[this.pos] === 0x2b || this.src[this.pos] === 0x2d) this.pos++;
      if (this.digits() === 0) this.fail('in exponent of numeric literal');
    }
    const text = Buffer.from(this.src.subarray(start, this.pos)).toString('latin1');
    const n = Number(text);
    if (!Number.isFinite(n)) lua.lua_pushstring(this.T, this.src.slice(start, this.pos)); // out of float range: Wippy keeps the text
    else if (!float && n >= -2147483648 && n <= 2147483647) lua.lua_pushinteger(this.T, n | 0); // "-0" is integer 0
    else lua.lua_pushnumber(this.T, n); // beyond 32 bits an integer becomes a float: no wrap
  }

  private hex4(): number {
    let v = 0;
    for (let i = 0; i < 4; i++, this.pos++) {
      const c = this.src[this.pos];
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) this.fail('in \\u hexadecimal character escape');
      v = v * 16 + d;
    }
    return v;
  }

  /** A JSON string's bytes; invalid UTF-8 and lone surrogates become U+FFFD, as in Go. */
  private string(): Uint8Array {
    const src = this.src;
    this.pos++;
    const start = this.pos;
    let plain = true;
    while (this.pos < src.length) {
      const c = src[this.pos];
      if (c === 0x22) break;
      if (c === 0x5c || c >= 0x80) plain = false;
      if (c < 0x20) this.fail('in string literal');
      this.pos++;
      if (c === 0x5c) this.pos++;
    }
    if (this.pos >= src.length) {
      this.pos = src.length;
      this.fail('');
    }
    const end = this.pos;
    this.pos++;
    if (plain) return src.slice(start, end);
    let out = '';
    let i = start;
    let run = start;
    const flush = (to: number): void => {
      if (to > run) out += decodeUtf8(src.subarray(run, to));
    };
    while (i < end) {
      if (src[i] !== 0x5c) {
        i++;
        continue;
      }
      flush(i);
      const e = src[i + 1];
      const simple: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
      if (simple[e] !== undefined) {
        out += simple[e];
        i += 2;
      } else if (e === 0x75) {
        this.pos = i + 2;
        let cp = this.hex4();
        i += 6;
        if (cp >= 0xd800 && cp < 0xdc00 && src[i] === 0x5c && src[i + 1] === 0x75) {
          this.pos = i + 2;
          const lo = this.hex4();
          if (lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
          }
        }
        out += cp >= 0xd800 && cp < 0xe000 ? '\ufffd' : String.fromCodePoint(cp);
      } else {
        this.pos = i + 1;
        this.fail('in string escape code');
      }
      run = i;
    }
    flush(end);
    this.pos = end + 1;
    return new Uint8Array(Buffer.from(out, 'utf8'));
  }
}

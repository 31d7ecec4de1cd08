/**
 * The one entry point to Fengari: sets V8 flags first, checks that wisp's patches are applied, then
 * re-exports the typed API, plus fast string
 * conversion (TextDecoder/TextEncoder beat Fengari's own helpers and never throw on invalid UTF-8).
 */
import './v8-flags';
import { lua, lauxlib, lualib, to_luastring, to_jsstring } from 'fengari';
import type { LuaState, LuaString, TValue as Cell } from 'fengari';
import { TValue } from 'fengari/src/lobject';
import { luaS_bless, type TString } from 'fengari/src/lstring';
import { BoundedMap } from '../util/bounded-map';
import { assertFengariPatched } from './fengari-patches';

// Before anything reads what the patches add (Fengari's internals are loaded only after this file).
assertFengariPatched();

export { lua, lauxlib, lualib, to_luastring, to_jsstring };
export type { LuaState, LuaString };

const decoder = new TextDecoder('utf-8');
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Below this many characters, strings are converted by hand (native encoders cost more to call than to run). */
const SHORT = 48;

/**
 * Short ASCII bytes as a JS string, else null. Most strings crossing into JS are short ASCII (field names,
 * PIDs, topics), and for them a call into the native decoder costs more than the loop.
 */
function shortAscii(bytes: Uint8Array): string | null {
  const n = bytes.length;
  if (n > SHORT) return null;
  for (let i = 0; i < n; i++) if (bytes[i] > 0x7f) return null;
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** Bytes (a Lua string) as a JS string; invalid UTF-8 → U+FFFD. One decoder for the whole runtime. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * The type tags Fengari keeps in a cell's \`type\` (C Lua's variant tags), for the engine files that read cells
 * directly (this one, values.ts, memory.ts). Fengari makes every string a long string (LUA_TLNGSTR).
 */
export const TAG = Object.freeze({ STRING: 4, LONG_STRING: 20, TABLE: 5, LUA_CLOSURE: 6, JS_CLOSURE: 38, USERDATA: 7, THREAD: 8 });
const LONG_STRING = TAG.LONG_STRING;

/** The value at a stack index itself (not a copy, as lua_index2addr finds it); null for a pseudo-index or none. */
export function cellAt(L: LuaState, idx: number): Cell | null {
  const i = idx > 0 ? L.ci.funcOff + idx : idx > -1000 ? L.top + idx : -1;
  return i >= 0 && i < L.top ? L.stack[i] : null;
}

/** The string object at a stack index (not a pseudo-index), or null when the value there is not a string. */
function stringObjectAt(L: LuaState, idx: number): TString | null {
  const cell = cellAt(L, idx);
  return cell !== null && cell.type === LONG_STRING ? (cell.value as TString) : null;
}

/** A string object's text when it is valid UTF-8 (kept on it: its bytes never change), else null. */
export function textOf(ts: TString): string | null {
  if (ts.wisp_js !== null) return ts.wisp_js;
  const text = decodeStrict(ts.realstring);
  if (text !== null) ts.wisp_js = text;
  return text;
}

/** Lua string (or number, converted in place as lua_tolstring does) at idx as a JS string; invalid UTF-8 → U+FFFD. */
export function toJsString(L: LuaState, idx: number): string {
  const ts = stringObjectAt(L, idx);
  if (ts !== null) return textOf(ts) ?? decoder.decode(ts.realstring);
  const bytes = lua.lua_tolstring(L, idx);
  return bytes === null ? '' : (shortAscii(bytes) ?? decoder.decode(bytes));
}

/** The Lua string (or number) at idx as text when it is valid UTF-8, else as its bytes (binary data stays bytes). */
export function textOrBytesAt(L: LuaState, idx: number): string | Uint8Array {
  const ts = stringObjectAt(L, idx);
  if (ts !== null) return textOf(ts) ?? ts.realstring;
  const bytes = lua.lua_tolstring(L, idx) ?? new Uint8Array(0);
  return decodeStrict(bytes) ?? bytes;
}

/** Argument n of the running host function as a JS string; raises Lua's "bad argument" error otherwise. */
export function checkJsString(L: LuaState, n: number): string {
  lauxlib.luaL_checkstring(L, n);
  return toJsString(L, n);
}

/** What `tostring(v)` gives for the value at idx (honours __tostring), as a JS string; the stack is unchanged. */
export function tostringAt(L: LuaState, idx: number): string {
  lauxlib.luaL_tolstring(L, idx);
  const s = toJsString(L, -1);
  lua.lua_settop(L, -2);
  return s;
}

/** `tostring` of every argument of the running host function, joined by `separator` (print, io.print). */
export function joinArgs(L: LuaState, separator: string): string {
  const n = lua.lua_gettop(L);
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) parts.push(tostringAt(L, i));
  return parts.join(separator);
}

/** Decodes bytes as UTF-8, or returns null when they are not valid UTF-8 (binary data stays bytes). */
export function decodeStrict(bytes: LuaString): string | null {
  const ascii = shortAscii(bytes);
  if (ascii !== null) return ascii;
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** A JS string as its UTF-8 bytes: short ASCII by hand, short other text by to_luastring, the rest by TextEncoder. */
export function encode(s: string): LuaString {
  if (s.length >= SHORT) return encoder.encode(s);
  return asciiBytes(s) ?? to_luastring(s);
}

/** The bytes of an ASCII string, or null when it holds any other character. */
function asciiBytes(s: string): Uint8Array | null {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return null;
    bytes[i] = c;
  }
  return bytes;
}

/** A chunk's source: its bytes exactly as Lua compiles them, or JS text, compiled as its UTF-8. */
export type LuaSource = Uint8Array | string;

/**
 * The source as a JS string of one character per byte (latin1). Text tools (the type eraser) work on JS
 * strings; on this one they keep every byte, raw `\xff` in a string literal included, and `fromByteString`
 * gives the same bytes back.
 */
export function byteString(source: LuaSource): string {
  const bytes = typeof source === 'string' ? Buffer.from(source, 'utf8') : source;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function fromByteString(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/**
 * Short ASCII strings the runtime pushes (PIDs, topics, names, field values) are made once as Lua strings, text
 * and hash included, and shared: a Lua string is immutable and belongs to no state. At most INTERNED of them
 * are kept; the table starts over when it is full.
 */
const INTERNED = 4096;
const PID_OPEN = '{'.charCodeAt(0);
const interned = new BoundedMap<string, TString>(INTERNED, 'all');
const internedPids = new BoundedMap<string, TString>(1024, 'all');

/** The Lua string for a JS string (shared when short ASCII). */
export function luaStringOf(L: LuaState, s: string): TString {
  if (s.length >= SHORT) return luaS_bless(L, encode(s));
  // A PID is new with every process: in the one table, a stream of spawns would clear it every few thousand
  // and take the strings pushed all the time (field names, topics) with them. PIDs have a table of their own.
  const table = s.charCodeAt(0) === PID_OPEN ? internedPids : interned;
  let ts = table.get(s);
  if (ts !== undefined) return ts;
  const ascii = asciiBytes(s);
  if (ascii === null) return luaS_bless(L, to_luastring(s));
  ts = luaS_bless(L, ascii);
  ts.wisp_js = s;
  table.set(s, ts);
  return ts;
}

/**
 * Pushes the Lua string of `bytes` without copying them: for fresh buffers the caller hands over (a file
 * read, a decompressed block) and never touches again. lua_pushstring copies.
 */
export function pushOwnedBytes(L: LuaState, bytes: Uint8Array): void {
  L.stack[L.top] = new TValue(LONG_STRING, luaS_bless(L, bytes));
  L.top++;
}

export function pushString(L: LuaState, s: string): void {
  L.stack[L.top] = new TValue(LONG_STRING, luaStringOf(L, s));
  L.top++;
}

/**
 * The base library's `type`, answering with one shared Lua string per type name: Fengari's makes a new string
 * (bytes, object and hash) on every call, and `type(x) == "table"` is in most scripts' hot loops (and in the
 * boot of every process).
 */
const TYPE_NAMES = new Map<number, TString>();
export function luaType(L: LuaState): number {
  const t = lua.lua_type(L, 1);
  if (t === lua.LUA_TNONE) return lauxlib.luaL_argerror(L, 1, 'value expected');
  let name = TYPE_NAMES.get(t);
  if (name === undefined) TYPE_NAMES.set(t, (name = luaS_bless(L, lua.lua_typename(L, t))));
  L.stack[L.top] = new TValue(LONG_STRING, name);
  L.top++;
  return 1;
}

/** Pushes a new Lua array of the strings. */
export function pushStringList(L: LuaState, list: readonly string[]): void {
  lua.lua_createtable(L, list.length, 0);
  list.forEach((s, i) => {
    pushString(L, s);
    lua.lua_rawseti(L, -2, i + 1);
  });
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** Pushes an integer when n is integral and fits Fengari's 32-bit integers, a float otherwise (never a wrap). */
export function pushNumber(L: LuaState, n: number): void {
  if (Number.isInteger(n) && n >= INT_MIN && n <= INT_MAX) lua.lua_pushinteger(L, n);
  else lua.lua_pushnumber(L, n);
}

/** Raises a Lua error with a JS string message; never returns. */
export function raise(L: LuaState, message: string): never {
  lua.lua_pushstring(L, encode(message));
  return lua.lua_error(L);
}


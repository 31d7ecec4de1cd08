/**
 * What a process holds: an estimate, in bytes, of the Lua objects reachable from its roots (globals, threads,
 * required modules, unread mail). Fengari keeps no per-process accounting (one JS heap holds every state), so
 * the memory watchdog measures this only when the heap nears its limit, and fails the process holding the
 * most (spec.md "Memory").
 *
 * The walk is a loop over a stack of iterators (no recursion, memory bounded by nesting). Each Lua object is
 * counted once per measurement, by the first process that reaches it: objects are marked by negating their
 * Fengari `id` (which Fengari only uses to print addresses), and `finish` restores every id; a measurement runs
 * to completion synchronously, so no Lua code ever sees a mark. Objects created before a VM's first process
 * (the shared libraries and module tables) are shared: never counted, never walked.
 *
 * Sizes are estimates measured on Node 20 (V8 11.3) for Fengari 0.1.5; they only have to rank processes and
 * give the order of magnitude in the error message.
 */
import { TAG } from './lua'; // first: Fengari must be loaded before any of its internal modules
import { TValue, LClosure, CClosure, Udata } from 'fengari/src/lobject';
import type { TValue as Slot } from 'fengari';
import type { UdataObject } from 'fengari/src/lobject';
import { Table as LuaTableObject } from 'fengari/src/ltable';
import { lua_State } from 'fengari/src/lstate';
import { Proto } from 'fengari/src/lfunc';
import type { TString } from 'fengari/src/lstring';
import { ErrorValue, Table, type Value } from '../kernel/value';
import type { Message } from '../kernel/message';

const SIZE = {
  table: 450,
  entry: 170,
  string: 220,
  closure: 180,
  upvalue: 40,
  proto: 300,
  instruction: 80,
  constant: 40,
  thread: 900,
  slot: 56,
  callInfo: 200,
  userdata: 150,
  message: 200,
  jsString: 32,
  jsTable: 150,
  jsEntry: 60,
};

/** Strings at least this long are counted once however many times they are referenced. */
const SHARED_STRING = 1024;

/** A JS object behind a userdata that holds Lua values or portable values (a channel's buffer, a message). */
export interface HoldsValues {
  forEachValue(fn: (v: Slot | Value) => void): void;
  /** What it costs itself, besides its values (the runtime objects behind a process's timers). */
  readonly ownBytes?: number;
}

/** About what one resource a process owns costs the runtime: a clock is a JS timer, a closure, a channel. */
export const RESOURCE_BYTES = 800;

const holdsValues = (x: unknown): x is HoldsValues =>
  typeof x === 'object' && x !== null && typeof (x as Partial<HoldsValues>).forEachValue === 'function';

/** Something a process holds: a Lua value or thread, a message waiting in its mailbox, or a message buffer. */
export type MemoryRoot = Slot | lua_State | Message | HoldsValues;

type LuaObject = LuaTableObject | LClosure | CClosure | UdataObject | lua_State | Proto;

const { TABLE, LUA_CLOSURE, JS_CLOSURE, USERDATA, THREAD, STRING: STRING_TAG } = TAG;

export class MemoryMeter {
  private marking = true;
  private sharedBelow = 0;
  private bytes = 0;
  private readonly rounds: MemoryRoot[][] = [];
  private readonly bigStrings = new Set<Uint8Array>();
  private readonly holders = new Set<HoldsValues>();
  private readonly jsTables = new Set<Table>();
  private readonly errors = new Set<ErrorValue>();
  private readonly stack: Iterator<unknown>[] = [];

  /**
   * Bytes reachable from `roots` and not counted yet in this measurement. Objects whose id is below
   * `sharedBelow` belong to the VM, not to the process.
   */
  measure(roots: MemoryRoot[], sharedBelow: number): number {
    this.sharedBelow = sharedBelow;
    this.bytes = 0;
    this.rounds.push(roots);
    for (const root of roots) this.walk(root);
    return this.bytes;
  }

  /** Restores every mark (always call it, in a finally); the meter is done afterwards. */
  finish(): void {
    this.marking = false;
    this.holders.clear();
    for (const roots of this.rounds) for (const root of roots) this.walk(root);
    this.rounds.length = 0;
    this.stack.length = 0;
  }

  private walk(root: unknown): void {
    const stack = this.stack;
    const base = stack.length;
    this.visit(root);
    while (stack.length > base) {
      const next = stack[stack.length - 1].next();
      if (next.done) stack.pop();
      else this.visit(next.value);
    }
  }

  /** Counts `x`; an object with parts of its own pushes an iterator over them. */
  private visit(x: unknown): void {
    if (x instanceof TValue) {
      switch (x.type) {
        case TABLE:
        case LUA_CLOSURE:
        case JS_CLOSURE:
        case USERDATA:
        case THREAD:
          x = x.value;
          break;
        default:
          if ((x.type & 0x0f) === STRING_TAG) this.string(x.value as TString);
          return;
      }
    }
    if (x instanceof LuaTableObject) {
      if (!this.enter(x)) return;
      this.bytes += SIZE.table + SIZE.entry * x.strong.size;
      this.stack.push(this.tableParts(x));
    } else if (x instanceof LClosure) {
      if (!this.enter(x)) return;
      this.bytes += SIZE.closure + SIZE.upvalue * x.upvals.length;
      this.stack.push(this.closureParts(x));
    } else if (x instanceof CClosure) {
      if (!this.enter(x)) return;
      this.bytes += SIZE.closure + SIZE.upvalue * x.upvalue.length;
      this.stack.push(x.upvalue[Symbol.iterator]());
    } else if (x instanceof Udata) {
      const u = x as unknown as UdataObject;
      if (!this.enter(u)) return;
      this.bytes += SIZE.userdata;
      this.stack.push(this.userdataParts(u));
    } else if (x instanceof lua_State) {
      if (!this.enter(x)) return;
      let callInfos = 0;
      for (let ci = x.base_ci.next; ci !== null; ci = ci.next) callInfos++;
      this.bytes += SIZE.thread + SIZE.slot * x.stack.length + SIZE.callInfo * callInfos;
      this.stack.push(x.stack[Symbol.iterator]());
    } else if (x instanceof Proto) {
      if (!this.enter(x)) return;
      this.bytes += SIZE.proto + SIZE.instruction * x.code.length + SIZE.constant * x.k.length;
      this.stack.push(this.protoParts(x));
    } else if (holdsValues(x)) {
      if (this.holders.has(x)) return;
      this.holders.add(x);
      if (this.marking) this.bytes += x.ownBytes ?? 0;
      const values: unknown[] = [];
      x.forEachValue((v) => values.push(v));
      this.stack.push(values[Symbol.iterator]());
    } else if (this.marking) {
      this.portable(x);
    }
  }

  /** Marks a Lua object on first sight (or unmarks it when finishing); false: skip it. */
  private enter(obj: LuaObject): boolean {
    const id = obj.id;
    if (this.marking) {
      if (id < 0 || id < this.sharedBelow) return false;
    } else if (id >= 0) return false;
    obj.id = -id - 1;
    return true;
  }

  private string(s: TString): void {
    if (!this.marking) return;
    const bytes = s.realstring;
    if (bytes.length >= SHARED_STRING) {
      if (this.bigStrings.has(bytes)) return;
      this.bigStrings.add(bytes);
    }
    this.bytes += SIZE.string + bytes.length;
  }

  /** Portable values: message payloads, error details (they hold no Lua objects). */
  private portable(x: unknown): void {
    if (typeof x === 'string') this.bytes += SIZE.jsString + x.length;
    else if (x instanceof Uint8Array) this.bytes += SIZE.jsString + x.length;
    else if (x instanceof ErrorValue) {
      // An error holds what it wraps (errors.wrap): its context, its frames and the error below.
      const origin = x.origin;
      this.bytes += SIZE.jsTable + x.message.length + (x.stack?.length ?? 0) + (origin.context?.length ?? 0) + SIZE.jsTable * (origin.frames?.length ?? 0);
      const parts: Value[] = [];
      if (x.details !== null) parts.push(x.details);
      if (origin.cause !== undefined && !this.errors.has(origin.cause)) {
        this.errors.add(origin.cause);
        parts.push(origin.cause);
      }
      if (parts.length > 0) this.stack.push(parts[Symbol.iterator]());
    } else if (x instanceof Table) {
      if (this.jsTables.has(x)) return;
      this.jsTables.add(x);
      this.bytes += SIZE.jsTable + SIZE.jsEntry * x.map.size;
      this.stack.push(this.jsTableParts(x));
    } else if (isMessage(x)) {
      this.bytes += SIZE.message + x.topic.length;
      this.stack.push(x.payloads[Symbol.iterator]());
    }
  }

  private *tableParts(t: LuaTableObject): Generator<unknown> {
    if (t.metatable !== null) yield t.metatable;
    if (t.wisp_nil !== undefined) yield t.wisp_nil;
    for (const e of t.strong.values()) {
      yield e.key;
      yield e.value;
    }
  }

  private *closureParts(c: LClosure): Generator<unknown> {
    if (c.p !== null) yield c.p;
    yield* c.upvals;
  }

  private *protoParts(p: Proto): Generator<unknown> {
    yield* p.k;
    yield* p.p;
  }

  private *userdataParts(u: UdataObject): Generator<unknown> {
    if (u.metatable !== null) yield u.metatable;
    yield u.uservalue;
    yield u.data;
  }

  private *jsTableParts(t: Table): Generator<unknown> {
    for (const [k, v] of t.map) {
      yield k;
      yield v;
    }
  }
}

function isMessage(x: unknown): x is Message {
  return typeof x === 'object' && x !== null && Array.isArray((x as Partial<Message>).payloads) && typeof (x as Partial<Message>).topic === 'string';
}

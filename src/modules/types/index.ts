/**
 * Runtime type values, as Wippy's typed Lua has them: `type Point = {x: number, y: number}` binds a value with
 * `Point:is(v)` (→ `v, nil` or `nil, err`, err an Invalid error naming what failed) and `Point(v)` (→ `v`, or
 * raises that error). The eraser (src/dialect/type-codegen.ts) emits calls of the constructors below, reached
 * through the `__wisp_types` global. Records, arrays, maps, unions, intersections, optionals, literals,
 * functions, generics (`Box<T>` is a function from types to a type), references to types declared elsewhere
 * (resolved on first use), validators (`@min`, `@max`, `@min_len`, `@max_len`, `@pattern`) and `typeof`.
 *
 * Also here: the primitive casts `string(v)`, `integer(v)`, `number(v)`, `boolean(v)` (calling a primitive type
 * name validates, as calling any type does), and `type(v)`, which answers "type" for a type value (go-lua's type
 * of type values) and what Lua's `type` answers for anything else.
 */
import { lua, lauxlib, pushString, toJsString, tostringAt, type LuaState, decodeUtf8 } from '../../engine/lua';
import { objectAt, popSlot, pushObject, pushSlot, slotAt, type LuaTable, type Slot } from '../../engine/slots';
import { ErrorValue } from '../../kernel/value';
import { captureFrames, fail, pushError } from '../errors';
import type { LuaVM } from '../../engine/vm';
import { cachedRegex, Regex } from '../../lib/regex';
import { checkpointed } from '../../lib/checkpoint';
import type { JSFunction } from 'fengari';
import { luaModule } from '../module';
import { RUNTIME } from '../../dialect/type-codegen';
import { functionTable, metatable, readonlyView, setField } from '../../engine/binding';

const isTable = (T: LuaState, idx: number): boolean => lua.lua_type(T, idx) === lua.LUA_TTABLE;

/** A problem found in a value, or null when it conforms. */
type Problem = string | null;

const at = (path: string, msg: string): string => (path === '' ? msg : `${path}: ${msg}`);
const fieldPath = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/** The Lua type name of a value, with error objects and type values named as such. */
function typeName(T: LuaState, idx: number): string {
  const t = lua.lua_type(T, idx);
  if (t === lua.LUA_TUSERDATA) {
    const o = objectAt(T, idx);
    if (o instanceof ErrorValue) return 'error';
    if (o instanceof TypeValue) return 'type';
  }
  return decodeUtf8(lua.lua_typename(T, t));
}

/** How a value shows in a message: strings quoted, numbers and booleans as Lua prints them, else the type. */
function repr(T: LuaState, idx: number): string {
  switch (lua.lua_type(T, idx)) {
    case lua.LUA_TSTRING:
      return JSON.stringify(toJsString(T, idx));
    case lua.LUA_TNUMBER:
    case lua.LUA_TBOOLEAN:
      return tostringAt(T, idx);
    case lua.LUA_TNIL:
      return 'nil';
    default:
      return typeName(T, idx);
  }
}

const mismatch = (T: LuaState, idx: number, path: string, expected: string): string =>
  at(path, `expected ${expected}, got ${typeName(T, idx)}`);

/** What the runtime needs while checking: the VM (for `any`) and a guard against endless references. */
interface Check {
  readonly vm: LuaVM;
  depth: number;
}

export abstract class TypeValue {
  abstract readonly kind: string;
  /** The declared name (`type Point = …`), if any. */
  name: string | null = null;
  abstract describe(): string;
  /** Checks the value at idx (absolute) of T. */
  abstract check(T: LuaState, idx: number, path: string, c: Check): Problem;
  /** Whether a missing record field of this type is fine. */
  acceptsNil(T: LuaState, c: Check): boolean {
    const ok = this.check(T, pushNilAt(T), '', c) === null;
    lua.lua_settop(T, -2);
    return ok;
  }
}

/** Runs a check one level deeper into a value; a value nested deeper than any sane data (a cycle) passes. */
function nested(c: Check, body: () => Problem): Problem {
  if (c.depth > 200) return null;
  c.depth++;
  try {
    return body();
  } finally {
    c.depth--;
  }
}

/** Pushes nil and returns its absolute index (the caller pops it). */
function pushNilAt(T: LuaState): number {
  lua.lua_pushnil(T);
  return lua.lua_gettop(T);
}

class Primitive extends TypeValue {
  constructor(
    readonly kind: string,
    private readonly test: (T: LuaState, idx: number) => boolean,
  ) {
    super();
  }
  describe(): string {
    return this.name ?? this.kind;
  }
  check(T: LuaState, idx: number, path: string): Problem {
    return this.test(T, idx) ? null : mismatch(T, idx, path, this.kind);
  }
  override acceptsNil(T: LuaState): boolean {
    const ok = this.test(T, pushNilAt(T));
    lua.lua_settop(T, -2);
    return ok;
  }
}

class Literal extends TypeValue {
  readonly kind = 'literal';
  constructor(
    private readonly value: string | number | boolean,
    private readonly shown: string,
  ) {
    super();
  }
  describe(): string {
    return this.shown;
  }
  matches(T: LuaState, idx: number): boolean {
    const v = this.value;
    if (typeof v === 'string') return lua.lua_type(T, idx) === lua.LUA_TSTRING && toJsString(T, idx) === v;
    if (typeof v === 'number') return lua.lua_type(T, idx) === lua.LUA_TNUMBER && lua.lua_tonumber(T, idx) === v;
    return lua.lua_type(T, idx) === lua.LUA_TBOOLEAN && lua.lua_toboolean(T, idx) === v;
  }
  check(T: LuaState, idx: number, path: string): Problem {
    return this.matches(T, idx) ? null : at(path, `expected ${this.shown}, got ${repr(T, idx)}`);
  }
  override acceptsNil(): boolean {
    return false;
  }
}

class Optional extends TypeValue {
  readonly kind = 'optional';
  constructor(readonly inner: TypeValue) {
    super();
  }
  describe(): string {
    return `${this.inner.describe()}?`;
  }
  check(T: LuaState, idx: number, path: string, c: Check): Problem {
    return lua.lua_isnil(T, idx) ? null : this.inner.check(T, idx, path, c);
  }
  override acceptsNil(): boolean {
    return true;
  }
}

class Union extends TypeValue {
  readonly kind = 'union';
  constructor(readonly types: readonly TypeValue[]) {
    super();
  }
  describe(): string {
    return this.types.map((t) => t.describe()).join(' | ');
  }
  check(T: LuaState, idx: number, path: string, c: Check): Problem {
    const problems: string[] = [];
    for (const t of this.types) {
      const p = t.check(T, idx, path, c);
      if (p === null) return null;
      problems.push(p);
    }
    // One table-shaped member failing inside says more than "expected A | B".
    const tableMembers = this.types.filter((t) => t instanceof RecordType || t instanceof ArrayType || t instanceof MapType);
    if (isTable(T, idx) && tableMembers.length === 1) return problems[this.types.indexOf(tableMembers[0])];
    return at(path, `expected ${this.describe()}, got ${repr(T, idx)}`);
  }
}

class Intersection extends TypeValue {
  readonly kind = 'intersection';
  constructor(readonly types: readonly TypeValue[]) {
    super();
  }
  describe(): string {
    return this.types.map((t) => t.describe()).join(' & ');
  }
  check(T: LuaState, idx: number, path: string, c: Check): Problem {
    for (const t of this.types) {
      const p = t.check(T, idx, path, c);
      if (p !== null) return p;
    }
    return null;
  }
}

class ArrayType extends TypeValue {
  readonly kind = 'array';
  constructor(readonly elem: TypeValue) {
    super();
  }
  describe(): string {
    return this.name ?? `{${this.elem.describe()}}`;
  }
  check(T: LuaState, idx: number, path: string, c: Check): Problem {
    if (!isTable(T, idx)) return mismatch(T, idx, path, this.describe());
    return nested(c, () => {
      lua.lua_checkstack(T, 4);
      const n = lua.lua_rawlen(T, idx);
      for (let i = 1; i <= n; i++) {
        lua.lua_rawgeti(T, idx, i);
        const p = this.elem.check(T, lua.lua_gettop(T), `${path}[${i}]`, c);
        lua.lua_settop(T, -2);
        if (p !== null) return p;
      }
      return null;
    });
  }
  override acceptsNil(): boolean {
    return false;
  }
}

class MapType extends TypeValue {
  readonly kind = 'map';
  constructor(
    readonly key: TypeValue,
    readonly value: TypeValue,
  ) {
    super();
  }
  describe(): string {
    return this.name ?? `{[${this.key.describe()}]: ${this.value.describe()}}`;
  }
  check(T: LuaState, idx: number, path: string, c: Check): Problem {
    if (!isTable(T, idx)) return mismatch(T, idx, path, this.describe());
    return nested(c, () => {
      lua.lua_checkstack(T, 6);
      lua.lua_pushnil(T);
      while (lua.lua_next(T, idx)) {
        const top = lua.lua_gettop(T);
        const where = `${path}[${repr(T, top - 1)}]`;
        const p = this.key.check(T, top - 1, `${where} (key)`, c) ?? this.value.check(T, top, where, c);
        if (p !== null) {
          lua.lua_settop(T, top - 2);
          return p;
        }
        lua.lua_settop(T, top - 1);
      }
      return null;
    });
  }
  override acceptsNil(): boolean {
    return false;
  }
}

interface Field {
  readonly name: string;
  readonly type: TypeValue;
  readonly optional: boolean;
}

class RecordType extends TypeValue {
  readonly kind = 'record';
  constructor(readonly fields: readonly Field[]) {
    super();
  }
  describe(): string {
    return this.name ?? `{${this.fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${f.type.describe()}`).join(', ')}}`;
  }
  check(T: LuaState, idx: number, path: string, c: Check): Problem {
    if (!isTable(T, idx)) return mismatch(T, idx, path, this.describe());
    return nested(c, () => this.checkFields(T, idx, path, c));
  }
  private checkFields(T: LuaState, idx: number, path: string, c: Check): Problem {
    lua.lua_checkstack(T, 4);
    for (const f of this.fields) {
      pushString(T, f.name);
      lua.lua_rawget(T, idx);
      const top = lua.lua_gettop(T);
      let p: Problem;
      if (lua.lua_isnil(T, top)) {
        p = f.optional || f.type.acceptsNil(T, c) ? null : at(path, `missing required field '${f.name}'`);
      } else p = f.type.check(T, top, fieldPath(path, f.name), c);
      lua.lua_settop(T, top - 1);
      if (p !== null) return p;
    }
    return null;
  }
  override acceptsNil(): boolean {
    return false;
  }
}

class FunctionType extends TypeValue {
  readonly kind = 'function';
  describe(): string {
    return this.name ?? 'function';
  }
  check(T: LuaState, idx: number, path: string): Problem {
    return lua.lua_type(T, idx) === lua.LUA_TFUNCTION ? null : mismatch(T, idx, path, 'function');
  }
  override acceptsNil(): boolean {
    return false;
  }
}

/** A validator annotation: `@min(0)` and friends. Unknown validators check nothing. */
class Annotated extends TypeValue {
  private regex: Regex | null | undefined;
  constructor(
    readonly inner: TypeValue,
    private readonly validator: string,
    private readonly args: readonly (number | string | null)[],
  ) {
    super();
  }
  get kind(): string {
    return this.inner.kind;
  }
  describe(): string {
    return this.name ?? this.inner.describe();
  }
  override acceptsNil(T: LuaState, c: Check): boolean {
    return this.inner.acceptsNil(T, c);
  }
  check(T: LuaState, idx: number, path: string, c: Check): Problem {
    const p = this.inner.check(T, idx, path, c);
    if (p !== null || lua.lua_isnil(T, idx)) return p;
    const arg = this.args[0];
    const type = lua.lua_type(T, idx);
    switch (this.validator) {
      case 'min':
      case 'max': {
        if (type !== lua.LUA_TNUMBER || typeof arg !== 'number') return null;
        const v = lua.lua_tonumber(T, idx);
        if (this.validator === 'min' && v < arg) return at(path, `value ${tostringAt(T, idx)} is less than minimum ${arg}`);
        if (this.validator === 'max' && v > arg) return at(path, `value ${tostringAt(T, idx)} is greater than maximum ${arg}`);
        return null;
      }
      case 'min_len':
      case 'max_len':
      case 'min_items':
      case 'max_items': {
        if (typeof arg !== 'number') return null;
        let n: number;
        if (type === lua.LUA_TSTRING) n = [...toJsString(T, idx)].length;
        else if (type === lua.LUA_TTABLE) n = lua.lua_rawlen(T, idx);
        else return null;
        if (this.validator.startsWith('min') && n < arg) return at(path, `length ${n} is less than minimum length ${arg}`);
        if (this.validator.startsWith('max') && n > arg) return at(path, `length ${n} is greater than maximum length ${arg}`);
        return null;
      }
      case 'pattern': {
        if (type !== lua.LUA_TSTRING || typeof arg !== 'string') return null;
        const re = this.pattern(arg);
        if (re === null || checkpointed(() => c.vm.checkpoint(T), () => re.test(toJsString(T, idx)))) return null;
        return at(path, `value ${repr(T, idx)} does not match pattern ${JSON.stringify(arg)}`);
      }
      default:
        return null;
    }
  }
  /** The pattern, compiled once (RE2 syntax, as Go's regexp: `(?i)` and the other flags are the pattern's own). */
  private pattern(source: string): Regex | null {
    if (this.regex === undefined) {
      const re = cachedRegex(source);
      this.regex = re instanceof Regex ? re : null;
    }
    return this.regex;
  }
}

/** A declared type: the name Wippy reports (`Point:name()`), the checks of what it names. */
class Named extends TypeValue {
  constructor(
    name: string,
    readonly inner: TypeValue,
  ) {
    super();
    this.name = name;
  }
  get kind(): string {
    return this.inner.kind;
  }
  describe(): string {
    return this.name ?? this.inner.describe();
  }
  check(T: LuaState, idx: number, path: string, c: Check): Problem {
    return this.inner.check(T, idx, path, c);
  }
  override acceptsNil(T: LuaState, c: Check): boolean {
    return this.inner.acceptsNil(T, c);
  }
}

/** What a lazily resolved type resolves to (a type, or null while its target is unknown). */
abstract class Lazy extends TypeValue {
  private target: TypeValue | null = null;
  protected abstract resolveNow(T: LuaState, c: Check): TypeValue | null;
  resolve(T: LuaState, c: Check): TypeValue {
    if (this.target !== null) return this.target;
    if (c.depth > 100) return ANY;
    c.depth++;
    try {
      const t = this.resolveNow(T, c);
      if (t !== null) this.target = t;
      return t ?? ANY;
    } finally {
      c.depth--;
    }
  }
  get kind(): string {
    return this.target?.kind ?? 'reference';
  }
  check(T: LuaState, idx: number, path: string, c: Check): Problem {
    return this.resolve(T, c).check(T, idx, path, c);
  }
  override acceptsNil(T: LuaState, c: Check): boolean {
    return this.resolve(T, c).acceptsNil(T, c);
  }
}

/** Calls the function in `fn` with `args` (slots) on T, protected; the result if it is a type value. */
function callForType(T: LuaState, fn: Slot, args: readonly Slot[]): TypeValue | null {
  lua.lua_checkstack(T, args.length + 2);
  pushSlot(T, fn);
  for (const a of args) pushSlot(T, a);
  const ok = lua.lua_pcall(T, args.length, 1, 0) === lua.LUA_OK;
  const t = ok ? objectAt(T, -1) : null;
  lua.lua_settop(T, -2);
  return t instanceof TypeValue ? t : null;
}

/** A name in a type expression: its value in scope if that is a type, else a type the chunk declared so. */
class Reference extends Lazy {
  constructor(
    private readonly refName: string,
    private readonly getter: Slot,
    private readonly scope: Slot,
  ) {
    super();
  }
  describe(): string {
    return this.refName;
  }
  protected resolveNow(T: LuaState): TypeValue | null {
    const t = callForType(T, this.getter, []);
    if (t !== null) return t;
    pushSlot(T, this.scope);
    pushString(T, this.refName);
    lua.lua_rawget(T, -2);
    const declared = objectAt(T, -1);
    lua.lua_settop(T, -3);
    return declared instanceof TypeValue ? declared : null;
  }
}

/** A generic declaration: `type Box<T> = …` is a function from type arguments to a type. */
class Generic extends TypeValue {
  readonly kind = 'generic';
  private bare: TypeValue | null = null;
  constructor(
    readonly fn: Slot,
    readonly arity: number,
    private readonly any: Slot,
  ) {
    super();
  }
  describe(): string {
    return this.name ?? 'generic';
  }
  /** Used without arguments, every parameter is `any`. */
  check(T: LuaState, idx: number, path: string, c: Check): Problem {
    this.bare ??= callForType(T, this.fn, Array.from({ length: this.arity }, () => this.any)) ?? ANY;
    return this.bare.check(T, idx, path, c);
  }
}

/** `Box<string>`: the generic applied to its arguments, once, when first needed. */
class Instance extends Lazy {
  constructor(
    private readonly base: TypeValue,
    private readonly args: readonly Slot[],
  ) {
    super();
  }
  describe(): string {
    return `${this.base.describe()}<…>`;
  }
  protected resolveNow(T: LuaState, c: Check): TypeValue | null {
    let base: TypeValue = this.base;
    for (let i = 0; i < 8; i++) {
      if (base instanceof Lazy) base = base.resolve(T, c);
      else if (base instanceof Named) base = base.inner;
      else break;
    }
    if (!(base instanceof Generic)) return base;
    return callForType(T, base.fn, this.args);
  }
}

const ANY: TypeValue = new Primitive('any', () => true);

function installTypes(vm: LuaVM): void {
  const L = vm.L;
  let typeMeta: LuaTable;
  const check: Check = { vm, depth: 0 };
  const push = (T: LuaState, t: TypeValue): number => (pushObject(T, t, typeMeta), 1);
  const typeAt = (T: LuaState, idx: number): TypeValue => {
    const t = objectAt(T, idx);
    return t instanceof TypeValue ? t : lua.lua_isnoneornil(T, idx) ? ANY : lauxlib.luaL_argerror(T, idx, 'type expected');
  };
  const typesFrom = (T: LuaState, from: number): TypeValue[] => {
    const out: TypeValue[] = [];
    for (let i = from; i <= lua.lua_gettop(T); i++) out.push(typeAt(T, i));
    return out;
  };
  /** Checks argument 2 (the value) against the type at 1: null when it conforms. */
  const problemOf = (T: LuaState): Problem => {
    const t = typeAt(T, 1);
    lua.lua_settop(T, 2);
    return t.check(T, 2, '', check);
  };
  const invalid = (T: LuaState, message: string): ErrorValue =>
    new ErrorValue(message, 'Invalid', false, null, null, { frames: captureFrames(T) });

  const prims: Record<string, TypeValue> = {
    number: new Primitive('number', (T, i) => lua.lua_type(T, i) === lua.LUA_TNUMBER),
    integer: new Primitive('integer', (T, i) => lua.lua_isinteger(T, i) || (lua.lua_type(T, i) === lua.LUA_TNUMBER && Number.isInteger(lua.lua_tonumber(T, i)))),
    string: new Primitive('string', (T, i) => lua.lua_type(T, i) === lua.LUA_TSTRING),
    boolean: new Primitive('boolean', (T, i) => lua.lua_type(T, i) === lua.LUA_TBOOLEAN),
    null: new Primitive('nil', (T, i) => lua.lua_isnil(T, i)),
    any: ANY,
    unknown: new Primitive('unknown', () => true),
    never: new Primitive('never', () => false),
    table: new Primitive('table', (T, i) => isTable(T, i)),
    thread: new Primitive('thread', (T, i) => lua.lua_type(T, i) === lua.LUA_TTHREAD),
    userdata: new Primitive('userdata', (T, i) => lua.lua_type(T, i) === lua.LUA_TUSERDATA),
    error: new Primitive('error', (T, i) => objectAt(T, i) instanceof ErrorValue),
    fn: new FunctionType(),
  };

  const methods: Record<string, JSFunction> = {
    is: (T) => {
      const p = problemOf(T);
      if (p !== null) return fail(T, vm, p, 'Invalid', { retryable: false });
      lua.lua_pushnil(T);
      return 2;
    },
    kind: (T) => (pushString(T, typeAt(T, 1).kind), 1),
    name: (T) => {
      const n = typeAt(T, 1).name;
      if (n === null) lua.lua_pushnil(T);
      else pushString(T, n);
      return 1;
    },
  };
  typeMeta = metatable(vm, 'type', methods, {
    __call: (T) => {
      const p = problemOf(T);
      if (p === null) return 1;
      pushError(T, vm, invalid(T, p));
      return lua.lua_error(T);
    },
    __tostring: (T) => (pushString(T, `type ${typeAt(T, 1).describe()}`), 1),
  });

  const slotOf = (t: TypeValue): Slot => {
    push(L, t);
    return popSlot(L);
  };
  const anySlot = slotOf(ANY);

  /** What `typeof(v)` infers from a value with no annotation: its shape, recursively. */
  const infer = (T: LuaState, idx: number, depth: number): TypeValue => {
    const type = lua.lua_type(T, idx);
    if (type === lua.LUA_TNUMBER) return lua.lua_isinteger(T, idx) ? prims.integer : prims.number;
    if (type === lua.LUA_TSTRING) return prims.string;
    if (type === lua.LUA_TBOOLEAN) return prims.boolean;
    if (type === lua.LUA_TFUNCTION) return prims.fn;
    if (type === lua.LUA_TUSERDATA) {
      const o = objectAt(T, idx);
      return o instanceof TypeValue ? o : ANY;
    }
    if (type !== lua.LUA_TTABLE || depth > 16) return ANY;
    lua.lua_checkstack(T, 4);
    if (lua.lua_rawlen(T, idx) > 0) {
      lua.lua_rawgeti(T, idx, 1);
      const elem = infer(T, lua.lua_gettop(T), depth + 1);
      lua.lua_settop(T, -2);
      return new ArrayType(elem);
    }
    const fields: Field[] = [];
    lua.lua_pushnil(T);
    while (lua.lua_next(T, idx)) {
      if (lua.lua_type(T, -2) === lua.LUA_TSTRING) {
        fields.push({ name: toJsString(T, -2), type: infer(T, lua.lua_gettop(T), depth + 1), optional: false });
      }
      lua.lua_settop(T, -2);
    }
    return fields.length === 0 ? prims.table : new RecordType(fields);
  };

  const constructors: Record<string, JSFunction> = {
    def: (T) => {
      const name = toJsString(T, 2);
      const named = new Named(name, typeAt(T, 3));
      push(T, named);
      pushString(T, name);
      lua.lua_pushvalue(T, -2);
      lua.lua_rawset(T, 1);
      return 1;
    },
    ref: (T) => push(T, new Reference(toJsString(T, 2), slotAt(T, 3), slotAt(T, 1))),
    generic: (T) => push(T, new Generic(slotAt(T, 1), lua.lua_tointeger(T, 2), anySlot)),
    inst: (T) => {
      const args: Slot[] = [];
      for (let i = 2; i <= lua.lua_gettop(T); i++) args.push(slotAt(T, i));
      return push(T, new Instance(typeAt(T, 1), args));
    },
    lit: (T) => {
      const type = lua.lua_type(T, 1);
      if (type === lua.LUA_TSTRING) return push(T, new Literal(toJsString(T, 1), JSON.stringify(toJsString(T, 1))));
      if (type === lua.LUA_TNUMBER) return push(T, new Literal(lua.lua_tonumber(T, 1), tostringAt(T, 1)));
      return push(T, new Literal(lua.lua_toboolean(T, 1), lua.lua_toboolean(T, 1) ? 'true' : 'false'));
    },
    opt: (T) => push(T, new Optional(typeAt(T, 1))),
    union: (T) => push(T, new Union(typesFrom(T, 1))),
    inter: (T) => push(T, new Intersection(typesFrom(T, 1))),
    array: (T) => push(T, new ArrayType(typeAt(T, 1))),
    map: (T) => push(T, new MapType(typeAt(T, 1), typeAt(T, 2))),
    record: (T) => {
      const fields: Field[] = [];
      for (let i = 1; i + 2 <= lua.lua_gettop(T); i += 3) {
        fields.push({ name: toJsString(T, i), type: typeAt(T, i + 1), optional: lua.lua_toboolean(T, i + 2) });
      }
      return push(T, new RecordType(fields));
    },
    annot: (T) => {
      const args: (number | string | null)[] = [];
      for (let i = 3; i <= lua.lua_gettop(T); i++) {
        const type = lua.lua_type(T, i);
        args.push(type === lua.LUA_TNUMBER ? lua.lua_tonumber(T, i) : type === lua.LUA_TSTRING ? toJsString(T, i) : null);
      }
      return push(T, new Annotated(typeAt(T, 1), toJsString(T, 2), args));
    },
    typeof: (T) => push(T, infer(T, 1, 0)),
  };
  const runtime = functionTable(vm, constructors);
  pushSlot(L, runtime);
  for (const [name, t] of Object.entries(prims)) setField(vm, L, -1, name, () => push(L, t));
  lua.lua_settop(L, -2);
  vm.defineGlobal(RUNTIME, readonlyView(vm, runtime, RUNTIME));

  // Casts: calling a primitive type name validates, as calling any type value does.
  for (const name of ['integer', 'number', 'boolean']) vm.defineGlobal(name, slotOf(prims[name]));
  lua.lua_getglobal(L, 'string');
  const stringLib = popSlot(L);
  const stringView = readonlyView(vm, stringLib, 'string');
  pushSlot(L, stringView);
  lua.lua_getmetatable(L, -1);
  setField(vm, L, -1, '__call', () =>
    lua.lua_pushcclosure(L, (T) => {
      lua.lua_settop(T, 2);
      const p = prims.string.check(T, 2, '', check);
      if (p === null) return 1;
      pushError(T, vm, invalid(T, p));
      return lua.lua_error(T);
    }, 0),
  );
  lua.lua_settop(L, -3);
  vm.defineGlobal('string', stringView);

  // type(v): "type" for a type value, as go-lua's type of type values.
  lua.lua_pushcclosure(L, (T) => {
    lauxlib.luaL_checkany(T, 1);
    if (lua.lua_type(T, 1) === lua.LUA_TUSERDATA && objectAt(T, 1) instanceof TypeValue) pushString(T, 'type');
    else lua.lua_pushstring(T, lua.lua_typename(T, lua.lua_type(T, 1)));
    return 1;
  }, 0);
  vm.defineGlobal('type', popSlot(L));
}

export const typesModule = luaModule({
  name: 'types',
  description: 'Runtime types: type values, casts and checks',
  classes: ['deterministic'],
  hidden: true,
  install: (vm) => installTypes(vm),
});

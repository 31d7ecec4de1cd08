/**
 * The `registry` module (spec.md beside this file): entries of the current registry version (any kind, as
 * written), snapshots of any version, change sets that make a new version, and rollback. A change set whose
 * entries do not validate or whose Lua does not compile is refused whole; an applied one is what the next
 * spawn or `funcs.call` runs.
 */
import { lua, lauxlib, checkJsString, pushString, type LuaState } from '../../engine/lua';
import { argObject, pushObject, type LuaTable } from '../../engine/slots';
import { exportValue } from '../../engine/values';
import { LuaSyntaxError } from '../../engine/loader';
import { pushError } from '../errors';
import { refuse } from '../refuse';
import { ErrorValue, Table, type Value } from '../../kernel/value';
import { MAX_CHANGES, RegistryError, UnsupportedChange, delta, isLuaEntry, splitId, type ChangeOp, type ChangeKind, type Entry, type EntryRecord, type RegistryStore, type StoreChange, type StoreLeader, type Version } from '../../registry';
import { matches, parseFilter } from './filter';
import { MAX_ALIAS_EXPANSION, MAX_EXPANDED_DEPTH } from '../../util/yaml';
import type { LuaVM } from '../../engine/vm';
import { checkpointed, tick } from '../../lib/checkpoint';
import type { JSFunction } from 'fengari';
import type { HoldsValues } from '../../engine/memory';
import { denied, securityGuard, type Guard } from '../guard';
import { luaModule } from '../module';
import { functionTable, metatable, pushRecord } from '../../engine/binding';
import { valueToPlain, pushPlain } from '../../engine/plain';
import { settle } from '../settle';

class VersionRef {
  constructor(readonly id: number) {}
}
class SnapshotRef {
  constructor(readonly version: Version) {}
}
class HistoryRef {}
/** A change set being built; the entries it holds are memory of the process that holds it (HoldsValues). */
class ChangesRef implements HoldsValues {
  readonly ops: ChangeOp[] = [];
  /** The Lua values the ops were made from, as the watchdog's measure of them. */
  readonly sources: Value[] = [];

  forEachValue(fn: (v: Value) => void): void {
    for (const v of this.sources) fn(v);
  }
}

function installRegistry(vm: LuaVM, store: RegistryStore | undefined, guard: Guard): void {
  let versionMeta: LuaTable;
  let snapshotMeta: LuaTable;
  let historyMeta: LuaTable;
  let changesMeta: LuaTable;

  const storeOf = (T: LuaState): RegistryStore => store ?? lauxlib.luaL_error(T, 'registry: no registry in this runtime');
  const check = <C>(cls: new (...a: never[]) => C, name: string) => (T: LuaState, n = 1): C => {
    const o = argObject(T, n);
    return o instanceof cls ? o : lauxlib.luaL_argerror(T, n, `${name} expected`);
  };
  const checkVersion = check(VersionRef, 'registry.Version');
  const checkSnapshot = check(SnapshotRef, 'registry.Snapshot');
  const checkChanges = check(ChangesRef, 'registry.Changes');

  const pushEntry = (T: LuaState, r: EntryRecord): void =>
    pushRecord(T, { id: r.id, kind: r.kind, meta: () => pushPlain(T, r.meta, vm), data: () => pushPlain(T, r.data, vm) });
  /** Up to 100,000 records, each up to 100,000 values: the runaway guard watches the copy. */
  const pushRecords = (T: LuaState, records: readonly EntryRecord[]): number => {
    lua.lua_createtable(T, records.length, 0);
    checkpointed(() => vm.checkpoint(T), () =>
      records.forEach((r, i) => {
        tick();
        pushEntry(T, r);
        lua.lua_rawseti(T, -2, i + 1);
      }),
    );
    return 1;
  };
  const pushVersion = (T: LuaState, v: Version | undefined): number => {
    if (v === undefined) lua.lua_pushnil(T);
    else pushObject(T, new VersionRef(v.id), versionMeta);
    return 1;
  };
  const pushSnapshot = (T: LuaState, v: Version): number => (pushObject(T, new SnapshotRef(v), snapshotMeta), 1);
  const pushOk = (T: LuaState, push: () => void): number => (push(), lua.lua_pushnil(T), 2);

  const get = (T: LuaState, v: Version, idAt: number): number => {
    const id = checkJsString(T, idAt);
    if (!guard(T, 'registry.get', id)) return denied(T, vm, `not allowed to access entry: ${id}`);
    const record = v.registry.record(id);
    if (record === undefined) return refuse(T, vm, `entry not found: ${id}`, 'NotFound');
    return pushOk(T, () => pushEntry(T, record));
  };
  const find = (T: LuaState, v: Version, filterAt: number): number => {
    lauxlib.luaL_checktype(T, filterAt, lua.LUA_TTABLE);
    const filter = parseFilter(valueToPlain(exportValue(T, filterAt)) as Record<string, unknown>);
    // Entries the caller may not read are left out, as in Wippy.
    const found = checkpointed(() => vm.checkpoint(T), () => v.registry.records().filter((r) => matches(r, filter) && guard(T, 'registry.get', r.id)));
    return pushRecords(T, found);
  };
  const versionById = (T: LuaState, id: number): Version | null => storeOf(T).at(id) ?? null;

  /** A compile check for the Lua entries of a change set: the error the user would get at spawn time. */
  const compiles = (entry: Entry): string | null => {
    if (!isLuaEntry(entry)) return null;
    try {
      vm.compile(entry.source, entry.id, entry.sourcePath);
      return null;
    } catch (e) {
      if (e instanceof LuaSyntaxError) return e.message;
      throw e;
    }
  };

  /** The entry table at `n` as a record (id as a string or {ns, name}), or why it is not one. */
  const recordAt = (T: LuaState, n: number, sources?: Value[]): EntryRecord | string => {
    if (lua.lua_type(T, n) !== lua.LUA_TTABLE) return 'entry must be a table';
    const value = exportValue(T, n);
    sources?.push(value);
    // No bigger than a definition file may be: more would make every later find() of every process fail.
    const shape = expandedShape(value);
    if (shape.depth > MAX_EXPANDED_DEPTH) return `entry nested more than ${MAX_EXPANDED_DEPTH} levels deep`;
    if (shape.nodes > MAX_ALIAS_EXPANSION) return `entry has more than ${MAX_ALIAS_EXPANSION} values once shared parts are written out`;
    const plain = valueToPlain(value) as Record<string, unknown>;
    const id = idOf(plain.id);
    if (id === null) return 'entry must have a valid id field';
    if (typeof plain.kind !== 'string' || plain.kind === '') return 'entry must have a kind field';
    const meta = isObject(plain.meta) ? plain.meta : {};
    const data = isObject(plain.data) ? plain.data : {};
    return { id, kind: plain.kind, meta, data };
  };
  const addOp = (kind: ChangeKind): JSFunction => (T) => {
    const changes = checkChanges(T);
    if (changes.ops.length >= MAX_CHANGES) return refuse(T, vm, `too many changes: at most ${MAX_CHANGES} in one change set`, 'Invalid');
    let record: EntryRecord | string;
    if (kind === 'entry.delete') {
      const id = lua.lua_type(T, 2) === lua.LUA_TTABLE ? idOf(valueToPlain(exportValue(T, 2))) : lua.lua_type(T, 2) === lua.LUA_TSTRING ? checkJsString(T, 2) : null;
      record = id === null || id === '' ? 'invalid id: expected "ns:name" or {ns = ..., name = ...}' : { id, kind: '', meta: {}, data: {} };
    } else {
      record = recordAt(T, 2, changes.sources);
    }
    if (typeof record === 'string') return refuse(T, vm, record, 'Invalid');
    changes.ops.push({ kind, record });
    lua.lua_settop(T, 1);
    return 1;
  };
  const pushOps = (T: LuaState, ops: readonly ChangeOp[]): number => {
    lua.lua_createtable(T, ops.length, 0);
    ops.forEach((op, i) => {
      pushRecord(T, { kind: op.kind, entry: () => pushEntry(T, op.record) });
      lua.lua_rawseti(T, -2, i + 1);
    });
    return 1;
  };
  /** A RegistryError as `nil, err` (Invalid: the change's fault; Internal: wisp's); anything else is thrown on. */
  const pushRefusal = (T: LuaState, e: unknown): number => {
    if (!(e instanceof RegistryError)) throw e;
    lua.lua_pushnil(T);
    pushError(T, vm, new ErrorValue(e.message, e instanceof UnsupportedChange ? 'Internal' : 'Invalid', false));
    return 2;
  };
  /** Runs a store operation; a RegistryError becomes `nil, err`. */
  const attempt = (T: LuaState, op: () => Version): Version | null => {
    try {
      return op();
    } catch (e) {
      pushRefusal(T, e);
      return null;
    }
  };
  /**
   * With several threads, on threads 2..N: thread 1 orders the change (the caller waits for it), after it was
   * checked here, where its Lua is compiled; the answer comes once this thread has applied it too.
   */
  const viaLeader = (T: LuaState, store: RegistryStore, change: StoreChange, answer: (R: LuaState, id: number) => number): number => {
    const leader = store.leader as StoreLeader;
    return settle(vm, T, () => leader.change(change), answer, (R, e) =>
      e instanceof RegistryError ? pushRefusal(R, e) : refuse(R, vm, e instanceof Error ? e.message : String(e), 'Internal'),
    );
  };

  versionMeta = metatable(vm,
    'registry.Version',
    {
      id: (T) => (lua.lua_pushinteger(T, checkVersion(T).id), 1),
      previous: (T) => {
        const all = storeOf(T).versions();
        const i = all.findIndex((v) => v.id === checkVersion(T).id);
        return pushVersion(T, i > 0 ? all[i - 1] : undefined);
      },
      next: (T) => {
        const all = storeOf(T).versions();
        const i = all.findIndex((v) => v.id === checkVersion(T).id);
        return pushVersion(T, i >= 0 ? all[i + 1] : undefined);
      },
      string: (T) => (pushString(T, `v${checkVersion(T).id}`), 1),
    },
    {
      __tostring: (T) => (pushString(T, `Version{id=${checkVersion(T).id}}`), 1),
      __eq: (T) => (lua.lua_pushboolean(T, checkVersion(T, 1).id === checkVersion(T, 2).id), 1),
    },
  );

  snapshotMeta = metatable(vm,
    'registry.Snapshot',
    {
      entries: (T) => pushOk(T, () => pushRecords(T, checkSnapshot(T).version.registry.records().filter((r) => guard(T, 'registry.get', r.id)))),
      get: (T) => get(T, checkSnapshot(T).version, 2),
      namespace: (T) => {
        const ns = checkJsString(T, 2);
        return pushRecords(T, checkSnapshot(T).version.registry.records().filter((r) => splitId(r.id)[0] === ns));
      },
      find: (T) => find(T, checkSnapshot(T).version, 2),
      changes: (T) => (checkSnapshot(T), pushObject(T, new ChangesRef(), changesMeta), 1),
      version: (T) => pushVersion(T, checkSnapshot(T).version),
    },
    { __tostring: (T) => (pushString(T, `Snapshot{version=${checkSnapshot(T).version.id}}`), 1) },
  );

  changesMeta = metatable(vm,
    'registry.Changes',
    {
      ops: (T) => pushOps(T, checkChanges(T).ops),
      create: addOp('entry.create'),
      update: addOp('entry.update'),
      delete: addOp('entry.delete'),
      apply: (T) => {
        const changes = checkChanges(T);
        // A change set could rewrite any entry (a policy too): only a caller allowed `registry.apply` may.
        if (!guard(T, 'registry.apply', '')) return denied(T, vm, 'not allowed to apply registry changes');
        const store = storeOf(T);
        if (store.leader !== null) {
          if (attempt(T, () => (store.check(changes.ops, compiles), store.version)) === null) return 2;
          return viaLeader(T, store, { ops: changes.ops }, (R, id) => pushOk(R, () => pushVersion(R, store.at(id) ?? store.version)));
        }
        const v = attempt(T, () => store.apply(changes.ops, compiles));
        return v === null ? 2 : pushOk(T, () => pushVersion(T, v));
      },
    },
    { __tostring: (T) => (pushString(T, `Changes{ops=${checkChanges(T).ops.length}}`), 1) },
  );

  historyMeta = metatable(vm,
    'registry.History',
    {
      versions: (T) => historyVersions(T),
      get_version: (T) => {
        const id = lauxlib.luaL_checkinteger(T, 2);
        if (id < 0) return refuse(T, vm, `invalid version id ${id}`, 'Invalid');
        const v = versionById(T, id);
        return v === null ? refuse(T, vm, `version ${id} not found`, 'NotFound') : pushOk(T, () => pushVersion(T, v));
      },
      snapshot_at: (T) => {
        const v = versionById(T, checkVersion(T, 2).id);
        return v === null ? refuse(T, vm, 'version not found', 'NotFound') : pushSnapshot(T, v);
      },
    },
    { __tostring: (T) => (pushString(T, `History{versions=${storeOf(T).versions().length}}`), 1) },
  );

  vm.defineModule(
    'registry',
    functionTable(vm, {
      parse_id: (T) => {
        const [ns, name] = splitId(checkJsString(T, 1));
        pushRecord(T, { ns, name });
        return 1;
      },
      get: (T) => get(T, storeOf(T).version, 1),
      find: (T) => pushOk(T, () => find(T, storeOf(T).version, 1)),
      snapshot: (T) => pushOk(T, () => pushSnapshot(T, storeOf(T).version)),
      snapshot_at: (T) => {
        const id = lauxlib.luaL_checkinteger(T, 1);
        if (id <= 0) return refuse(T, vm, `invalid version id ${id}: must be > 0`, 'Invalid');
        const v = versionById(T, id);
        return v === null ? refuse(T, vm, `version ${id} not found`, 'NotFound') : pushOk(T, () => pushSnapshot(T, v));
      },
      current_version: (T) => pushOk(T, () => pushVersion(T, storeOf(T).version)),
      versions: (T) => historyVersions(T),
      history: (T) => (storeOf(T), pushOk(T, () => pushObject(T, new HistoryRef(), historyMeta))),
      apply_version: (T) => {
        const id = checkVersion(T).id;
        if (!guard(T, 'registry.apply_version', '')) return denied(T, vm, 'registry version change is not allowed');
        if (storeOf(T).at(id) === undefined) {
          lua.lua_pushboolean(T, false);
          pushError(T, vm, new ErrorValue(`version ${id} not found`, 'NotFound', false));
          return 2;
        }
        const pushTrue = (R: LuaState): number => (lua.lua_pushboolean(R, true), lua.lua_pushnil(R), 2);
        const store = storeOf(T);
        if (store.leader !== null) return viaLeader(T, store, { restore: id }, pushTrue);
        store.restore(id);
        return pushTrue(T);
      },
      build_delta: (T) => {
        lauxlib.luaL_checktype(T, 1, lua.LUA_TTABLE);
        lauxlib.luaL_checktype(T, 2, lua.LUA_TTABLE);
        const from = recordsAt(T, 1);
        const to = recordsAt(T, 2);
        if (typeof from === 'string' || typeof to === 'string') return refuse(T, vm, String(typeof from === 'string' ? from : to), 'Invalid');
        return pushOk(T, () => pushOps(T, delta(from, to)));
      },
    }),
  );

  function historyVersions(T: LuaState): number {
    const all = storeOf(T).versions();
    lua.lua_settop(T, 0);
    lua.lua_createtable(T, all.length, 0);
    all.forEach((v, i) => (pushVersion(T, v), lua.lua_rawseti(T, -2, i + 1)));
    lua.lua_pushnil(T);
    return 2;
  }

  function recordsAt(T: LuaState, n: number): EntryRecord[] | string {
    const out: EntryRecord[] = [];
    for (let i = 1; ; i++) {
      lua.lua_rawgeti(T, n, i);
      if (lua.lua_isnil(T, -1)) return lua.lua_settop(T, -2), out;
      const r = recordAt(T, lua.lua_gettop(T));
      lua.lua_settop(T, -2);
      if (typeof r === 'string') return `entry ${i}: ${r}`;
      out.push(r);
    }
  }
}

/**
 * The depth and node count of `v` once written out as plain data (shared tables count at every place they
 * appear, as they would in a definition file; a cycle is cut where it closes). Post-order, memoised, no
 * recursion: `{a = t, b = t}` forty times over is measured without being expanded.
 */
function expandedShape(v: Value): { depth: number; nodes: number } {
  if (!(v instanceof Table)) return { depth: 0, nodes: 1 };
  const done = new Map<Table, { depth: number; nodes: number }>();
  const onPath = new Set<Table>();
  const stack: { t: Table; children: Table[] | null }[] = [{ t: v, children: null }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.children === null) {
      onPath.add(top.t);
      top.children = [...top.t.map.values()].filter((x): x is Table => x instanceof Table && !done.has(x) && !onPath.has(x));
      for (const c of top.children) stack.push({ t: c, children: null });
      continue;
    }
    stack.pop();
    onPath.delete(top.t);
    let depth = 0;
    let nodes = 1;
    for (const x of top.t.map.values()) {
      const shape = x instanceof Table ? (done.get(x) ?? { depth: 0, nodes: 1 }) : { depth: 0, nodes: 1 };
      depth = Math.max(depth, shape.depth);
      nodes = Math.min(nodes + shape.nodes, Number.MAX_SAFE_INTEGER);
    }
    done.set(top.t, { depth: depth + 1, nodes });
  }
  return done.get(v) as { depth: number; nodes: number };
}

function idOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.ns === 'string' && typeof v.name === 'string') return `${v.ns}:${v.name}`;
  return null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const registryModule = luaModule({
  name: 'registry',
  description: 'Registry entries: find, get, changes',
  classes: ['process'],
  install: (vm, ctx) => installRegistry(vm, ctx.services.registry, securityGuard(vm, ctx.services)),
});

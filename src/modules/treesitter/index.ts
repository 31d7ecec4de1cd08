/**
 * The `treesitter` module (spec.md beside this file): parsers, trees, nodes, cursors, queries and languages
 * over src/lib/treesitter.ts. Parsers, trees, cursors and queries hold WebAssembly memory: each belongs to
 * the process that made it, is freed by `close()` or when the process ends, and a process may hold only so
 * many of them at once.
 */
import { lauxlib, lua, checkJsString, pushNumber, pushString, toJsString, type LuaState } from '../../engine/lua';
import { argObject, argInstance, pushObject, type LuaTable } from '../../engine/slots';
import type { LuaVM } from '../../engine/vm';
import type { LuaProcess, Resource } from '../../engine/process';
import { parseDuration } from '../../lib/duration';
import {
  compileQuery, guarded, init, language, languageNames, nameOf, parseSliced, runQuery, sexp, LIMITS, Parser, TextMap, TreeSitterError,
  type Language, type Node, type Point, type Query, type QueryCapture, type QueryMatch, type Range, type Tree, type TreeCursor,
} from '../../lib/treesitter';
import { fail } from '../errors';
import { luaModule } from '../module';
import { settle } from '../settle';
import type { JSFunction } from 'fengari';
import { functionTable, metatable, pushRecord } from '../../engine/binding';

/** How many parsers, trees, cursors and queries one process may hold open at once. */
export const MAX_OPEN_PER_PROCESS = 4096;

/** Something holding WebAssembly memory, freed once. */
abstract class Held implements Resource {
  closed = false;
  constructor(readonly owner: Ledger) {
    owner.open.add(this);
  }
  protected abstract free(): void;
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.open.delete(this);
    try {
      guarded(() => this.free());
    } catch {
      // freeing after a fault: nothing more to do
    }
  }
}

/** What one process holds open. */
class Ledger implements Resource {
  readonly open = new Set<Held>();
  dispose(): void {
    for (const h of [...this.open]) h.dispose();
  }
}

class LanguageHandle {
  constructor(
    readonly lang: Language,
    readonly name: string,
  ) {}
}

class ParserHandle extends Held {
  readonly parser = new Parser();
  lang: Language | null = null;
  timeoutMs = 0;
  protected free(): void {
    this.parser.delete();
  }
}

class TreeHandle extends Held {
  constructor(
    owner: Ledger,
    readonly tree: Tree,
    readonly map: TextMap,
    readonly lang: Language,
  ) {
    super(owner);
  }
  protected free(): void {
    this.tree.delete();
  }
}

class NodeHandle {
  constructor(
    readonly tree: TreeHandle,
    readonly node: Node,
  ) {}
}

class CursorHandle extends Held {
  constructor(
    owner: Ledger,
    readonly tree: TreeHandle,
    readonly cursor: TreeCursor,
  ) {
    super(owner);
  }
  protected free(): void {
    this.cursor.delete();
  }
}

class QueryHandle extends Held {
  startIndex?: number;
  endIndex?: number;
  startPosition?: Point;
  endPosition?: Point;
  matchLimit?: number;
  maxStartDepth?: number;
  timeoutMicros = 0;
  exceeded = false;
  constructor(
    owner: Ledger,
    readonly query: Query,
  ) {
    super(owner);
  }
  protected free(): void {
    this.query.delete();
  }
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function installTreesitter(vm: LuaVM): void {
  const ledgers = new WeakMap<LuaProcess, Ledger>();
  const meta: Record<string, LuaTable> = {};

  const ledgerOf = (T: LuaState): Ledger => {
    const proc = vm.currentProcess(T);
    let ledger = ledgers.get(proc);
    if (ledger === undefined) {
      ledger = new Ledger();
      ledgers.set(proc, ledger);
      proc.own(ledger);
    }
    if (ledger.open.size >= MAX_OPEN_PER_PROCESS) {
      throw new TreeSitterError(`too many open tree-sitter objects (${MAX_OPEN_PER_PROCESS}); close some`);
    }
    return ledger;
  };

  const failWith = (T: LuaState, e: unknown, context?: string): number => {
    if (e instanceof TreeSitterError) return fail(T, vm, e.message, e.kind, { retryable: false, context });
    throw e;
  };
  /** Runs `fn`; a TreeSitterError becomes `nil, err` (or `false, err` with `falsy`). */
  const attempt = (T: LuaState, fn: () => number, falsy = false): number => {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof TreeSitterError)) throw e;
      const n = failWith(T, e);
      if (falsy) {
        lua.lua_pushboolean(T, false);
        lua.lua_replace(T, -3);
      }
      return n;
    }
  };

  const check = <C>(T: LuaState, cls: abstract new (...args: never[]) => C, what: string): C => argInstance(T, 1, cls, `${what} expected`);
  const open = <C extends Held>(T: LuaState, h: C, what: string): C => (h.closed ? lauxlib.luaL_error(T, `${what} is closed`) : h);
  const treeOf = (T: LuaState): TreeHandle => open(T, check(T, TreeHandle, 'Tree'), 'tree');
  const nodeOf = (T: LuaState, idx = 1): NodeHandle => {
    const n = argInstance(T, idx, NodeHandle, 'Node expected');
    if (n.tree.closed) lauxlib.luaL_error(T, 'tree is closed');
    return n;
  };
  const cursorOf = (T: LuaState): CursorHandle => {
    const c = open(T, check(T, CursorHandle, 'Cursor'), 'cursor');
    if (c.tree.closed) lauxlib.luaL_error(T, 'tree is closed');
    return c;
  };
  const queryOf = (T: LuaState): QueryHandle => open(T, check(T, QueryHandle, 'Query'), 'query');

  const pushPoint = (T: LuaState, p: Point): void => pushRecord(T, { row: p.row, column: p.column });
  const pointAt = (T: LuaState, idx: number): Point => {
    lauxlib.luaL_checktype(T, idx, lua.LUA_TTABLE);
    const field = (k: string): number => {
      lua.lua_getfield(T, idx, k);
      const v = lua.lua_tonumber(T, -1);
      lua.lua_settop(T, -2);
      return Math.max(0, Math.trunc(v));
    };
    return { row: field('row'), column: field('column') };
  };
  const intField = (T: LuaState, idx: number, k: string): number => {
    lua.lua_getfield(T, idx, k);
    const v = lua.lua_tonumber(T, -1);
    lua.lua_settop(T, -2);
    return Math.max(0, Math.trunc(v));
  };
  const pushNode = (T: LuaState, tree: TreeHandle, node: Node | null): number => {
    if (node === null) return lua.lua_pushnil(T), 1;
    pushObject(T, new NodeHandle(tree, node), meta.node);
    return 1;
  };
  const pushRanges = (T: LuaState, map: TextMap | null, ranges: Range[]): number => {
    lua.lua_createtable(T, ranges.length, 0);
    ranges.forEach((r, i) => {
      pushRecord(T, {
        start_point: () => pushPoint(T, map === null ? r.startPosition : map.point(r.startPosition)),
        end_point: () => pushPoint(T, map === null ? r.endPosition : map.point(r.endPosition)),
        start_byte: map === null ? r.startIndex : map.byte(r.startIndex),
        end_byte: map === null ? r.endIndex : map.byte(r.endIndex),
      });
      lua.lua_rawseti(T, -2, i + 1);
    });
    return 1;
  };
  /** A duration argument: a Go duration string, or nanoseconds. */
  const durationMs = (T: LuaState, idx: number): number => {
    if (lua.lua_type(T, idx) === lua.LUA_TSTRING) {
      try {
        return parseDuration(toJsString(T, idx)) / 1e6;
      } catch (e) {
        return lauxlib.luaL_argerror(T, idx, messageOf(e));
      }
    }
    return lauxlib.luaL_checknumber(T, idx) / 1e6;
  };

  /** `then(lang)` once the language of `alias` is loaded: at once when it is, else as a Promise. */
  const onLanguage = <V>(alias: string, then: (lang: Language) => V | Promise<V>): V | Promise<V> => {
    const lang = language(alias);
    return lang instanceof Promise ? lang.then(then) : then(lang);
  };

  /** A parse into a tree of `ledger`'s process; `done` runs once the parse has ended, however it ended. */
  const parseWork = (ledger: Ledger, parser: Parser, lang: Language, bytes: Uint8Array, old: TreeHandle | null, budgetMs: number, done = (): void => undefined): TreeHandle | Promise<TreeHandle> => {
    const map = new TextMap(bytes);
    const made = (tree: Tree): TreeHandle => new TreeHandle(ledger, tree, map, lang);
    let r: Tree | Promise<Tree>;
    try {
      r = parseSliced(parser, map, old?.closed === false ? old.tree : null, budgetMs);
    } catch (e) {
      done();
      throw e;
    }
    if (!(r instanceof Promise)) return done(), made(r);
    return r.finally(done).then(made);
  };
  /** Answers `tree, nil` or `nil, err` once `work` is done (blocking only the calling coroutine). */
  const answerTree = (T: LuaState, work: () => TreeHandle | Promise<TreeHandle>): number =>
    settle(
      vm,
      T,
      work,
      (R, tree) => (pushObject(R, tree, meta.tree), lua.lua_pushnil(R), 2),
      (R, e) => failWith(R, e),
      (tree) => tree.dispose(),
    );
  /** Answers what `then` pushes once `work` is done, or `nil, err` (`false, err` with `falsy`). */
  const answer = <V>(T: LuaState, work: () => V | Promise<V>, then: (R: LuaState, v: V) => number, falsy = false): number =>
    settle(vm, T, work, then, (R, e) => {
      const n = failWith(R, e);
      if (falsy) {
        lua.lua_pushboolean(R, false);
        lua.lua_replace(R, -3);
      }
      return n;
    });

  const sourceAt = (T: LuaState, idx: number): Uint8Array => {
    lauxlib.luaL_checktype(T, idx, lua.LUA_TSTRING);
    return lua.lua_tolstring(T, idx) as Uint8Array;
  };

  meta.language = metatable(vm, 'treesitter.Language', {
    version: (T) => (pushNumber(T, check(T, LanguageHandle, 'Language').lang.abiVersion), 1),
    node_kind_count: (T) => (pushNumber(T, check(T, LanguageHandle, 'Language').lang.nodeTypeCount), 1),
    parse_state_count: (T) => (pushNumber(T, check(T, LanguageHandle, 'Language').lang.stateCount), 1),
    node_kind_for_id: (T) => (pushString(T, check(T, LanguageHandle, 'Language').lang.nodeTypeForId(lauxlib.luaL_checkinteger(T, 2)) ?? ''), 1),
    id_for_node_kind: (T) => {
      const l = check(T, LanguageHandle, 'Language').lang;
      const kind = checkJsString(T, 2);
      lauxlib.luaL_checktype(T, 3, lua.LUA_TBOOLEAN);
      return pushNumber(T, l.idForNodeType(kind, lua.lua_toboolean(T, 3)) ?? 0), 1;
    },
    node_kind_is_named: (T) => (lua.lua_pushboolean(T, check(T, LanguageHandle, 'Language').lang.nodeTypeIsNamed(lauxlib.luaL_checkinteger(T, 2))), 1),
    field_count: (T) => (pushNumber(T, check(T, LanguageHandle, 'Language').lang.fieldCount), 1),
    field_name_for_id: (T) => (pushString(T, check(T, LanguageHandle, 'Language').lang.fieldNameForId(lauxlib.luaL_checkinteger(T, 2)) ?? ''), 1),
    field_id_for_name: (T) => (pushNumber(T, check(T, LanguageHandle, 'Language').lang.fieldIdForName(checkJsString(T, 2)) ?? 0), 1),
  });

  const pushLanguage = (T: LuaState, lang: Language): number => (pushObject(T, new LanguageHandle(lang, nameOf(lang)), meta.language), 1);

  meta.parser = metatable(vm, 'treesitter.Parser', {
    set_language: (T) => {
      const p = open(T, check(T, ParserHandle, 'Parser'), 'parser');
      const alias = checkJsString(T, 2);
      return answer(
        T,
        () => onLanguage(alias, (lang) => (guarded(() => p.parser.setLanguage(lang)), (p.lang = lang))),
        (R) => (lua.lua_pushboolean(R, true), 1),
        true,
      );
    },
    get_language: (T) => {
      const p = open(T, check(T, ParserHandle, 'Parser'), 'parser');
      if (p.lang === null) return fail(T, vm, 'language not set', 'Invalid', { retryable: false });
      return pushString(T, nameOf(p.lang)), 1;
    },
    parse: (T) => {
      const p = open(T, check(T, ParserHandle, 'Parser'), 'parser');
      const bytes = sourceAt(T, 2);
      const oldArg = argObject(T, 3);
      if (p.lang === null) return fail(T, vm, 'language not set', 'Invalid', { retryable: false });
      const lang = p.lang;
      const budget = p.timeoutMs > 0 ? Math.min(p.timeoutMs, LIMITS.parseMs) : LIMITS.parseMs;
      return attempt(T, () => {
        const ledger = ledgerOf(T);
        return answerTree(T, () => parseWork(ledger, p.parser, lang, bytes, oldArg instanceof TreeHandle ? oldArg : null, budget));
      });
    },
    reset: (T) => (guarded(() => open(T, check(T, ParserHandle, 'Parser'), 'parser').parser.reset()), 0),
    set_timeout: (T) => {
      const p = open(T, check(T, ParserHandle, 'Parser'), 'parser');
      p.timeoutMs = durationMs(T, 2);
      return 0;
    },
    set_ranges: (T) => {
      open(T, check(T, ParserHandle, 'Parser'), 'parser');
      lauxlib.luaL_checktype(T, 2, lua.LUA_TTABLE);
      // Ranges are given per parse in web-tree-sitter; wisp keeps the parser's whole source.
      lua.lua_pushboolean(T, true);
      return 1;
    },
    close: (T) => (check(T, ParserHandle, 'Parser').dispose(), 0),
  });

  meta.tree = metatable(vm, 'treesitter.Tree', {
    root_node: (T) => {
      const t = treeOf(T);
      return pushNode(T, t, guarded(() => t.tree.rootNode)), lua.lua_pushnil(T), 2;
    },
    root_node_with_offset: (T) => {
      const t = treeOf(T);
      const offset = lauxlib.luaL_checkinteger(T, 2);
      const point = pointAt(T, 3);
      return pushNode(T, t, guarded(() => t.tree.rootNodeWithOffset(offset, point))), lua.lua_pushnil(T), 2;
    },
    language: (T) => (pushLanguage(T, treeOf(T).lang), lua.lua_pushnil(T), 2),
    copy: (T) => {
      const t = treeOf(T);
      return attempt(T, () => (pushObject(T, new TreeHandle(ledgerOf(T), guarded(() => t.tree.copy()), t.map, t.lang), meta.tree), lua.lua_pushnil(T), 2));
    },
    walk: (T) => {
      const t = treeOf(T);
      return attempt(T, () => (pushObject(T, new CursorHandle(ledgerOf(T), t, guarded(() => t.tree.walk())), meta.cursor), lua.lua_pushnil(T), 2));
    },
    edit: (T) => {
      const t = treeOf(T);
      lauxlib.luaL_checktype(T, 2, lua.LUA_TTABLE);
      const m = t.map;
      const byteAt = (k: string): number => m.index(intField(T, 2, k));
      const p = (row: string, col: string): Point => m.unpoint({ row: intField(T, 2, row), column: intField(T, 2, col) });
      const edit = {
        startIndex: byteAt('start_byte'), oldEndIndex: byteAt('old_end_byte'), newEndIndex: byteAt('new_end_byte'),
        startPosition: p('start_row', 'start_column'), oldEndPosition: p('old_end_row', 'old_end_column'), newEndPosition: p('new_end_row', 'new_end_column'),
      };
      if (edit.oldEndIndex < edit.startIndex || edit.newEndIndex < edit.startIndex) return fail(T, vm, 'invalid edit positions', 'Invalid', { retryable: false });
      guarded(() => t.tree.edit(edit));
      lua.lua_pushboolean(T, true);
      return 1;
    },
    changed_ranges: (T) => {
      const t = treeOf(T);
      const other = argObject(T, 2);
      if (!(other instanceof TreeHandle) || other.closed) return lauxlib.luaL_argerror(T, 2, 'Tree expected');
      return pushRanges(T, t.map, guarded(() => t.tree.getChangedRanges(other.tree)));
    },
    included_ranges: (T) => {
      const t = treeOf(T);
      return pushRanges(T, t.map, guarded(() => t.tree.getIncludedRanges()));
    },
    dot_graph: (T) => (treeOf(T), fail(T, vm, 'dot_graph is not supported by wisp', 'Internal', { retryable: false })),
    close: (T) => (check(T, TreeHandle, 'Tree').dispose(), 0),
  });

  const nodeFn = (fn: (T: LuaState, n: NodeHandle) => number): JSFunction => (T) => fn(T, nodeOf(T));
  const related = (get: (n: Node) => Node | null): JSFunction => nodeFn((T, n) => pushNode(T, n.tree, guarded(() => get(n.node))));
  const flag = (get: (n: Node) => boolean): JSFunction => nodeFn((T, n) => (lua.lua_pushboolean(T, guarded(() => get(n.node))), 1));
  const count = (get: (n: Node) => number): JSFunction => nodeFn((T, n) => (pushNumber(T, guarded(() => get(n.node))), 1));
  const kind: JSFunction = nodeFn((T, n) => (pushString(T, guarded(() => n.node.type)), 1));

  meta.node = metatable(vm, 'treesitter.Node', {
    parent: related((n) => n.parent),
    child: nodeFn((T, n) => pushNode(T, n.tree, guarded(() => n.node.child(lauxlib.luaL_checkinteger(T, 2))))),
    child_count: count((n) => n.childCount),
    named_child: nodeFn((T, n) => pushNode(T, n.tree, guarded(() => n.node.namedChild(lauxlib.luaL_checkinteger(T, 2))))),
    named_child_count: count((n) => n.namedChildCount),
    next_sibling: related((n) => n.nextSibling),
    prev_sibling: related((n) => n.previousSibling),
    next_named_sibling: related((n) => n.nextNamedSibling),
    prev_named_sibling: related((n) => n.previousNamedSibling),
    descendant_count: count((n) => n.descendantCount),
    named_descendant_for_point_range: nodeFn((T, n) => {
      const m = n.tree.map;
      const from = m.unpoint(pointAt(T, 2));
      const to = m.unpoint(pointAt(T, 3));
      return pushNode(T, n.tree, guarded(() => n.node.namedDescendantForPosition(from, to)));
    }),
    child_by_field_name: nodeFn((T, n) => pushNode(T, n.tree, guarded(() => n.node.childForFieldName(checkJsString(T, 2))))),
    field_name_for_child: nodeFn((T, n) => {
      const name = guarded(() => n.node.fieldNameForChild(lauxlib.luaL_checkinteger(T, 2)));
      return name === null ? lua.lua_pushnil(T) : pushString(T, name), 1;
    }),
    kind,
    type: kind,
    grammar_name: nodeFn((T, n) => (pushString(T, guarded(() => n.node.grammarType)), 1)),
    is_named: flag((n) => n.isNamed),
    is_extra: flag((n) => n.isExtra),
    is_missing: flag((n) => n.isMissing),
    has_error: flag((n) => n.hasError),
    is_error: flag((n) => n.isError),
    start_byte: nodeFn((T, n) => (pushNumber(T, n.tree.map.byte(guarded(() => n.node.startIndex))), 1)),
    end_byte: nodeFn((T, n) => (pushNumber(T, n.tree.map.byte(guarded(() => n.node.endIndex))), 1)),
    start_point: nodeFn((T, n) => (pushPoint(T, n.tree.map.point(guarded(() => n.node.startPosition))), 1)),
    end_point: nodeFn((T, n) => (pushPoint(T, n.tree.map.point(guarded(() => n.node.endPosition))), 1)),
    text: nodeFn((T, n) => {
      const m = n.tree.map;
      const [from, to] = guarded(() => [m.byte(n.node.startIndex), m.byte(n.node.endIndex)]);
      const source = lua.lua_isnoneornil(T, 2) ? m.bytes : sourceAt(T, 2);
      if (to > source.length) return fail(T, vm, `node byte range ${from}..${to} is outside the source`, 'Invalid', { retryable: false });
      lua.lua_pushstring(T, source.subarray(from, to));
      lua.lua_pushnil(T);
      return 2;
    }),
    to_sexp: nodeFn((T, n) => (pushString(T, guarded(() => sexp(n.node))), 1)),
  }, {
    __tostring: (T) => (pushString(T, `treesitter.Node{${guarded(() => nodeOf(T).node.type)}}`), 1),
    __eq: (T) => {
      const a = argObject(T, 1);
      const b = argObject(T, 2);
      lua.lua_pushboolean(T, a instanceof NodeHandle && b instanceof NodeHandle && a.tree === b.tree && a.node.equals(b.node));
      return 1;
    },
  });

  const cursorFn = (fn: (T: LuaState, c: CursorHandle) => number): JSFunction => (T) => fn(T, cursorOf(T));
  const move = (go: (c: TreeCursor) => boolean): JSFunction => cursorFn((T, c) => (lua.lua_pushboolean(T, guarded(() => go(c.cursor))), 1));
  meta.cursor = metatable(vm, 'treesitter.Cursor', {
    current_node: cursorFn((T, c) => pushNode(T, c.tree, guarded(() => c.cursor.currentNode))),
    current_field_id: cursorFn((T, c) => (pushNumber(T, guarded(() => c.cursor.currentFieldId)), 1)),
    current_field_name: cursorFn((T, c) => {
      const name = guarded(() => c.cursor.currentFieldName);
      return name === null ? lua.lua_pushnil(T) : pushString(T, name), 1;
    }),
    current_depth: cursorFn((T, c) => (pushNumber(T, guarded(() => c.cursor.currentDepth)), 1)),
    current_descendant_index: cursorFn((T, c) => (pushNumber(T, guarded(() => c.cursor.currentDescendantIndex)), 1)),
    goto_parent: move((c) => c.gotoParent()),
    goto_first_child: move((c) => c.gotoFirstChild()),
    goto_last_child: move((c) => c.gotoLastChild()),
    goto_next_sibling: move((c) => c.gotoNextSibling()),
    goto_previous_sibling: move((c) => c.gotoPreviousSibling()),
    goto_descendant: cursorFn((T, c) => (guarded(() => c.cursor.gotoDescendant(lauxlib.luaL_checkinteger(T, 2))), 0)),
    goto_first_child_for_byte: cursorFn((T, c) => {
      const ok = guarded(() => c.cursor.gotoFirstChildForIndex(c.tree.map.index(lauxlib.luaL_checkinteger(T, 2))));
      return ok ? pushNumber(T, guarded(() => c.cursor.currentDescendantIndex)) : lua.lua_pushnil(T), 1;
    }),
    goto_first_child_for_point: cursorFn((T, c) => {
      const ok = guarded(() => c.cursor.gotoFirstChildForPosition(c.tree.map.unpoint(pointAt(T, 2))));
      return ok ? pushNumber(T, guarded(() => c.cursor.currentDescendantIndex)) : lua.lua_pushnil(T), 1;
    }),
    reset: cursorFn((T, c) => (guarded(() => c.cursor.reset(nodeOf(T, 2).node)), 0)),
    reset_to: cursorFn((T, c) => {
      const other = argObject(T, 2);
      if (!(other instanceof CursorHandle) || other.closed) return lauxlib.luaL_argerror(T, 2, 'Cursor expected');
      guarded(() => c.cursor.resetTo(other.cursor));
      return 0;
    }),
    copy: cursorFn((T, c) => attempt(T, () => (pushObject(T, new CursorHandle(ledgerOf(T), c.tree, guarded(() => c.cursor.copy())), meta.cursor), lua.lua_pushnil(T), 2))),
    close: (T) => (check(T, CursorHandle, 'Cursor').dispose(), 0),
  });

  /** query:captures / query:matches: the node at 2, the source at 3 (for capture texts). */
  const execute = (T: LuaState, kind: 'captures' | 'matches'): number => {
    const q = queryOf(T);
    const n = nodeOf(T, 2);
    const source = lua.lua_isnoneornil(T, 3) ? n.tree.map.bytes : sourceAt(T, 3);
    const m = n.tree.map;
    const options = {
      startIndex: q.startIndex === undefined ? undefined : m.index(q.startIndex),
      endIndex: q.endIndex === undefined ? undefined : m.index(q.endIndex),
      startPosition: q.startPosition === undefined ? undefined : m.unpoint(q.startPosition),
      endPosition: q.endPosition === undefined ? undefined : m.unpoint(q.endPosition),
      matchLimit: q.matchLimit,
      maxStartDepth: q.maxStartDepth,
      timeoutMicros: q.timeoutMicros,
    };
    return attempt(T, () => {
      const pushCapture = (c: QueryCapture, withText: boolean): void => {
        lua.lua_createtable(T, 0, 4);
        pushNode(T, n.tree, c.node);
        lua.lua_setfield(T, -2, 'node');
        pushNumber(T, q.query.captureNames.indexOf(c.name));
        lua.lua_setfield(T, -2, 'index');
        pushString(T, c.name);
        lua.lua_setfield(T, -2, 'name');
        if (withText) {
          lua.lua_pushstring(T, source.subarray(m.byte(c.node.startIndex), m.byte(c.node.endIndex)));
          lua.lua_setfield(T, -2, 'text');
        }
      };
      if (kind === 'captures') {
        const caps = runQuery<QueryCapture>(q.query, 'captures', n.node, options);
        lua.lua_createtable(T, caps.length, 0);
        caps.forEach((c, i) => {
          pushCapture(c, true);
          lua.lua_rawseti(T, -2, i + 1);
        });
      } else {
        const matches = runQuery<QueryMatch>(q.query, 'matches', n.node, options);
        lua.lua_createtable(T, matches.length, 0);
        matches.forEach((match, i) => {
          lua.lua_createtable(T, 0, 3);
          pushNumber(T, i);
          lua.lua_setfield(T, -2, 'id');
          pushNumber(T, match.patternIndex);
          lua.lua_setfield(T, -2, 'pattern');
          lua.lua_createtable(T, match.captures.length, 0);
          match.captures.forEach((c, j) => {
            pushCapture(c, false);
            lua.lua_rawseti(T, -2, j + 1);
          });
          lua.lua_setfield(T, -2, 'captures');
          lua.lua_rawseti(T, -2, i + 1);
        });
      }
      q.exceeded = guarded(() => q.query.didExceedMatchLimit());
      return 1;
    });
  };

  const queryFn = (fn: (T: LuaState, q: QueryHandle) => number): JSFunction => (T) => fn(T, queryOf(T));
  const pushPredicates = (T: LuaState, list: { key: string; value?: string | null }[]): number => {
    lua.lua_createtable(T, list.length, 0);
    list.forEach((p, i) => {
      lua.lua_createtable(T, 0, 2);
      pushString(T, p.key);
      lua.lua_setfield(T, -2, 'key');
      if (p.value !== undefined && p.value !== null) {
        pushString(T, p.value);
        lua.lua_setfield(T, -2, 'value');
      }
      lua.lua_rawseti(T, -2, i + 1);
    });
    return 1;
  };
  const properties = (props: Record<string, string | null> | undefined): { key: string; value: string | null }[] =>
    Object.entries(props ?? {}).map(([key, value]) => ({ key, value }));

  meta.query = metatable(vm, 'treesitter.Query', {
    matches: (T) => execute(T, 'matches'),
    captures: (T) => execute(T, 'captures'),
    pattern_count: queryFn((T, q) => (pushNumber(T, guarded(() => q.query.patternCount())), 1)),
    capture_count: queryFn((T, q) => (pushNumber(T, q.query.captureNames.length), 1)),
    capture_name_for_id: queryFn((T, q) => {
      const name = q.query.captureNames[lauxlib.luaL_checkinteger(T, 2)];
      return name === undefined ? lua.lua_pushnil(T) : pushString(T, name), 1;
    }),
    capture_index_for_name: queryFn((T, q) => {
      const at = q.query.captureNames.indexOf(checkJsString(T, 2));
      return at < 0 ? lua.lua_pushnil(T) : pushNumber(T, at), 1;
    }),
    start_byte_for_pattern: queryFn((T, q) => (pushNumber(T, guarded(() => q.query.startIndexForPattern(lauxlib.luaL_checkinteger(T, 2)))), 1)),
    end_byte_for_pattern: queryFn((T, q) => (pushNumber(T, guarded(() => q.query.endIndexForPattern(lauxlib.luaL_checkinteger(T, 2)))), 1)),
    set_byte_range: queryFn((T, q) => ((q.startIndex = lauxlib.luaL_checkinteger(T, 2)), (q.endIndex = lauxlib.luaL_checkinteger(T, 3)), 0)),
    set_point_range: queryFn((T, q) => ((q.startPosition = pointAt(T, 2)), (q.endPosition = pointAt(T, 3)), 0)),
    set_match_limit: queryFn((T, q) => ((q.matchLimit = lauxlib.luaL_checkinteger(T, 2)), 0)),
    get_match_limit: queryFn((T, q) => (pushNumber(T, q.matchLimit ?? 0xffffffff), 1)),
    did_exceed_match_limit: queryFn((T, q) => (lua.lua_pushboolean(T, q.exceeded), 1)),
    set_timeout: queryFn((T, q) => ((q.timeoutMicros = durationMs(T, 2) * 1000), 0)),
    get_timeout: queryFn((T, q) => (pushNumber(T, q.timeoutMicros * 1000), 1)),
    set_max_start_depth: queryFn((T, q) => ((q.maxStartDepth = lauxlib.luaL_checkinteger(T, 2)), 0)),
    disable_pattern: queryFn((T, q) => (guarded(() => q.query.disablePattern(lauxlib.luaL_checkinteger(T, 2))), 0)),
    disable_capture: queryFn((T, q) => (guarded(() => q.query.disableCapture(checkJsString(T, 2))), 0)),
    is_pattern_rooted: queryFn((T, q) => (lua.lua_pushboolean(T, guarded(() => q.query.isPatternRooted(lauxlib.luaL_checkinteger(T, 2)))), 1)),
    is_pattern_non_local: queryFn((T, q) => (lua.lua_pushboolean(T, guarded(() => q.query.isPatternNonLocal(lauxlib.luaL_checkinteger(T, 2)))), 1)),
    is_pattern_guaranteed: queryFn((T, q) => (lua.lua_pushboolean(T, guarded(() => q.query.isPatternGuaranteedAtStep(lauxlib.luaL_checkinteger(T, 2)))), 1)),
    capture_quantifier: queryFn((T, q) => {
      const v = q.query.captureQuantifiers[lauxlib.luaL_checkinteger(T, 2)]?.[lauxlib.luaL_checkinteger(T, 3)];
      return v === undefined ? lua.lua_pushnil(T) : pushNumber(T, v), 1;
    }),
    get_property_predicates: queryFn((T, q) => {
      const i = lauxlib.luaL_checkinteger(T, 2);
      const asserted = properties(q.query.assertedProperties[i]).map((p) => ({ ...p, positive: true }));
      const refuted = properties(q.query.refutedProperties[i]).map((p) => ({ ...p, positive: false }));
      const all = [...asserted, ...refuted];
      pushPredicates(T, all);
      all.forEach((p, k) => {
        lua.lua_rawgeti(T, -1, k + 1);
        lua.lua_pushboolean(T, p.positive);
        lua.lua_setfield(T, -2, 'positive');
        lua.lua_settop(T, -2);
      });
      return 1;
    }),
    get_property_settings: queryFn((T, q) => pushPredicates(T, properties(q.query.setProperties[lauxlib.luaL_checkinteger(T, 2)]))),
    get_text_predicates: queryFn((T, q) => {
      const preds = guarded(() => q.query.predicatesForPattern(lauxlib.luaL_checkinteger(T, 2)));
      lua.lua_createtable(T, preds.length, 0);
      preds.forEach((p, i) => {
        lua.lua_createtable(T, 0, 3);
        pushString(T, p.operator);
        lua.lua_setfield(T, -2, 'operator');
        const capture = p.operands.find((o) => o.type === 'capture');
        pushNumber(T, capture === undefined ? -1 : q.query.captureNames.indexOf((capture as { name: string }).name));
        lua.lua_setfield(T, -2, 'capture_id');
        lua.lua_pushboolean(T, !p.operator.startsWith('not-'));
        lua.lua_setfield(T, -2, 'positive');
        const value = p.operands.find((o) => o.type === 'string');
        if (value !== undefined) {
          pushString(T, (value as { value: string }).value);
          lua.lua_setfield(T, -2, 'value');
        }
        lua.lua_rawseti(T, -2, i + 1);
      });
      return 1;
    }),
    close: (T) => (check(T, QueryHandle, 'Query').dispose(), 0),
  });

  vm.defineModule(
    'treesitter',
    functionTable(vm, {
      supported_languages: (T) => {
        const names = languageNames();
        lua.lua_createtable(T, 0, names.length);
        for (const n of names) {
          lua.lua_pushboolean(T, true);
          lua.lua_setfield(T, -2, n);
        }
        return 1;
      },
      language: (T) => {
        const alias = checkJsString(T, 1);
        return answer(T, () => language(alias), (R, lang) => (pushLanguage(R, lang), lua.lua_pushnil(R), 2));
      },
      parse: (T) => {
        const alias = checkJsString(T, 1);
        const bytes = sourceAt(T, 2);
        return attempt(T, () => {
          const ledger = ledgerOf(T);
          return answerTree(T, () =>
            onLanguage(alias, (lang) => {
              // A parser for this parse only, freed when the parse ends (the tree does not need it).
              const parser = guarded(() => new Parser().setLanguage(lang));
              return parseWork(ledger, parser, lang, bytes, null, LIMITS.parseMs, () => guarded(() => parser.delete()));
            }),
          );
        });
      },
      parser: (T) =>
        attempt(T, () => {
          const ledger = ledgerOf(T);
          return answer(T, init, (R) => (pushObject(R, new ParserHandle(ledger), meta.parser), lua.lua_pushnil(R), 2));
        }),
      query: (T) => {
        const alias = checkJsString(T, 1);
        const pattern = checkJsString(T, 2);
        return attempt(T, () => {
          const ledger = ledgerOf(T);
          return answer(T, () => onLanguage(alias, (lang) => new QueryHandle(ledger, compileQuery(lang, pattern))), (R, q) => (pushObject(R, q, meta.query), lua.lua_pushnil(R), 2));
        });
      },
    }),
  );
}

export const treesitterModule = luaModule({
  name: 'treesitter',
  description: 'Tree-sitter parsing and syntax analysis',
  classes: ['encoding', 'deterministic'],
  install: (vm) => installTreesitter(vm),
});

/**
 * The `text` module (spec.md beside this file): `regexp` (Go's regexp over re2js, src/lib/go-regexp.ts),
 * `diff` (diff-match-patch, as Wippy's go-diff) and `splitter` (src/lib/text-splitter.ts). Regexp loops over
 * many matches run in time slices, so a big input blocks only the calling coroutine.
 */
import DiffMatchPatch from 'diff-match-patch';
import { lua, lauxlib, pushNumber, pushString, toJsString, type LuaState } from '../../engine/lua';
import { argInstance, pushObject } from '../../engine/slots';
import { fail } from '../errors';
import { messageOf } from '../../lib/message';
import { GeneratorWork } from '../../lib/cpu-work';
import { runSliced } from '../../engine/sliced';
import { GoRegexp, RegexpSyntaxError, type MatchIndexes } from '../../lib/go-regexp';
import { DEFAULT_SPLITTER_OPTIONS, splitMarkdown, splitRecursive, type SplitterOptions } from '../../lib/text-splitter';
import type { LuaVM } from '../../engine/vm';
import type { JSFunction } from 'fengari';
import { luaModule } from '../module';
import { functionTable, metatable, nestTable, setField } from '../../engine/binding';

/** Wisp runs a diff on the main thread: its time is capped (diff-match-patch gives a coarser diff when it runs out). */
const MAX_DIFF_SECONDS = 0.5;

class Differ {
  constructor(readonly dmp: DiffMatchPatch) {}
}

class Splitter {
  constructor(
    readonly markdown: boolean,
    readonly options: SplitterOptions,
  ) {}
}

type Op = 'equal' | 'delete' | 'insert';
const OP_OF: Record<number, Op> = { [DiffMatchPatch.DIFF_EQUAL]: 'equal', [DiffMatchPatch.DIFF_DELETE]: 'delete', [DiffMatchPatch.DIFF_INSERT]: 'insert' };
const CODE_OF: Record<Op, number> = { equal: DiffMatchPatch.DIFF_EQUAL, delete: DiffMatchPatch.DIFF_DELETE, insert: DiffMatchPatch.DIFF_INSERT };

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c] as string);

/** Calls `each` with the value of every entry of the table at `idx` (any order, as Go's ForEach). */
function forEachValue(T: LuaState, idx: number, each: () => void): void {
  const t = lua.lua_absindex(T, idx);
  lua.lua_pushnil(T);
  while (lua.lua_next(T, t)) {
    each();
    lua.lua_settop(T, -2);
  }
}

/** `t[name]` of the table at `idx` as a JS string when it is a string (or number), else null. */
function stringField(T: LuaState, idx: number, name: string): string | null {
  lua.lua_getfield(T, idx, name);
  const s = lua.lua_type(T, -1) === lua.LUA_TSTRING || lua.lua_type(T, -1) === lua.LUA_TNUMBER ? toJsString(T, -1) : null;
  lua.lua_settop(T, -2);
  return s;
}

function installText(vm: LuaVM): void {
  const bytesArg = (T: LuaState, n: number): Uint8Array => lauxlib.luaL_checklstring(T, n) as Uint8Array;
  const stringArg = (T: LuaState, n: number): string => (lauxlib.luaL_checklstring(T, n), toJsString(T, n));

  const checkRegexp = (T: LuaState): GoRegexp => argInstance(T, 1, GoRegexp, 'expected text.Regexp');
  const checkDiffer = (T: LuaState): Differ => argInstance(T, 1, Differ, 'expected text.Differ');
  const checkSplitter = (T: LuaState): Splitter => argInstance(T, 1, Splitter, 'expected text.Splitter');

  const pushList = <V>(T: LuaState, items: readonly V[], push: (v: V) => void): void => {
    lua.lua_createtable(T, items.length, 0);
    items.forEach((v, i) => {
      push(v);
      lua.lua_rawseti(T, -2, i + 1);
    });
  };
  const pushBytesList = (T: LuaState, items: readonly Uint8Array[]): void => pushList(T, items, (b) => lua.lua_pushstring(T, b));
  /** Go's submatch strings: the text of each group, "" for a group that did not take part. */
  const groupTexts = (input: Uint8Array, m: MatchIndexes): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let g = 0; g < m.length; g += 2) out.push(m[g] < 0 ? new Uint8Array(0) : input.subarray(m[g], m[g + 1]));
    return out;
  };
  const pushIndex = (T: LuaState, m: MatchIndexes): void => pushList(T, [m[0] + 1, m[1]], (n) => pushNumber(T, n));

  /** Runs a regexp loop in the caller's time slices; its value is pushed as the one result. */
  const sliced = <V>(T: LuaState, loop: Generator<void, V, void>, push: (R: LuaState, v: V) => void): number => {
    const work = new GeneratorWork(loop);
    return runSliced(vm, T, work, (R) => (push(R, work.result as V), 1), (R, e) => lauxlib.luaL_error(R, messageOf(e)));
  };

  const regexpMeta = metatable(vm, 'text.Regexp', {
    match_string: (T) => (lua.lua_pushboolean(T, checkRegexp(T).first(bytesArg(T, 2)) !== null), 1),
    find_string: (T) => {
      const input = bytesArg(T, 2);
      const m = checkRegexp(T).first(input);
      // Go's FindString answers "" for no match, which Wippy turns into nil (an empty match too).
      if (m === null || m[0] === m[1]) lua.lua_pushnil(T);
      else lua.lua_pushstring(T, input.subarray(m[0], m[1]));
      return 1;
    },
    find_string_submatch: (T) => {
      const input = bytesArg(T, 2);
      const m = checkRegexp(T).first(input);
      if (m === null) lua.lua_pushnil(T);
      else pushBytesList(T, groupTexts(input, m));
      return 1;
    },
    find_string_index: (T) => {
      const m = checkRegexp(T).first(bytesArg(T, 2));
      if (m === null) lua.lua_pushnil(T);
      else pushIndex(T, m);
      return 1;
    },
    find_all_string: (T) => {
      const input = bytesArg(T, 2);
      return sliced(T, checkRegexp(T).all(input, -1), (R, ms) => pushBytesList(R, ms.map((m) => input.subarray(m[0], m[1]))));
    },
    find_all_string_submatch: (T) => {
      const input = bytesArg(T, 2);
      return sliced(T, checkRegexp(T).all(input, -1), (R, ms) => pushList(R, ms, (m) => pushBytesList(R, groupTexts(input, m))));
    },
    find_all_string_index: (T) => {
      const input = bytesArg(T, 2);
      return sliced(T, checkRegexp(T).all(input, -1), (R, ms) => (ms.length === 0 ? lua.lua_pushnil(R) : pushList(R, ms, (m) => pushIndex(R, m))));
    },
    replace_all_string: (T) => {
      const input = bytesArg(T, 2);
      const template = bytesArg(T, 3);
      return sliced(T, checkRegexp(T).replaceAll(input, template), (R, out) => lua.lua_pushstring(R, out));
    },
    split: (T) => {
      const input = bytesArg(T, 2);
      const n = Math.trunc(lauxlib.luaL_optnumber(T, 3, -1));
      return sliced(T, checkRegexp(T).split(input, n), pushBytesList);
    },
    num_subexp: (T) => (lua.lua_pushinteger(T, checkRegexp(T).numSubexp), 1),
    subexp_names: (T) => (pushList(T, checkRegexp(T).subexpNames, (n) => pushString(T, n)), 1),
    string: (T) => (pushString(T, checkRegexp(T).source), 1),
  });

  const compile: JSFunction = (T) => {
    const pattern = stringArg(T, 1);
    try {
      pushObject(T, GoRegexp.compile(pattern), regexpMeta);
      lua.lua_pushnil(T);
      return 2;
    } catch (e) {
      if (!(e instanceof RegexpSyntaxError)) throw e;
      return fail(T, vm, e.message, 'Invalid', { retryable: false, context: 'regex compile error' });
    }
  };

  /** The diffs table argument (`{operation, text}` entries) as diff-match-patch tuples. */
  const diffsArg = (T: LuaState, n: number): DiffMatchPatch.Diff[] => {
    lauxlib.luaL_checktype(T, n, lua.LUA_TTABLE);
    const diffs: DiffMatchPatch.Diff[] = [];
    forEachValue(T, n, () => {
      if (lua.lua_type(T, -1) !== lua.LUA_TTABLE) return;
      const op = stringField(T, -1, 'operation') as Op | null;
      diffs.push([op !== null && op in CODE_OF ? CODE_OF[op] : DiffMatchPatch.DIFF_EQUAL, stringField(T, -1, 'text') ?? '']);
    });
    return diffs;
  };

  const differMeta = metatable(vm, 'text.Differ', {
    compare: (T) => {
      const d = checkDiffer(T);
      const diffs = d.dmp.diff_main(stringArg(T, 2), stringArg(T, 3), false);
      pushList(T, diffs, (diff) => {
        lua.lua_createtable(T, 0, 2);
        setField(vm, T, -1, 'operation', () => pushString(T, OP_OF[diff[0]]));
        setField(vm, T, -1, 'text', () => pushString(T, diff[1]));
      });
      lua.lua_pushnil(T);
      return 2;
    },
    summarize: (T) => {
      checkDiffer(T);
      const counts = { insertions: 0, deletions: 0, equals: 0 };
      for (const [op, text] of diffsArg(T, 2)) {
        const length = Buffer.byteLength(text);
        if (op === DiffMatchPatch.DIFF_INSERT) counts.insertions += length;
        else if (op === DiffMatchPatch.DIFF_DELETE) counts.deletions += length;
        else counts.equals += length;
      }
      lua.lua_createtable(T, 0, 3);
      for (const [k, v] of Object.entries(counts)) setField(vm, T, -1, k, () => pushNumber(T, v));
      return 1;
    },
    pretty_text: (T) => {
      checkDiffer(T);
      let out = '';
      for (const [op, text] of diffsArg(T, 2)) {
        if (op === DiffMatchPatch.DIFF_INSERT) out += `\x1b[32m${text}\x1b[0m`;
        else if (op === DiffMatchPatch.DIFF_DELETE) out += `\x1b[31m${text}\x1b[0m`;
        else out += text;
      }
      pushString(T, out);
      lua.lua_pushnil(T);
      return 2;
    },
    pretty_html: (T) => {
      checkDiffer(T);
      let out = '';
      for (const [op, text] of diffsArg(T, 2)) {
        const t = escapeHtml(text).replace(/\n/g, '&para;<br>');
        if (op === DiffMatchPatch.DIFF_INSERT) out += `<ins style="background:#e6ffe6;">${t}</ins>`;
        else if (op === DiffMatchPatch.DIFF_DELETE) out += `<del style="background:#ffe6e6;">${t}</del>`;
        else out += `<span>${t}</span>`;
      }
      pushString(T, out);
      lua.lua_pushnil(T);
      return 2;
    },
    patch_make: (T) => {
      const d = checkDiffer(T);
      const patches = d.dmp.patch_make(stringArg(T, 2), stringArg(T, 3));
      pushList(T, patches, (p) => {
        lua.lua_createtable(T, 0, 1);
        setField(vm, T, -1, 'text', () => pushString(T, p.toString()));
      });
      lua.lua_pushnil(T);
      return 2;
    },
    patch_apply: (T) => {
      const d = checkDiffer(T);
      lauxlib.luaL_checktype(T, 2, lua.LUA_TTABLE);
      const text = stringArg(T, 3);
      const patches: ReturnType<DiffMatchPatch['patch_fromText']> = [];
      forEachValue(T, 2, () => {
        if (lua.lua_type(T, -1) !== lua.LUA_TTABLE) return;
        try {
          patches.push(...d.dmp.patch_fromText(stringField(T, -1, 'text') ?? ''));
        } catch {
          // Wippy skips a patch whose text does not parse
        }
      });
      const [result, applied] = d.dmp.patch_apply(patches, text);
      pushString(T, result);
      lua.lua_pushboolean(T, applied.every((ok) => ok));
      return 2;
    },
  });

  /** The number at `t[name]` when it is one, else null. */
  const numberField = (T: LuaState, name: string): number | null => {
    lua.lua_getfield(T, 1, name);
    const v = lua.lua_type(T, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(T, -1) : null;
    lua.lua_settop(T, -2);
    return v;
  };
  const boolField = (T: LuaState, name: string): boolean | null => {
    lua.lua_getfield(T, 1, name);
    const v = lua.lua_type(T, -1) === lua.LUA_TBOOLEAN ? lua.lua_toboolean(T, -1) : null;
    lua.lua_settop(T, -2);
    return v;
  };

  const diffNew: JSFunction = (T) => {
    const dmp = new DiffMatchPatch();
    dmp.Diff_Timeout = 1;
    if (lua.lua_type(T, 1) === lua.LUA_TTABLE) {
      const timeout = numberField(T, 'diff_timeout');
      if (timeout !== null && timeout >= 0) dmp.Diff_Timeout = timeout;
      const editCost = numberField(T, 'diff_edit_cost');
      if (editCost !== null && Math.trunc(editCost) > 0) dmp.Diff_EditCost = Math.trunc(editCost);
      const threshold = numberField(T, 'match_threshold');
      if (threshold !== null && threshold >= 0) dmp.Match_Threshold = threshold;
      const distance = numberField(T, 'match_distance');
      if (distance !== null && Math.trunc(distance) > 0) dmp.Match_Distance = Math.trunc(distance);
      const deleteThreshold = numberField(T, 'patch_delete_threshold');
      if (deleteThreshold !== null && deleteThreshold >= 0) dmp.Patch_DeleteThreshold = deleteThreshold;
      const margin = numberField(T, 'patch_margin');
      if (margin !== null && Math.trunc(margin) > 0) dmp.Patch_Margin = Math.trunc(margin);
    }
    // 0 means "no limit" to diff-match-patch; the main thread cannot give that.
    if (!(dmp.Diff_Timeout > 0) || dmp.Diff_Timeout > MAX_DIFF_SECONDS) dmp.Diff_Timeout = MAX_DIFF_SECONDS;
    pushObject(T, new Differ(dmp), differMeta);
    lua.lua_pushnil(T);
    return 2;
  };

  const splitterOptions = (T: LuaState, markdown: boolean): SplitterOptions => {
    const o: SplitterOptions = { ...DEFAULT_SPLITTER_OPTIONS };
    if (lua.lua_type(T, 1) !== lua.LUA_TTABLE) return o;
    const size = numberField(T, 'chunk_size');
    if (size !== null) o.chunkSize = Math.trunc(size);
    const overlap = numberField(T, 'chunk_overlap');
    if (overlap !== null) o.chunkOverlap = Math.trunc(overlap);
    const flags: [keyof SplitterOptions, string][] = markdown
      ? [['codeBlocks', 'code_blocks'], ['referenceLinks', 'reference_links'], ['headingHierarchy', 'heading_hierarchy'], ['joinTableRows', 'join_table_rows']]
      : [['keepSeparator', 'keep_separator']];
    for (const [key, name] of flags) {
      const b = boolField(T, name);
      if (b !== null) (o[key] as boolean) = b;
    }
    lua.lua_getfield(T, 1, 'separators');
    if (lua.lua_type(T, -1) === lua.LUA_TTABLE) {
      const seps: string[] = [];
      forEachValue(T, -1, () => {
        if (lua.lua_type(T, -1) === lua.LUA_TSTRING) seps.push(toJsString(T, -1));
      });
      if (seps.length > 0) o.separators = seps;
    }
    lua.lua_settop(T, -2);
    return o;
  };

  const split = (s: Splitter, text: string): string[] => (s.markdown ? splitMarkdown(text, s.options) : splitRecursive(text, s.options));

  const splitterMeta = metatable(vm, 'text.Splitter', {
    split_text: (T) => {
      const s = checkSplitter(T);
      pushList(T, split(s, stringArg(T, 2)), (c) => pushString(T, c));
      lua.lua_pushnil(T);
      return 2;
    },
    split_batch: (T) => {
      const s = checkSplitter(T);
      lauxlib.luaL_checktype(T, 2, lua.LUA_TTABLE);
      lua.lua_newtable(T);
      const result = lua.lua_gettop(T);
      let n = 0;
      forEachValue(T, 2, () => {
        if (lua.lua_type(T, -1) !== lua.LUA_TTABLE) return;
        const page = lua.lua_gettop(T);
        lua.lua_getfield(T, page, 'content');
        const content = lua.lua_type(T, -1) === lua.LUA_TSTRING ? toJsString(T, -1) : '';
        lua.lua_settop(T, page);
        if (content === '') return;
        for (const chunk of split(s, content)) {
          lua.lua_createtable(T, 0, 2);
          setField(vm, T, -1, 'content', () => pushString(T, chunk));
          lua.lua_getfield(T, page, 'metadata');
          if (lua.lua_type(T, -1) !== lua.LUA_TTABLE) {
            lua.lua_settop(T, -2);
            lua.lua_newtable(T);
          }
          lua.lua_setfield(T, -2, 'metadata');
          lua.lua_rawseti(T, result, ++n);
        }
      });
      lua.lua_pushnil(T);
      return 2;
    },
  });

  const splitterNew = (markdown: boolean): JSFunction => (T) => {
    pushObject(T, new Splitter(markdown, splitterOptions(T, markdown)), splitterMeta);
    lua.lua_pushnil(T);
    return 2;
  };

  const mod = functionTable(vm, {});
  nestTable(vm, mod, 'regexp', functionTable(vm, { compile }), 'text.regexp');
  nestTable(vm, mod, 'diff', functionTable(vm, { new: diffNew }), 'text.diff');
  nestTable(vm, mod, 'splitter', functionTable(vm, { recursive: splitterNew(false), markdown: splitterNew(true) }), 'text.splitter');
  vm.defineModule('text', mod);
}

export const textModule = luaModule({
  name: 'text',
  description: 'Text processing: regex, diff, and patch operations',
  classes: ['deterministic'],
  install: (vm) => installText(vm),
});

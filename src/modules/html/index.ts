/**
 * The `html` module (spec.md beside this file): `html.sanitize` policies in the model of Go's bluemonday,
 * over src/lib/html-policy.ts. Policies are mutable, as bluemonday's are: every method changes the policy and
 * returns it for chaining.
 */
import { lauxlib, lua, checkJsString, pushString, type LuaState } from '../../engine/lua';
import { argInstance, pushObject, pushSlot, slotAt, type LuaTable, type Slot } from '../../engine/slots';
import type { LuaVM } from '../../engine/vm';
import { HtmlPolicy, patternError, sanitize as sanitizeHtml } from '../../lib/html-policy';
import { settle } from '../settle';
import { fail } from '../errors';
import { luaModule } from '../module';
import type { JSFunction } from 'fengari';
import { functionTable, metatable, nestTable } from '../../engine/binding';

/** The most input one `sanitize` takes (the worker's time and heap bound it too). */
export const MAX_HTML_BYTES = 16 * 1024 * 1024;

/** `policy:allow_attrs(...)`: the attributes, until `on_elements` or `globally` adds them to the policy. */
class AttrBuilder {
  pattern: string | null = null;
  constructor(
    readonly policy: HtmlPolicy,
    /** The policy's own userdata, handed back by on_elements/globally. */
    readonly policySlot: Slot,
    readonly attrs: readonly string[],
  ) {}
}

/** The strings from `from` to the top of the stack (Lua argument errors for anything else). */
function stringArgs(T: LuaState, from: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= lua.lua_gettop(T); i++) out.push(checkJsString(T, i));
  return out;
}

function installHtml(vm: LuaVM): void {
  let policyMeta: LuaTable;
  let builderMeta: LuaTable;

  const checkPolicy = (T: LuaState): HtmlPolicy => argInstance(T, 1, HtmlPolicy, 'expected html.Policy');
  const checkBuilder = (T: LuaState): AttrBuilder => argInstance(T, 1, AttrBuilder, 'expected html.AttrBuilder');
  /** A policy method: changes the policy and returns it. */
  const chain =
    (change: (p: HtmlPolicy, T: LuaState) => void): JSFunction =>
    (T) => {
      change(checkPolicy(T), T);
      lua.lua_settop(T, 1);
      return 1;
    };
  const flag = (T: LuaState): boolean => (lauxlib.luaL_checktype(T, 2, lua.LUA_TBOOLEAN), lua.lua_toboolean(T, 2));

  policyMeta = metatable(vm, 'html.Policy', {
    allow_elements: chain((p, T) => p.allowElements(...stringArgs(T, 2))),
    allow_attrs: (T) => {
      const policy = checkPolicy(T);
      pushObject(T, new AttrBuilder(policy, slotAt(T, 1), stringArgs(T, 2)), builderMeta);
      return 1;
    },
    allow_standard_urls: chain((p) => p.allowStandardUrls()),
    require_parseable_urls: chain((p, T) => p.requireParseableUrls(flag(T))),
    allow_relative_urls: chain((p, T) => p.allowRelativeUrls(flag(T))),
    allow_url_schemes: chain((p, T) => p.allowUrlSchemes(...stringArgs(T, 2))),
    require_nofollow_on_links: chain((p, T) => p.requireNoFollowOnLinks(flag(T))),
    require_noreferrer_on_links: chain((p, T) => p.requireNoReferrerOnLinks(flag(T))),
    add_target_blank_to_fully_qualified_links: chain((p, T) => p.addTargetBlankToFullyQualifiedLinks(flag(T))),
    allow_data_uri_images: chain((p) => p.allowDataUriImages()),
    allow_standard_attributes: chain((p) => p.allowStandardAttributes()),
    allow_images: chain((p) => p.allowImages()),
    allow_lists: chain((p) => p.allowLists()),
    allow_tables: chain((p) => p.allowTables()),
    sanitize: (T) => {
      const policy = checkPolicy(T);
      lauxlib.luaL_checktype(T, 2, lua.LUA_TSTRING);
      if ((lua.lua_rawlen(T, 2) as number) > MAX_HTML_BYTES) {
        return fail(T, vm, `html input too large (max ${MAX_HTML_BYTES} bytes)`, 'Invalid', { retryable: false });
      }
      const html = checkJsString(T, 2);
      return settle(
        vm,
        T,
        () => sanitizeHtml(policy.data(), html),
        (R, clean) => (pushString(R, clean), 1),
        (R, e) => fail(R, vm, e instanceof Error ? e.message : String(e), 'Internal', { retryable: false, context: 'sanitize failed' }),
      );
    },
  });

  const apply = (T: LuaState, b: AttrBuilder, add: () => void): number => {
    add();
    pushSlot(T, b.policySlot);
    return 1;
  };
  builderMeta = metatable(vm, 'html.AttrBuilder', {
    on_elements: (T) => {
      const b = checkBuilder(T);
      return apply(T, b, () => b.policy.allowAttrsOn(b.attrs, b.pattern, stringArgs(T, 2)));
    },
    globally: (T) => {
      const b = checkBuilder(T);
      return apply(T, b, () => b.policy.allowAttrsGlobally(b.attrs, b.pattern));
    },
    matching: (T) => {
      const b = checkBuilder(T);
      const pattern = checkJsString(T, 2);
      const problem = patternError(pattern);
      if (problem !== null) return fail(T, vm, problem, 'Invalid', { retryable: false, context: 'regex compile error' });
      b.pattern = pattern;
      lua.lua_settop(T, 1);
      lua.lua_pushnil(T);
      return 2;
    },
  });

  const maker =
    (make: () => HtmlPolicy): JSFunction =>
    (T) => {
      pushObject(T, make(), policyMeta);
      lua.lua_pushnil(T);
      return 2;
    };
  const sanitize = functionTable(vm, {
    new_policy: maker(() => new HtmlPolicy()),
    ugc_policy: maker(() => HtmlPolicy.ugc()),
    strict_policy: maker(() => new HtmlPolicy()),
  });
  const module = functionTable(vm, {});
  nestTable(vm, module, 'sanitize', sanitize, 'html.sanitize');
  vm.defineModule('html', module);
}

export const htmlModule = luaModule({
  name: 'html',
  description: 'HTML sanitization with policy-based filtering',
  classes: ['security', 'deterministic'],
  install: (vm) => installHtml(vm),
});
